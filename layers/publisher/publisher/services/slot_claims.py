"""Claiming slots under the caps: the engine every scheduling path uses (the API, the 15-minute
job, the missed-slot policy of the hand-over, a new time zone in the settings).

How caps hold under concurrency. `assign_slots` (pure) proposes times from the site's counters of
the periods not yet over (`usage.counts_from`) and the minutes of the items still ahead on its
calendar (`times_ahead`): neither read grows with the site's history. Each proposal is then
written as `store.schedule_move` does: it claims the site's UTC minute (a UniqueKeyModel
`slot#<site>#<minute>`, so two items never share one), adds 1 to the local day/week/month counters
on the condition that each stays within its cap, then moves the content on the condition of the
state it was read in, each a conditional write, a refused one giving back what the earlier ones
took. If the minute was taken by a concurrent writer, it is remembered as taken ("phantom": the
calendar's index may not show it yet); a full counter is read again (consistently); then a fresh
proposal is made, a bounded number of times. The counters decide; the reads only make good first
guesses. Places given back (unschedule, reschedule away) are released after the move commits, so a
crash in between errs on the side of an unused place, never an extra item.
"""

from __future__ import annotations

import random
import time as time_module
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from publisher.domain.publishing_settings import PublishingSettings
from publisher.domain.slots import assign_slots, no_slot_reason, period_keys, site_jitter
from publisher.domain.statuses import SiteStatus
from publisher.store import content as store
from publisher.store import usage
from publisher.store.models import ContentModel
from publisher.timeutil import iso, parse_iso

MAX_RACES = 40
"""Fresh proposals one request may make after losing races (20 concurrent requests need < 20)."""
BACKOFF_BASE = 0.01
BACKOFF_CAP = 0.5
LEAD = timedelta(minutes=5)
"""Nothing is scheduled sooner than this after now (assign_slots' default lead)."""


# --- reading what is taken ----------------------------------------------------------------


def _local_midnight(day: Any, settings: PublishingSettings) -> datetime:
    return datetime.combine(day, time(0), tzinfo=settings.zone).astimezone(UTC)


def window_start(settings: PublishingSettings, moment: datetime) -> datetime:
    """The start of the local week or month of `moment`, whichever is earlier, less a day: every
    item that counts toward a cap of that week or month lies after it (what `recount_counters`
    reads)."""
    day = moment.astimezone(settings.zone).date()
    first = min(day - timedelta(days=day.weekday()), day.replace(day=1))
    return _local_midnight(first, settings) - timedelta(days=1)


def calendar_times_of(site_id: str, start: datetime, end: datetime | None = None) -> dict[str, datetime]:
    """content id → time of every item on the site's calendar from `start` (through `end`)."""
    times = store.calendar_times(site_id, iso(start), iso(end) if end else None)
    return {content_id: parse_iso(moment) for content_id, moment in times.items()}


def times_ahead(site_id: str, now: datetime) -> dict[str, datetime]:
    """content id → time of the site's calendar items from the first minute a slot may take on
    (`now + LEAD`): the minutes a new slot must not reuse. Bounded by the future, not the past."""
    return calendar_times_of(site_id, (now + LEAD).replace(second=0, microsecond=0))


@dataclass
class Taken:
    """What a site's scheduler reads: items counted per period key from now's periods on (its
    counters), and the times of the items ahead (their minutes)."""

    counts: dict[str, int]
    ahead: dict[str, datetime]

    def without(self, items: list[ContentModel], settings: PublishingSettings) -> Taken:
        """As if the items held no place (a reschedule frees the item's own time and counts)."""
        own = {item.content_id for item in items}
        ahead = {content_id: moment for content_id, moment in self.ahead.items() if content_id not in own}
        return Taken(_without_places_of(items, self.counts, settings), ahead)

    def proposals(
        self, site_id: str, settings: PublishingSettings, now: datetime, count: int, lost: list[datetime]
    ) -> list[datetime]:
        """The next `count` free slots (`assign_slots`), the `lost` minutes also taken."""
        return assign_slots(
            settings,
            [*self.ahead.values(), *lost],
            now,
            count,
            lead=LEAD,
            jitter=site_jitter(site_id),
            counts=self.counts,
        )


def _without_places_of(
    items: list[ContentModel], counts: dict[str, int], settings: PublishingSettings
) -> dict[str, int]:
    """The counts less the places the items hold in them (a reschedule frees its own place)."""
    counts = dict(counts)
    for item in items:
        old = held_time(item)
        for key in period_keys(old.astimezone(settings.zone)) if old else ():
            if counts.get(key):
                counts[key] -= 1
    return counts


def counts_at(item: ContentModel, settings: PublishingSettings, when: datetime) -> dict[str, int]:
    """The counters of `when`'s local periods (and of later ones: the same Query as the
    scheduler's), less the item's own place where it holds one of them."""
    return _without_places_of([item], usage.counts_from(item.site_id, settings, when), settings)


def read_taken(site_id: str, settings: PublishingSettings, now: datetime) -> Taken:
    """The site's counters (one consistent Query) and its calendar from `now + LEAD` on."""
    return Taken(usage.counts_from(site_id, settings, now + LEAD), times_ahead(site_id, now))


def held_time(item: ContentModel) -> datetime | None:
    """The time whose counters and minute the item holds (scheduled, or failed at a scheduled time)."""
    holds = item.site_status in (SiteStatus.SCHEDULED, SiteStatus.FAILED) and item.scheduled_publish_at
    return parse_iso(item.scheduled_publish_at) if holds else None


# --- one move -----------------------------------------------------------------------------


def _moved_counters(
    item: ContentModel, settings: PublishingSettings, when: datetime
) -> tuple[list[usage.Reservation], set[str]]:
    """Moving `item` to `when`: the counters to add 1 to (with their caps) and those it gives back.
    A counter its old time and `when` share is neither (it stays counted once)."""
    old = held_time(item)
    new_keys = usage.counter_keys(settings, when)
    old_keys = set(usage.capped_keys(settings, old)) if old else set()
    reservations = [(key, cap) for key, cap in new_keys if key not in old_keys]
    return reservations, old_keys - {key for key, _ in new_keys}


def try_move(item: ContentModel, settings: PublishingSettings, when: datetime, now: datetime) -> str | None:
    """Try once to schedule `item` at `when`; None on success, else what stood in the way."""
    old = held_time(item)
    reservations, given_back = _moved_counters(item, settings, when)
    if not usage.reservable(reservations):
        return next(key for key, cap in reservations if cap == 0)
    new_minute = store.minute_key(item.site_id, when)
    old_minute = store.minute_key(item.site_id, old) if old else None
    claim = None if new_minute == old_minute else new_minute
    outcome = store.schedule_move(item, iso(when), claim, reservations, when, iso(now))
    if outcome is None:
        usage.release_keys(item.site_id, given_back)
        if old_minute and claim:
            store.release_minute(old_minute, item.content_id)
    return outcome


@dataclass(frozen=True)
class PublicationClaim:
    """What a first publication made now claims in the transaction of its move (`increments`), and
    the place of its slot it gives back once that committed (`given_back` counters, `minute`)."""

    content_id: str
    increments: usage.Increments
    given_back: set[str]
    minute: str | None


def publication_claim(
    item: ContentModel, settings: PublishingSettings, now: datetime, *, capped: bool
) -> PublicationClaim:
    """A publication now counts in now's local day/week/month, each +1 on the condition of its cap
    (none when not `capped`: an override); a scheduled item moves its place from its slot to now."""
    reservations, given_back = _moved_counters(item, settings, now)
    if not capped:
        reservations = [(key, None) for key, _ in reservations]
    old = held_time(item)
    return PublicationClaim(
        content_id=item.content_id,
        increments=usage.Increments(item.site_id, reservations, now),
        given_back=given_back,
        minute=store.minute_key(item.site_id, old) if old else None,
    )


def give_back(claim: PublicationClaim) -> None:
    """After the publication's move committed: the place of the slot it left is free again."""
    usage.release_keys(claim.increments.site_id, claim.given_back)
    if claim.minute:
        store.release_minute(claim.minute, claim.content_id)


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
    mine: dict[str, datetime] = {}  # what this call scheduled (an index may lag behind it)
    phantoms: list[datetime] = []  # minutes lost to concurrent writers: taken, though unseen
    races = 0
    while pending:
        taken = read_taken(site_id, settings, now).without(pending, settings)  # counters: consistent
        taken.ahead.update(mine)
        slots = taken.proposals(site_id, settings, now, len(pending), phantoms)
        raced = False
        for item, when in zip(list(pending), slots, strict=False):
            outcome = try_move(item, settings, when, now)
            if outcome is None:
                result.scheduled.append(item)
                mine[item.content_id] = when
            elif outcome == store.CONTENT:
                result.changed.append(item)
            else:
                if outcome == store.MINUTE:
                    phantoms.append(when)  # a full counter is read again, consistently
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


def why_no_slot(site_id: str, settings: PublishingSettings, now: datetime) -> str:
    """Why `assign_next_slots` found no slot for one more item now (the cap, and till when)."""
    counts = usage.counts_from(site_id, settings, now + LEAD)
    return no_slot_reason(settings, [], now, lead=LEAD, counts=counts)


def _back_off(races: int) -> None:
    """Full-jitter exponential backoff after a lost race, so contenders stop proposing in lockstep
    (each would otherwise propose the same earliest slot again, and all but one lose again)."""
    time_module.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**races)))


def recount_counters(site_id: str, settings: PublishingSettings, now: datetime) -> None:
    """Recount the caps' counters in the site's (new) local periods from its calendar.

    The one reader of the calendar's past (from the start of the local week or month): a settings
    change is a rare admin operation, and the counters it rewrites are what scheduling reads."""
    times = calendar_times_of(site_id, window_start(settings, now)).values()
    usage.recount(site_id, settings, times, now)
