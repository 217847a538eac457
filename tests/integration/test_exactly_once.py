"""Exactly once, by construction, proved with fault injection: duplicate deliveries (in a row and
concurrent), a crash after the destination accepted the post but before the record was written,
and a republication after an edit — on the real S3 destination (moto) and on a recording
destination that subclasses Destination."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from publisher.destinations.base import Article, RemotePost
from publisher.destinations.s3 import S3Destination
from publisher.domain.publishing import CLAIM_LEASE, QUEUE_DEADLINE, PublishMessage
from publisher.services.worker import Delivery, PublishWorker
from publisher.store.models import RecordModel
from publisher.timeutil import iso, parse_iso
from tests.integration.publishing_support import (
    BUCKET,
    RemoteSite,
    SimulatedCrash,
    content_now,
    create_site,
    drain,
    fail_on,
    invoke_worker,
    make_content,
    make_visible,
    owner_token,
    receive,
    recording_factory,
    records_of,
    s3_site,
    webhook_integration,
)
from tests.integration.scheduling_support import atomic_moto_writes
from tests.support.apigw import call


def publish(content_id: str) -> dict:
    reply = call("POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": content_id})
    assert reply.status == 202, reply.body
    return reply.json["data"]["records"][0]


def page_keys(aws) -> list[str]:
    listing = aws.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return sorted(item["Key"] for item in listing if item["Key"].endswith("/index.html"))


@pytest.fixture
def webhook_site(aws):
    site = create_site()
    webhook_integration(site["id"])
    return site


def test_given_the_same_message_twice_in_a_row_then_one_post_and_the_second_is_a_no_op(aws, webhook_site):
    content = make_content(webhook_site, slug="once")
    publish(content.content_id)
    remote = RemoteSite()
    worker = PublishWorker(factory=recording_factory(remote))
    messages = receive(aws)

    first = invoke_worker(aws, messages, worker)
    second = invoke_worker(aws, messages, worker)  # SQS delivered it again

    assert first["batchItemFailures"] == second["batchItemFailures"] == []
    assert remote.count("create") == 1 and remote.count("update") == 0
    [record] = records_of(content.content_id)
    assert record.status == "published" and record.attempts == 1


def test_given_the_same_message_twice_concurrently_then_exactly_one_publishes(aws, webhook_site):
    content = make_content(webhook_site, slug="racing")
    publish(content.content_id)
    [message] = receive(aws)
    remote = RemoteSite()
    inside, release = threading.Event(), threading.Event()

    def hold_the_first_create(operation: str, slug: str) -> None:
        if operation == "create":
            inside.set()
            assert release.wait(timeout=30)

    worker = PublishWorker(factory=recording_factory(remote, hold_the_first_create))
    delivery = Delivery(message=PublishMessage.model_validate_json(message["Body"]))
    outcomes: list[str] = []

    with atomic_moto_writes():
        first = threading.Thread(target=lambda: outcomes.append(worker.process(delivery)))
        first.start()
        assert inside.wait(timeout=30)  # the first delivery is inside the destination right now
        outcomes.append(worker.process(delivery))  # the duplicate arrives meanwhile
        release.set()
        first.join(timeout=30)

    assert sorted(outcomes) == ["published", "skipped"]
    assert remote.count("create") == 1 and len(remote.posts) == 1
    assert records_of(content.content_id)[0].status == "published"


class CrashAfterWrite(S3Destination):
    """The real S3 adapter, whose process dies right after S3 accepted the page."""

    def create(self, article: Article) -> RemotePost:
        super().create(article)
        raise SimulatedCrash("the Lambda process died before the record was written")


class CountingS3(S3Destination):
    """The real S3 adapter, noting the pages it creates (rather than updates)."""

    created: list[str] = []

    def create(self, article: Article) -> RemotePost:
        CountingS3.created.append(article.slug)
        return super().create(article)


def counting(name: str, config: dict, credentials: dict) -> Any:
    return CountingS3(config, credentials)


def test_given_a_crash_after_s3_accepted_the_page_then_the_redelivery_updates_it_and_no_page_doubles(aws):
    site = s3_site(aws)
    content = make_content(site, slug="survivor")
    publish(content.content_id)

    def crashing(name: str, config: dict, credentials: dict) -> Any:
        return CrashAfterWrite(config, credentials)

    messages = receive(aws)
    with pytest.raises(SimulatedCrash):
        invoke_worker(aws, messages, PublishWorker(factory=crashing))
    assert page_keys(aws) == ["survivor/index.html"]
    assert records_of(content.content_id)[0].status == "publishing"  # the claim outlived the process

    make_visible(aws, messages)  # SQS redelivers once the visibility timeout has passed …
    later = datetime.now(UTC) + timedelta(seconds=360)  # … which is longer than the claim's lease
    assert later - datetime.now(UTC) > CLAIM_LEASE
    redelivered = receive(aws)
    assert redelivered[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    CountingS3.created.clear()
    invoke_worker(aws, redelivered, PublishWorker(factory=counting, clock=lambda: later))

    assert CountingS3.created == []  # found by its slug: updated, not created again
    assert page_keys(aws) == ["survivor/index.html"]
    [record] = records_of(content.content_id)
    assert (record.status, record.attempts, record.external_id) == ("published", 2, "survivor/index.html")
    assert content_now(content.content_id).site_status == "published"


def test_given_a_crash_then_a_duplicate_inside_the_lease_cannot_take_the_claim_over(aws, webhook_site):
    content = make_content(webhook_site, slug="leased")
    publish(content.content_id)
    remote = RemoteSite()
    messages = receive(aws)
    crash = fail_on({"leased": SimulatedCrash("died")}, operation="create")
    with pytest.raises(SimulatedCrash):
        invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote, crash)))

    soon = datetime.now(UTC) + CLAIM_LEASE / 2
    invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote), clock=lambda: soon))
    held = records_of(content.content_id)[0]
    later = datetime.now(UTC) + CLAIM_LEASE * 3
    invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote), clock=lambda: later))

    assert held.status == "publishing" and held.attempts == 1
    assert remote.count("create") == 1 and remote.count("update") == 1 and len(remote.posts) == 1
    assert records_of(content.content_id)[0].status == "published"


def crashed_claim(aws, content_id: str, slug: str, remote: RemoteSite) -> list[dict]:
    """Publish, and let the worker die at the destination after its claim; the messages."""
    publish(content_id)
    messages = receive(aws)
    crash = fail_on({slug: SimulatedCrash("died")}, operation="create")
    with pytest.raises(SimulatedCrash):
        invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote, crash)))
    return messages


def test_given_a_claim_then_its_lease_is_kept_apart_and_the_records_deadline_does_not_move(aws, webhook_site):
    content = make_content(webhook_site, slug="deadline")
    crashed_claim(aws, content.content_id, "deadline", RemoteSite())

    [held] = records_of(content.content_id)
    assert held.status == "publishing"
    deadline = parse_iso(held.created_at) + QUEUE_DEADLINE
    assert held.next_retry_at == iso(deadline)  # as the hand-over wrote it: no retry-index key moved
    assert parse_iso(held.claimed_until) - parse_iso(held.updated_at) == CLAIM_LEASE


def test_given_a_claim_made_before_the_lease_had_its_own_field_then_its_lease_still_holds(aws, webhook_site):
    content = make_content(webhook_site, slug="older")
    remote = RemoteSite()
    messages = crashed_claim(aws, content.content_id, "older", remote)
    [held] = records_of(content.content_id)
    held.update(
        actions=[RecordModel.claimed_until.remove(), RecordModel.next_retry_at.set(held.claimed_until)]
    )

    soon = datetime.now(UTC) + CLAIM_LEASE / 2
    invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote), clock=lambda: soon))
    assert records_of(content.content_id)[0].attempts == 1  # inside the lease: not taken over
    later = datetime.now(UTC) + CLAIM_LEASE * 3
    invoke_worker(aws, messages, PublishWorker(factory=recording_factory(remote), clock=lambda: later))

    [record] = records_of(content.content_id)
    assert (record.status, record.attempts, record.claimed_until) == ("published", 2, None)
    assert len(remote.posts) == 1


def test_given_edited_content_when_republished_then_the_same_s3_page_is_updated(aws):
    site = s3_site(aws)
    content = make_content(site, slug="evolving", html="<p>First draft.</p>")
    publish(content.content_id)
    drain(aws)
    first = records_of(content.content_id)[0]
    stored = content_now(content.content_id)
    stored.html = "<p>Second, better draft.</p>"
    stored.save()

    publish(content.content_id)
    drain(aws)

    [newer] = records_of(content.content_id)  # one record per (content, destination)
    assert newer.record_id == first.record_id and newer.status == "published"
    assert newer.external_id == first.external_id == "evolving/index.html"
    assert newer.content_hash != first.content_hash
    assert page_keys(aws) == ["evolving/index.html"]
    page = aws.client("s3").get_object(Bucket=BUCKET, Key="evolving/index.html")["Body"].read().decode()
    assert "Second, better draft." in page and "First draft." not in page
    assert content_now(content.content_id).published_hash == newer.content_hash


def test_given_edited_content_when_republished_then_the_recording_destination_sees_one_update(
    aws, webhook_site
):
    content = make_content(webhook_site, slug="edited", title="Old title")
    remote = RemoteSite()
    worker = PublishWorker(factory=recording_factory(remote))
    publish(content.content_id)
    drain(aws, worker)
    stored = content_now(content.content_id)
    stored.title = "New title"
    stored.save()

    publish(content.content_id)
    drain(aws, worker)

    assert [name for name, _ in remote.calls] == ["find", "create", "update"]
    [post] = remote.posts.values()
    assert post.title == "New title"
