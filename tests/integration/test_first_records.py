"""Content handed over for the first time needs no Query of its records: it is created marked
`no_records`, and its first records are written in one transaction with the mark's removal, on the
condition that the mark is still there. A record written meanwhile by anyone else (another
hand-over, publish-now, POST /records/) makes a writer that read the content before it a
Conflict, never a second record for a destination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.errors import Conflict
from publisher.services.publishing import Dispatch, enabled_integrations, write_records
from publisher.timeutil import iso
from tests.integration.publishing_support import content_now, records_of, run_job
from tests.integration.scheduling_support import create_content, schedule
from tests.support.apigw import call
from tests.support.aws_calls import record_calls

JOB = "ProcessScheduledPublicationsFunction"


def a_time(**delta) -> datetime:
    return (datetime.now(UTC) + timedelta(days=1, **delta)).replace(microsecond=0)


def scheduled(owner: str, site: dict, when: datetime) -> dict:
    item = create_content(owner, site["id"], status="approved")
    reply = schedule(owner, item["id"], {"scheduled_publish_at": iso(when)})
    assert reply.status == 200, reply.body
    return item


def record_outside(owner: str, content_id: str) -> None:
    """POST /records/: a post made outside Publisher, published at the webhook as post-7."""
    made = {
        "content_id": content_id,
        "destination": "webhook",
        "status": "published",
        "external_id": "post-7",
    }
    assert call("POST", "/api/v1/publisher/records/", token=owner, body=made).status == 201


def records_queries(calls) -> list[dict]:
    return [params for params in calls.of("Query") if params.get("IndexName") == "content-index"]


def test_given_new_content_when_handed_over_then_its_records_are_not_queried_and_the_mark_goes(
    aws, owner, webhook_site, monkeypatch
):
    when = a_time()
    item = scheduled(owner, webhook_site, when)
    assert content_now(item["id"]).no_records is True
    calls = record_calls(monkeypatch, service="dynamodb")

    summary = run_job(JOB, when - timedelta(minutes=2))

    assert summary["enqueued"] == 1
    assert records_queries(calls) == []
    [record] = records_of(item["id"])
    assert (record.destination, record.status) == ("webhook", "pending")
    assert content_now(item["id"]).no_records is None


def test_given_a_record_written_after_the_content_was_read_then_writing_from_that_read_is_a_conflict(
    aws, owner, webhook_site
):
    when = a_time()
    item = scheduled(owner, webhook_site, when)
    read_before = content_now(item["id"])
    record_outside(owner, item["id"])
    assert content_now(item["id"]).no_records is None

    targets = enabled_integrations(webhook_site["id"], None)
    with pytest.raises(Conflict):
        write_records(read_before, targets, Dispatch(scheduled_for=iso(when)), now=when)

    [record] = records_of(item["id"])
    assert record.external_id == "post-7"


def test_given_an_external_record_when_the_content_is_handed_over_then_that_record_is_reused(
    aws, owner, webhook_site, monkeypatch
):
    when = a_time()
    item = scheduled(owner, webhook_site, when)
    record_outside(owner, item["id"])
    calls = record_calls(monkeypatch, service="dynamodb")

    summary = run_job(JOB, when - timedelta(minutes=2))

    assert summary["enqueued"] == 1
    assert len(records_queries(calls)) == 1  # without the mark, the hand-over reads the records
    [record] = records_of(item["id"])  # one record per destination: the external one, sent again
    assert (record.external_id, record.metadata["scheduled_for"]) == ("post-7", iso(when))
