"""Handing scheduled content to the publish queue: one item at a time, exactly once.

Used by the 5-minute job (`process_scheduled`) for every item due before its next run, and by
scheduling for an item scheduled only minutes ahead (`hand_over_if_soon`). The item is marked
`enqueued_for = <its scheduled time>` in the same transaction that writes its records, on the
condition that it is still scheduled for that time and not marked yet: two hand-overs never
enqueue an item twice. Each item's delay counts from the moment it is handed over, rounded up to
the whole second, so no message becomes visible before its item's time.

An item overdue by more than the grace follows the site's missed_schedule_policy: publish_late →
enqueued now; next_slot → moved to the next free slot; hold → failed "missed its slot; held".

Nothing of a site whose publishing is paused (or which is being deleted) is handed over: its items
stay due and are counted `paused`. On resume, `catch_up` hands over what is due by then, the items
that fell due while paused through the missed_schedule_policy whatever their lateness.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from publisher.destinations import DESTINATION_NAMES
from publisher.domain.publishing import LOOKAHEAD, handover_delay
from publisher.domain.publishing_settings import PublishingSettings
from publisher.domain.statuses import MISS_SLOT, SiteStatus
from publisher.errors import Conflict
from publisher.services.publishing import Dispatch, Outbox, enabled_integrations, write_records
from publisher.services.settings import settings_for
from publisher.services.slot_claims import assign_next_slots
from publisher.store import content as content_store
from publisher.store import sites as sites_store
from publisher.store.common import MAX_BATCH_GET, read_together, status_condition
from publisher.store.models import ContentModel, IntegrationModel, SiteModel
from publisher.store.publication import Change, scheduled_for, update_content
from publisher.timeutil import iso, parse_iso, utcnow

logger = Logger()
metrics = Metrics()

GRACE = timedelta(minutes=15)
"""An item later than this when handed over counts as having missed its slot."""
HELD = "missed its slot; held"
NO_INTEGRATION = "missed its slot: the site has no enabled integration to publish to"
ENQUEUED_ELSEWHERE = "enqueued by another run or changed meanwhile"
NO_FREE_SLOT = "missed its slot; no free slot to move it to"


@dataclass
class HandoverSummary:
    enqueued: int = 0
    late: int = 0
    held: int = 0
    rescheduled: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    paused: int = 0
    unpublish_enqueued: int = 0
    """Content whose scheduled unpublishing was handed to the queue (services.unpublishing)."""

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def hand_over_one(
    content: ContentModel,
    now: datetime,
    clock: Callable[[], datetime],
    settings: dict[str, PublishingSettings],
    summary: HandoverSummary,
    *,
    held: dict[str, bool] | None = None,
    integrations: dict[str, list[IntegrationModel]] | None = None,
    missed: bool | None = None,
    outbox: Outbox | None = None,
) -> None:
    """Hand one due item to the queue, or apply its site's missed-slot policy first; nothing while
    its site is paused or being deleted (counted `paused`).

    `now` is the run's start (grace, records); `clock()` the time of the hand-over (the delay);
    `settings`, `held` and `integrations` cache each site's settings, pause and integrations for
    the run (`read_sites` fills the last two for a page at once). `missed` forces
    (or waives) the missed-slot policy; by default it applies past the grace. `outbox` holds the
    messages of a page to send them together (the caller flushes it); without one they go at once."""
    if site_is_held(content.site_id, held if held is not None else {}):
        summary.paused += 1
        return
    late = now - parse_iso(content.scheduled_publish_at)
    if (late > GRACE if missed is None else missed) and not _apply_missed_policy(
        content, late, now, settings, summary
    ):
        return
    read = (integrations or {}).get(content.site_id)
    targets = enabled_integrations(content.site_id, content.schedule_destinations, read=read)
    if not targets:
        summary.failed += _fail_missed(content, NO_INTEGRATION, now)
        return
    sending = outbox or Outbox(clock)
    if _enqueue(content, targets, now, clock, sending):
        if outbox is None:
            sending.flush()
        summary.enqueued += 1
        _report_handed_over(content, targets, late)
    else:
        summary.skipped += 1


def _apply_missed_policy(
    content: ContentModel,
    late: timedelta,
    now: datetime,
    settings: dict[str, PublishingSettings],
    summary: HandoverSummary,
) -> bool:
    """The site's missed_schedule_policy for an item later than the grace: True when it is still
    to be handed over now (publish_late), False when the policy dealt with it (hold, next_slot)."""
    site_settings = settings.setdefault(content.site_id, settings_for(content.site_id))
    policy = site_settings.missed_schedule_policy
    logger.warning(
        "content missed its slot",
        extra={"content_id": content.content_id, "policy": policy, "late_seconds": late.total_seconds()},
    )
    if policy == "hold":
        summary.held += _fail_missed(content, HELD, now)
        return False
    if policy == "next_slot":
        _move_to_next_slot(content, site_settings, now, summary)
        return False
    summary.late += 1
    return True


def _enqueue(
    content: ContentModel, targets: list[Any], now: datetime, clock: Callable[[], datetime], outbox: Outbox
) -> bool:
    """Records, with the conditional `enqueued_for` mark, and their messages into the outbox; False
    when another run (or a change) got there first."""
    moment = content.scheduled_publish_at
    due = parse_iso(moment)
    delay = handover_delay(due, clock())
    mark = Change(
        content, {"enqueued_for": moment}, scheduled_for(moment) & ContentModel.enqueued_for.does_not_exist()
    )
    dispatch = Dispatch(scheduled_for=moment, delay_seconds=delay)
    try:
        written = write_records(content, targets, dispatch, move=mark, now=now, conflict=ENQUEUED_ELSEWHERE)
    except Conflict:
        return False
    outbox.add(written, dispatch, due)
    return True


def _report_handed_over(content: ContentModel, targets: list[Any], late: timedelta) -> None:
    lateness = max(late.total_seconds(), 0.0)
    metrics.add_metric(name="HandoverLateness", unit=MetricUnit.Seconds, value=lateness)
    logger.info(
        "handed over",
        extra={
            "content_id": content.content_id,
            "scheduled_for": content.scheduled_publish_at,
            "late_seconds": lateness,
            "destinations": [item.destination for item in targets],
        },
    )


def read_sites(
    site_ids: Iterable[str], held: dict[str, bool], integrations: dict[str, list[IntegrationModel]]
) -> None:
    """Fill a run's `held` and `integrations` caches for these sites: each site and its
    integrations by key (one per destination), in BatchGetItem calls of up to 100 keys, instead of
    a GetItem and a Query per item."""
    wanted = sorted(set(site_ids) - held.keys())
    keys_per_site = 1 + len(DESTINATION_NAMES)
    per_call = MAX_BATCH_GET // keys_per_site
    for start in range(0, len(wanted), per_call):
        chunk = wanted[start : start + per_call]
        found = read_together(
            [
                key
                for site_id in chunk
                for key in [
                    (SiteModel, site_id),
                    *((IntegrationModel, site_id, name) for name in DESTINATION_NAMES),
                ]
            ]
        )
        for index, site_id in enumerate(chunk):
            site, *items = found[index * keys_per_site : (index + 1) * keys_per_site]
            held[site_id] = _held(site)
            integrations[site_id] = sorted(
                (item for item in items if item is not None), key=lambda item: item.destination
            )


def _held(site: SiteModel | None) -> bool:
    return site is None or bool(site.publishing_paused) or site.deleting_at is not None


def site_is_held(site_id: str, held: dict[str, bool]) -> bool:
    """Whether nothing of the site may be handed over now: publishing paused, or the site is being
    deleted (or gone). `held` caches the answer per site for one run."""
    if site_id not in held:
        held[site_id] = _held(sites_store.get_site(site_id))
    return held[site_id]


def catch_up(site_id: str, now: datetime) -> HandoverSummary:
    """After a resume: hand over every scheduled item of the site due before the job's next run;
    those already due (they fell due while paused) follow the site's missed_schedule_policy."""
    summary = HandoverSummary()
    settings: dict[str, PublishingSettings] = {}
    held = {site_id: False}
    until = now + LOOKAHEAD
    due_by_then = []
    for content in content_store.with_site_status(site_id, [SiteStatus.SCHEDULED]):
        due = content.scheduled_publish_at and parse_iso(content.scheduled_publish_at)
        if due and not content.enqueued_for and due <= until:
            due_by_then.append((content, due <= now))
    hand_over_all(
        due_by_then, now, utcnow, settings, summary, held=held, failure="catching up failed; the job retries"
    )
    logger.info("resumed site caught up", extra={"site_id": site_id, **summary.as_dict()})
    return summary


def hand_over_all(
    items: Iterable[tuple[ContentModel, bool | None]],
    now: datetime,
    clock: Callable[[], datetime],
    settings: dict[str, PublishingSettings],
    summary: HandoverSummary,
    *,
    held: dict[str, bool],
    integrations: dict[str, list[IntegrationModel]] | None = None,
    failure: str,
) -> None:
    """`hand_over_one` for each (item, its `missed`), their messages sent together (10 to a call);
    an item that fails is logged with `failure` and counted, the rest go on."""
    outbox = Outbox(clock)
    try:
        for content, missed in items:
            try:
                hand_over_one(
                    content,
                    now,
                    clock,
                    settings,
                    summary,
                    held=held,
                    integrations=integrations,
                    missed=missed,
                    outbox=outbox,
                )
            except Exception:
                summary.errors += 1
                logger.exception(failure, extra={"content_id": content.content_id})
    finally:
        outbox.flush()


def hand_over_if_soon(content: ContentModel, now: datetime) -> bool:
    """Hand a just-scheduled item to the queue at once when it is due before the job's next run
    could see it in time (an explicit time a few minutes ahead would otherwise wait up to a whole
    period). The job's conditional `enqueued_for` mark keeps the two from enqueueing it twice; on
    any failure the job hands it over as usual. True when it was handed over here."""
    if parse_iso(content.scheduled_publish_at) > now + LOOKAHEAD:
        return False
    if not enabled_integrations(content.site_id, content.schedule_destinations):
        return False  # nowhere to publish yet; at its time the job applies the missed-slot rules
    summary = HandoverSummary()
    try:
        hand_over_one(content, now, utcnow, {}, summary)
    except Exception:
        logger.exception(
            "immediate hand-over failed; the job will retry", extra={"content_id": content.content_id}
        )
        return False
    return summary.enqueued == 1


def _fail_missed(content: ContentModel, reason: str, now: datetime) -> int:
    """MISS_SLOT: scheduled → failed (scheduled → publishing → failed, at once), keeping its time,
    so the scheduler still counts its place until it is rescheduled. 1 if moved, 0 if it changed."""
    changes = {
        "site_status": MISS_SLOT.target.value,
        "last_error": reason,
        "site_status_updated_at": iso(now),
    }
    try:
        condition = (
            status_condition(ContentModel.site_status, MISS_SLOT, content.site_status)
            & (ContentModel.scheduled_publish_at == content.scheduled_publish_at)
            & ContentModel.enqueued_for.does_not_exist()
        )
        update_content(content, changes, condition, "changed meanwhile")
    except Conflict:
        return 0
    return 1


def _move_to_next_slot(
    content: ContentModel, settings: PublishingSettings, now: datetime, summary: HandoverSummary
) -> None:
    result = assign_next_slots(content.site_id, settings, [content], now)
    if result.scheduled:
        summary.rescheduled += 1
        logger.info(
            "moved to the next free slot",
            extra={"content_id": content.content_id, "scheduled_publish_at": content.scheduled_publish_at},
        )
    elif result.unslotted:
        summary.failed += _fail_missed(content, NO_FREE_SLOT, now)
