"""ScheduleApprovedContent job (EventBridge, every 15 minutes): auto-approve where enabled and give
approved, unscheduled content of auto-publishing sites the next free slots. It enqueues one unit
per shard of the auto-publishing sites and returns; WorkUnitsFunction runs the units."""

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables of the first AWS call: pynamodb, botocore)
from publisher.bootstrap import deferred
from publisher.timeutil import parse_iso, utcnow

schedule_approved_content = deferred("publisher.services.scheduling", "schedule_approved_content")

logger = Logger()


def _now(event: dict, clock: Callable[[], datetime]) -> datetime:
    """The schedule's nominal time (the event's `time`), never earlier than the clock."""
    try:
        nominal = parse_iso(event["time"])
    except (KeyError, TypeError, ValueError):
        return clock()
    return max(nominal, clock())


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext, clock: Callable[[], datetime] = utcnow) -> dict:
    """`clock` is the injection point for tests; Lambda calls with (event, context)."""
    summary = schedule_approved_content(_now(event, clock))
    logger.info("scheduling units enqueued", extra=summary)
    return {"job": "schedule_approved_content", **summary}
