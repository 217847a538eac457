"""Helpers shared by the publishing tests: sites with integrations, content put straight into the
table, the real queue driven like Lambda's SQS poller, a tap on the event bus, and a recording
destination for the tests of our own logic."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from local.aws import Stack
from local.events import scheduled_event, sqs_event
from publisher.bootstrap import ready_store
from publisher.destinations.base import Article, Destination, RemotePost, Verification
from publisher.ids import new_id
from publisher.services import process_scheduled
from publisher.store.models import ContentModel, RecordModel
from publisher.timeutil import iso
from tests.support.apigw import call
from tests.support.fixtures import token
from tests.support.handlers import FakeLambdaContext, load_handler_module
from tests.support.work_queue import run_units, totals

BUCKET = "publisher-site-garden"
PUBLIC_BASE_URL = "https://garden.example.com/blog"
OWNER = ("acct-1", "owner")


def owner_token() -> str:
    return token(*OWNER)


def create_site(tok: str | None = None, **fields: Any) -> dict:
    body = {"name": "Garden", "url": "https://garden.example.com", **fields}
    reply = call("POST", "/api/v1/sites/", token=tok or owner_token(), body=body)
    assert reply.status == 201, reply.body
    return reply.json["data"]


def put_integration(site_id: str, destination: str, body: dict, tok: str | None = None) -> dict:
    reply = call(
        "PUT", f"/api/v1/sites/{site_id}/integrations/{destination}/", token=tok or owner_token(), body=body
    )
    assert reply.status == 200, reply.body
    return reply.json["data"]


def s3_site(stack: Stack, bucket: str = BUCKET, **site_fields: Any) -> dict:
    """A site publishing to a real (moto) S3 bucket."""
    stack.client("s3").create_bucket(Bucket=bucket)
    site = create_site(**site_fields)
    put_integration(site["id"], "s3", {"config": {"bucket": bucket, "public_base_url": PUBLIC_BASE_URL}})
    return site


def webhook_integration(site_id: str, url: str = "https://hooks.example.com/publisher") -> dict:
    """An integration the tests never reach for real: a fake stands in for it (factory)."""
    body = {"config": {"url": url}, "credentials": {"signing_secret": "0123456789abcdef0123"}}
    return put_integration(site_id, "webhook", body)


def make_content(site: dict, **fields: Any) -> ContentModel:
    """A content item written straight into the table (the content API is not under test here)."""
    ready_store()
    now = iso(datetime.now(UTC))
    values: dict[str, Any] = {
        "account_id": site["account_id"],
        "site_id": site["id"],
        "title": "Growing tomatoes",
        "html": "<p>Sun, water, patience.</p>",
        "slug": f"growing-tomatoes-{new_id().lower()[-6:]}",
        "status": "approved",
        "site_status": "not_published",
        "site_status_updated_at": now,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    content = ContentModel(content_id=new_id(), **values)
    content.refresh_index_keys()
    content.save()
    return content


def content_now(content_id: str) -> ContentModel:
    ready_store()
    return ContentModel.get(content_id, consistent_read=True)


def record_now(record_id: str) -> RecordModel:
    ready_store()
    return RecordModel.get(record_id, consistent_read=True)


def records_of(content_id: str) -> list[RecordModel]:
    ready_store()
    return sorted(
        RecordModel.content_index.query(content_id), key=lambda record: (record.created_at, record.record_id)
    )


# --- the queue, as Lambda's poller drives it -------------------------------------------------


def queue_url(stack: Stack) -> str:
    return stack.queue_urls["PublishQueue"]


def queue_arn(stack: Stack) -> str:
    return f"arn:aws:sqs:us-east-1:123456789012:{queue_url(stack).rsplit('/', 1)[1]}"


def receive(stack: Stack, queue: str = "PublishQueue", wait: int = 0) -> list[dict[str, Any]]:
    reply = stack.client("sqs").receive_message(
        QueueUrl=stack.queue_urls[queue],
        MaxNumberOfMessages=10,
        WaitTimeSeconds=wait,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return reply.get("Messages", [])


def bodies(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(message["Body"]) for message in messages]


def make_visible(stack: Stack, messages: list[dict[str, Any]]) -> None:
    """Let SQS deliver these messages again now (as if their visibility timeout had passed)."""
    sqs = stack.client("sqs")
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=queue_url(stack), ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )


def invoke_worker(stack: Stack, messages: list[dict[str, Any]], worker: Any = None) -> dict[str, Any]:
    """Call the worker's handler with the Lambda SQS event built from received messages, then
    delete the messages it did not report as failed (what Lambda does with the reply)."""
    handler = load_handler_module("PublishWorkerFunction").lambda_handler
    kwargs = {"worker": worker} if worker is not None else {}
    reply = handler(sqs_event(messages, queue_arn(stack)), FakeLambdaContext(), **kwargs)
    failed = {item["itemIdentifier"] for item in reply["batchItemFailures"]}
    sqs = stack.client("sqs")
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url(stack), ReceiptHandle=message["ReceiptHandle"])
    return reply


def drain(stack: Stack, worker: Any = None, rounds: int = 5) -> int:
    """Deliver whatever is visible on the queue to the worker, until nothing is; messages handled."""
    handled = 0
    for _ in range(rounds):
        messages = receive(stack)
        if not messages:
            break
        invoke_worker(stack, messages, worker)
        handled += len(messages)
    return handled


def run_job(logical_id: str, now: datetime) -> dict[str, Any]:
    """A scheduled function, with the EventBridge event and its clock at `now`, then the units of
    work it enqueued (drained from WorkQueue, one per shard); the units' summaries added up. No
    time passes between the run and its units (a unit's clock is the run's `now` plus the real
    seconds since it was sent: on a slow machine a delay counted to the second would drift)."""
    handler = load_handler_module(logical_id).lambda_handler
    event = scheduled_event(f"arn:aws:events:us-east-1:123456789012:rule/{logical_id}", now)
    frozen = process_scheduled.wall_clock()
    real, process_scheduled.wall_clock = process_scheduled.wall_clock, lambda: frozen
    try:
        reply = handler(event, FakeLambdaContext(), clock=lambda: now)
        assert reply["units"] > 0, reply
        return totals(run_units())
    finally:
        process_scheduled.wall_clock = real


# --- the event bus ---------------------------------------------------------------------------


def tap_events(stack: Stack) -> Callable[[], list[dict[str, Any]]]:
    """Route every `publisher` event on the bus to a queue; returns a reader of what arrived."""
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName="event-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.resolver.physical["PublisherEventBus"]
    events = stack.client("events")
    events.put_rule(Name="tap", EventBusName=bus, EventPattern=json.dumps({"source": ["publisher"]}))
    events.put_targets(Rule="tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])

    def read() -> list[dict[str, Any]]:
        found = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found

    return read


# --- a destination for tests of our own logic ------------------------------------------------


Fault = Callable[[str, str], None]
"""(operation, slug) → None, or raise: what a destination does after it took an operation."""


def fail_on(errors: dict[str, BaseException], operation: str = "find") -> Fault:
    """A fault raising errors[slug] when `operation` reaches that slug (find: before any write)."""

    def fault(done: str, slug: str) -> None:
        if done == operation and slug in errors:
            raise errors[slug]

    return fault


@dataclass
class RemoteSite:
    """What a recording destination holds: posts by id, and every call made to it."""

    posts: dict[str, Article] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    created: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.calls if name == operation)


class RecordingDestination(Destination):
    """An in-memory destination with the real interface (and so the real `publish()` algorithm).

    `fault(operation, slug)` runs after the operation took effect and may raise: a typed
    error, or SimulatedCrash for a worker that dies right after the destination accepted."""

    name = "webhook"

    def __init__(self, remote: RemoteSite, fault: Fault | None = None) -> None:
        super().__init__({}, {})
        self.remote = remote
        self.fault = fault

    def _after(self, operation: str, slug: str) -> None:
        with self.remote.lock:
            self.remote.calls.append((operation, slug))
        if self.fault is not None:
            self.fault(operation, slug)

    def verify(self) -> Verification:
        return Verification(ok=True, message="in memory")

    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        self._after("find", slug)
        found = next((key for key, post in self.remote.posts.items() if post.slug == slug), None)
        return RemotePost(external_id=found, slug=slug) if found else None

    def create(self, article: Article) -> RemotePost:
        with self.remote.lock:
            self.remote.created += 1
            external_id = f"post-{self.remote.created}"
            self.remote.posts[external_id] = article
        self._after("create", article.slug)
        return RemotePost(external_id=external_id, external_url=f"https://hooks.example.com/{article.slug}")

    def update(self, external_id: str, article: Article) -> RemotePost:
        with self.remote.lock:
            self.remote.posts[external_id] = replace(article)
        self._after("update", article.slug)
        return RemotePost(external_id=external_id, external_url=f"https://hooks.example.com/{article.slug}")

    def retract(self, external_id: str) -> None:
        self.remote.posts.pop(external_id, None)
        self._after("retract", external_id)


class SimulatedCrash(BaseException):
    """The Lambda process dies here: nothing after it runs (BaseException passes every handler)."""


def recording_factory(remote: RemoteSite, fault: Fault | None = None):
    """A DestinationFactory handing out recording destinations that share one remote site."""

    def factory(name: str, config: dict, credentials: dict) -> Destination:
        return RecordingDestination(remote, fault)

    return factory
