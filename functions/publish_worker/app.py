"""Publish worker on PublishQueue: one message = one (content, destination), published exactly once.

Partial batch failures (ReportBatchItemFailures): a message that must come back is reported
alone; one bad record never fails the rest of its batch.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

# Imported before anything loads pydantic, the batch utility skips loading the models of every
# event type Powertools' parser knows (~0.25 s of a cold start); the worker parses the body alone.
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables of the first AWS call: pynamodb, botocore)
from publisher.bootstrap import deferred

if TYPE_CHECKING:
    from publisher.domain.publishing import PublishMessage, UnpublishMessage
    from publisher.services.worker import PublishWorker

# the worker's services and the messages' pydantic models: loaded by the first message
new_worker = deferred("publisher.services.worker", "PublishWorker")
new_delivery = deferred("publisher.services.worker", "Delivery")

logger = Logger()
metrics = Metrics()  # flushes what the services added (Powertools shares one metric set)

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def message_of(body: str) -> PublishMessage | UnpublishMessage:
    """A PublishQueue body: a publication of one (content, destination), or an unpublishing."""
    from publisher.domain.publishing import PublishMessage, UnpublishMessage

    fields = json.loads(body)
    if isinstance(fields, dict) and fields.get("action") == "unpublish":
        return UnpublishMessage.model_validate(fields)
    return PublishMessage.model_validate(fields)


@cache
def default_worker() -> PublishWorker:
    return new_worker()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext, worker: PublishWorker | None = None) -> dict:
    """`worker` is the injection point for tests; Lambda calls with (event, context)."""
    worker = worker or default_worker()

    def handle(record: SQSRecord) -> str:
        delivery = new_delivery(
            message=message_of(record.body),
            receive_count=int(record.attributes.approximate_receive_count),
            receipt_handle=record.receipt_handle,
        )
        return worker.process(delivery)

    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
