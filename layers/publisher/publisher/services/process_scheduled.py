"""ProcessScheduledPublications (every 5 minutes): hand due and soon-due content to the queue, and
the content due to be unpublished (`unpublish_at`, services.unpublishing) the same way.

Every item due before the next run (plus a margin) is enqueued with DelaySeconds = due - now,
so it goes out within seconds of its time instead of up to 5 minutes late. The content is
marked `enqueued_for = <its scheduled time>` in the same transaction that writes its records,
on the condition that it is still scheduled for that time and not marked yet: overlapping runs
never enqueue an item twice, and the sparse due index drops it at once. Each item's delay counts
from the moment it is handed over, rounded up to the whole second: an item a long run reaches
last is not late by the time the run took to reach it, and no message becomes visible before
its item's time.

An item overdue by more than the grace (the job did not run, or the queue was down) follows
the site's missed_schedule_policy: publish_late → enqueued now; next_slot → moved to the next
free slot by the scheduler; hold → failed "missed its slot; held" until someone acts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from publisher.bootstrap import ready_store
from publisher.domain.publishing import LOOKAHEAD
from publisher.domain.publishing_settings import PublishingSettings
from publisher.identity import act_as
from publisher.services.handover import HandoverSummary, hand_over_one
from publisher.services.unpublishing import hand_over_due_unpublishing
from publisher.store.publication import due_until
from publisher.timeutil import iso

logger = Logger()
metrics = Metrics()


def process_scheduled_publications(
    now: datetime, timer: Callable[[], float] = time.monotonic
) -> HandoverSummary:
    """One run of the job over every shard of the due index (no Scan). `now` is when the run
    started; `timer` (seconds, read at the start and at each hand-over) tells how far it has got."""
    ready_store()
    act_as("system:process-scheduled-publications", "system")
    started = timer()

    def clock() -> datetime:
        return now + timedelta(seconds=timer() - started)

    summary = HandoverSummary()
    settings: dict[str, PublishingSettings] = {}
    held: dict[str, bool] = {}  # sites paused or being deleted: their items wait (counted `paused`)
    for content in list(due_until(iso(now + LOOKAHEAD))):
        try:
            hand_over_one(content, now, clock, settings, summary, held=held)
        except Exception:
            summary.errors += 1
            logger.exception(
                "handing over failed; the next run tries again", extra={"content_id": content.content_id}
            )
    summary.unpublish_enqueued = hand_over_due_unpublishing(now, clock)
    metrics.add_metric(name="ItemsHandedOver", unit=MetricUnit.Count, value=summary.enqueued)
    metrics.add_metric(
        name="ItemsMissedSlot", unit=MetricUnit.Count, value=summary.late + summary.held + summary.rescheduled
    )
    logger.info("scheduled publications handed over", extra=summary.as_dict())
    return summary
