"""ProcessScheduledPublications (every 5 minutes): hand due and soon-due content to the queue, and
the content due to be unpublished (`unpublish_at`, services.unpublishing) the same way.

The job itself only enqueues one unit of work per shard of the due index and one per shard of the
unpublish index (services/work.py); each unit hands over a bounded page of its shard and enqueues
the rest with a cursor, so a run's time does not grow with the number of sites or items, and a
unit that fails is retried alone.

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
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from publisher.bootstrap import ready_store
from publisher.domain.publishing import LOOKAHEAD
from publisher.domain.publishing_settings import PublishingSettings
from publisher.identity import act_as
from publisher.services import work
from publisher.services.handover import HandoverSummary, hand_over_all, read_sites
from publisher.services.unpublishing import hand_over_due_unpublishing
from publisher.store.models import DUE_SHARDS, IntegrationModel
from publisher.store.publication import due_page
from publisher.timeutil import iso

logger = Logger()
metrics = Metrics()

HAND_OVER_DUE = "hand-over-due"
UNPUBLISH_DUE = "unpublish-due"
PAGE = 100
"""Items one unit hands over before it enqueues its continuation (a page of one due shard)."""
wall_clock: Callable[[], float] = time.time
"""Seconds since the epoch: the time between the job sending a unit and the unit's hand-overs."""


def process_scheduled_publications(now: datetime) -> dict[str, Any]:
    """One run of the job: one unit per shard of the due index and one per shard of the unpublish
    index (no Scan, nothing per site or per item here); the units hand the items over. `now` is
    when the run started."""
    ready_store()
    until = iso(now + LOOKAHEAD)
    payloads = [
        {"shard": shard, "until": until, "now": now.isoformat(), "sent": wall_clock()}
        for shard in range(DUE_SHARDS)
    ]
    units = work.enqueue_many(HAND_OVER_DUE, payloads) + work.enqueue_many(UNPUBLISH_DUE, payloads)
    logger.info("hand-over units enqueued", extra={"units": units, "until": until})
    return {"units": units}


def _unit_clock(payload: dict[str, Any]) -> tuple[datetime, Callable[[], datetime]]:
    """The run's `now`, and the clock of each hand-over: `now` plus the real time since the job
    sent the unit (an item's delay counts from its own hand-over)."""
    now, sent = datetime.fromisoformat(payload["now"]), float(payload["sent"])

    def clock() -> datetime:
        return now + timedelta(seconds=wall_clock() - sent)

    return now, clock


@work.unit(HAND_OVER_DUE)
def hand_over_due_unit(payload: dict[str, Any]) -> dict[str, int]:
    """A page of one due shard; the rest of the shard goes to its continuation."""
    now, clock = _unit_clock(payload)
    summary, cursor = hand_over_due(
        int(payload["shard"]), payload["until"], now, clock, payload.get("cursor")
    )
    if cursor:
        work.enqueue(HAND_OVER_DUE, {**payload, "cursor": cursor})
    return summary.as_dict()


@work.unit(UNPUBLISH_DUE)
def unpublish_due_unit(payload: dict[str, Any]) -> dict[str, int]:
    """A page of one shard of the unpublish index; the rest goes to its continuation."""
    ready_store()
    act_as("system:process-scheduled-publications", "system")
    _, clock = _unit_clock(payload)
    handed, cursor = hand_over_due_unpublishing(
        int(payload["shard"]), payload["until"], clock, payload.get("cursor"), PAGE
    )
    if cursor:
        work.enqueue(UNPUBLISH_DUE, {**payload, "cursor": cursor})
    return {"unpublish_enqueued": handed}


def hand_over_due(
    shard: int,
    until: str,
    now: datetime,
    clock: Callable[[], datetime],
    cursor: str | None = None,
    limit: int = PAGE,
) -> tuple[HandoverSummary, str | None]:
    """Hand over one page of a due shard (items due at or before `until`); the summary and the
    cursor of the rest (None when the shard is done). `now` is the run's start (grace, records);
    `clock()` the time of each hand-over (its delay)."""
    ready_store()
    act_as("system:process-scheduled-publications", "system")
    summary = HandoverSummary()
    settings: dict[str, PublishingSettings] = {}
    held: dict[str, bool] = {}  # sites paused or being deleted: their items wait (counted `paused`)
    integrations: dict[str, list[IntegrationModel]] = {}
    items, cursor = due_page(shard, until, limit, cursor)
    read_sites((content.site_id for content in items), held, integrations)
    failure = "handing over failed; the next run tries again"
    pairs = [(content, None) for content in items]  # the missed-slot policy past the grace
    hand_over_all(pairs, now, clock, settings, summary, held=held, integrations=integrations, failure=failure)
    metrics.add_metric(name="ItemsHandedOver", unit=MetricUnit.Count, value=summary.enqueued)
    metrics.add_metric(
        name="ItemsMissedSlot", unit=MetricUnit.Count, value=summary.late + summary.held + summary.rescheduled
    )
    logger.info("scheduled publications handed over", extra={"shard": shard, **summary.as_dict()})
    return summary, cursor
