"""WorkQueue in tests: deliver its messages to WorkUnitsFunction as Lambda's poller does (receive a
batch, invoke, delete what the handler did not report as failed), on moto's real SQS."""

from __future__ import annotations

from typing import Any

from local.aws import Stack
from local.events import sqs_event
from tests.support.handlers import FakeLambdaContext, load_handler_module

QUEUE = "WorkQueue"


def work_queue_arn(stack: Stack) -> str:
    return f"arn:aws:sqs:us-east-1:123456789012:{stack.queue_urls[QUEUE].rsplit('/', 1)[1]}"


def receive_work(stack: Stack, count: int = 10) -> list[dict[str, Any]]:
    reply = stack.client("sqs").receive_message(
        QueueUrl=stack.queue_urls[QUEUE],
        MaxNumberOfMessages=count,
        WaitTimeSeconds=0,
        AttributeNames=["All"],
    )
    return reply.get("Messages", [])


def invoke_units(stack: Stack, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One WorkUnitsFunction invocation with these messages; deletes the ones that succeeded."""
    handler = load_handler_module("WorkUnitsFunction").lambda_handler
    reply = handler(sqs_event(messages, work_queue_arn(stack)), FakeLambdaContext())
    failed = {item["itemIdentifier"] for item in reply["batchItemFailures"]}
    sqs = stack.client("sqs")
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=stack.queue_urls[QUEUE], ReceiptHandle=message["ReceiptHandle"])
    return reply


def drain_work(stack: Stack, max_batches: int = 1000) -> int:
    """Run WorkQueue's visible units (and the continuations they enqueue) until none is visible;
    the number of messages delivered. Failed units stay invisible for the visibility timeout."""
    delivered = 0
    for _ in range(max_batches):
        messages = receive_work(stack)
        if not messages:
            return delivered
        invoke_units(stack, messages)
        delivered += len(messages)
    raise AssertionError(f"WorkQueue still had units after {max_batches} batches")
