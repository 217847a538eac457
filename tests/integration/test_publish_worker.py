"""The publish worker on real SQS batch events: the code under test sends the messages to the
moto queue; the test receives them, builds the Lambda SQS event and calls the handler."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from publisher.destinations.base import PermanentDestinationError, RetryableDestinationError
from publisher.services.worker import PublishWorker
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    RemoteSite,
    content_now,
    fail_on,
    invoke_worker,
    make_content,
    make_visible,
    owner_token,
    queue_url,
    receive,
    record_now,
    recording_factory,
    records_of,
    tap_events,
)
from tests.support.apigw import call


@pytest.fixture
def site(webhook_site):
    """Every test here publishes through a webhook integration."""
    return webhook_site


def publish(content_id: str) -> list[dict]:
    reply = call("POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": content_id})
    assert reply.status == 202, reply.body
    return reply.json["data"]["records"]


def recording_sqs(aws) -> tuple[Any, list[dict]]:
    """A real SQS client on moto that also notes every ChangeMessageVisibility it makes."""
    client = aws.client("sqs")
    calls: list[dict] = []
    client.meta.events.register(
        "provide-client-params.sqs.ChangeMessageVisibility", lambda params, **_: calls.append(dict(params))
    )
    return client, calls


def failures(reply: dict) -> set[str]:
    return {item["itemIdentifier"] for item in reply["batchItemFailures"]}


def test_given_a_batch_with_one_bad_record_then_only_that_one_fails_and_the_rest_publish(aws, site):
    remote = RemoteSite()
    ok_one, bad, ok_two = (make_content(site, slug=slug) for slug in ("first", "broken", "third"))
    for content in (ok_one, bad, ok_two):
        publish(content.content_id)
    sqs, changes = recording_sqs(aws)
    worker = PublishWorker(
        factory=recording_factory(remote, fail_on({"broken": RetryableDestinationError("503")})), sqs=sqs
    )
    messages = receive(aws)
    assert len(messages) == 3

    reply = invoke_worker(aws, messages, worker)

    bad_message = next(m for m in messages if json.loads(m["Body"])["content_id"] == bad.content_id)
    assert failures(reply) == {bad_message["MessageId"]}
    assert sorted(post.slug for post in remote.posts.values()) == ["first", "third"]
    assert (
        content_now(ok_one.content_id).site_status
        == content_now(ok_two.content_id).site_status
        == "published"
    )
    [record] = records_of(bad.content_id)
    assert record.status == "failed" and record.error == "503" and record.attempts == 1
    assert [change["VisibilityTimeout"] for change in changes] == [30]
    assert receive(aws) == []  # the failed message waits out its backoff


@pytest.mark.parametrize(
    ("receive_count", "retry_after", "expected"), [(1, None, 30), (2, None, 60), (3, None, 120), (2, 7.2, 8)]
)
def test_given_retryable_failures_then_the_message_backs_off_exponentially_or_as_the_peer_asked(
    aws, site, receive_count, retry_after, expected
):
    content = make_content(site, slug="flaky")
    publish(content.content_id)
    sqs, changes = recording_sqs(aws)
    error = RetryableDestinationError("rate limited", retry_after=retry_after)
    worker = PublishWorker(factory=recording_factory(RemoteSite(), fail_on({"flaky": error})), sqs=sqs)
    for _ in range(receive_count - 1):
        make_visible(aws, receive(aws))
    messages = receive(aws)
    assert messages[0]["Attributes"]["ApproximateReceiveCount"] == str(receive_count)

    reply = invoke_worker(aws, messages, worker)

    assert len(failures(reply)) == 1
    assert changes[-1]["VisibilityTimeout"] == expected
    assert changes[-1]["ReceiptHandle"] == messages[0]["ReceiptHandle"]


def test_given_a_message_failing_five_times_then_the_record_gives_up_and_it_lands_in_the_dlq(aws, site):
    read_events = tap_events(aws)
    content = make_content(site, slug="never")
    publish(content.content_id)
    worker = PublishWorker(
        factory=recording_factory(RemoteSite(), fail_on({"never": RetryableDestinationError("down")}))
    )

    for delivery in range(1, 6):
        messages = receive(aws)
        assert messages[0]["Attributes"]["ApproximateReceiveCount"] == str(delivery)
        invoke_worker(aws, messages, worker)
        make_visible(aws, messages)

    assert receive(aws) == []  # SQS moves it on this receive
    assert len(receive(aws, "PublishDeadLetterQueue")) == 1
    [record] = records_of(content.content_id)
    assert record.status == "failed" and record.attempts == 5
    assert record.error == "gave up after 5 attempts; in the dead-letter queue: down"
    assert record.next_retry_at is not None  # the daily cleanup retries it later
    assert content_now(content.content_id).site_status == "failed"
    failed = [event for event in read_events() if event["detail-type"] == "publication.failed"]
    assert len(failed) == 5 and failed[-1]["detail"]["error_class"] == "RetryableDestinationError"


def test_given_a_permanent_failure_then_the_record_fails_at_once_and_the_message_is_consumed(aws, site):
    read_events = tap_events(aws)
    content = make_content(site, slug="rejected")
    publish(content.content_id)
    error = PermanentDestinationError("The destination refused the credentials.")
    worker = PublishWorker(factory=recording_factory(RemoteSite(), fail_on({"rejected": error})))

    reply = invoke_worker(aws, receive(aws), worker)

    assert reply["batchItemFailures"] == []
    [record] = records_of(content.content_id)
    assert (record.status, record.error, record.next_retry_at) == (
        "failed",
        "The destination refused the credentials.",
        None,
    )
    assert record.expires_at is not None
    stored = content_now(content.content_id)
    assert stored.site_status == "failed" and stored.last_error == "The destination refused the credentials."
    [event] = read_events()
    assert event["detail-type"] == "publication.failed"
    assert (
        event["detail"]["error_class"] == "PermanentDestinationError"
        and event["detail"]["will_retry"] is False
    )


def test_given_a_malformed_message_then_it_alone_is_reported_failed(aws, site):
    content = make_content(site)
    publish(content.content_id)
    aws.client("sqs").send_message(QueueUrl=queue_url(aws), MessageBody='{"record_id": "only"}')
    messages = receive(aws)
    remote = RemoteSite()

    reply = invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote)))

    poison = next(m for m in messages if "only" in m["Body"])
    assert failures(reply) == {poison["MessageId"]}
    assert len(remote.posts) == 1


def test_given_two_destinations_when_one_fails_for_good_then_the_content_fails_with_its_reason(aws, site):
    call(
        "PUT",
        f"/api/v1/sites/{site['id']}/integrations/ghost/",
        token=owner_token(),
        body={
            "config": {"admin_url": "https://ghost.example.com"},
            "credentials": {"admin_api_key": "abcdef012345:" + "0123456789abcdef" * 4},
        },
    )
    content = make_content(site, slug="split")
    publish(content.content_id)
    remote = RemoteSite()

    def factory(name: str, config: dict, credentials: dict):
        fault = fail_on({"split": PermanentDestinationError("Ghost says no.")}) if name == "ghost" else None
        return recording_factory(remote, fault)(name, config, credentials)

    invoke_worker(aws, receive(aws), PublishWorker(factory=factory))

    statuses = {record.destination: record.status for record in records_of(content.content_id)}
    assert statuses == {"ghost": "failed", "webhook": "published"}
    stored = content_now(content.content_id)
    assert stored.site_status == "failed" and stored.last_error == "Ghost says no."


def test_given_two_destinations_then_the_content_is_published_only_when_both_are(aws, site):
    call(
        "PUT",
        f"/api/v1/sites/{site['id']}/integrations/ghost/",
        token=owner_token(),
        body={
            "config": {"admin_url": "https://ghost.example.com"},
            "credentials": {"admin_api_key": "abcdef012345:" + "0123456789abcdef" * 4},
        },
    )
    content = make_content(site, slug="both")
    publish(content.content_id)
    worker = PublishWorker(factory=recording_factory(RemoteSite()))
    first, second = ([message] for message in receive(aws))

    invoke_worker(aws, first, worker)
    halfway = content_now(content.content_id).site_status
    invoke_worker(aws, second, worker)

    assert halfway == "publishing"
    assert content_now(content.content_id).site_status == "published"


# --- scheduled messages ------------------------------------------------------------------------


def scheduled_message(aws, content, scheduled_for: str) -> list[dict]:
    """What the 5-minute job sends for scheduled content: one message per enabled integration."""
    from publisher.services.publishing import Dispatch, enabled_integrations, hand_over

    targets = enabled_integrations(content.site_id)
    hand_over(content, targets, Dispatch(scheduled_for=scheduled_for), now=datetime.now(UTC))
    return receive(aws)


def test_given_a_scheduled_message_when_it_arrives_late_then_the_record_keeps_the_lateness(aws, site):
    slot = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=3)
    content = make_content(site, site_status="scheduled", scheduled_publish_at=iso(slot))
    messages = scheduled_message(aws, content, iso(slot))
    worker = PublishWorker(factory=recording_factory(RemoteSite()), clock=lambda: slot + timedelta(seconds=7))

    invoke_worker(aws, messages, worker)

    [record] = records_of(content.content_id)
    assert record.status == "published"
    assert record.metadata["lateness_seconds"] == 7.0 and record.metadata["scheduled_for"] == iso(slot)
    assert content_now(content.content_id).site_status == "published"


@pytest.mark.parametrize(
    "moved_to",
    [{"site_status": "not_published", "scheduled_publish_at": None}, {"scheduled_publish_at": "later"}],
    ids=["unscheduled", "rescheduled"],
)
def test_given_the_content_was_unscheduled_or_rescheduled_meanwhile_then_the_message_is_a_no_op(
    aws, site, moved_to
):
    slot = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=3)
    content = make_content(site, site_status="scheduled", scheduled_publish_at=iso(slot))
    messages = scheduled_message(aws, content, iso(slot))
    stored = content_now(content.content_id)
    for name, value in moved_to.items():
        setattr(stored, name, iso(slot + timedelta(days=1)) if value == "later" else value)
    stored.refresh_index_keys()
    stored.save()
    remote = RemoteSite()

    reply = invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote)))

    assert reply["batchItemFailures"] == []  # consumed: nothing left to do
    assert remote.calls == []
    [record] = records_of(content.content_id)
    assert record.status == "pending" and record.attempts == 0
    assert content_now(content.content_id).site_status == stored.site_status


def test_given_a_publish_now_message_for_content_that_is_not_publishing_then_it_is_a_no_op(aws, site):
    content = make_content(site)
    [record] = publish(content.content_id)
    stored = content_now(content.content_id)
    stored.site_status = "published"
    stored.refresh_index_keys()
    stored.save()
    remote = RemoteSite()

    invoke_worker(aws, receive(aws), PublishWorker(factory=recording_factory(remote)))

    assert remote.calls == [] and record_now(record["id"]).status == "pending"
