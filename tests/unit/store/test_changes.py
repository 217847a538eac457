"""Field changes become update actions that carry the derived index keys with them."""

from __future__ import annotations

import pytest

from publisher.store.changes import actions_for
from publisher.store.models import ContentModel, RecordModel


def names(actions) -> dict[str, str]:
    """attribute name → SET or REMOVE, from the actions' expressions."""
    found = {}
    for action in actions:
        placeholders: dict = {}
        expression = action.serialize(placeholders, {})
        attribute = next(iter(placeholders))  # the path's name
        found[attribute] = "REMOVE" if expression.startswith("#") and "=" not in expression else "SET"
    return found


def content(**fields) -> ContentModel:
    values = {
        "account_id": "a",
        "site_id": "s",
        "title": "t",
        "slug": "t",
        "status": "approved",
        "site_status": "scheduled",
        "scheduled_publish_at": "2026-11-21T14:00:00Z",
        "site_status_updated_at": "x",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "x",
        **fields,
    }
    item = ContentModel(content_id="c1", **values)
    item.refresh_index_keys()
    return item


def test_marking_content_enqueued_drops_it_from_the_due_index_in_the_same_write():
    item = content()
    assert item.due_shard is not None

    actions = actions_for(item, {"enqueued_for": "2026-11-21T14:00:00Z"})

    assert names(actions) == {"enqueued_for": "SET", "due_shard": "REMOVE", "due_at": "REMOVE"}
    assert item.due_shard is None and item.due_at is None


def test_a_status_move_rewrites_its_composite_key_and_nothing_unrelated():
    item = content()

    actions = actions_for(item, {"site_status": "publishing"})

    assert names(actions) == {
        "site_status": "SET",
        "site_status_key": "SET",
        "due_shard": "REMOVE",
        "due_at": "REMOVE",
    }
    assert item.site_status_key == "publishing#2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("status", "indexed"),
    [("pending", True), ("publishing", True), ("failed", True), ("published", True), ("retracted", True)],
)
def test_only_unsettled_records_with_a_deadline_sit_in_the_retry_index(status, indexed):
    # a published or retracted record with a deadline waits for a republish (one record per pair)
    record = RecordModel(
        record_id="r1",
        account_id="a",
        site_id="s",
        content_id="c",
        destination="s3",
        status="pending",
        created_at="2026-01-01T00:00:00Z",
        updated_at="x",
    )

    actions_for(record, {"status": status, "next_retry_at": "2026-11-21T14:00:00Z"})

    assert (record.retry_shard is not None) is indexed


def test_an_unknown_attribute_is_refused_before_anything_is_written():
    with pytest.raises(AttributeError):
        actions_for(content(), {"nonsense": 1})
