"""CleanupFailedPublications on moto: failed publications retried with backoff up to a limit,
stuck claims recovered, lost messages resent, stale records dropped — found through the sparse
retry index, never a Scan. The job runs through its handler with the EventBridge event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from publisher.domain.publishing import MAX_CLEANUP_RETRIES
from publisher.services.cleanup import STUCK
from publisher.services.worker import PublishWorker
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    RemoteSite,
    content_now,
    invoke_worker,
    make_content,
    owner_token,
    put_integration,
    receive,
    record_now,
    recording_factory,
    records_of,
    run_job,
)
from tests.support.apigw import call
from tests.support.aws_calls import record_calls

JOB = "CleanupFailedPublicationsFunction"


@pytest.fixture
def site(webhook_site):
    """Every test here publishes through a webhook integration."""
    return webhook_site


def published_now(site: dict, aws) -> tuple[Any, str]:
    """Content handed to the queue by the API, its message then lost: (content, record id)."""
    content = make_content(site)
    reply = call(
        "POST", "/api/v1/publisher/publish/", token=owner_token(), body={"content_id": content.content_id}
    )
    assert reply.status == 202
    receive(aws)  # the message goes missing
    return content, reply.json["data"]["records"][0]["id"]


def force(model: Any, **fields: Any) -> None:
    """Put a stored item into a state the pipeline reaches over hours (derived keys kept right)."""
    for name, value in fields.items():
        setattr(model, name, value)
    model.refresh_index_keys()
    model.save()


def failed_for_good(aws, site: dict, *, retries_done: int = 0, hours_ago: int = 30) -> tuple[Any, str]:
    content, record_id = published_now(site, aws)
    past = datetime.now(UTC) - timedelta(hours=hours_ago)
    force(
        record_now(record_id),
        status="failed",
        attempts=5,
        error="gave up after 5 attempts; in the DLQ: 503",
        next_retry_at=iso(past),
        metadata={"cleanup_retries": retries_done},
    )
    force(content_now(content.content_id), site_status="failed", last_error="503")
    return content, record_id


def later() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=1)


def test_given_a_failed_publication_due_for_a_retry_then_it_goes_back_through_the_queue(aws, site):
    content, record_id = failed_for_good(aws, site)

    summary = run_job(JOB, later())

    assert summary["retried"] == 1
    [message] = receive(aws)
    body = json.loads(message["Body"])
    assert (body["record_id"], body["scheduled_for"]) == (record_id, None)
    record = record_now(record_id)
    assert record.status == "failed" and record.metadata["cleanup_retries"] == 1
    assert content_now(content.content_id).site_status == "publishing"
    invoke_worker(aws, [message], PublishWorker(factory=recording_factory(RemoteSite())))
    assert record_now(record_id).status == "published"
    assert content_now(content.content_id).site_status == "published"


def test_given_the_retries_are_used_up_then_the_record_stays_failed_with_the_reason(aws, site):
    _, record_id = failed_for_good(aws, site, retries_done=MAX_CLEANUP_RETRIES)

    summary = run_job(JOB, later())

    assert summary["given_up"] == 1 and receive(aws) == []
    record = record_now(record_id)
    assert record.status == "failed" and record.next_retry_at is None and record.retry_shard is None
    assert record.error.endswith(f"gave up after {MAX_CLEANUP_RETRIES} automatic retries")
    assert run_job(JOB, later())["given_up"] == 0  # out of the retry index for good


def test_given_a_retry_not_yet_due_then_nothing_happens(aws, site):
    failed_for_good(aws, site, hours_ago=-6)  # due in six hours

    summary = run_job(JOB, later())

    assert summary == {
        "retried": 0,
        "resent": 0,
        "recovered": 0,
        "given_up": 0,
        "dropped": 0,
        "skipped": 0,
        "errors": 0,
        "paused": 0,
    }
    assert receive(aws) == []


def test_given_a_claim_stuck_for_over_30_minutes_then_it_is_recovered_and_retried(aws, site):
    content, record_id = published_now(site, aws)
    claimed = datetime.now(UTC) - timedelta(minutes=45)
    force(
        record_now(record_id),
        status="publishing",
        attempts=1,
        updated_at=iso(claimed),
        next_retry_at=iso(claimed + timedelta(minutes=2)),
    )

    summary = run_job(JOB, later())

    assert (summary["recovered"], summary["retried"]) == (1, 1)
    record = record_now(record_id)
    assert (record.status, record.error) == ("failed", STUCK)
    assert [json.loads(m["Body"])["record_id"] for m in receive(aws)] == [record_id]
    assert content_now(content.content_id).site_status == "publishing"


def test_given_a_claim_younger_than_30_minutes_then_it_is_left_to_its_redelivery(aws, site):
    _, record_id = published_now(site, aws)
    claimed = datetime.now(UTC) - timedelta(minutes=10)
    force(
        record_now(record_id),
        status="publishing",
        attempts=1,
        updated_at=iso(claimed),
        next_retry_at=iso(claimed + timedelta(minutes=2)),
    )

    summary = run_job(JOB, later())

    assert summary["skipped"] == 1 and summary["recovered"] == 0
    assert record_now(record_id).status == "publishing" and receive(aws) == []


def test_given_a_pending_record_whose_message_was_lost_then_the_message_is_sent_again(aws, site):
    _, record_id = published_now(site, aws)

    summary = run_job(JOB, datetime.now(UTC) + timedelta(hours=2))  # past the record's deadline

    assert summary["resent"] == 1
    assert [json.loads(m["Body"])["record_id"] for m in receive(aws)] == [record_id]


def test_given_a_pending_record_of_content_that_moved_on_then_it_is_dropped(aws, site):
    content, _ = published_now(site, aws)
    force(content_now(content.content_id), site_status="not_published", scheduled_publish_at=None)

    summary = run_job(JOB, datetime.now(UTC) + timedelta(hours=2))

    assert summary["dropped"] == 1 and records_of(content.content_id) == []
    assert receive(aws) == []


def test_given_a_permanent_failure_then_cleanup_never_retries_it(aws, site):
    _, record_id = published_now(site, aws)
    force(
        record_now(record_id),
        status="failed",
        error="The destination refused the credentials.",
        next_retry_at=None,
    )

    summary = run_job(JOB, datetime.now(UTC) + timedelta(days=30))

    assert summary["retried"] == summary["resent"] == 0
    assert record_now(record_id).error == "The destination refused the credentials."


def test_given_a_disabled_integration_then_the_failure_is_settled_with_the_reason(aws, site):
    _, record_id = failed_for_good(aws, site)
    put_integration(
        site["id"], "webhook", {"enabled": False, "config": {"url": "https://hooks.example.com/publisher"}}
    )

    summary = run_job(JOB, later())

    assert summary["given_up"] == 1 and receive(aws) == []
    record = record_now(record_id)
    assert "integration is disabled" in record.error and record.next_retry_at is None


def test_given_the_content_changes_while_a_retry_is_handed_over_then_it_counts_as_skipped_not_retried(
    aws, site, monkeypatch
):
    from publisher.services import cleanup

    content, record_id = failed_for_good(aws, site)
    real_write = cleanup.write_records

    def racing_write(*args, **kwargs):
        force(content_now(content.content_id), site_status_updated_at=iso(later()))  # an edit wins
        return real_write(*args, **kwargs)

    monkeypatch.setattr(cleanup, "write_records", racing_write)

    summary = run_job(JOB, later())

    assert (summary["retried"], summary["skipped"]) == (0, 1)
    assert receive(aws) == []
    assert record_now(record_id).metadata.get("cleanup_retries", 0) == 0


def test_given_a_lost_message_whose_record_changes_meanwhile_then_it_counts_as_skipped_not_resent(
    aws, site, monkeypatch
):
    from publisher.services import publishing

    _, record_id = published_now(site, aws)
    real_write = publishing.write_together

    def racing_write(**kwargs):
        force(record_now(record_id), updated_at=iso(later()))  # the record moved on after it was read
        return real_write(**kwargs)

    monkeypatch.setattr(publishing, "write_together", racing_write)

    summary = run_job(JOB, datetime.now(UTC) + timedelta(hours=2))

    assert (summary["resent"], summary["skipped"]) == (0, 1)
    assert receive(aws) == []


def test_given_a_retry_then_the_content_records_are_queried_once(aws, site, monkeypatch):
    """The unit reads the content's records once and hands that reading to the retry's hand-over
    (it queried them twice: once to check the record is current, once to plan the retry)."""
    failed_for_good(aws, site)
    sent = record_calls(monkeypatch, "dynamodb")

    summary = run_job(JOB, later())

    queries = [
        params["TableName"] for params in sent.of("Query") if params.get("IndexName") == "content-index"
    ]
    assert summary["retried"] == 1
    assert len(queries) == 1 and queries[0].endswith("records"), queries


def test_given_a_retry_then_site_and_integrations_come_with_the_page_and_no_body_is_read(
    aws, site, monkeypatch
):
    """A unit reads its page's sites and their integrations by key at once (no GetItem of the site
    and no Query of its integrations per record), and the page's content together, without bodies
    (a retry's records and message need none)."""
    from publisher.store import content as content_store

    content, _ = failed_for_good(aws, site)
    assert content_store.move_body_apart(content_now(content.content_id))  # as the API writes it
    sent = record_calls(monkeypatch, "dynamodb")

    summary = run_job(JOB, later())

    assert summary["retried"] == 1
    print(f"cleanup, one retried record: {sent.count()} DynamoDB calls {sorted(sent.operations)}")
    got = [(params["TableName"], json.dumps(params["Key"])) for params in sent.of("GetItem")]
    assert not [table for table, _ in got if table.endswith("-sites")], got
    assert not [key for _, key in got if "body#" in key], got
    assert not [table for table, _ in got if table.endswith("-content")], got  # read with the page
    read_together = [list(params["RequestItems"]) for params in sent.of("BatchGetItem")]
    assert [tables for tables in read_together if any(t.endswith("-content") for t in tables)], read_together
    queried = [params["TableName"] for params in sent.of("Query")]
    assert not [table for table in queried if table.endswith("-integrations")], queried


def test_given_twelve_retries_then_each_pages_messages_go_together(aws, site, monkeypatch):
    """A unit's messages go 10 to a SendMessageBatch call (one per retry before): as many calls
    as the shards' pages need."""
    import math
    import os
    from collections import Counter

    from publisher.store.models import DUE_SHARDS, shard_of
    from tests.integration.scheduling_support import put_settings

    put_settings(
        owner_token(), site["id"], daily_publish_limit=20, weekly_publish_limit=50, monthly_publish_limit=100
    )
    record_ids = [failed_for_good(aws, site)[1] for _ in range(12)]
    sent = record_calls(monkeypatch, "sqs")

    summary = run_job(JOB, later())

    assert summary["retried"] == 12
    publish = [
        params
        for params in sent.of("SendMessageBatch")
        if params["QueueUrl"] == os.environ["PUBLISH_QUEUE_URL"]
    ]
    messages = [
        json.loads(entry["MessageBody"])["record_id"] for call in publish for entry in call["Entries"]
    ]
    assert sorted(messages) == sorted(record_ids)
    per_shard = Counter(shard_of(record_id, DUE_SHARDS) for record_id in record_ids)
    assert len(publish) == sum(math.ceil(count / 10) for count in per_shard.values()) < 12
