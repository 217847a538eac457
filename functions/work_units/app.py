"""Work units on WorkQueue: each message is one bounded unit of work (publisher.services.work).

Partial batch failures (ReportBatchItemFailures): a unit that raises comes back alone (then goes
to WorkDeadLetterQueue); a message that names no unit is logged and dropped.

The modules `run` names register the units this function runs (imported by the first message).
"""

import json

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables of the first AWS call: pynamodb, botocore)
from publisher.bootstrap import deferred

# loaded by the first message, not at the cold start; importing a module registers its units
run = deferred(
    "publisher.services.work",
    "run",
    registered_by=(
        "publisher.services.cleanup",
        "publisher.services.deletion",
        "publisher.services.deployments",
        "publisher.services.process_scheduled",
        "publisher.services.scheduling",
    ),
)

logger = Logger()
metrics = Metrics()  # flushes what the units added (Powertools shares one metric set)

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
    except ValueError:
        body = None
    run(body if isinstance(body, dict) else {})  # not a unit: logged and dropped


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
