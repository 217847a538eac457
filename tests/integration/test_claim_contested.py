"""Two destinations of one scheduled content, their messages processed at the same moment: both
workers read the content as scheduled, the first claim moves it to publishing, and the second
claim, written against what it read, loses. The second worker reads again and claims its own
record (the content is now publishing for the same time): both destinations get the post at once,
not the second one hours later through the cleanup job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publisher.domain.publishing import PublishMessage
from publisher.services import worker as worker_module
from publisher.services.worker import CLAIM_READS, Delivery, PublishWorker
from publisher.timeutil import iso
from tests.integration.publishing_support import (
    RemoteSite,
    recording_factory,
    records_of,
    run_job,
)
from tests.integration.scheduling_support import create_content, schedule, stored_content
from tests.integration.test_schedule_destinations import sent_messages, site_with_two_destinations
from tests.support.apigw import call

JOB = "ProcessScheduledPublicationsFunction"


@pytest.fixture
def site(aws, owner):
    return site_with_two_destinations(aws, owner)


def handed_over(owner, site) -> tuple[str, list[Delivery]]:
    """Approved content scheduled in three days, handed over by the 5-minute job: one message
    per destination."""
    content = create_content(owner, site["id"], status="approved")
    when = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=7, second=0, microsecond=0)
    reply = schedule(owner, content["id"], {"scheduled_publish_at": iso(when)})
    assert reply.status == 200, reply.body
    sent = sent_messages()
    run_job(JOB, when - timedelta(minutes=2))
    assert len(sent) == 2
    messages = [PublishMessage.model_validate_json(entry["MessageBody"]) for entry in sent]
    return content["id"], [Delivery(message=message, receive_count=1) for message in messages]


def record_of(content_id: str, delivery: Delivery):
    destination = delivery.message.destination
    return next(record for record in records_of(content_id) if record.destination == destination)


def racing(monkeypatch, times: int, first: Delivery, remote: RemoteSite) -> list[str]:
    """Before the next `times` claim writes, another worker processes `first` in full: the claim
    then writes against content read before that worker moved it."""
    real = worker_module.write_together
    outcomes: list[str] = []

    def write_together(**kwargs):
        if len(outcomes) < times:
            outcomes.append("racing")
            outcomes[-1] = PublishWorker(factory=recording_factory(remote)).process(first)
        return real(**kwargs)

    monkeypatch.setattr(worker_module, "write_together", write_together)
    return outcomes


def test_given_two_destinations_when_the_second_claim_loses_to_the_first_then_it_reads_again_and_publishes(
    aws, owner, site, monkeypatch
):
    content_id, (first, second) = handed_over(owner, site)
    remote = RemoteSite()
    others = racing(monkeypatch, 1, first, remote)

    outcome = PublishWorker(factory=recording_factory(remote)).process(second)

    assert others == ["published"]
    assert outcome == "published"
    assert sorted(record.status for record in records_of(content_id)) == ["published", "published"]
    assert all(int(record.attempts) == 1 for record in records_of(content_id))
    assert [operation for operation, _ in remote.calls] == ["find", "create", "find", "update"]  # one remote
    assert stored_content(content_id).site_status == "published"
    # the first worker's claim moved the content; its settle waited for the other destination, so
    # that move's history entry was written on its own, and the second worker's settle wrote its own
    entries = call("GET", f"/api/v1/content/{content_id}/history/", token=owner).json["data"]
    moves = [(entry["from"], entry["to"]) for entry in entries]
    assert moves[:2] == [("publishing", "published"), ("scheduled", "publishing")]
    assert moves.count(("scheduled", "publishing")) == 1


def test_given_a_duplicate_delivery_when_its_claim_loses_then_it_is_a_no_op(aws, owner, site, monkeypatch):
    """The same message delivered twice: the loser reads again, finds the record claimed (a lease
    not yet expired) and does nothing; the post is sent once."""
    content_id, (first, _) = handed_over(owner, site)
    remote = RemoteSite()
    others = racing(monkeypatch, 1, first, remote)

    outcome = PublishWorker(factory=recording_factory(remote)).process(first)

    assert others == ["published"]
    assert outcome == "skipped"
    assert remote.count("create") == 1
    record = record_of(content_id, first)
    assert (record.status, int(record.attempts)) == ("published", 1)


def test_given_claims_that_keep_losing_then_the_reads_are_bounded(aws, owner, site, monkeypatch):
    """A claim that loses every time gives up after CLAIM_READS reads (the message is a no-op;
    the record's deadline brings the cleanup job to it)."""
    content_id, (_, second) = handed_over(owner, site)
    real = worker_module.write_together
    tries: list[int] = []

    def always_losing(**kwargs):
        tries.append(1)
        raise worker_module.Conflict("claimed elsewhere")

    monkeypatch.setattr(worker_module, "write_together", always_losing)
    outcome = PublishWorker(factory=recording_factory(RemoteSite())).process(second)
    monkeypatch.setattr(worker_module, "write_together", real)

    assert outcome == "skipped"
    assert len(tries) == CLAIM_READS
    record = record_of(content_id, second)
    assert (record.status, int(record.attempts)) == ("pending", 0)
