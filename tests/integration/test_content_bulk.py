"""POST /content/bulk/: one action on many items, each alone through the single route's service
(per-item results, caps as for single requests), refused as a whole for viewers and bad bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.timeutil import iso
from tests.integration.publishing_support import s3_site
from tests.integration.scheduling_support import counters, create_content, create_site, put_settings
from tests.support.apigw import call
from tests.support.aws_calls import record_calls
from tests.support.fixtures import token
from tests.support.snapshot import writes_nothing

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def owner(aws):
    return token("acct-1", "owner")


@pytest.fixture
def site(aws, owner):
    return s3_site(aws)


def bulk(tok, body):
    return call("POST", "/api/v1/content/bulk/", token=tok, body=body)


def test_given_mixed_items_when_approving_in_bulk_then_each_succeeds_or_fails_alone(aws, owner, site):
    draft = create_content(owner, site["id"], status="draft")
    review = create_content(owner, site["id"], status="review")
    other = token("acct-2", "owner")
    foreign = create_content(other, create_site(other, name="Other")["id"])

    reply = bulk(owner, {"action": "approve", "ids": [draft["id"], foreign["id"], review["id"], "nope"]})

    assert reply.status == 200, reply.body
    results = reply.json["data"]["results"]
    assert [(r["id"], r["ok"], r["status"]) for r in results] == [
        (draft["id"], True, 200),
        (foreign["id"], False, 404),
        (review["id"], True, 200),
        ("nope", False, 404),
    ]
    assert results[0]["data"]["status"] == "approved" and results[1]["error"] == "no such content"
    got = call("GET", f"/api/v1/content/{foreign['id']}/", token=token("acct-2", "owner")).json["data"]
    assert got["status"] == "draft"


def test_given_a_daily_cap_when_scheduling_in_bulk_then_items_past_the_cap_fail_as_single_requests_would(
    aws, owner, site
):
    put_settings(
        owner,
        site["id"],
        publish_days=ALL_DAYS,
        publish_time_slots=[{"start": "09:00", "end": "10:00"}],
        daily_publish_limit=2,
        weekly_publish_limit=None,
        monthly_publish_limit=None,
    )
    items = [create_content(owner, site["id"], status="approved") for _ in range(3)]
    day = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    explicit = {"action": "schedule", "ids": [items[0]["id"]], "scheduled_publish_at": iso(day)}
    assert bulk(owner, explicit).json["data"]["results"][0]["ok"]

    reply = bulk(owner, {"action": "schedule", "ids": [item["id"] for item in items[1:]]})

    results = reply.json["data"]["results"]
    assert all(r["ok"] for r in results), results
    times = [r["data"]["scheduled_publish_at"] for r in results]
    assert times == sorted(times) and iso(day) not in times
    per_day = sorted(count for (_, period), count in counters(aws).items() if period.startswith("day#"))
    assert max(per_day) <= 2


def test_given_scheduled_items_when_unscheduling_in_bulk_then_each_goes_back(aws, owner, site):
    items = [create_content(owner, site["id"], status="approved") for _ in range(2)]
    ids = [item["id"] for item in items]
    assert all(r["ok"] for r in bulk(owner, {"action": "schedule", "ids": ids}).json["data"]["results"])

    reply = bulk(owner, {"action": "unschedule", "ids": [*ids, ids[0]][:2]})

    assert [r["data"]["site_status"] for r in reply.json["data"]["results"]] == ["not_published"] * 2
    again = bulk(owner, {"action": "unschedule", "ids": ids[:1]}).json["data"]["results"][0]
    assert (again["ok"], again["status"]) == (False, 409)


def test_given_approved_items_when_publishing_in_bulk_then_each_answers_202_with_its_records(
    aws, owner, site
):
    items = [create_content(owner, site["id"], status="approved") for _ in range(2)]

    reply = bulk(owner, {"action": "publish", "ids": [item["id"] for item in items]})

    results = reply.json["data"]["results"]
    assert [(r["ok"], r["status"]) for r in results] == [(True, 202), (True, 202)]
    assert [r["data"]["records"][0]["destination"] for r in results] == ["s3", "s3"]


def test_given_a_viewer_when_acting_in_bulk_then_403_and_nothing_written(aws, owner, site):
    item = create_content(owner, site["id"], status="review")

    with writes_nothing(aws):
        reply = bulk(token("acct-1", "viewer"), {"action": "approve", "ids": [item["id"]]})

    assert reply.status == 403


@pytest.mark.parametrize(
    "body",
    [
        {"action": "delete-everything", "ids": ["a"]},
        {"action": "approve", "ids": []},
        {"action": "approve", "ids": [f"id{n}" for n in range(101)]},
        {"action": "approve", "ids": ["a", "a"]},
        {"action": "approve", "ids": ["a"], "scheduled_publish_at": "2030-01-01T10:00:00Z"},
        {"action": "schedule", "ids": ["a"], "scheduled_publish_at": "1999-01-01T10:00:00Z"},
        {"ids": ["a"]},
    ],
    ids=[
        "unknown-action",
        "no-ids",
        "101-ids",
        "duplicate",
        "time-without-schedule",
        "old-time",
        "no-action",
    ],
)
def test_given_a_bad_body_when_acting_in_bulk_then_422_and_nothing_written(aws, owner, site, body):
    create_content(owner, site["id"], status="review")

    with writes_nothing(aws):
        reply = bulk(owner, body)

    assert reply.status == 422, reply.body


def test_dynamodb_calls_per_bulk_item(aws, owner, site, monkeypatch):
    """Measures (and bounds) the DynamoDB calls one more item costs, for the report."""
    ids = [create_content(owner, site["id"], status="review")["id"] for _ in range(6)]
    sent = record_calls(monkeypatch, "dynamodb")

    def calls(body: dict) -> int:
        sent.clear()
        assert bulk(owner, body).status == 200
        return sent.count()

    one = calls({"action": "approve", "ids": ids[:1]})
    five = calls({"action": "approve", "ids": ids[1:6]})
    per_item = (five - one) / 4
    last = sent.operations
    print(f"approve: {one} DynamoDB calls for 1 item, {five} for 5: {per_item} per item; last: {last}")
    # GetItem (content), GetItem (its body, for the view each result carries), UpdateItem (status),
    # PutItem (history entry), GetItem (the site's settings: the view's `local_time`)
    assert per_item == 5
