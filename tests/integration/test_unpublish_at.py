"""Scheduled unpublishing: content takes `unpublish_at` (a future time; null clears it); the
5-minute job hands each content due before its next run to the queue, delayed until that time,
exactly once (the sparse unpublish index, a conditional mark); the worker then retracts every
published record, settles the content not_published and clears `unpublish_at`. Each step is in the
content's history and the worker emits `content.unpublished`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from publisher import bootstrap
from publisher.domain.publishing import UnpublishMessage
from publisher.services.worker import Delivery, PublishWorker
from publisher.store.models import ContentModel
from publisher.timeutil import iso, parse_iso
from tests.integration.publishing_support import (
    RemoteSite,
    content_now,
    drain,
    receive,
    recording_factory,
    records_of,
    run_job,
    tap_events,
)
from tests.integration.scheduling_support import create_content, snapshot
from tests.support.apigw import call
from tests.support.fixtures import token

JOB = "ProcessScheduledPublicationsFunction"


def patch(tok, content_id, body):
    return call("PATCH", f"/api/v1/content/{content_id}/", token=tok, body=body)


def history(tok, content_id) -> list[dict]:
    return call("GET", f"/api/v1/content/{content_id}/history/", token=tok).json["data"]


def sent_messages() -> list[dict]:
    """The SendMessage calls the code makes from now on (a delayed message is not visible yet)."""
    sent: list[dict] = []
    bootstrap.aws_client("sqs").meta.events.register(
        "provide-client-params.sqs.SendMessage", lambda params, **_: sent.append(dict(params))
    )
    return sent


def in_unpublish_index(content_id: str) -> bool:
    return any(
        item.content_id == content_id
        for shard in range(8)
        for item in ContentModel.unpublish_index.query(str(shard))
    )


def a_time(**delta) -> datetime:
    return (datetime.now(UTC) + timedelta(**delta)).replace(microsecond=0)


@pytest.fixture
def remote():
    return RemoteSite()


@pytest.fixture
def published(aws, owner, webhook_site, remote):
    """Approved content published to the site's webhook integration (a recording fake)."""
    item = create_content(owner, webhook_site["id"], status="approved")
    reply = call("POST", "/api/v1/publisher/publish/", token=owner, body={"content_id": item["id"]})
    assert reply.status == 202, reply.body
    drain(aws, PublishWorker(factory=recording_factory(remote)))
    assert content_now(item["id"]).site_status == "published" and len(remote.posts) == 1
    return item


# --- the field ------------------------------------------------------------------------------


def test_given_a_future_time_when_patching_then_it_is_kept_in_utc_and_in_history(aws, owner, webhook_site):
    item = create_content(owner, webhook_site["id"])
    when = a_time(days=2).replace(hour=10, minute=30, second=0)

    reply = patch(owner, item["id"], {"unpublish_at": when.isoformat().replace("+00:00", "+02:00")})

    assert reply.status == 200, reply.body
    expected = iso(when - timedelta(hours=2))
    assert reply.json["data"]["unpublish_at"] == expected
    assert in_unpublish_index(item["id"])
    entry = history(owner, item["id"])[0]
    assert (entry["action"], entry["from"], entry["to"]) == ("schedule unpublish", None, expected)


def test_given_null_when_patching_then_it_is_cleared_and_leaves_the_index(aws, owner, webhook_site):
    item = create_content(owner, webhook_site["id"], unpublish_at=iso(a_time(days=2)))
    assert in_unpublish_index(item["id"])

    reply = patch(owner, item["id"], {"unpublish_at": None})

    assert reply.status == 200, reply.body
    assert reply.json["data"]["unpublish_at"] is None
    assert not in_unpublish_index(item["id"])
    assert history(owner, item["id"])[0]["action"] == "clear unpublish"


@pytest.mark.parametrize(
    "when", [lambda: iso(a_time(minutes=-1)), lambda: "1999-12-31T00:00:00Z", lambda: "soon"]
)
def test_given_a_past_or_bad_time_then_422_and_nothing_written(aws, owner, webhook_site, when):
    item = create_content(owner, webhook_site["id"])
    before = snapshot(aws)

    reply = patch(owner, item["id"], {"unpublish_at": when()})
    created = call(
        "POST",
        "/api/v1/content/",
        token=owner,
        body={"site_id": webhook_site["id"], "title": "T", "unpublish_at": when()},
    )

    assert reply.status == 422 and created.status == 422, (reply.body, created.body)
    assert "unpublish_at" in reply.json["errors"] and "unpublish_at" in created.json["errors"]
    assert snapshot(aws) == before


def test_given_viewer_or_other_account_then_403_and_404(aws, owner, webhook_site):
    item = create_content(owner, webhook_site["id"])
    body = {"unpublish_at": iso(a_time(days=2))}

    assert patch(token("acct-1", "viewer"), item["id"], body).status == 403
    assert patch(token("acct-2", "owner"), item["id"], body).status == 404
    assert content_now(item["id"]).unpublish_at is None


# --- the job and the worker -----------------------------------------------------------------


def test_given_unpublish_due_in_two_minutes_when_the_job_runs_then_one_message_delayed_two_minutes(
    aws, owner, published
):
    when = a_time(days=1)
    assert patch(owner, published["id"], {"unpublish_at": iso(when)}).status == 200
    sent = sent_messages()

    summary = run_job(JOB, when - timedelta(minutes=2))
    again = run_job(JOB, when - timedelta(minutes=1))  # an overlapping run

    assert summary["unpublish_enqueued"] == 1 and again["unpublish_enqueued"] == 0
    [message] = sent
    assert message["DelaySeconds"] == 120
    assert json.loads(message["MessageBody"])["unpublish_at"] == iso(when)
    stored = content_now(published["id"])
    assert stored.unpublish_enqueued_for == iso(when) and stored.site_status == "published"
    assert not in_unpublish_index(published["id"])
    entry = history(owner, published["id"])[0]
    assert (entry["action"], entry["actor"]) == ("unpublish queued", "system:process-scheduled-publications")
    assert entry["detail"] == {"unpublish_at": iso(when), "delay_seconds": 120}


def test_given_unpublish_not_due_before_the_next_run_then_the_job_leaves_it(aws, owner, published):
    when = a_time(days=1)
    patch(owner, published["id"], {"unpublish_at": iso(when)})
    sent = sent_messages()

    summary = run_job(JOB, when - timedelta(minutes=10))

    assert summary["unpublish_enqueued"] == 0 and sent == []
    assert in_unpublish_index(published["id"])


def test_given_unpublish_time_reached_when_the_worker_runs_then_every_published_record_is_retracted(
    aws, owner, published, remote
):
    when = a_time(days=1)
    patch(owner, published["id"], {"unpublish_at": iso(when)})
    events = tap_events(aws)
    run_job(JOB, when)  # due now: delay 0, visible at once

    handled = drain(aws, PublishWorker(factory=recording_factory(remote)))

    assert handled == 1
    assert remote.posts == {} and remote.count("retract") == 1
    [record] = records_of(published["id"])
    assert record.status == "retracted"
    stored = content_now(published["id"])
    assert stored.site_status == "not_published" and stored.unpublish_at is None
    actions = [(e["action"], e["actor"]) for e in history(owner, published["id"])[:3]]
    assert actions == [
        ("clear unpublish", "system:publish-worker"),
        ("retract", "system:publish-worker"),
        ("unpublish queued", "system:process-scheduled-publications"),
    ]
    [event] = [e for e in events() if e["detail-type"] == "content.unpublished"]
    assert event["detail"]["retracted"] == [record.record_id] and event["detail"]["failed"] == []


def test_given_unpublish_time_changed_after_hand_over_then_the_old_message_does_nothing(
    aws, owner, published, remote
):
    when = a_time(days=1)
    patch(owner, published["id"], {"unpublish_at": iso(when)})
    run_job(JOB, when - timedelta(minutes=2))
    later = when + timedelta(days=1)
    assert patch(owner, published["id"], {"unpublish_at": iso(later)}).status == 200
    assert in_unpublish_index(published["id"])  # the new time waits for its own run
    old = UnpublishMessage(
        action="unpublish",
        content_id=published["id"],
        site_id=published["site_id"],
        account_id=published["account_id"],
        unpublish_at=iso(when),
        enqueued_at=iso(when - timedelta(minutes=2)),
    )

    outcome = PublishWorker(factory=recording_factory(remote)).process(Delivery(message=old))

    assert outcome == "skipped"
    assert len(remote.posts) == 1 and content_now(published["id"]).unpublish_at == iso(later)


def test_given_unpublish_minutes_ahead_when_patching_then_handed_over_at_once(aws, owner, published):
    sent = sent_messages()
    when = a_time(minutes=3)

    reply = patch(owner, published["id"], {"unpublish_at": iso(when)})

    assert reply.status == 200, reply.body
    [message] = sent
    assert 0 < message["DelaySeconds"] <= 180
    assert json.loads(message["MessageBody"])["action"] == "unpublish"
    assert content_now(published["id"]).unpublish_enqueued_for == iso(when)
    assert run_job(JOB, when - timedelta(minutes=1))["unpublish_enqueued"] == 0  # not twice
    assert receive(aws) == []  # still held back by SQS
    assert parse_iso(json.loads(message["MessageBody"])["unpublish_at"]) == when
