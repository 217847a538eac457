"""CleanupFailedPublications job (EventBridge, daily): retry failed publications with backoff,
recover stuck ones, resend lost messages. It enqueues one unit per retry shard and returns;
WorkUnitsFunction runs the units."""

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables of the first AWS call: pynamodb, botocore)
from publisher.bootstrap import deferred
from publisher.timeutil import utcnow

clean_up_failed_publications = deferred("publisher.services.cleanup", "clean_up_failed_publications")

logger = Logger()
metrics = Metrics()  # flushes what the services added (Powertools shares one metric set)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext, clock: Callable[[], datetime] = utcnow) -> dict:
    """`clock` is the injection point for tests; Lambda calls with (event, context)."""
    return {"job": "clean_up_failed_publications", **clean_up_failed_publications(clock())}
