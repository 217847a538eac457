"""What scheduling reads does not grow with the site's history: the caps come from the counters of
the periods not yet over, the minutes from the calendar's items still ahead (issue 16, item 5).

Two sites with equal settings; one has N items published earlier in the cap window (counted in its
counters, as publications are). Scheduling one more item, through the API and through the
15-minute job's site unit, makes the same DynamoDB calls and reads the same items whatever N.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from publisher.bootstrap import ready_store
from publisher.domain.publishing_settings import PublishingSettings
from publisher.services import handover
from publisher.services.scheduling import schedule_site_unit
from publisher.store import usage
from publisher.store.models import UsageCounterModel
from publisher.timeutil import iso
from tests.integration.publishing_support import make_content, webhook_integration
from tests.integration.scheduling_support import create_content, create_site, put_settings, schedule
from tests.support.aws_calls import AwsCalls, record_calls

HISTORY = 40
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CAPS = {"daily_publish_limit": 60, "weekly_publish_limit": 300, "monthly_publish_limit": 1000}


def record_reads(monkeypatch) -> AwsCalls:
    """Every DynamoDB call sent from now on. A slot minutes away is handed to the queue at once,
    and whether it is depends on each site's jitter: that hand-over is not scheduling's read, so it
    is left out here."""
    monkeypatch.setattr(handover, "hand_over_if_soon", lambda item, now: False)
    return record_calls(monkeypatch, "dynamodb")


def items_read(sent: AwsCalls) -> list[tuple[str, int]]:
    """(operation, items it read back) for every call that answered."""
    counted = []
    for call in sent.calls:
        if call.reply is not None:
            items = call.reply.get("Count", 1 if "Item" in call.reply else 0)
            items += sum(len(found) for found in call.reply.get("Responses", {}).values())
            counted.append((call.operation, items))
    return counted


def site_with_history(owner: str, published: int, *, auto: bool = False) -> dict:
    """A site (all days, one 24-hour slot, high caps) with `published` items published in the last
    minute, each counted in its day/week/month counters as a publication is."""
    site = create_site(owner, name=f"Garden {published}", url="https://garden.example.com")
    webhook_integration(site["id"])
    put_settings(
        owner,
        site["id"],
        publish_days=ALL_DAYS,
        publish_time_slots=[{"start": "00:00", "end": "23:59"}],
        auto_publish_enabled=auto,
        **CAPS,
    )
    ready_store()
    settings = PublishingSettings(publish_days=ALL_DAYS, **CAPS)
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(published):
        at = now - timedelta(seconds=1 + n)  # today (unless run in the first minute of a day)
        make_content(site, site_status="published", published_at=iso(at), scheduled_publish_at=iso(at))
        for key in usage.capped_keys(settings, at):
            UsageCounterModel(site_id=site["id"], period=key).update(actions=[UsageCounterModel.count.add(1)])
    return site


HISTORIES = (0, 1, HISTORY)


def assert_reads_independent_of_history(reads: dict[int, list[tuple[str, int]]]) -> None:
    """The same calls whatever the history; the same items read with 1 or HISTORY published, and
    with 0 just the three counters of the current day, week and month fewer (they do not exist)."""
    operations = {history: [operation for operation, _ in calls] for history, calls in reads.items()}
    assert operations[0] == operations[1] == operations[HISTORY]
    assert reads[1] == reads[HISTORY]
    items = {history: sum(count for _, count in calls) for history, calls in reads.items()}
    assert items[HISTORY] - items[0] == 3


def test_given_history_this_month_when_scheduling_one_more_through_the_api_then_it_reads_as_on_an_empty_month(
    aws, owner, monkeypatch
):
    sites = {history: site_with_history(owner, history) for history in HISTORIES}
    items = {history: create_content(owner, site["id"], status="approved") for history, site in sites.items()}
    sent = record_reads(monkeypatch)

    reads = {}
    for history in HISTORIES:
        sent.clear()
        reply = schedule(owner, items[history]["id"], {})
        assert reply.status == 200, reply.body
        reads[history] = items_read(sent)

    print(f"schedule API, (operation, items read) with {HISTORIES} published: {reads}")
    assert_reads_independent_of_history(reads)


def test_given_history_this_month_when_the_job_schedules_a_site_then_it_reads_as_on_an_empty_month(
    aws, owner, monkeypatch
):
    sites = {history: site_with_history(owner, history, auto=True) for history in HISTORIES}
    for site in sites.values():
        create_content(owner, site["id"], status="approved")
    sent = record_reads(monkeypatch)

    reads = {}
    for history, site in sites.items():
        sent.clear()
        summary = schedule_site_unit({"site_id": site["id"], "now": iso(datetime.now(UTC))})
        assert summary["scheduled"] == 1, summary
        reads[history] = items_read(sent)

    print(f"schedule-site unit, (operation, items read) with {HISTORIES} published: {reads}")
    assert_reads_independent_of_history(reads)


def test_counts_from_reads_the_capped_counters_of_the_periods_not_over(aws):
    ready_store()
    site_id = "01JCOUNTS"
    for period, count in {
        "day#2026-11-30": 3,  # over
        "day#2026-12-02": 2,
        "day#2027-01-04": 1,
        "week#2026-W48": 9,  # over
        "week#2026-W49": 4,
        "month#2026-11": 40,  # over
        "month#2026-12": 7,
    }.items():
        UsageCounterModel(site_id=site_id, period=period, count=count).save()
    UsageCounterModel(site_id="01JOTHER", period="day#2026-12-02", count=5).save()
    wednesday = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

    every_cap = usage.counts_from(site_id, PublishingSettings(), wednesday)
    daily_only = usage.counts_from(
        site_id, PublishingSettings(weekly_publish_limit=None, monthly_publish_limit=None), wednesday
    )
    uncapped = PublishingSettings(
        daily_publish_limit=None, weekly_publish_limit=None, monthly_publish_limit=None
    )

    assert every_cap == {"2026-12-02": 2, "2027-01-04": 1, "2026-W49": 4, "2026-12": 7}
    assert daily_only == {"2026-12-02": 2, "2027-01-04": 1}
    assert usage.counts_from(site_id, uncapped, wednesday) == {}


def test_a_counter_expires_forty_days_after_the_moment_of_its_latest_increment(aws):
    ready_store()
    first_of_month = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)

    assert usage.reserve("01JTTL", PublishingSettings(), first_of_month)

    month = UsageCounterModel.get("01JTTL", "month#2026-12", consistent_read=True)
    assert month.count == 1
    assert month.expires_at == first_of_month + timedelta(days=40)  # after December is over
