"""Publish worker on PublishQueue. Not implemented yet: every message is reported as failed,
so nothing is lost (it returns to the queue and ends in the DLQ)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    records = event.get("Records", [])
    logger.warning("not implemented yet: messages left on the queue", extra={"count": len(records)})
    return {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in records]}
