"""Notifier: invoked by the EventBridge rule on the publisher bus for the events a site may be
notified of; sends each to the site's signed webhook and e-mail addresses (services/notifier.py).
A notification the webhook never took raises: Lambda's OnFailure destination keeps the event."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables of the first AWS call: pynamodb, botocore)
from publisher.bootstrap import deferred

deliver = deferred("publisher.services.notifier", "deliver")  # the use case: loaded by the first event

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = deliver(event)
    logger.info("notification", extra=result)
    return result
