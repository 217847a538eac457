"""GET /content/{id}/history/: every change of status or schedule, with who made it — the API
caller, the timed jobs (system:<job>) and the worker (system:publish-worker) — newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.services import handover, publishing
from publisher.services.process_scheduled import process_scheduled_publications
from publisher.services.scheduling import schedule_approved_content
from publisher.timeutil import iso, parse_iso
from tests.integration.publishing_support import (
    content_now,
    drain,
    s3_site,
)
from tests.integration.scheduling_support import create_content, put_settings, schedule
from tests.support.apigw import call
from tests.support.fixtures import token
from tests.support.work_queue import drain_work

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def owner(aws):
    return token("acct-1", "owner", sub="user-owner")


def history(tok, content_id, **query):
    query = {key: str(value) for key, value in query.items()}
    return call("GET", f"/api/v1/content/{content_id}/history/", token=tok, query=query)


def test_given_api_changes_when_reading_history_then_each_names_caller_and_move_newest_first(aws, owner):
    site = s3_site(aws)
    item = create_content(owner, site["id"], status="review")
    when = iso((datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=7, second=0, microsecond=0))
    later = iso((datetime.now(UTC) + timedelta(days=4)).replace(hour=10, minute=9, second=0, microsecond=0))

    approve = call("PATCH", f"/api/v1/content/{item['id']}/", token=owner, body={"status": "approved"})
    assert approve.status == 200
    assert schedule(owner, item["id"], {"scheduled_publish_at": when}).status == 200
    assert schedule(owner, item["id"], {"scheduled_publish_at": later}).status == 200
    assert call("POST", f"/api/v1/content/{item['id']}/unschedule/", token=owner).status == 200
    assert call("PATCH", f"/api/v1/content/{item['id']}/", token=owner, body={"title": "New"}).status == 200

    reply = history(owner, item["id"])

    assert reply.status == 200, reply.body
    entries = reply.json["data"]
    assert [(e["action"], e["from"], e["to"]) for e in entries] == [
        ("unschedule", "scheduled", "not_published"),
        ("reschedule", when, later),  # the status stays: from and to are the times
        ("schedule", "not_published", "scheduled"),
        ("approve", "review", "approved"),
    ]
    assert {(e["actor"], e["role"]) for e in entries} == {("user-owner", "owner")}
    assert entries[0]["detail"] == {"scheduled_publish_at": {"from": later, "to": None}}
    assert entries[2]["detail"] == {"scheduled_publish_at": {"from": None, "to": when}}
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_given_long_history_when_paging_then_cursor_walks_every_entry_once(aws, owner):
    site = s3_site(aws)
    item = create_content(owner, site["id"], status="approved")
    for day in range(3, 6):
        moment = (datetime.now(UTC) + timedelta(days=day)).replace(hour=11, minute=0, second=0, microsecond=0)
        assert schedule(owner, item["id"], {"scheduled_publish_at": iso(moment)}).status == 200

    first = history(owner, item["id"], limit=2)
    assert first.status == 200, first.body
    second = history(owner, item["id"], limit=2, cursor=first.json["next_cursor"])

    assert len(first.json["data"]) == 2 and first.json["next_cursor"]
    assert len(second.json["data"]) == 1
    assert [e["action"] for e in first.json["data"] + second.json["data"]] == [
        "reschedule",
        "reschedule",
        "schedule",
    ]


def test_given_jobs_and_worker_when_they_move_content_then_history_names_system_actors(
    aws, owner, monkeypatch
):
    # a slot within the hand-over's look-ahead (it depends on the site's jitter and the clock) is
    # handed over by the scheduling unit itself, its message delayed until the slot: not waited for
    monkeypatch.setattr(publishing, "handover_delay", lambda *_: 0)  # the outbox counts the message's delay
    monkeypatch.setattr(handover, "handover_delay", lambda *_: 0)  # and the hand-over its record's deadline
    site = s3_site(aws)
    put_settings(
        owner,
        site["id"],
        auto_approval_enabled=True,
        auto_publish_enabled=True,
        publish_days=ALL_DAYS,
        publish_time_slots=[{"start": "00:00", "end": "23:59"}],
        daily_publish_limit=None,
        weekly_publish_limit=None,
        monthly_publish_limit=None,
    )
    item = create_content(owner, site["id"], status="review")
    now = datetime.now(UTC)

    schedule_approved_content(now)
    drain_work()
    due = content_now(item["id"]).scheduled_publish_at
    assert due is not None
    process_scheduled_publications(parse_iso(due))
    drain_work()
    drain(aws)

    entries = history(owner, item["id"]).json["data"]
    seen = [(e["actor"], e["action"], e["to"]) for e in reversed(entries)]
    assert seen[:2] == [
        ("system:schedule-approved-content", "approve", "approved"),
        ("system:schedule-approved-content", "schedule", "scheduled"),
    ]
    assert ("system:publish-worker", "published", "published") in seen
    assert all(e["role"] == "system" for e in entries)


def test_given_other_account_when_reading_history_then_404(aws, owner):
    site = s3_site(aws)
    item = create_content(owner, site["id"])

    reply = history(token("acct-2", "owner"), item["id"])

    assert reply.status == 404


def test_given_viewer_when_reading_history_then_200(aws, owner):
    site = s3_site(aws)
    item = create_content(owner, site["id"], status="approved")

    reply = history(token("acct-1", "viewer"), item["id"])

    assert reply.status == 200 and reply.json["data"] == []


def test_dynamodb_calls_per_history_read(aws, owner, monkeypatch):
    """A page of history is the content's GetItem (tenancy) and one Query, however long it is."""
    from tests.support.aws_calls import record_calls

    site = s3_site(aws)
    item = create_content(owner, site["id"], status="approved")
    for day in range(3, 6):
        moment = (datetime.now(UTC) + timedelta(days=day)).replace(hour=12, minute=0, second=0, microsecond=0)
        assert schedule(owner, item["id"], {"scheduled_publish_at": iso(moment)}).status == 200
    sent = record_calls(monkeypatch, "dynamodb")

    reply = history(owner, item["id"])

    assert len(reply.json["data"]) == 3
    assert sent.operations == ["GetItem", "Query"]
