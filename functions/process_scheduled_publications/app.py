"""ProcessScheduledPublications job (EventBridge, every 5 minutes): hand due and soon-due content
to the publish queue with DelaySeconds = due - now. It enqueues one unit per due shard and returns;
WorkUnitsFunction runs the units."""

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables of the first AWS call: pynamodb, botocore)
from publisher.bootstrap import deferred
from publisher.timeutil import utcnow

process_scheduled_publications = deferred(
    "publisher.services.process_scheduled", "process_scheduled_publications"
)

logger = Logger()
metrics = Metrics()  # flushes what the services added (Powertools shares one metric set)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext, clock: Callable[[], datetime] = utcnow) -> dict:
    """`clock` is the injection point for tests; Lambda calls with (event, context)."""
    return {"job": "process_scheduled_publications", **process_scheduled_publications(clock())}
