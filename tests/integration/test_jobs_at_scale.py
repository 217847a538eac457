"""The scheduled jobs do not grow with the number of sites (issue 16, `make bench-scale`), shown by
counting calls, not by timing: each job's own invocation makes the same AWS calls at 10 and at 100
sites (a fixed number of units per shard, no DynamoDB), and a site's scheduling unit makes the same
calls whether 10 or 100 sites exist. The data is written as scripts/bench_scale.py writes it."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from local.aws import Stack
from local.events import scheduled_event
from publisher.domain.publishing import LOOKAHEAD
from publisher.services.scheduling import SCHEDULE_SITE
from publisher.store.models import AUTO_SHARDS, DUE_SHARDS, ContentModel
from publisher.timeutil import iso
from scripts.bench_scale import seed
from tests.support.aws_calls import AwsCalls, record_calls
from tests.support.handlers import FakeLambdaContext, load_handler_module
from tests.support.work_queue import receive_work

JOBS = (
    "ScheduleApprovedContentFunction",
    "ProcessScheduledPublicationsFunction",
    "CleanupFailedPublicationsFunction",
)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> AwsCalls:
    """Every AWS call sent from now on, as `service:Operation` (pynamodb's calls included)."""
    return record_calls(monkeypatch)


def invocation_calls(logical_id: str, now: datetime, calls: AwsCalls) -> Counter[str]:
    """The calls of one invocation of a scheduled job, with its EventBridge event."""
    handler = load_handler_module(logical_id).lambda_handler
    event = scheduled_event(f"arn:aws:events:us-east-1:123456789012:rule/{logical_id}", now)
    calls.clear()
    handler(event, FakeLambdaContext(), clock=lambda: now)
    return Counter(calls.operations)


def drain_visible(aws: Stack) -> list[dict]:
    """Every visible message on WorkQueue, taken off it unrun."""
    taken: list[dict] = []
    while messages := receive_work(aws):
        taken += messages
        sqs = aws.client("sqs")
        for message in messages:
            sqs.delete_message(QueueUrl=aws.queue_urls["WorkQueue"], ReceiptHandle=message["ReceiptHandle"])
    return taken


def test_each_jobs_invocation_makes_the_same_calls_at_10_and_100_sites(aws: Stack, calls: AwsCalls) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    seed(0, 10, items=2, due=1, failed=1, now=now)
    at_10 = {job: invocation_calls(job, now, calls) for job in JOBS}
    drain_visible(aws)
    seed(10, 100, items=2, due=1, failed=1, now=now)

    at_100 = {job: invocation_calls(job, now, calls) for job in JOBS}

    assert at_100 == at_10
    for job, made in at_100.items():
        assert set(made) == {"sqs:SendMessageBatch"}, (job, made)  # no DynamoDB, nothing per site
    units = Counter(json.loads(message["Body"])["kind"] for message in drain_visible(aws))
    assert units == {
        "schedule-sites": AUTO_SHARDS,
        "hand-over-due": DUE_SHARDS,
        "unpublish-due": DUE_SHARDS,
        "clean-up-retry-shard": DUE_SHARDS,
    }


def site_unit_calls(site_id: str, now: datetime, calls: AwsCalls) -> tuple[Counter[str], dict]:
    """The calls of one site's scheduling unit, run as WorkUnitsFunction runs it; its summary."""
    from publisher.services import work

    load_handler_module("WorkUnitsFunction")  # registers the units
    calls.clear()
    summary = work.run({"kind": SCHEDULE_SITE, "payload": {"site_id": site_id, "now": iso(now)}})
    return Counter(calls.operations), summary


def test_a_sites_scheduling_unit_makes_the_same_calls_whatever_the_number_of_sites(
    aws: Stack, calls: AwsCalls
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    [first, *_] = seed(0, 10, items=3, due=0, failed=0, now=now)
    at_10, summary_10 = site_unit_calls(first, now, calls)
    [other, *_] = seed(10, 100, items=3, due=0, failed=0, now=now)

    at_100, summary_100 = site_unit_calls(other, now, calls)

    assert summary_10["scheduled"] == summary_100["scheduled"] == 3
    assert at_100 == at_10
    assert sum(n for name, n in at_100.items() if name.startswith("dynamodb:")) > 0


def test_a_hand_over_unit_reads_its_pages_sites_together_not_per_item(aws: Stack, calls: AwsCalls) -> None:
    """Each site's pause and integrations are read for the whole page at once (sites and their
    integrations by key, 16 sites per BatchGetItem); content never handed over needs no records
    Query; a page's messages go 10 to a call. Per item remains the transaction. 40 items due on 40
    sites, the 8 shards' units run in turn."""
    from publisher.services import work
    from publisher.services.process_scheduled import HAND_OVER_DUE

    now = datetime.now(UTC).replace(microsecond=0)
    seed(0, 40, items=0, due=1, failed=0, now=now)
    load_handler_module("WorkUnitsFunction")  # registers the units
    pages = sum(1 for shard in range(DUE_SHARDS) if list(ContentModel.due_index.query(str(shard), limit=1)))
    calls.clear()
    handed = 0
    for shard in range(DUE_SHARDS):
        payload = {"shard": shard, "until": iso(now + LOOKAHEAD), "now": now.isoformat(), "sent": time.time()}
        handed += work.run({"kind": HAND_OVER_DUE, "payload": payload})["enqueued"]

    made = Counter(calls.operations)
    dynamodb = sum(n for name, n in made.items() if name.startswith("dynamodb:"))
    print(
        f"hand-over units, 40 items on 40 sites: {dynamodb / handed:.2f} DynamoDB calls per item {dict(made)}"
    )
    assert handed == 40
    assert made["dynamodb:GetItem"] == 0  # no site read per item
    assert made["dynamodb:Query"] == DUE_SHARDS  # each shard's page; no item's records (none yet)
    assert made["dynamodb:TransactWriteItems"] == handed
    # each page with items (a shard may have none): its items (the due index is keys-only), then
    # its sites (at most 16 here: one call)
    assert made["dynamodb:BatchGetItem"] == 2 * pages
    batches = [
        params
        for params in calls.of("sqs:SendMessageBatch")
        if params["QueueUrl"] == os.environ["PUBLISH_QUEUE_URL"]
    ]
    assert sum(len(params["Entries"]) for params in batches) == handed
    assert len(batches) <= DUE_SHARDS + handed // 10  # a call per 10 messages of a page, not per item
