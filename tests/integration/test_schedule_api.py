"""Schedule, reschedule and unschedule through API Gateway events on moto: slots, explicit times,
caps held by atomic counters (also under concurrent requests), one item per minute."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from publisher.domain.publishing_settings import PublishingSettings
from publisher.domain.slots import assign_slots, site_jitter
from publisher.store.content import approved_unscheduled
from publisher.store.models import UsageCounterModel
from publisher.timeutil import iso, parse_iso
from tests.integration.publishing_support import put_integration
from tests.integration.scheduling_support import (
    atomic_moto_writes,
    counters,
    create_content,
    create_site,
    force_site_status,
    next_weekday,
    put_settings,
    schedule,
    snapshot,
    stored_content,
    unique_keys,
)
from tests.support.apigw import call
from tests.support.fixtures import token

WEDNESDAY = 2
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def approved(owner, site, **fields) -> dict:
    return create_content(owner, site["id"], status="approved", **fields)


def unschedule(tok, content_id):
    return call("POST", f"/api/v1/content/{content_id}/unschedule/", token=tok)


# --- the next free slot -------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, None], ids=["empty-object", "no-body"])
def test_given_approved_content_when_scheduling_without_a_time_then_it_takes_the_next_free_slot(
    aws, owner, site, body
):
    item = approved(owner, site)
    defaults = PublishingSettings()

    before = datetime.now(UTC)
    reply = schedule(owner, item["id"], body)
    after = datetime.now(UTC)

    assert reply.status == 200, reply.body
    data = reply.json["data"]
    # assign_slots is monotone in `now`, so the answer is its answer at one end of the call.
    possible = {
        iso(assign_slots(defaults, [], moment, 1, jitter=site_jitter(site["id"]))[0])
        for moment in (before, after)
    }
    assert data["site_status"] == "scheduled" and data["scheduled_publish_at"] in possible
    when = parse_iso(data["scheduled_publish_at"])
    day, week, month = when.strftime("%Y-%m-%d"), when.strftime("%G-W%V"), when.strftime("%Y-%m")
    assert counters(aws) == {
        (site["id"], f"day#{day}"): 1,
        (site["id"], f"week#{week}"): 1,
        (site["id"], f"month#{month}"): 1,
    }
    minute = when.strftime("%Y-%m-%dT%H:%M")
    assert unique_keys(aws, "slot#") == {f"slot#{site['id']}#{minute}": item["id"]}
    stored = stored_content(item["id"])
    assert (
        stored.due_at == data["scheduled_publish_at"] and stored.calendar_at == data["scheduled_publish_at"]
    )
    assert item["id"] not in [waiting.content_id for waiting in approved_unscheduled(site["id"])]


def test_given_a_day_whose_counter_is_already_full_then_the_slot_goes_to_the_next_day(aws, owner, site):
    """The counters decide, even when the calendar does not show why (a concurrent writer)."""
    put_settings(owner, site["id"], daily_publish_limit=1, publish_days=ALL_DAYS)
    settings = PublishingSettings(daily_publish_limit=1, publish_days=ALL_DAYS)
    item = approved(owner, site)
    now = datetime.now(UTC)
    blocked = {
        f"{assign_slots(settings, [], moment, 1, jitter=site_jitter(site['id']))[0]:%Y-%m-%d}"
        for moment in (now, now + timedelta(minutes=2))
    }
    for day in blocked:
        UsageCounterModel(site_id=site["id"], period=f"day#{day}", count=1).save()

    reply = schedule(owner, item["id"], {})

    assert reply.status == 200, reply.body
    scheduled = parse_iso(reply.json["data"]["scheduled_publish_at"])
    assert f"{scheduled:%Y-%m-%d}" not in blocked
    counts = counters(aws)
    assert all(counts[(site["id"], f"day#{day}")] == 1 for day in blocked)
    assert counts[(site["id"], f"day#{scheduled:%Y-%m-%d}")] == 1


def test_given_scheduled_content_when_scheduling_again_with_a_time_then_it_moves_and_frees_its_old_place(
    aws, owner, site
):
    item = approved(owner, site)
    old = parse_iso(schedule(owner, item["id"], {}).json["data"]["scheduled_publish_at"])
    new = next_weekday(WEDNESDAY, weeks_ahead=6).replace(hour=11)

    reply = schedule(owner, item["id"], {"scheduled_publish_at": iso(new)})

    assert reply.status == 200, reply.body
    assert reply.json["data"]["scheduled_publish_at"] == iso(new)
    counts = counters(aws)
    assert counts[(site["id"], f"day#{old:%Y-%m-%d}")] == 0
    assert counts[(site["id"], f"day#{new:%Y-%m-%d}")] == 1
    assert unique_keys(aws, "slot#") == {f"slot#{site['id']}#{new:%Y-%m-%dT%H:%M}": item["id"]}


def test_given_a_cap_of_zero_then_no_slot_exists_and_409_writes_nothing(aws, owner, site):
    put_settings(owner, site["id"], daily_publish_limit=0)
    item = approved(owner, site)
    before = snapshot(aws)

    reply = schedule(owner, item["id"], {})

    assert reply.status == 409 and "no free slot" in reply.json["error"]
    assert snapshot(aws) == before


# --- explicit times -----------------------------------------------------------------------


def test_given_an_explicit_future_time_then_it_is_used_as_given_in_utc(aws, owner, site):
    item = approved(owner, site)
    when = next_weekday(WEDNESDAY).replace(hour=10, minute=30)
    local = when.astimezone(ZoneInfo("Europe/Paris")).isoformat()

    reply = schedule(owner, item["id"], {"scheduled_publish_at": local})

    assert reply.status == 200, reply.body
    assert reply.json["data"]["scheduled_publish_at"] == iso(when)
    assert counters(aws)[(site["id"], f"day#{when:%Y-%m-%d}")] == 1


@pytest.mark.parametrize(
    "value",
    ["2020-01-01T10:00:00Z", "2031-01-01T10:00:00", "next tuesday", 17],
    ids=["past", "no-offset", "not-a-time", "number"],
)
def test_given_a_bad_explicit_time_then_422_on_the_field_and_nothing_written(aws, owner, site, value):
    item = approved(owner, site)
    before = snapshot(aws)

    reply = schedule(owner, item["id"], {"scheduled_publish_at": value})

    assert reply.status == 422, reply.body
    assert "scheduled_publish_at" in reply.json["errors"]
    assert snapshot(aws) == before


def test_given_a_full_day_when_an_explicit_time_falls_in_it_then_409_with_the_reason(aws, owner, site):
    put_settings(owner, site["id"], daily_publish_limit=1)
    first, second = approved(owner, site), approved(owner, site, title="Second")
    day = next_weekday(WEDNESDAY)
    assert schedule(owner, first["id"], {"scheduled_publish_at": iso(day.replace(hour=9))}).status == 200
    before = snapshot(aws)

    reply = schedule(owner, second["id"], {"scheduled_publish_at": iso(day.replace(hour=15))})

    assert reply.status == 409
    assert reply.json["error"] == f"The daily publish limit (1) is already reached for {day:%Y-%m-%d} (UTC)."
    assert snapshot(aws) == before


def test_given_a_counter_full_but_invisible_on_the_calendar_then_the_atomic_reserve_refuses(aws, owner, site):
    item = approved(owner, site)
    day = next_weekday(WEDNESDAY)
    week = day.strftime("%G-W%V")
    UsageCounterModel(site_id=site["id"], period=f"week#{week}", count=15).save()
    before = snapshot(aws)

    reply = schedule(owner, item["id"], {"scheduled_publish_at": iso(day.replace(hour=12))})

    assert reply.status == 409
    assert reply.json["error"] == f"The weekly publish limit (15) is already reached for {week} (UTC)."
    assert snapshot(aws) == before


def test_given_an_item_at_a_minute_then_another_item_in_that_minute_gets_409(aws, owner, site):
    first, second = approved(owner, site), approved(owner, site, title="Second")
    minute = next_weekday(WEDNESDAY).replace(hour=10)
    assert schedule(owner, first["id"], {"scheduled_publish_at": iso(minute)}).status == 200
    before = snapshot(aws)

    reply = schedule(owner, second["id"], {"scheduled_publish_at": iso(minute + timedelta(seconds=30))})

    assert reply.status == 409 and "minute" in reply.json["error"]
    assert snapshot(aws) == before


# --- who and what may be scheduled --------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "review"])
def test_given_content_not_approved_then_schedule_is_409_with_the_reason(aws, owner, site, status):
    item = create_content(owner, site["id"], status=status)
    before = snapshot(aws)

    reply = schedule(owner, item["id"], {})

    assert reply.status == 409
    assert reply.json["error"] == f"only approved content can be scheduled; this content is {status}"
    assert snapshot(aws) == before


@pytest.mark.parametrize("site_status", ["publishing", "published"])
def test_given_content_publishing_or_published_then_schedule_and_unschedule_are_409(
    aws, owner, site, site_status
):
    item = approved(owner, site)
    force_site_status(item["id"], site_status, scheduled_publish_at=iso(next_weekday(WEDNESDAY)))
    before = snapshot(aws)

    scheduled = schedule(owner, item["id"], {})
    unscheduled = unschedule(owner, item["id"])

    assert scheduled.status == unscheduled.status == 409
    assert snapshot(aws) == before


def test_given_a_failed_publication_when_scheduled_again_then_it_moves_to_the_new_time(aws, owner, site):
    item = approved(owner, site)
    missed = next_weekday(WEDNESDAY).replace(hour=9)
    assert schedule(owner, item["id"], {"scheduled_publish_at": iso(missed)}).status == 200
    force_site_status(item["id"], "failed", last_error="timeout")
    retry = missed + timedelta(days=1)

    reply = schedule(owner, item["id"], {"scheduled_publish_at": iso(retry)})

    assert reply.status == 200 and reply.json["data"]["site_status"] == "scheduled"
    counts = counters(aws)
    assert counts[(site["id"], f"day#{missed:%Y-%m-%d}")] == 0
    assert counts[(site["id"], f"day#{retry:%Y-%m-%d}")] == 1


def test_given_a_viewer_or_another_account_then_403_or_404_and_nothing_written(aws, owner, site):
    item = approved(owner, site)
    before = snapshot(aws)

    as_viewer = schedule(token("acct-1", "viewer"), item["id"], {})
    as_stranger = schedule(token("acct-2", "owner"), item["id"], {})
    unschedule_stranger = unschedule(token("acct-2", "owner"), item["id"])

    assert (as_viewer.status, as_stranger.status, unschedule_stranger.status) == (403, 404, 404)
    assert snapshot(aws) == before


def test_given_malformed_json_or_unknown_fields_then_400_or_422_and_nothing_written(aws, owner, site):
    item = approved(owner, site)
    before = snapshot(aws)

    broken = call("POST", f"/api/v1/content/{item['id']}/schedule/", token=owner, raw_body="{")
    unknown = schedule(owner, item["id"], {"when": "tomorrow"})

    assert (broken.status, unknown.status) == (400, 422)
    assert "when" in unknown.json["errors"]
    assert snapshot(aws) == before


# --- unschedule ---------------------------------------------------------------------------


def test_given_scheduled_content_when_unscheduled_then_not_published_and_its_place_is_free(aws, owner, site):
    put_settings(owner, site["id"], daily_publish_limit=1)
    item, other = approved(owner, site), approved(owner, site, title="Other")
    when = next_weekday(WEDNESDAY).replace(hour=10)
    assert schedule(owner, item["id"], {"scheduled_publish_at": iso(when)}).status == 200

    reply = unschedule(owner, item["id"])

    assert reply.status == 200
    data = reply.json["data"]
    assert data["site_status"] == "not_published" and data["scheduled_publish_at"] is None
    assert all(count == 0 for count in counters(aws).values())
    assert unique_keys(aws, "slot#") == {}
    stored = stored_content(item["id"])
    assert item["id"] in [waiting.content_id for waiting in approved_unscheduled(site["id"])]
    assert (stored.due_at, stored.due_shard, stored.calendar_at) == (None, None, None)
    # the freed minute and the day's only place go to another item
    assert schedule(owner, other["id"], {"scheduled_publish_at": iso(when)}).status == 200


def test_given_unscheduled_content_when_unscheduled_again_then_409_and_nothing_written(aws, owner, site):
    item = approved(owner, site)
    before = snapshot(aws)

    reply = unschedule(owner, item["id"])

    assert reply.status == 409 and "only scheduled content" in reply.json["error"]
    assert snapshot(aws) == before


# --- caps under concurrency ---------------------------------------------------------------


def test_given_20_concurrent_auto_slot_requests_then_no_local_day_or_week_exceeds_its_cap(aws, owner, site):
    zone = "America/New_York"
    put_settings(
        owner,
        site["id"],
        daily_publish_limit=3,
        weekly_publish_limit=5,
        monthly_publish_limit=None,
        publish_days=ALL_DAYS,
        timezone=zone,
    )
    items = [approved(owner, site, title=f"Post {number}") for number in range(20)]

    with atomic_moto_writes(), ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda item: schedule(owner, item["id"], {}), items))

    assert [reply.status for reply in replies] == [200] * 20, [r.body for r in replies if r.status != 200]
    times = [parse_iso(stored_content(item["id"]).scheduled_publish_at) for item in items]
    local = [moment.astimezone(ZoneInfo(zone)) for moment in times]
    per_day = Counter(moment.strftime("%Y-%m-%d") for moment in local)
    per_week = Counter(moment.strftime("%G-W%V") for moment in local)
    assert max(per_day.values()) <= 3 and max(per_week.values()) <= 5
    assert len({moment.strftime("%Y-%m-%dT%H:%M") for moment in times}) == 20
    counts = counters(aws)
    assert {key: counts[(site["id"], f"day#{key}")] for key in per_day} == dict(per_day)
    assert {key: counts[(site["id"], f"week#{key}")] for key in per_week} == dict(per_week)
    assert len(unique_keys(aws, "slot#")) == 20


def test_given_10_concurrent_explicit_times_in_one_day_then_exactly_the_cap_wins(aws, owner, site):
    put_settings(owner, site["id"], daily_publish_limit=3)
    items = [approved(owner, site, title=f"Post {number}") for number in range(10)]
    day = next_weekday(WEDNESDAY).replace(hour=9)

    def explicit(pair):
        index, item = pair
        return schedule(owner, item["id"], {"scheduled_publish_at": iso(day + timedelta(minutes=10 * index))})

    with atomic_moto_writes(), ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(explicit, enumerate(items)))

    assert sorted(reply.status for reply in replies) == [200] * 3 + [409] * 7
    assert all("daily publish limit (3)" in reply.json["error"] for reply in replies if reply.status == 409)
    assert counters(aws)[(site["id"], f"day#{day:%Y-%m-%d}")] == 3
    scheduled = [item for item in items if stored_content(item["id"]).site_status == "scheduled"]
    assert len(scheduled) == 3 and len(unique_keys(aws, "slot#")) == 3


# --- somewhere to publish to ------------------------------------------------------------------


def test_given_a_site_with_no_enabled_integration_then_scheduling_is_409_naming_the_fix_and_writes_nothing(
    aws, owner
):
    bare = create_site(owner, name="Bare", slug="bare")
    item = approved(owner, bare)
    hook = {
        "enabled": False,
        "config": {"url": "https://hooks.example.com/p"},
        "credentials": {"signing_secret": "0123456789abcdef0123"},
    }
    put_integration(bare["id"], "webhook", hook)  # there, but disabled
    before = snapshot(aws)

    next_slot = schedule(owner, item["id"], {})
    explicit = schedule(
        owner, item["id"], {"scheduled_publish_at": iso(datetime.now(UTC) + timedelta(days=2))}
    )
    bulk = call(
        "POST", "/api/v1/content/bulk/", token=owner, body={"action": "schedule", "ids": [item["id"]]}
    )

    assert (next_slot.status, explicit.status) == (409, 409)
    assert "no enabled integration" in next_slot.json["error"]
    assert f"PUT /sites/{bare['id']}/integrations/{{destination}}/" in next_slot.json["error"]
    assert bulk.json["data"]["results"][0]["status"] == 409
    assert snapshot(aws) == before

    put_integration(bare["id"], "webhook", {**hook, "enabled": True})
    assert schedule(owner, item["id"], {}).status == 200
