"""Between the queue's retries content is `retrying`, with the time of its next attempt, in the
content view, the calendar and the queue; never `failed` for an item the queue brings back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.destinations.base import RetryableDestinationError
from publisher.services.worker import PublishWorker
from publisher.timeutil import parse_iso
from tests.integration.publishing_support import (
    RemoteSite,
    content_now,
    fail_on,
    invoke_worker,
    make_content,
    make_visible,
    owner_token,
    receive,
    recording_factory,
    records_of,
)
from tests.support.apigw import call


@pytest.fixture
def site(webhook_site):
    return webhook_site


def get(path: str, **query: str) -> dict | list:
    reply = call("GET", f"/api/v1{path}", token=owner_token(), query=query or None)
    assert reply.status == 200, reply.body
    return reply.json["data"]


def publish(content_id: str) -> None:
    reply = call("POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": content_id})
    assert reply.status == 202, reply.body


def test_a_retryable_failure_shows_retrying_with_the_next_attempt_until_the_retry_publishes(aws, site):
    content = make_content(site, slug="flaky")
    publish(content.content_id)
    remote = RemoteSite()
    down = recording_factory(remote, fail_on({"flaky": RetryableDestinationError("503 from the peer")}))
    messages = receive(aws)

    before = datetime.now(UTC).replace(microsecond=0)
    invoke_worker(aws, messages, PublishWorker(factory=down, sqs=aws.client("sqs")))
    after = datetime.now(UTC)

    viewed = get(f"/content/{content.content_id}/")
    assert viewed["site_status"] == "retrying"
    assert viewed["last_error"] == "503 from the peer"
    next_attempt = parse_iso(viewed["next_attempt_at"])
    assert before + timedelta(seconds=30) <= next_attempt <= after + timedelta(seconds=30)  # the backoff
    [record] = records_of(content.content_id)
    assert (record.status, record.next_attempt_at) == ("failed", viewed["next_attempt_at"])
    [queued] = get("/publisher/queue/", site_id=site["id"])
    assert (queued["site_status"], queued["next_attempt_at"]) == ("retrying", viewed["next_attempt_at"])
    day = content_now(content.content_id).scheduled_publish_at[:10]
    end = (parse_iso(f"{day}T00:00:00Z") + timedelta(days=1)).date().isoformat()
    [entry] = get("/publisher/calendar/", site_id=site["id"], start=day, end=end)
    assert (entry["site_status"], entry["next_attempt_at"]) == ("retrying", viewed["next_attempt_at"])
    assert [item["id"] for item in get("/content/", site_id=site["id"], site_status="retrying")] == [
        content.content_id
    ]

    make_visible(aws, messages)  # the backoff has passed
    invoke_worker(aws, receive(aws), PublishWorker(factory=recording_factory(remote), sqs=aws.client("sqs")))

    settled = get(f"/content/{content.content_id}/")
    assert (settled["site_status"], settled["next_attempt_at"], settled["last_error"]) == (
        "published",
        None,
        None,
    )
    assert records_of(content.content_id)[0].next_attempt_at is None
    assert [post.slug for post in remote.posts.values()] == ["flaky"]


def test_content_that_is_retrying_cannot_be_scheduled_or_edited_but_may_be_published_now(aws, site):
    content = make_content(site, slug="flaky")
    publish(content.content_id)
    down = recording_factory(RemoteSite(), fail_on({"flaky": RetryableDestinationError("503")}))
    invoke_worker(aws, receive(aws), PublishWorker(factory=down, sqs=aws.client("sqs")))
    assert content_now(content.content_id).site_status == "retrying"

    scheduled = call("POST", f"/api/v1/content/{content.content_id}/schedule/", token=owner_token(), body={})
    edited = call(
        "PATCH", f"/api/v1/content/{content.content_id}/", token=owner_token(), body={"title": "Changed"}
    )
    now = call(
        "POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": content.content_id}
    )

    assert (scheduled.status, edited.status) == (409, 409)
    assert "being published" in scheduled.json["error"] and "being published" in edited.json["error"]
    assert now.status == 202, now.body  # retry at once instead of waiting
    stored = content_now(content.content_id)
    assert (stored.site_status, stored.next_attempt_at, stored.title) == (
        "publishing",
        None,
        "Growing tomatoes",
    )
