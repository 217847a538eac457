"""WorkQueue in tests: deliver its messages to the units as Lambda's poller and WorkUnitsFunction
do (receive a batch, run each unit, delete what succeeded), on moto's real SQS."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable
from typing import Any

import boto3

from local.aws import Stack
from local.events import sqs_event
from publisher.services import work
from tests.support.handlers import FakeLambdaContext, load_handler_module

QUEUE = "WorkQueue"
log = logging.getLogger(__name__)


def _queue(stack: Stack | None) -> tuple[Any, str]:
    """The SQS client and WorkQueue's URL: the stack's, or the functions' environment's (a client
    of its own, so tests that watch the code's client do not see the poller's calls)."""
    if stack is not None:
        return stack.client("sqs"), stack.queue_urls[QUEUE]
    return boto3.client("sqs"), os.environ["WORK_QUEUE_URL"]


def work_queue_arn(stack: Stack) -> str:
    return f"arn:aws:sqs:us-east-1:123456789012:{stack.queue_urls[QUEUE].rsplit('/', 1)[1]}"


def receive_work(stack: Stack | None = None, count: int = 10) -> list[dict[str, Any]]:
    sqs, url = _queue(stack)
    reply = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=count, WaitTimeSeconds=0, AttributeNames=["All"]
    )
    return reply.get("Messages", [])


def invoke_units(stack: Stack, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One WorkUnitsFunction invocation with these messages; deletes the ones that succeeded."""
    handler = load_handler_module("WorkUnitsFunction").lambda_handler
    reply = handler(sqs_event(messages, work_queue_arn(stack)), FakeLambdaContext())
    failed = {item["itemIdentifier"] for item in reply["batchItemFailures"]}
    sqs, url = _queue(stack)
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return reply


def drain_work(stack: Stack | None = None, max_batches: int = 1000) -> int:
    """Run WorkQueue's visible units (and the continuations they enqueue) until none is visible;
    the number of messages delivered."""
    return len(run_units(stack, max_batches))


def run_units(stack: Stack | None = None, max_batches: int = 1000) -> list[Any]:
    """Run WorkQueue's visible units (and the continuations they enqueue) until none is visible,
    each as WorkUnitsFunction runs it (work.run, then its metrics flushed); what each unit
    returned. A unit that raises stays on the queue (invisible for its visibility timeout)."""
    metrics = load_handler_module("WorkUnitsFunction").metrics  # importing it registers its units
    sqs, url = _queue(stack)
    results: list[Any] = []
    for _ in range(max_batches):
        messages = receive_work(stack)
        if not messages:
            return results
        for message in messages:
            try:
                results.append(work.run(json.loads(message["Body"])))
            except Exception:
                log.warning("unit failed; it stays on WorkQueue", exc_info=True)
                continue
            finally:
                if metrics.metric_set:
                    metrics.flush_metrics()
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError(f"WorkQueue still had units after {max_batches} batches")


def totals(results: Iterable[Any]) -> dict[str, int]:
    """The units' summaries added up, key by key."""
    summed: Counter[str] = Counter()
    for result in results:
        if isinstance(result, dict):
            summed.update({key: value for key, value in result.items() if isinstance(value, int)})
    return dict(summed)
