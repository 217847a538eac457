"""ProcessScheduledPublications on moto: due content is handed to the real queue with
DelaySeconds = due - now, exactly once across overlapping runs, and missed slots follow the
site's missed_schedule_policy. The job runs through its handler with the EventBridge event."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from publisher import bootstrap
from publisher.services.handover import HELD, NO_INTEGRATION
from publisher.services.worker import PublishWorker
from publisher.store.models import ContentModel
from publisher.timeutil import iso, parse_iso
from tests.integration.publishing_support import (
    RemoteSite,
    content_now,
    create_site,
    invoke_worker,
    make_content,
    owner_token,
    receive,
    recording_factory,
    records_of,
    run_job,
)
from tests.integration.scheduling_support import atomic_moto_writes
from tests.support.apigw import call

JOB = "ProcessScheduledPublicationsFunction"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def site(webhook_site):
    """Every test here publishes through a webhook integration."""
    return webhook_site


def scheduled(site: dict, at: datetime, **fields: Any) -> ContentModel:
    return make_content(site, site_status="scheduled", scheduled_publish_at=iso(at), **fields)


def sent_batches() -> list[dict]:
    """The SendMessageBatch calls the code makes to PublishQueue through its (real) SQS client."""
    calls: list[dict] = []

    def remember(params: dict, **_: Any) -> None:
        if params["QueueUrl"] == os.environ["PUBLISH_QUEUE_URL"]:
            calls.append(dict(params))

    bootstrap.aws_client("sqs").meta.events.register("provide-client-params.sqs.SendMessageBatch", remember)
    return calls


def due_index_holds(content_id: str) -> bool:
    return any(
        item.content_id == content_id
        for shard in range(8)
        for item in ContentModel.due_index.query(str(shard))
    )


def test_given_content_due_in_two_minutes_then_it_is_enqueued_with_a_delay_of_two_minutes(aws, site):
    content = scheduled(site, NOW + timedelta(minutes=2))
    batches = sent_batches()

    summary = run_job(JOB, NOW)

    assert summary["enqueued"] == 1
    [batch] = batches
    [entry] = batch["Entries"]
    assert entry["DelaySeconds"] == 120
    assert json.loads(entry["MessageBody"])["scheduled_for"] == iso(NOW + timedelta(minutes=2))
    stored = content_now(content.content_id)
    assert stored.site_status == "scheduled" and stored.enqueued_for == stored.scheduled_publish_at
    assert not due_index_holds(content.content_id)
    [record] = records_of(content.content_id)
    assert record.status == "pending" and record.metadata["scheduled_for"] == stored.scheduled_publish_at
    assert receive(aws) == []  # SQS holds it back until its time


def test_given_content_due_after_the_next_run_then_it_waits_for_that_run(aws, site):
    later = scheduled(site, NOW + timedelta(minutes=20))

    summary = run_job(JOB, NOW)

    assert summary["enqueued"] == 0
    assert content_now(later.content_id).enqueued_for is None and records_of(later.content_id) == []


def test_given_a_second_run_then_nothing_is_enqueued_twice(aws, site):
    scheduled(site, NOW + timedelta(minutes=1))
    batches = sent_batches()

    first, second = run_job(JOB, NOW), run_job(JOB, NOW + timedelta(seconds=30))

    assert (first["enqueued"], second["enqueued"]) == (1, 0)
    assert len(batches) == 1


def test_given_overlapping_runs_then_each_item_is_enqueued_exactly_once(aws, site):
    items = [scheduled(site, NOW + timedelta(minutes=minute)) for minute in (1, 2, 3)]
    batches = sent_batches()
    summaries: list[dict] = []
    gate = threading.Barrier(4)

    def run() -> None:
        gate.wait(timeout=30)
        summaries.append(run_job(JOB, NOW))

    with atomic_moto_writes():
        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sum(summary["enqueued"] for summary in summaries) == 3
    sent = [json.loads(entry["MessageBody"])["content_id"] for batch in batches for entry in batch["Entries"]]
    assert sorted(sent) == sorted(item.content_id for item in items)
    assert all(len(records_of(item.content_id)) == 1 for item in items)


def test_given_handed_over_content_when_its_message_arrives_then_it_is_published_with_its_lateness(aws, site):
    now = datetime.now(UTC).replace(microsecond=0)  # SQS delays on wall-clock time: due already
    content = scheduled(site, now - timedelta(seconds=10))
    run_job(JOB, now)
    messages = receive(aws)
    assert len(messages) == 1
    remote = RemoteSite()

    invoke_worker(
        aws,
        messages,
        PublishWorker(factory=recording_factory(remote), clock=lambda: now + timedelta(seconds=3)),
    )

    [record] = records_of(content.content_id)
    assert record.status == "published" and record.metadata["lateness_seconds"] == 13.0
    assert content_now(content.content_id).site_status == "published"
    assert [name for name, _ in remote.calls] == ["find", "create"]


# --- missed slots ------------------------------------------------------------------------------


def policy(site_id: str, name: str) -> None:
    reply = call(
        "PUT",
        f"/api/v1/sites/{site_id}/publishing-settings/",
        token=owner_token(),
        body={
            "missed_schedule_policy": name,
            "publish_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "publish_time_slots": [{"start": "00:00", "end": "23:59"}],
            "daily_publish_limit": None,
            "weekly_publish_limit": None,
            "monthly_publish_limit": None,
        },
    )
    assert reply.status == 200, reply.body


def test_given_a_missed_slot_and_publish_late_then_it_is_enqueued_now(aws, site, capsys):
    policy(site["id"], "publish_late")
    content = scheduled(site, NOW - timedelta(minutes=40))
    batches = sent_batches()

    summary = run_job(JOB, NOW)

    assert (summary["enqueued"], summary["late"]) == (1, 1)
    assert batches[0]["Entries"][0]["DelaySeconds"] == 0
    assert content_now(content.content_id).enqueued_for is not None
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [metrics["HandoverLateness"] for metrics in emitted if "HandoverLateness" in metrics] == [[2400.0]]


def test_given_a_missed_slot_and_hold_then_the_content_fails_and_nothing_is_sent(aws, site):
    policy(site["id"], "hold")
    content = scheduled(site, NOW - timedelta(minutes=40))
    batches = sent_batches()

    summary = run_job(JOB, NOW)

    assert summary["held"] == 1 and batches == []
    stored = content_now(content.content_id)
    assert (stored.site_status, stored.last_error) == ("failed", HELD)
    assert stored.scheduled_publish_at == iso(
        NOW - timedelta(minutes=40)
    )  # its place is kept until rescheduled
    assert not due_index_holds(content.content_id)


def test_given_a_missed_slot_and_next_slot_then_it_moves_to_the_next_free_slot(aws, site):
    policy(site["id"], "next_slot")
    content = scheduled(site, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
    now = datetime.now(UTC).replace(microsecond=0)

    summary = run_job(JOB, now)

    assert summary["rescheduled"] == 1
    stored = content_now(content.content_id)
    assert stored.site_status == "scheduled" and parse_iso(stored.scheduled_publish_at) > now
    assert stored.enqueued_for is None and due_index_holds(content.content_id)
    assert records_of(content.content_id) == []


def test_given_a_due_item_of_a_site_without_integrations_then_it_fails_with_the_reason(aws):
    site = create_site(slug="bare")
    content = scheduled(site, NOW + timedelta(minutes=1))

    summary = run_job(JOB, NOW)

    assert summary["failed"] == 1
    stored = content_now(content.content_id)
    assert (stored.site_status, stored.last_error) == ("failed", NO_INTEGRATION)
