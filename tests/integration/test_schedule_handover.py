"""An item scheduled a few minutes ahead goes to the queue at once, with DelaySeconds counted to
its time; the 5-minute job then leaves it alone (it would otherwise wait up to a whole period)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.events import scheduled_event
from publisher.domain.publishing import LOOKAHEAD
from publisher.domain.slots import site_jitter
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    content_now,
    create_site,
    receive,
    run_job,
    webhook_integration,
)
from tests.integration.scheduling_support import create_content, put_settings, schedule
from tests.support.fixtures import token
from tests.support.handlers import FakeLambdaContext, load_handler_module
from tests.support.work_queue import run_units, totals

OPEN_ALL_DAY = {
    "publish_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "publish_time_slots": [{"start": "00:00", "end": "23:59"}],
    "daily_publish_limit": None,
    "weekly_publish_limit": None,
    "monthly_publish_limit": None,
}


def approved_content(owner: str, site_id: str) -> str:
    item = create_content(owner, site_id, title="Soon", html="<p>soon</p>", status="approved")
    return item["id"]


def test_given_a_time_two_minutes_ahead_when_scheduled_then_it_is_queued_at_once(aws):
    owner = token("acct-1")
    site = create_site(owner)
    webhook_integration(site["id"])
    put_settings(owner, site["id"], **OPEN_ALL_DAY)
    content_id = approved_content(owner, site["id"])
    when = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)

    reply = schedule(owner, content_id, {"scheduled_publish_at": iso(when)})

    assert reply.status == 200 and reply.json["data"]["site_status"] == "scheduled"
    assert content_now(content_id).enqueued_for == iso(when)
    assert receive(aws) == []  # delayed: not visible before its time
    sqs = aws.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws.queue_urls["PublishQueue"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"

    summary = run_job("ProcessScheduledPublicationsFunction", datetime.now(UTC))

    assert summary["enqueued"] == 0
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws.queue_urls["PublishQueue"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"


def test_given_a_time_an_hour_ahead_when_scheduled_then_the_job_hands_it_over_later(aws):
    owner = token("acct-1")
    site = create_site(owner)
    webhook_integration(site["id"])
    put_settings(owner, site["id"], **OPEN_ALL_DAY)
    content_id = approved_content(owner, site["id"])
    when = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)

    schedule(owner, content_id, {"scheduled_publish_at": iso(when)})

    assert content_now(content_id).enqueued_for is None
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["PublishQueue"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "0"


def test_given_no_enabled_integration_when_scheduled_soon_then_409_and_nothing_is_queued(aws):
    owner = token("acct-1")
    site = create_site(owner)
    put_settings(owner, site["id"], **OPEN_ALL_DAY)
    content_id = approved_content(owner, site["id"])
    when = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)

    reply = schedule(owner, content_id, {"scheduled_publish_at": iso(when)})

    assert reply.status == 409 and "no enabled integration" in reply.json["error"]
    stored = content_now(content_id)
    assert (stored.site_status, stored.scheduled_publish_at) == ("not_published", None)
    assert receive(aws) == []


def test_given_the_job_assigns_a_slot_minutes_away_then_it_is_queued_at_once(aws):
    owner = token("acct-1")
    site = create_site(owner)
    webhook_integration(site["id"])
    now = datetime.now(UTC)
    shift = timedelta(minutes=site_jitter(site["id"]))  # the site's minute inside its window
    # the site's slot falls in (now + 5 min, now + 6 min]: past the scheduler's 5-minute margin and
    # within the immediate hand-over's LOOKAHEAD (6 min) whatever the seconds of `now`
    start = (now + LOOKAHEAD - shift).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=20)
    if end.date() != start.date():
        pytest.skip("the window would cross midnight UTC")
    put_settings(
        owner,
        site["id"],
        **{
            **OPEN_ALL_DAY,
            "auto_publish_enabled": True,
            "publish_time_slots": [{"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}],
        },
    )
    content_id = approved_content(owner, site["id"])

    handler = load_handler_module("ScheduleApprovedContentFunction").lambda_handler
    handler(scheduled_event("arn:aws:events:us-east-1:123456789012:rule/s", now), FakeLambdaContext())
    summary = totals(run_units())

    assert summary["scheduled"] == 1
    stored = content_now(content_id)
    assert stored.scheduled_publish_at == iso(start + shift)
    assert stored.enqueued_for == iso(start + shift)
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_urls["PublishQueue"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
