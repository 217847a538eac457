"""Scheduling content: the next free slot or an explicit time, unschedule, the settings preview,
and the 15-minute job that auto-approves and assigns slots.

How caps hold under concurrency. `assign_slots` (pure) proposes times from what is already on the
site's calendar; each proposal is then written in ONE transaction that moves the content (on the
condition of the state it was read in), claims the site's UTC minute (a UniqueKeyModel
`slot#<site>#<minute>`, so two items never share one) and adds 1 to the local day/week/month
counters on the condition that each stays within its cap. If a counter or the minute was taken
by a concurrent writer, the proposal is remembered as taken ("phantom") and a fresh proposal is
made from freshly read state, a bounded number of times. The counters decide; the calendar read
only makes good first guesses. Places given back (unschedule, reschedule away) are released after
the move commits, so a crash in between errs on the side of an unused place, never an extra item.
"""

from __future__ import annotations

import random
import time as time_module
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from publisher.api.auth import Caller
from publisher.bootstrap import ready_store
from publisher.domain.content import ScheduleRequest
from publisher.domain.publishing_settings import DAYS, PublishingSettings
from publisher.domain.slots import assign_slots, check_explicit_time
from publisher.domain.statuses import ContentStatus, SiteStatus
from publisher.errors import Conflict, Invalid
from publisher.services.content import content_view, load_content
from publisher.services.settings import settings_for
from publisher.services.sites import load_site
from publisher.store import content as store
from publisher.store import settings as settings_store
from publisher.store import usage
from publisher.store.models import ContentModel
from publisher.timeutil import iso, parse_iso, utcnow

logger = Logger()

MAX_RACES = 40
"""Fresh proposals one request may make after losing races (20 concurrent requests need < 20)."""
BUSY_RETRIES = 5
BACKOFF_BASE = 0.01
BACKOFF_CAP = 0.5
LEAD = timedelta(minutes=5)
"""Nothing is scheduled sooner than this after now (assign_slots' default lead)."""
NO_SLOT = "no free slot within 400 days under the site's publishing days, slots and limits"
BUSY = "the site's schedule is busy; try again"
MINUTE_TAKEN = "another item of this site is already scheduled for that minute; choose another time"


# --- reading what is taken ----------------------------------------------------------------


def _local_midnight(day: Any, settings: PublishingSettings) -> datetime:
    return datetime.combine(day, time(0), tzinfo=settings.zone).astimezone(UTC)


def _window_start(settings: PublishingSettings, moment: datetime) -> datetime:
    """The start of the local week or month of `moment`, whichever is earlier, less a day: every
    item that counts toward a cap of that week or month lies after it."""
    day = moment.astimezone(settings.zone).date()
    first = min(day - timedelta(days=day.weekday()), day.replace(day=1))
    return _local_midnight(first, settings) - timedelta(days=1)


def _window_end(settings: PublishingSettings, moment: datetime) -> datetime:
    day = moment.astimezone(settings.zone).date()
    next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = max(day + timedelta(days=7 - day.weekday()), next_month)
    return _local_midnight(last, settings) + timedelta(days=1)


def _calendar_times(site_id: str, start: datetime, end: datetime | None = None) -> dict[str, datetime]:
    """content id → time of every item on the site's calendar from `start` (through `end`)."""
    times = store.calendar_times(site_id, iso(start), iso(end) if end else None)
    return {content_id: parse_iso(moment) for content_id, moment in times.items()}


def _held_time(item: ContentModel) -> datetime | None:
    """The time whose counters and minute the item holds (scheduled, or failed at a scheduled time)."""
    holds = item.site_status in (SiteStatus.SCHEDULED, SiteStatus.FAILED) and item.scheduled_publish_at
    return parse_iso(item.scheduled_publish_at) if holds else None


# --- one move -----------------------------------------------------------------------------


def _move(item: ContentModel, settings: PublishingSettings, when: datetime, now: datetime) -> str | None:
    """Try once to schedule `item` at `when`; None on success, else what stood in the way."""
    old = _held_time(item)
    new_keys = usage.counter_keys(settings, when)
    old_keys = {key for key, _ in usage.counter_keys(settings, old)} if old else set()
    reservations = [(key, cap) for key, cap in new_keys if key not in old_keys]
    if not usage.reservable(reservations):
        return next(key for key, cap in reservations if cap == 0)
    new_minute = store.minute_key(item.site_id, when)
    old_minute = store.minute_key(item.site_id, old) if old else None
    claim = None if new_minute == old_minute else new_minute
    outcome = store.schedule_move(item, iso(when), claim, reservations, when, iso(now))
    if outcome is None:
        usage.release_keys(item.site_id, old_keys - {key for key, _ in new_keys})
        if old_minute and claim:
            store.release_minute(old_minute, item.content_id)
    return outcome


@dataclass
class SlotResult:
    scheduled: list[ContentModel] = field(default_factory=list)
    changed: list[ContentModel] = field(default_factory=list)
    """Items that changed under us (no longer approved, or moved by someone else)."""
    unslotted: list[ContentModel] = field(default_factory=list)
    """Items left without a slot: none free within the horizon, or too many lost races."""
    gave_up: bool = False


def assign_next_slots(
    site_id: str,
    settings: PublishingSettings,
    items: list[ContentModel],
    now: datetime,
    *,
    max_races: int = MAX_RACES,
) -> SlotResult:
    """Give each item (oldest first) the next free slot, in one pass when nothing races."""
    result = SlotResult()
    pending = list(items)
    pending_ids = {item.content_id for item in items}
    mine: dict[str, datetime] = {}  # what this call scheduled (an index may lag behind it)
    phantoms: list[datetime] = []  # proposals lost to concurrent writers: taken, though unseen
    races = 0
    since = _window_start(settings, now + LEAD)
    while pending:
        taken = _calendar_times(site_id, since)
        taken.update(mine)
        for content_id in pending_ids:
            if content_id not in mine:
                taken.pop(content_id, None)  # a reschedule frees the item's own time
        slots = assign_slots(settings, [*taken.values(), *phantoms], now, len(pending), lead=LEAD)
        raced = False
        for item, when in zip(list(pending), slots, strict=False):
            outcome = _move(item, settings, when, now)
            if outcome is None:
                result.scheduled.append(item)
                mine[item.content_id] = when
            elif outcome == store.CONTENT:
                result.changed.append(item)
            else:
                if outcome != usage.BUSY:
                    phantoms.append(when)
                raced = True
                break
            pending.remove(item)
        if not raced:
            break
        races += 1
        if races > max_races:
            result.gave_up = True
            break
        _back_off(races)
    result.unslotted = pending
    return result


def _back_off(races: int) -> None:
    """Full-jitter exponential backoff after a lost race, so contenders stop proposing in lockstep
    (each would otherwise propose the same earliest slot again, and all but one lose again)."""
    time_module.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**races)))


# --- API use cases ------------------------------------------------------------------------


def _check_schedulable(item: ContentModel) -> None:
    if item.status != ContentStatus.APPROVED:
        raise Conflict(f"only approved content can be scheduled; this content is {item.status}")
    if item.site_status == SiteStatus.PUBLISHING:
        raise Conflict("the content is being published and can no longer be scheduled")
    if item.site_status == SiteStatus.PUBLISHED:
        raise Conflict("the content is already published; publish an update with POST /publisher/publish/")


def _limit_reason(counter_key: str, settings: PublishingSettings) -> str:
    period = usage.period_name(counter_key)
    cap = getattr(settings, f"{period}_publish_limit")
    key = counter_key.split("#", 1)[1]
    return f"The {period} publish limit ({cap}) is already reached for {key} ({settings.timezone})."


def schedule(caller: Caller, content_id: str, body: ScheduleRequest | None) -> dict[str, Any]:
    """Schedule (or reschedule) approved content: at the given time, or in the next free slot."""
    caller.require_write()
    item = load_content(caller, content_id)
    _check_schedulable(item)
    settings = settings_for(item.site_id)
    now = utcnow()
    if body is not None and body.scheduled_publish_at is not None:
        _schedule_at(item, settings, body.scheduled_publish_at, now)
        return _handed_over_if_soon(item, now)
    result = assign_next_slots(item.site_id, settings, [item], now)
    if result.scheduled:
        return _handed_over_if_soon(item, now)
    if result.changed:
        raise Conflict(store.CHANGED)
    raise Conflict(BUSY if result.gave_up else NO_SLOT)


def _handed_over_if_soon(item: ContentModel, now: datetime) -> dict[str, Any]:
    """The scheduled item's view, after handing it to the queue if it is due too soon for the
    5-minute job to be on time (the view does not change: it stays scheduled)."""
    from publisher.services.process_scheduled import hand_over_if_soon  # the job's module imports ours

    hand_over_if_soon(item, now)
    return content_view(item)


def _schedule_at(item: ContentModel, settings: PublishingSettings, when: datetime, now: datetime) -> dict:
    when = when.astimezone(UTC).replace(microsecond=0)
    if when <= now:
        raise Invalid(
            "the publish time must be in the future", {"scheduled_publish_at": ["must be in the future"]}
        )
    taken = _calendar_times(item.site_id, _window_start(settings, when), _window_end(settings, when))
    taken.pop(item.content_id, None)
    reason = check_explicit_time(settings, taken.values(), when, now)
    if reason:
        raise Conflict(reason)
    for _ in range(BUSY_RETRIES):
        outcome = _move(item, settings, when, now)
        if outcome is None:
            return content_view(item)
        if outcome == store.CONTENT:
            raise Conflict(store.CHANGED)
        if outcome == store.MINUTE:
            raise Conflict(MINUTE_TAKEN)
        if outcome != usage.BUSY:
            raise Conflict(_limit_reason(outcome, settings))
    raise Conflict(BUSY)


def unschedule(caller: Caller, content_id: str) -> dict[str, Any]:
    """scheduled → not_published; the place in the caps and the minute are given back."""
    caller.require_write()
    item = load_content(caller, content_id)
    if item.site_status != SiteStatus.SCHEDULED:
        if item.site_status == SiteStatus.PUBLISHING:
            raise Conflict("the content is being published and can no longer be unscheduled")
        raise Conflict(f"only scheduled content can be unscheduled; this content is {item.site_status}")
    settings = settings_for(item.site_id)
    old = parse_iso(item.scheduled_publish_at)
    store.unschedule_move(item, iso(utcnow()))
    usage.release(item.site_id, settings, old)
    store.release_minute(store.minute_key(item.site_id, old), item.content_id)
    return content_view(item)


def preview(caller: Caller, site_id: str, count: int) -> dict[str, Any]:
    """The next `count` slots the scheduler would give now, in UTC and in the site's local time."""
    load_site(caller, site_id)
    settings = settings_for(site_id)
    now = utcnow()
    taken = _calendar_times(site_id, _window_start(settings, now + LEAD))
    slots = assign_slots(settings, taken.values(), now, count, lead=LEAD)
    zone = settings.zone
    return {
        "site_id": site_id,
        "timezone": settings.timezone,
        "generated_at": iso(now),
        "slots": [
            {
                "scheduled_publish_at": iso(slot),
                "local_time": slot.astimezone(zone).isoformat(),
                "weekday": DAYS[slot.astimezone(zone).weekday()],
            }
            for slot in slots
        ],
    }


def recount_counters(site_id: str, settings: PublishingSettings, now: datetime) -> None:
    """Recount the caps' counters in the site's (new) local periods from its calendar."""
    times = _calendar_times(site_id, _window_start(settings, now)).values()
    usage.recount(site_id, settings, times, now)


# --- the 15-minute job --------------------------------------------------------------------


@dataclass
class JobSummary:
    sites: int = 0
    approved: int = 0
    scheduled: int = 0
    left_unscheduled: int = 0
    failed_sites: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def schedule_approved_content(now: datetime) -> JobSummary:
    """For every site with automation on (auto-index, no Scan): approve content in review when
    auto-approval is on; give approved, unscheduled content the next free slots when auto-publish
    is on. Only not_published items are touched, so a re-run changes nothing already scheduled."""
    ready_store()
    summary = JobSummary()
    for stored in settings_store.sites_with_automation():
        summary.sites += 1
        try:
            _automate_site(stored.site_id, PublishingSettings.model_validate(stored.document), now, summary)
        except Exception:
            summary.failed_sites += 1
            logger.exception("scheduling a site failed", extra={"site_id": stored.site_id})
    return summary


def _automate_site(site_id: str, settings: PublishingSettings, now: datetime, summary: JobSummary) -> None:
    waiting: dict[str, ContentModel] = {}
    if settings.auto_approval_enabled:
        for item in list(store.with_status(site_id, ContentStatus.REVIEW)):
            try:
                store.update_content(item, {"status": ContentStatus.APPROVED.value, "updated_at": iso(now)})
            except Conflict:
                continue  # edited meanwhile: its new state wins
            summary.approved += 1
            if item.site_status == SiteStatus.NOT_PUBLISHED:
                waiting[item.content_id] = item
    if not settings.auto_publish_enabled:
        return
    for item in store.approved_unscheduled(site_id):
        waiting.setdefault(item.content_id, item)
    if not waiting:
        return
    items = sorted(waiting.values(), key=lambda item: (item.created_at, item.content_id))
    result = assign_next_slots(site_id, settings, items, now)
    summary.scheduled += len(result.scheduled)
    summary.left_unscheduled += len(result.unslotted)
    from publisher.services.process_scheduled import hand_over_if_soon

    for item in result.scheduled:
        hand_over_if_soon(item, now)  # a slot minutes away cannot wait for the 5-minute job
    logger.info(
        "site scheduled",
        extra={"site_id": site_id, "scheduled": len(result.scheduled), "unslotted": len(result.unslotted)},
    )
