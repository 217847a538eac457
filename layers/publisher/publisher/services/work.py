"""Queued work: bounded units of work run on WorkQueue (functions/work_units).

A job or a request that has more to do than one invocation should do enqueues units and returns.
A unit is a registered handler for one `kind` of message, `{"kind": ..., "payload": {...}}`:

    @unit("schedule-site")
    def schedule_site(payload: dict) -> None: ...

    enqueue("schedule-site", {"site_id": site_id})

A unit does a bounded amount of work; one that has more to do enqueues its own continuation
with a cursor in the payload (it never loops unbounded). SQS delivers at least once, so a unit
run twice must be harmless (the state it writes is conditional, as the hand-over's mark is).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from aws_lambda_powertools import Logger

from publisher.aws import aws_client
from publisher.config import work_queue_url

logger = Logger()

Unit = Callable[[dict[str, Any]], Any]
"""`handler(payload)`; what it returns (a summary, or None) is what `run` returns."""
MAX_DELAY_SECONDS = 900  # SQS's DelaySeconds limit

_units: dict[str, Unit] = {}


def unit(kind: str) -> Callable[[Unit], Unit]:
    """Register `handler(payload)` as the unit that runs messages of `kind`."""

    def register(handler: Unit) -> Unit:
        if _units.get(kind, handler) is not handler:
            raise ValueError(f"a unit of kind {kind!r} is already registered")
        _units[kind] = handler
        return handler

    return register


def registered_kinds() -> frozenset[str]:
    return frozenset(_units)


def _body(kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"kind": kind, "payload": payload}, separators=(",", ":"), sort_keys=True)


def _delay(delay_seconds: int) -> int:
    if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
        raise ValueError(f"delay_seconds must be 0..{MAX_DELAY_SECONDS}, not {delay_seconds}")
    return delay_seconds


def enqueue(kind: str, payload: dict[str, Any], *, delay_seconds: int = 0) -> None:
    """Send one unit of work to WorkQueue."""
    aws_client("sqs").send_message(
        QueueUrl=work_queue_url(), MessageBody=_body(kind, payload), DelaySeconds=_delay(delay_seconds)
    )


def enqueue_many(kind: str, payloads: Iterable[dict[str, Any]]) -> int:
    """Send units of one kind (SendMessageBatch, 10 a call); the number sent. A message the queue
    refuses raises, after the rest of its batch is sent: the caller fails and is retried, and the
    units already sent are harmless to run again."""
    sqs, queue_url = aws_client("sqs"), work_queue_url()
    batch: list[dict[str, Any]] = []
    sent = refused = 0

    def flush() -> None:
        nonlocal sent, refused
        if batch:
            reply = sqs.send_message_batch(QueueUrl=queue_url, Entries=batch)
            refused += len(reply.get("Failed") or [])
            sent += len(reply.get("Successful") or [])
            batch.clear()

    for payload in payloads:
        batch.append({"Id": str(len(batch)), "MessageBody": _body(kind, payload)})
        if len(batch) == 10:
            flush()
    flush()
    if refused:
        raise RuntimeError(f"WorkQueue refused {refused} of {sent + refused} {kind} units")
    return sent


def run(body: dict[str, Any]) -> Any:
    """Run the unit a message names; its result (a summary, or None). An unknown kind (or a body
    that is not a unit) is logged and dropped: retrying it could never succeed. The unit's own
    exceptions propagate (the message comes back, then goes to the dead-letter queue)."""
    kind, payload = body.get("kind"), body.get("payload")
    handler = _units.get(kind) if isinstance(kind, str) else None
    if handler is None or not isinstance(payload, dict):
        logger.error("work message dropped: no such unit", extra={"kind": str(kind)[:100]})
        return None
    return handler(payload)
