"""Which item of a scheduling transaction failed is told by position: the labels must follow the
order in which pynamodb really sends the items, whatever order they were added in."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from publisher.domain.publishing_settings import PublishingSettings
from publisher.store.common import LabelledTransaction
from publisher.store.models import ContentModel, UniqueKeyModel
from publisher.store.usage import add_increments, counter_keys, period_name


class RecordingConnection(Connection):
    """A Connection that records the request instead of sending it (no network in unit tests)."""

    def dispatch(self, operation_name: str, operation_kwargs: dict) -> dict:
        self.sent = (operation_name, operation_kwargs)
        return {}


def _key_of(item: dict) -> str:
    ((kind, operation),) = item.items()
    key = operation["Key"] if kind != "Put" else operation["Item"]
    for name in ("key", "period", "content_id"):
        if name in key:
            return key[name]["S"]
    raise AssertionError(item)


def test_labels_follow_the_order_pynamodb_sends_puts_and_updates_in():
    connection = RecordingConnection()
    when = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    settings = PublishingSettings(timezone="Asia/Tokyo")

    with TransactWrite(connection=connection) as tx:
        labelled = LabelledTransaction(tx)
        add_increments(labelled, "site-1", counter_keys(settings, when), when)
        content = ContentModel("c-1")
        labelled.update(content, [ContentModel.title.set("x")], label="content")
        labelled.save(UniqueKeyModel(key="slot#site-1#2026-11-21T23:30", owner_id="c-1"), label="minute")

    operation, request = connection.sent
    sent = [_key_of(item) for item in request["TransactItems"]]
    assert operation == "TransactWriteItems"
    assert labelled.labels == ["minute", "day#2026-11-22", "week#2026-W47", "month#2026-11", "content"]
    assert sent == ["slot#site-1#2026-11-21T23:30", "day#2026-11-22", "week#2026-W47", "month#2026-11", "c-1"]


def test_counter_keys_are_the_local_periods_with_their_caps_and_unlimited_ones_are_uncapped():
    settings = PublishingSettings(
        timezone="America/New_York", daily_publish_limit=2, weekly_publish_limit=None
    )
    late_utc = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)  # still Dec 31 in New York

    keys = counter_keys(settings, late_utc)

    assert keys == [("day#2025-12-31", 2), ("week#2026-W01", None), ("month#2025-12", 50)]
    assert [period_name(key) for key, _ in keys] == ["daily", "weekly", "monthly"]


def test_an_unlimited_period_is_not_counted_and_a_capped_one_is_counted_within_its_cap():
    connection = RecordingConnection()
    when = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    with TransactWrite(connection=connection) as tx:
        add_increments(
            LabelledTransaction(tx), "site-1", [("day#2026-11-21", 3), ("week#2026-W47", None)], when
        )

    [capped] = (item["Update"] for item in connection.sent[1]["TransactItems"])
    assert capped["Key"]["period"] == {"S": "day#2026-11-21"}
    assert "ConditionExpression" in capped
    assert {"N": "3"} in capped["ExpressionAttributeValues"].values()


def test_a_count_outside_the_caps_is_unconditional_but_still_skips_unlimited_periods():
    connection = RecordingConnection()
    when = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    with TransactWrite(connection=connection) as tx:
        add_increments(
            LabelledTransaction(tx),
            "site-1",
            [("day#2026-11-21", 3), ("week#2026-W47", None), ("month#2026-11", 50)],
            when,
            within_caps=False,
        )

    updates = [item["Update"] for item in connection.sent[1]["TransactItems"]]
    assert [update["Key"]["period"]["S"] for update in updates] == ["day#2026-11-21", "month#2026-11"]
    assert not any("ConditionExpression" in update for update in updates)
