"""ScheduleApprovedContent job (EventBridge, every 15 minutes): auto-approve where enabled and give
approved, unscheduled content of auto-publishing sites the next free slots."""

from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables of the first AWS call: pynamodb, botocore)
from publisher.bootstrap import deferred
from publisher.timeutil import parse_iso, utcnow

schedule_approved_content = deferred("publisher.services.scheduling", "schedule_approved_content")

logger = Logger()
metrics = Metrics()


def _now(event: dict) -> datetime:
    """The schedule's nominal time (the event's `time`), never earlier than the clock."""
    try:
        nominal = parse_iso(event["time"])
    except (KeyError, TypeError, ValueError):
        return utcnow()
    return max(nominal, utcnow())


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    summary = schedule_approved_content(_now(event))
    metrics.add_metric(name="ItemsScheduled", unit=MetricUnit.Count, value=summary.scheduled)
    metrics.add_metric(name="ItemsAutoApproved", unit=MetricUnit.Count, value=summary.approved)
    logger.info("scheduling run finished", extra=summary.as_dict())
    return {"job": "schedule_approved_content", **summary.as_dict()}
