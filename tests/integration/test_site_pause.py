"""POST /sites/{id}/pause/ and /resume/: while paused the timed jobs hand nothing of the site over
(counted `paused`), publish-now is a 409 naming the pause and the queue says paused; on resume,
what fell due follows the site's missed_schedule_policy. Roles, tenancy, history and events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from publisher.bootstrap import ready_store
from publisher.services.handover import HELD
from publisher.store.models import HistoryEntryModel
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    content_now,
    make_content,
    owner_token,
    receive,
    record_now,
    records_of,
    run_job,
    tap_events,
)
from tests.integration.test_cleanup_job import failed_for_good
from tests.support.apigw import call
from tests.support.fixtures import token
from tests.support.snapshot import writes_nothing

PROCESS = "ProcessScheduledPublicationsFunction"
CLEANUP = "CleanupFailedPublicationsFunction"
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def site(webhook_site):
    return webhook_site


def pause(site_id: str, tok: str | None = None, action: str = "pause"):
    return call("POST", f"/api/v1/sites/{site_id}/{action}/", token=tok or owner_token())


def settings(site_id: str, **fields: Any) -> None:
    body = {
        "publish_days": EVERY_DAY,
        "publish_time_slots": [{"start": "00:00", "end": "23:59"}],
        "daily_publish_limit": None,
        "weekly_publish_limit": None,
        "monthly_publish_limit": None,
        **fields,
    }
    reply = call("PUT", f"/api/v1/sites/{site_id}/publishing-settings/", token=owner_token(), body=body)
    assert reply.status == 200, reply.body


def site_trail(site_id: str) -> list[tuple[str, str | None, str | None, str]]:
    ready_store()
    return [
        (entry.action, entry.from_state, entry.to_state, entry.actor)
        for entry in HistoryEntryModel.query(HistoryEntryModel.key_of(site_id))
    ]


def test_given_a_running_site_when_paused_then_the_site_says_so_once_with_history_and_an_event(aws, site):
    events = tap_events(aws)

    reply = pause(site["id"], token("acct-1", "editor", sub="ed"))

    assert reply.status == 200, reply.body
    data = reply.json["data"]
    assert data["publishing_paused"] is True and data["paused_at"] is not None
    shown = call("GET", f"/api/v1/sites/{site['id']}/", token=owner_token()).json["data"]
    assert (shown["publishing_paused"], shown["paused_at"]) == (True, data["paused_at"])
    again = pause(site["id"])
    assert again.status == 409 and "already paused" in again.json["error"]
    assert site_trail(site["id"]) == [("pause", "running", "paused", "ed")]
    [event] = [e for e in events() if e["detail-type"] == "site.paused"]
    assert event["detail"]["site_id"] == site["id"] and event["detail"]["actor"] == "ed"


def test_given_a_viewer_or_another_account_then_pause_and_resume_write_nothing(aws, site):
    for tok, status in ((token("acct-1", "viewer"), 403), (token("acct-2", "owner"), 404)):
        for action in ("pause", "resume"):
            with writes_nothing(aws):
                assert pause(site["id"], tok, action).status == status


def test_given_a_running_site_when_resumed_then_409(aws, site):
    with writes_nothing(aws):
        reply = pause(site["id"], action="resume")

    assert reply.status == 409 and "already running" in reply.json["error"]


def test_given_a_paused_site_then_the_5_minute_job_hands_nothing_over_and_counts_it(aws, site):
    now = datetime.now(UTC).replace(microsecond=0)
    due = make_content(site, site_status="scheduled", scheduled_publish_at=iso(now + timedelta(minutes=2)))
    assert pause(site["id"]).status == 200

    summary = run_job(PROCESS, now)

    assert (summary["enqueued"], summary["paused"]) == (0, 1)
    assert content_now(due.content_id).enqueued_for is None and records_of(due.content_id) == []


def test_given_a_paused_site_then_the_15_minute_job_skips_it_and_counts_it(aws, site):
    settings(site["id"], auto_approval_enabled=True, auto_publish_enabled=True)
    waiting = make_content(site, status="review")
    assert pause(site["id"]).status == 200

    summary = run_job("ScheduleApprovedContentFunction", datetime.now(UTC))

    assert (summary["paused"], summary["approved"], summary["scheduled"]) == (1, 0, 0)
    assert content_now(waiting.content_id).status == "review"


def test_given_a_paused_site_then_publish_now_is_a_409_naming_the_pause_and_the_queue_says_paused(aws, site):
    item = make_content(site)
    later = make_content(
        site, site_status="scheduled", scheduled_publish_at=iso(datetime.now(UTC) + timedelta(days=1))
    )
    assert pause(site["id"]).status == 200

    with writes_nothing(aws):
        reply = call(
            "POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": item.content_id}
        )
    queue = call("GET", "/api/v1/publisher/queue/", token=owner_token(), query={"site_id": site["id"]})

    assert reply.status == 409 and "paused" in reply.json["error"]
    assert [(entry["id"], entry["paused"]) for entry in queue.json["data"]] == [(later.content_id, True)]
    assert pause(site["id"], action="resume").status == 200
    queue = call("GET", "/api/v1/publisher/queue/", token=owner_token(), query={"site_id": site["id"]})
    assert [entry["paused"] for entry in queue.json["data"]] == [False]


@pytest.mark.parametrize("policy", ["hold", "publish_late"])
def test_given_items_that_fell_due_while_paused_when_resumed_then_they_follow_the_missed_policy(
    aws, site, policy
):
    settings(site["id"], missed_schedule_policy=policy)
    now = datetime.now(UTC).replace(microsecond=0)
    assert pause(site["id"]).status == 200
    fell_due = make_content(
        site, site_status="scheduled", scheduled_publish_at=iso(now - timedelta(minutes=2))
    )
    soon = make_content(site, site_status="scheduled", scheduled_publish_at=iso(now + timedelta(minutes=3)))
    later = make_content(site, site_status="scheduled", scheduled_publish_at=iso(now + timedelta(hours=3)))
    events = tap_events(aws)

    reply = pause(site["id"], token("acct-1", "admin", sub="ada"), "resume")

    assert reply.status == 200, reply.body
    assert (reply.json["data"]["publishing_paused"], reply.json["data"]["paused_at"]) == (False, None)
    missed = content_now(fell_due.content_id)
    if policy == "hold":  # two minutes late is within the grace, yet it fell due while paused
        assert (missed.site_status, missed.last_error) == ("failed", HELD)
        assert records_of(fell_due.content_id) == []
    else:
        assert missed.enqueued_for == missed.scheduled_publish_at
    assert content_now(soon.content_id).enqueued_for is not None  # due before the job's next run
    assert content_now(later.content_id).enqueued_for is None
    visible = {json.loads(message["Body"])["content_id"] for message in receive(aws)}
    assert visible == (set() if policy == "hold" else {fell_due.content_id})  # `soon` waits for its delay
    [resumed] = [e for e in events() if e["detail-type"] == "site.resumed"]
    caught_up = resumed["detail"]["caught_up"]
    assert (caught_up["held"], caught_up["late"]) == ((1, 0) if policy == "hold" else (0, 1))
    assert site_trail(site["id"])[-1][:2] == ("resume", "paused")


def test_given_a_paused_site_then_the_daily_cleanup_retries_nothing_of_it(aws, site):
    content, record_id = failed_for_good(aws, site)
    assert pause(site["id"]).status == 200
    before = record_now(record_id).attempt_log

    summary = run_job(CLEANUP, datetime.now(UTC) + timedelta(minutes=1))

    assert (summary["paused"], summary["retried"]) == (1, 0)
    assert receive(aws) == []
    assert content_now(content.content_id).site_status == "failed"
    assert record_now(record_id).attempt_log == before and record_now(record_id).status == "failed"
