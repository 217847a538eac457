"""ProcessScheduledPublications' DelaySeconds on moto: rounded up to the whole second (a message
is never visible before its item's time) and counted from when each item is handed over (a long
run does not make the items it reaches last late by the time it took)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from publisher import bootstrap
from publisher.services import process_scheduled
from publisher.services.handover import LOOKAHEAD
from publisher.services.process_scheduled import hand_over_due
from publisher.store.models import DUE_SHARDS
from publisher.timeutil import iso
from tests.integration.publishing_support import make_content, run_job

JOB = "ProcessScheduledPublicationsFunction"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def site(webhook_site):
    """Every test here publishes through a webhook integration."""
    return webhook_site


def sent_delays() -> list[tuple[str, int]]:
    """(scheduled_for, DelaySeconds) of every message the code sends through its (real) SQS client."""
    sent: list[tuple[str, int]] = []

    def remember(params, **_) -> None:
        if params["QueueUrl"] != os.environ["PUBLISH_QUEUE_URL"]:
            return  # the job's units on WorkQueue
        for entry in params["Entries"]:
            sent.append((json.loads(entry["MessageBody"])["scheduled_for"], entry["DelaySeconds"]))

    bootstrap.aws_client("sqs").meta.events.register("provide-client-params.sqs.SendMessageBatch", remember)
    return sent


def ticking(step: float) -> Iterator[float]:
    """A run's timer that advances `step` seconds each time it is read."""
    reading = 0.0
    while True:
        yield reading
        reading += step


def test_given_a_fraction_of_a_second_left_when_handed_over_then_the_delay_is_rounded_up(
    aws, site, monkeypatch
):
    due = NOW + timedelta(minutes=2)
    make_content(site, site_status="scheduled", scheduled_publish_at=iso(due))
    sent = sent_delays()
    monkeypatch.setattr(process_scheduled, "wall_clock", lambda: 1_800_000_000.0)  # no time passes

    run_job(JOB, NOW - timedelta(milliseconds=400))  # 120.4 s before due

    assert sent == [(iso(due), 121)]  # visible 0.6 s after due; 120 would be 0.4 s before it


def test_given_a_run_that_takes_time_when_it_hands_over_then_each_delay_counts_from_when_it_is_sent(
    aws, site
):
    due = NOW + timedelta(minutes=2)
    for _ in range(3):  # straight into the table: three items of the same time, for the arithmetic
        make_content(site, site_status="scheduled", scheduled_publish_at=iso(due))
    sent = sent_delays()
    timer = ticking(step=2.0)  # the unit's clock: 2 s further on each time it is read
    next(timer)  # 0: the run's start
    readings: list[float] = []

    def clock() -> datetime:
        readings.append(next(timer))
        return NOW + timedelta(seconds=readings[-1])

    at_send: list[float] = []
    bootstrap.aws_client("sqs").meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: (
            at_send.extend([readings[-1]] * len(params["Entries"]))
            if params["QueueUrl"] == os.environ["PUBLISH_QUEUE_URL"]
            else None
        ),
    )

    enqueued = 0
    for shard in range(DUE_SHARDS):
        summary, rest = hand_over_due(shard, iso(NOW + LOOKAHEAD), NOW, clock)
        enqueued += summary.enqueued
        assert rest is None

    assert enqueued == 3 and len(sent) == len(at_send) == 3
    assert min(at_send) >= 4  # each one sent after its own hand-over (2 s) at least
    # counted from the clock when its batch was sent, not from the run's start: never late by the run
    assert [delay for _, delay in sent] == [120 - int(seconds) for seconds in at_send]
