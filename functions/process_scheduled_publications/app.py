"""ProcessScheduledPublications job (EventBridge schedule). Not implemented yet: it logs and does nothing."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    logger.warning("not implemented yet", extra={"job": "process_scheduled_publications"})
    return {"job": "process_scheduled_publications", "implemented": False}
