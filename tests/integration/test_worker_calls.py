"""What one publication costs the worker in AWS calls (issue 16): five DynamoDB calls per
message to one destination (publish-now, or scheduled, whose claim also moves the content), one
KMS Decrypt per integration while its credentials are unchanged (a bounded cache per warm
container), and no DescribeTable at a cold start."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.events import scheduled_event
from publisher.bootstrap import ready_store
from publisher.destinations.base import PermanentDestinationError
from publisher.domain.publishing import PublishMessage
from publisher.services.credentials import CACHE_SECONDS, CredentialVault
from publisher.services.worker import Delivery, PublishWorker
from publisher.store.models import TABLES
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    RemoteSite,
    content_now,
    drain,
    fail_on,
    invoke_worker,
    make_content,
    owner_token,
    receive,
    recording_factory,
    run_job,
)
from tests.integration.scheduling_support import create_content, put_settings, schedule
from tests.integration.test_schedule_destinations import ALL_DAYS, sent_messages
from tests.support.apigw import call
from tests.support.aws_calls import record_calls
from tests.support.handlers import FakeLambdaContext, load_handler_module


@pytest.fixture
def site(webhook_site):
    return webhook_site


def publish(*content_ids: str) -> None:
    for content_id in content_ids:
        body = {"content_id": content_id, "override_limits": True}  # past the site's daily cap of 3
        reply = call("POST", "/api/v1/publisher/publish/", token=owner_token(), body=body)
        assert reply.status == 202, reply.body


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_given_one_destination_then_a_publication_costs_the_worker_five_dynamodb_calls(
    aws, site, monkeypatch
):
    content = make_content(site, slug="five-calls")
    publish(content.content_id)
    worker = PublishWorker(factory=recording_factory(RemoteSite()))
    messages = receive(aws)
    sent = record_calls(monkeypatch, "dynamodb")

    invoke_worker(aws, messages, worker)

    calls = Counter(sent.operations)
    assert content_now(content.content_id).site_status == "published"
    print(f"worker, one message to one destination: {sum(calls.values())} DynamoDB calls {dict(calls)}")
    # one read of record, content, site and integrations; the claim; the record's outcome; the
    # content settled with its history entry
    assert calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1, "UpdateItem": 2, "PutItem": 1})


def test_given_two_enabled_destinations_then_the_worker_reads_the_other_record_before_settling(
    aws, site, monkeypatch
):
    """The query of the content's records is still made where it decides something."""
    call(
        "PUT",
        f"/api/v1/sites/{site['id']}/integrations/wordpress/",
        token=owner_token(),
        body={
            "config": {"base_url": "https://blog.example.com"},
            "credentials": {"username": "editor", "application_password": "abcd efgh ijkl mnop"},
        },
    )
    content = make_content(site, slug="two-places")
    publish(content.content_id)
    messages = receive(aws)
    assert len(messages) == 2
    worker = PublishWorker(factory=recording_factory(RemoteSite()))
    sent = record_calls(monkeypatch, "dynamodb")

    invoke_worker(aws, messages[:1], worker)
    first = sent.count("Query")
    assert content_now(content.content_id).site_status == "publishing"  # the other one is pending
    sent.clear()
    invoke_worker(aws, messages[1:], worker)

    assert first == sent.count("Query") == 1  # each message: the content's records, to settle
    assert content_now(content.content_id).site_status == "published"


def test_given_ten_messages_to_one_integration_then_kms_decrypts_its_credentials_once(aws, site, monkeypatch):
    contents = [make_content(site, slug=f"cached-{index}") for index in range(10)]
    publish(*(content.content_id for content in contents))
    worker = PublishWorker(factory=recording_factory(RemoteSite()))
    sent = record_calls(monkeypatch)

    assert drain(aws, worker) == 10

    assert all(content_now(content.content_id).site_status == "published" for content in contents)
    assert sent.count("kms:Decrypt") == 1


def test_given_credentials_saved_again_then_the_next_message_decrypts_the_new_ones(aws, site, monkeypatch):
    seen: list[dict[str, Any]] = []
    remote = RemoteSite()
    base = recording_factory(remote)

    def factory(name: str, config: dict, credentials: dict):
        seen.append(credentials)
        return base(name, config, credentials)

    worker = PublishWorker(factory=factory)
    first, second = make_content(site, slug="before"), make_content(site, slug="after")
    publish(first.content_id)
    sent = record_calls(monkeypatch)
    invoke_worker(aws, receive(aws), worker)
    rotated = {
        "config": {"url": "https://hooks.example.com/publisher"},
        "credentials": {"signing_secret": "f" * 24},
    }
    reply = call(
        "PUT", f"/api/v1/sites/{site['id']}/integrations/webhook/", token=owner_token(), body=rotated
    )
    assert reply.status == 200, reply.body
    sent.clear()

    publish(second.content_id)
    invoke_worker(aws, receive(aws), worker)

    assert sent.count("kms:Decrypt") == 1  # a new ciphertext is a new version
    assert [credentials["signing_secret"] for credentials in seen] == ["0123456789abcdef0123", "f" * 24]


def test_given_the_cache_time_passed_or_a_refusal_then_the_credentials_are_decrypted_again(
    aws, site, monkeypatch
):
    clock = Clock()
    refusing = {"refused": PermanentDestinationError("credentials rejected by hooks.example.com (HTTP 401).")}
    worker = PublishWorker(
        factory=recording_factory(RemoteSite(), fail_on(refusing)), vault=CredentialVault(clock=clock)
    )
    slugs = ["first", "within-the-time", "after-the-time", "refused", "after-the-refusal"]
    contents = {slug: make_content(site, slug=slug) for slug in slugs}
    sent = record_calls(monkeypatch)
    decrypts = []
    for slug in slugs:
        if slug == "after-the-time":
            clock.now += CACHE_SECONDS
        publish(contents[slug].content_id)
        invoke_worker(aws, receive(aws), worker)
        decrypts.append(sent.count("kms:Decrypt"))

    assert content_now(contents["refused"].content_id).site_status == "failed"
    # first: decrypt; within the time: cached; after it: decrypt; refused: cached, then forgotten
    assert decrypts == [1, 1, 2, 2, 3]


def test_a_cold_start_makes_no_describe_table_call(aws, site, monkeypatch):
    """pynamodb binds every model to its table by name: a new connection never asks DynamoDB
    for the table's schema (DescribeTable), not in the API functions, the jobs or the worker."""
    ready_store()
    for model, _ in TABLES.values():
        model._connection = None  # as in a new container
    sent = record_calls(monkeypatch)

    reply = call(
        "POST",
        "/api/v1/content/",
        token=owner_token(),
        body={"site_id": site["id"], "title": "Cold", "html": "<p>start</p>", "status": "approved"},
    )
    assert reply.status == 201, reply.body
    publish(reply.json["data"]["id"])
    invoke_worker(aws, receive(aws), PublishWorker(factory=recording_factory(RemoteSite())))
    for job in ("ProcessScheduledPublicationsFunction", "CleanupFailedPublicationsFunction"):
        run_job(job, datetime.now(UTC))
    handler = load_handler_module("ScheduleApprovedContentFunction").lambda_handler
    handler(
        scheduled_event("arn:aws:events:us-east-1:123456789012:rule/schedule", datetime.now(UTC)),
        FakeLambdaContext(),
    )

    assert any(name.startswith("dynamodb:") for name in sent.operations)
    assert [name for name in sent.operations if name.endswith(":DescribeTable")] == []


def test_given_a_scheduled_publication_then_the_worker_makes_five_dynamodb_calls_too(
    aws, owner, site, monkeypatch
):
    """A scheduled message's claim also moves the content scheduled → publishing (a publish-now
    message finds it publishing already): that move's history entry is written with the settle's,
    one BatchWriteItem, and both entries are there."""
    anytime = [{"start": "00:00", "end": "23:59"}]
    put_settings(owner, site["id"], publish_days=ALL_DAYS, publish_time_slots=anytime)
    content = create_content(owner, site["id"], status="approved")
    when = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=7, second=0, microsecond=0)
    assert schedule(owner, content["id"], {"scheduled_publish_at": iso(when)}).status == 200
    entries = sent_messages()  # delayed until the scheduled minute: not visible to a receive yet
    run_job("ProcessScheduledPublicationsFunction", when - timedelta(minutes=2))
    [entry] = entries
    delivery = Delivery(message=PublishMessage.model_validate_json(entry["MessageBody"]))
    sent = record_calls(monkeypatch, "dynamodb")

    outcome = PublishWorker(factory=recording_factory(RemoteSite())).process(delivery)

    calls = Counter(sent.operations)
    assert outcome == "published"
    assert content_now(content["id"]).site_status == "published"
    print(
        f"worker, a scheduled message to one destination: {sum(calls.values())} DynamoDB calls {dict(calls)}"
    )
    # the read; the claim (record and content together); the record's outcome; the content settled;
    # the history entries of the claim's move and of the settle
    assert calls == Counter(
        {"BatchGetItem": 1, "TransactWriteItems": 1, "UpdateItem": 2, "BatchWriteItem": 1}
    )
    entries = call("GET", f"/api/v1/content/{content['id']}/history/", token=owner).json["data"]
    newest = [(entry["from"], entry["to"], entry["actor"]) for entry in entries[:2]]
    worker = "system:publish-worker"
    assert newest == [("publishing", "published", worker), ("scheduled", "publishing", worker)]
