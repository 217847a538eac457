"""The queued-work seam (services/work.py, functions/work_units): units registered by kind, sent
to WorkQueue on moto's SQS, run by WorkUnitsFunction with partial batch failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.aws import Stack
from publisher.services import work
from tests.support.work_queue import drain_work, invoke_units, receive_work

RAN: list[tuple[str, dict[str, Any]]] = []
PAGE = 4  # items a paging unit handles before it enqueues its continuation


@work.unit("test-echo")
def echo(payload: dict[str, Any]) -> None:
    RAN.append(("test-echo", payload))


@work.unit("test-fails")
def fails(payload: dict[str, Any]) -> None:
    raise RuntimeError("this unit always fails")


@work.unit("test-pages")
def pages(payload: dict[str, Any]) -> None:
    """Handles up to PAGE items from the cursor, then hands the rest to its continuation."""
    cursor, total = payload["cursor"], payload["total"]
    end = min(cursor + PAGE, total)
    RAN.append(("test-pages", {"from": cursor, "to": end}))
    if end < total:
        work.enqueue("test-pages", {"cursor": end, "total": total})


@pytest.fixture(autouse=True)
def clear_runs() -> None:
    RAN.clear()


def test_an_enqueued_unit_runs_once_with_its_payload_and_leaves_the_queue(aws: Stack) -> None:
    work.enqueue("test-echo", {"site_id": "site-1", "n": 3})

    assert drain_work(aws) == 1
    assert RAN == [("test-echo", {"site_id": "site-1", "n": 3})]
    assert receive_work(aws) == []


def test_enqueue_many_sends_every_payload_in_batches_of_ten(aws: Stack) -> None:
    sent = work.enqueue_many("test-echo", ({"i": i} for i in range(23)))

    assert sent == 23
    assert drain_work(aws) == 23
    assert sorted(payload["i"] for _, payload in RAN) == list(range(23))


def test_a_unit_with_more_to_do_continues_from_its_cursor_instead_of_looping(aws: Stack) -> None:
    work.enqueue("test-pages", {"cursor": 0, "total": 10})

    assert drain_work(aws) == 3  # 0-4, 4-8, 8-10: one message each
    assert [payload for _, payload in RAN] == [
        {"from": 0, "to": 4},
        {"from": 4, "to": 8},
        {"from": 8, "to": 10},
    ]


def test_a_failing_unit_comes_back_alone_and_its_batch_neighbours_are_done(aws: Stack) -> None:
    work.enqueue("test-fails", {})
    work.enqueue("test-echo", {"ok": True})
    messages = receive_work(aws)
    assert len(messages) == 2

    reply = invoke_units(aws, messages)

    [failed] = [m for m in messages if json.loads(m["Body"])["kind"] == "test-fails"]
    assert reply["batchItemFailures"] == [{"itemIdentifier": failed["MessageId"]}]
    assert RAN == [("test-echo", {"ok": True})]


@pytest.mark.parametrize(
    "body", ['{"kind": "no-such-unit", "payload": {}}', "not json", '["a list"]', '{"kind": "test-echo"}']
)
def test_a_message_that_names_no_unit_is_dropped_not_retried(aws: Stack, body: str) -> None:
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=aws.queue_urls["WorkQueue"], MessageBody=body)
    messages = receive_work(aws)

    reply = invoke_units(aws, messages)

    assert reply["batchItemFailures"] == []
    assert RAN == []
    sqs.set_queue_attributes(QueueUrl=aws.queue_urls["WorkQueue"], Attributes={"VisibilityTimeout": "0"})
    assert receive_work(aws) == []  # deleted, so it never comes back


def test_a_kind_is_registered_once() -> None:
    with pytest.raises(ValueError, match="test-echo"):
        work.unit("test-echo")(lambda payload: None)
    assert {"test-echo", "test-fails", "test-pages"} <= work.registered_kinds()


def test_a_delay_beyond_what_sqs_allows_is_refused_before_sending(aws: Stack) -> None:
    with pytest.raises(ValueError, match="delay_seconds"):
        work.enqueue("test-echo", {}, delay_seconds=901)
    assert receive_work(aws) == []
