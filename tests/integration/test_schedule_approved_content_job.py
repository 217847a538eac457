"""ScheduleApprovedContentFunction, run with the EventBridge scheduled event shape on moto.

The job schedules as of the event's `time` (never earlier than the clock), so a `time` in the
future makes the expected slots exact: they are assign_slots' answer for that instant."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from publisher.domain.publishing_settings import PublishingSettings
from publisher.domain.slots import assign_slots, site_jitter
from publisher.services.scheduling import JobSummary
from publisher.store.content import approved_unscheduled
from publisher.timeutil import iso
from tests.integration.scheduling_support import (
    counters,
    create_content,
    create_site,
    next_weekday,
    put_settings,
    schedule,
    snapshot,
    stored_content,
)
from tests.support.apigw import call
from tests.support.handlers import FakeLambdaContext, load_handler_module
from tests.support.work_queue import run_units, totals

MONDAY = 0
AUTO = {"auto_publish_enabled": True, "daily_publish_limit": 2, "timezone": "Europe/Paris"}


def scheduled_event(moment: datetime) -> dict:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": iso(moment),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/publisher-dev-ScheduleApprovedContent"],
        "detail": {},
    }


def run_job(moment: datetime) -> dict:
    """The job's invocation, then the units it enqueued; its reply with their summaries added up."""
    handler = load_handler_module("ScheduleApprovedContentFunction").lambda_handler
    reply = handler(scheduled_event(moment), FakeLambdaContext())
    return {**reply, **JobSummary().as_dict(), **totals(run_units())}


def emitted_metrics(output: str) -> dict[str, float]:
    """Metric name → value from the EMF documents the function printed."""
    values: dict[str, float] = {}
    for line in output.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Publisher"
        for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = document[metric["Name"]]
            values[metric["Name"]] = value[0] if isinstance(value, list) else value
    return values


@pytest.fixture
def run_at() -> datetime:
    return next_weekday(MONDAY).replace(hour=6)


def test_given_approved_content_of_an_auto_publishing_site_then_it_gets_the_next_slots_oldest_first(
    aws, owner, site, run_at, capsys
):
    put_settings(owner, site["id"], **AUTO)
    items = [create_content(owner, site["id"], title=f"Post {n}", status="approved")["id"] for n in range(5)]
    expected = assign_slots(PublishingSettings(**AUTO), [], run_at, 5, jitter=site_jitter(site["id"]))

    summary = run_job(run_at)

    assert (summary["scheduled"], summary["approved"], summary["sites"]) == (5, 0, 1)
    assert [stored_content(content_id).scheduled_publish_at for content_id in items] == [
        iso(t) for t in expected
    ]
    assert all(stored_content(content_id).site_status == "scheduled" for content_id in items)
    assert all(stored_content(content_id).due_at for content_id in items)
    days = counters(aws)
    assert sorted(count for (_, period), count in days.items() if period.startswith("day#")) == [1, 2, 2]
    assert emitted_metrics(capsys.readouterr().out)["ItemsScheduled"] == 5


def test_given_a_second_run_then_nothing_already_scheduled_changes(aws, owner, site, run_at, capsys):
    put_settings(owner, site["id"], **AUTO)
    for n in range(3):
        create_content(owner, site["id"], title=f"Post {n}", status="approved")
    run_job(run_at)
    before = snapshot(aws)
    capsys.readouterr()

    summary = run_job(run_at)

    assert summary["scheduled"] == 0
    assert snapshot(aws) == before
    assert emitted_metrics(capsys.readouterr().out)["ItemsScheduled"] == 0


def test_given_items_already_scheduled_by_hand_then_the_job_fills_around_them(aws, owner, site, run_at):
    put_settings(owner, site["id"], **AUTO)
    settings = PublishingSettings(**AUTO)
    first_slot = assign_slots(settings, [], run_at, 1, jitter=site_jitter(site["id"]))[0]
    by_hand = create_content(owner, site["id"], title="By hand", status="approved")
    assert schedule(owner, by_hand["id"], {"scheduled_publish_at": iso(first_slot)}).status == 200
    waiting = create_content(owner, site["id"], title="Waiting", status="approved")

    run_job(run_at)

    assert stored_content(waiting["id"]).scheduled_publish_at == iso(
        assign_slots(settings, [first_slot], run_at, 1, jitter=site_jitter(site["id"]))[0]
    )
    assert stored_content(by_hand["id"]).scheduled_publish_at == iso(first_slot)


def test_given_auto_approval_then_review_content_is_approved_and_scheduled_and_drafts_stay(
    owner, site, run_at, capsys
):
    put_settings(owner, site["id"], **AUTO, auto_approval_enabled=True)
    review = create_content(owner, site["id"], title="In review", status="review")
    draft = create_content(owner, site["id"], title="Draft")

    summary = run_job(run_at)

    assert (summary["approved"], summary["scheduled"]) == (1, 1)
    stored = stored_content(review["id"])
    assert (stored.status, stored.site_status) == ("approved", "scheduled")
    assert (stored_content(draft["id"]).status, stored_content(draft["id"]).site_status) == (
        "draft",
        "not_published",
    )
    assert emitted_metrics(capsys.readouterr().out) == {"ItemsScheduled": 1, "ItemsAutoApproved": 1}


def test_given_auto_approval_without_auto_publish_then_content_is_approved_but_not_scheduled(
    owner, site, run_at
):
    put_settings(owner, site["id"], auto_approval_enabled=True)
    review = create_content(owner, site["id"], title="In review", status="review")

    summary = run_job(run_at)

    assert (summary["approved"], summary["scheduled"]) == (1, 0)
    stored = stored_content(review["id"])
    assert (stored.status, stored.site_status) == ("approved", "not_published")
    assert [waiting.content_id for waiting in approved_unscheduled(site["id"])] == [review["id"]]


def test_given_sites_without_automation_then_the_job_leaves_them_alone(aws, owner, site, run_at):
    manual = create_site(owner, name="Manual", slug="manual")
    put_settings(owner, manual["id"], daily_publish_limit=5)
    create_content(owner, manual["id"], status="approved")
    create_content(owner, site["id"], status="review")
    before = snapshot(aws)

    summary = run_job(run_at)

    assert summary["sites"] == 0 and summary["scheduled"] == 0
    assert snapshot(aws) == before


def test_given_no_room_under_the_caps_then_items_wait_unscheduled_with_the_reason_shown(owner, site, run_at):
    put_settings(owner, site["id"], **{**AUTO, "daily_publish_limit": 0})
    item = create_content(owner, site["id"], status="approved")
    untouched = create_content(owner, site["id"], title="Draft")

    summary = run_job(run_at)

    assert (summary["scheduled"], summary["left_unscheduled"]) == (0, 1)
    reason = "the daily publish limit is 0: nothing can be scheduled until it is raised"
    viewed = call("GET", f"/api/v1/content/{item['id']}/", token=owner).json["data"]
    assert (viewed["site_status"], viewed["unscheduled_reason"]) == ("not_published", reason)
    waiting = call(
        "GET", "/api/v1/content/", token=owner, query={"site_id": site["id"], "status": "approved"}
    ).json["data"]
    assert [(entry["id"], entry["unscheduled_reason"]) for entry in waiting] == [(item["id"], reason)]
    assert stored_content(untouched["id"]).unscheduled_reason is None

    put_settings(owner, site["id"], **AUTO)
    assert run_job(run_at)["scheduled"] == 1

    viewed = call("GET", f"/api/v1/content/{item['id']}/", token=owner).json["data"]
    assert (viewed["site_status"], viewed["unscheduled_reason"]) == ("scheduled", None)
    assert stored_content(item["id"]).unscheduled_reason is None


def test_given_a_site_with_nowhere_to_publish_then_the_job_schedules_nothing_and_says_why(aws, owner, run_at):
    bare = create_site(owner, name="Bare", slug="bare")
    put_settings(owner, bare["id"], **AUTO)
    item = create_content(owner, bare["id"], status="approved")

    summary = run_job(run_at)

    assert (summary["scheduled"], summary["left_unscheduled"]) == (0, 1)
    stored = stored_content(item["id"])
    assert stored.site_status == "not_published" and stored.scheduled_publish_at is None
    assert stored.unscheduled_reason.startswith(
        "the site has no enabled integration to publish to; enable one"
    )
