"""The 5-minute job's messages go 10 to a SendMessageBatch call (`publishing.Outbox`), each delay
counted when its batch is sent; a batch the queue cannot take is logged, not raised, and its
records stay pending with a deadline, which the cleanup job resends from."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from publisher import bootstrap
from publisher.domain.publishing import QUEUE_DEADLINE
from publisher.services.handover import HandoverSummary, hand_over_one
from publisher.services.process_scheduled import hand_over_due
from publisher.services.publishing import Outbox
from publisher.store.models import DUE_SHARDS
from publisher.timeutil import iso
from tests.integration.publishing_support import make_content, records_of

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def publish_batches() -> list[list[dict]]:
    """The entries of every SendMessageBatch to PublishQueue from now on."""
    batches: list[list[dict]] = []

    def remember(params, **_) -> None:
        if params["QueueUrl"] == os.environ["PUBLISH_QUEUE_URL"]:
            batches.append(params["Entries"])

    bootstrap.aws_client("sqs").meta.events.register("provide-client-params.sqs.SendMessageBatch", remember)
    return batches


def test_given_twelve_items_handed_over_through_one_outbox_then_two_calls_carry_their_messages(
    aws, webhook_site
):
    due = NOW + timedelta(minutes=3)
    items = [
        make_content(webhook_site, site_status="scheduled", scheduled_publish_at=iso(due)) for _ in range(12)
    ]
    batches = publish_batches()
    seconds = iter(range(0, 1000, 5))  # the clock: 5 s further on each time it is read
    outbox = Outbox(lambda: NOW + timedelta(seconds=next(seconds)))
    summary = HandoverSummary()

    for content in items:
        hand_over_one(content, NOW, outbox.clock, {}, summary, outbox=outbox)
        if summary.enqueued < 10:
            assert batches == []  # held until ten are waiting
    outbox.flush()

    assert summary.enqueued == 12
    assert [len(batch) for batch in batches] == [10, 2]
    sent_to = {json.loads(entry["MessageBody"])["content_id"] for batch in batches for entry in batch}
    assert sent_to == {content.content_id for content in items}
    # counted when each batch went: after 10 and 12 hand-overs (the clock read once per hand-over
    # and once per send), never from the first hand-over's time
    assert {entry["DelaySeconds"] for entry in batches[0]} == {180 - 5 * 10}
    assert {entry["DelaySeconds"] for entry in batches[1]} == {180 - 5 * 13}


def test_given_the_queue_failing_when_a_page_is_handed_over_then_the_run_goes_on_and_the_records_wait(
    aws, webhook_site
):
    due = NOW + timedelta(minutes=2)
    items = [
        make_content(webhook_site, site_status="scheduled", scheduled_publish_at=iso(due)) for _ in range(3)
    ]

    def refuse(params, **_) -> None:
        if params["QueueUrl"] == os.environ["PUBLISH_QUEUE_URL"]:
            raise ClientError(
                {"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessageBatch"
            )

    bootstrap.aws_client("sqs").meta.events.register("provide-client-params.sqs.SendMessageBatch", refuse)
    enqueued = 0
    for shard in range(DUE_SHARDS):
        summary, _ = hand_over_due(shard, iso(NOW + timedelta(minutes=6)), NOW, lambda: NOW)
        enqueued += summary.enqueued
        assert summary.errors == 0

    assert enqueued == 3
    for content in items:
        [record] = records_of(content.content_id)
        assert record.status == "pending"
        assert record.next_retry_at == iso(due + QUEUE_DEADLINE)  # the cleanup job resends from then
