"""The schedule move in plain conditional writes (minute claim, counters, then the content): a step
that fails gives back what the earlier ones took, so a refused move leaves the caps and the minutes
as they were; only the move itself commits."""

from __future__ import annotations

from datetime import UTC, datetime

from publisher.bootstrap import ready_store
from publisher.domain.publishing_settings import PublishingSettings
from publisher.store import content as store
from publisher.store import usage
from publisher.store.models import UniqueKeyModel, UsageCounterModel
from publisher.timeutil import iso
from tests.integration.publishing_support import make_content

SITE = {"id": "01JMOVESITE", "account_id": "acct-1"}
WHEN = datetime(2031, 3, 4, 10, 20, tzinfo=UTC)


def counters() -> dict[str, int]:
    items = UsageCounterModel.query(SITE["id"], consistent_read=True)
    return {item.period: int(item.count) for item in items}


def minute_claims() -> list[str]:
    key = store.minute_key(SITE["id"], WHEN)
    return [claim.owner_id for claim in UniqueKeyModel.batch_get([key])]


def move(item, settings: PublishingSettings) -> str | None:
    minute = store.minute_key(SITE["id"], WHEN)
    return store.schedule_move(
        item, iso(WHEN), minute, usage.counter_keys(settings, WHEN), WHEN, iso(datetime.now(UTC))
    )


def test_given_a_free_minute_and_room_when_moving_then_the_minute_counters_and_content_are_written(aws):
    ready_store()
    item = make_content(SITE)

    assert move(item, PublishingSettings()) is None

    assert store.get_content(item.content_id).scheduled_publish_at == iso(WHEN)
    assert minute_claims() == [item.content_id]
    assert counters() == {"day#2031-03-04": 1, "week#2031-W10": 1, "month#2031-03": 1}


def test_given_content_changed_meanwhile_when_moving_then_the_minute_and_counters_are_given_back(aws):
    ready_store()
    item = make_content(SITE)
    stale = store.get_content(item.content_id)
    store.edit_content(item, {"status": "review", "updated_at": iso(datetime.now(UTC))})
    UsageCounterModel(site_id=SITE["id"], period="day#2031-03-04", count=1).save()

    assert move(stale, PublishingSettings()) == store.CONTENT

    assert store.get_content(item.content_id).scheduled_publish_at is None
    assert minute_claims() == []
    assert counters() == {"day#2031-03-04": 1, "week#2031-W10": 0, "month#2031-03": 0}


def test_given_a_full_week_when_moving_then_the_day_counted_before_it_and_the_minute_are_given_back(aws):
    ready_store()
    item = make_content(SITE)
    UsageCounterModel(site_id=SITE["id"], period="week#2031-W10", count=15).save()

    assert move(item, PublishingSettings()) == "week#2031-W10"

    assert store.get_content(item.content_id).site_status == "not_published"
    assert minute_claims() == []
    assert counters() == {"day#2031-03-04": 0, "week#2031-W10": 15}


def test_given_a_minute_held_by_another_item_when_moving_then_nothing_is_counted(aws):
    ready_store()
    item = make_content(SITE)
    UniqueKeyModel(key=store.minute_key(SITE["id"], WHEN), owner_id="someone-else").save()

    assert move(item, PublishingSettings()) == store.MINUTE

    assert minute_claims() == ["someone-else"]
    assert counters() == {}  # not even an item at 0: the minute is claimed before any counter
