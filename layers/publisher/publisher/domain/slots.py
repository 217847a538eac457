"""Choosing publish times: a pure, deterministic function of the settings, what is taken and now.

How a day's candidate times are laid out (the same grid every day, in local wall time):
- With a daily cap N, the day's slots are treated as one timeline of D minutes and the N
  candidates sit at the middle of N equal parts: offset `(i + ½)·D/N`, rounded down to a
  5-minute mark from the slot's start when the parts are at least 5 minutes long (else to the
  minute). Default settings (09:00-17:00, 3 a day) give 10:20, 13:00 and 15:40. If D < N,
  every minute is a candidate.
- Without a daily cap, candidates are every 30 minutes from each slot's start.
- Each site's candidates are shifted by its own jitter (`site_jitter`: 0 to 14 minutes from a hash
  of the site id), so sites with equal settings do not all publish in the same minutes. The shift
  stays inside half a part (capped) or the room the slot leaves after its last 30-minute step
  (uncapped): inside the slot window, and a slot never loses a candidate to it.
Candidates are taken earliest first; one that is before `now + lead`, already taken (same UTC
minute) or nonexistent that day (DST gap) is skipped, so such a day simply gets fewer items;
a wall time that happens twice (DST fall back) is used once, at its first occurrence (fold=0).
Daily / ISO-weekly / monthly caps count the site's local calendar periods, with the same keys
(`period_keys`) the store uses for its atomic counters: from `counts` (items already counted per
period key, as the store's counters hold them) when given, else from `taken` (then every counted
item's time must be in it), plus the new times. With `counts`, `taken` only needs the times from
`now + lead` on: an earlier minute is never a candidate.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from publisher.domain.publishing_settings import DAYS, PublishingSettings

UNLIMITED_GRID_MINUTES = 30
"""Spacing of the candidates in each slot when the daily limit is unlimited."""
ROUND_TO_MINUTES = 5
"""Capped candidates fall on 5-minute marks when they are at least that far apart."""
PERIODS = ("daily", "weekly", "monthly")
JITTER_MINUTES = 15
"""A site's candidates move by 0..JITTER_MINUTES-1 minutes (less where the grid is denser)."""


def site_jitter(site_id: str) -> int:
    """The site's shift of its candidate minutes: stable for the site, spread across sites."""
    return int(hashlib.sha256(site_id.encode()).hexdigest()[:8], 16) % JITTER_MINUTES


def period_keys(local: date) -> tuple[str, str, str]:
    """`("2026-11-21", "2026-W47", "2026-11")` for a LOCAL date or datetime (ISO week, Mon-Sun)."""
    iso_year, iso_week, _ = local.isocalendar()
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
        f"{iso_year:04d}-W{iso_week:02d}",
        f"{local.year:04d}-{local.month:02d}",
    )


def assign_slots(
    settings: PublishingSettings,
    taken: Iterable[datetime],
    now: datetime,
    count: int,
    *,
    lead: timedelta = timedelta(minutes=5),
    horizon_days: int = 400,
    jitter: int = 0,
    counts: Mapping[str, int] | None = None,
) -> list[datetime]:
    """Up to `count` new publish times (aware UTC, ascending) for a site.

    `taken` holds the times of the site's items already scheduled, publishing or published (any
    time zone); their minutes are never reused. `counts` holds the items already counted per
    period key (`period_keys`); without it they are counted from `taken`. Local dates from
    that of `now + lead` through `horizon_days` later are searched; fewer than `count` times
    come back when they are exhausted. `jitter` is the site's shift (`site_jitter`).
    """
    _require_aware(now, "now")
    if count < 0 or lead < timedelta(0):
        raise ValueError("count and lead must not be negative")
    zone = settings.zone
    caps = _caps(settings)
    counts, taken_minutes = _tally(taken, zone, counts)
    earliest = now + lead
    publish_weekdays = {DAYS.index(day) for day in settings.publish_days}
    blackout = set(settings.blackout_dates)
    grid = _day_grid(settings, jitter)

    chosen: list[datetime] = []
    first_day = earliest.astimezone(zone).date()
    for offset in range(horizon_days + 1):
        if len(chosen) >= count:
            break
        day = first_day + timedelta(days=offset)
        if day.weekday() not in publish_weekdays or day in blackout:
            continue
        keys = period_keys(day)
        room = min(cap - counts[key] for cap, key in zip(caps, keys, strict=True))
        for moment in _instants(day, grid, zone):
            if room <= 0 or len(chosen) >= count:
                break
            if moment < earliest or _minute(moment) in taken_minutes:
                continue
            chosen.append(moment)
            counts.update(keys)
            room -= 1
    return chosen


def no_slot_reason(
    settings: PublishingSettings,
    taken: Iterable[datetime],
    now: datetime,
    *,
    lead: timedelta = timedelta(minutes=5),
    horizon_days: int = 400,
    counts: Mapping[str, int] | None = None,
) -> str:
    """Why `assign_slots` (same arguments) finds no time for one more item, as one sentence: a cap
    of 0, else the cap already reached on the first publish day it looks at, and the date through
    which no slot is free (the next time it could go is after it, or when a limit is raised)."""
    _require_aware(now, "now")
    caps = _caps(settings)
    for period, cap in zip(PERIODS, caps, strict=True):
        if cap == 0:
            return f"the {period} publish limit is 0: nothing can be scheduled until it is raised"
    zone = settings.zone
    counts, _ = _tally(taken, zone, counts)
    first_day = (now + lead).astimezone(zone).date()
    last_day = first_day + timedelta(days=horizon_days)
    publish_weekdays = {DAYS.index(day) for day in settings.publish_days}
    blackout = set(settings.blackout_dates)
    for offset in range(horizon_days + 1):
        day = first_day + timedelta(days=offset)
        if day.weekday() not in publish_weekdays or day in blackout:
            continue
        for period, cap, key in zip(PERIODS, caps, period_keys(day), strict=True):
            if counts[key] >= cap:
                return (
                    f"the {period} publish limit ({cap:g}) is reached for {key} ({settings.timezone}), "
                    f"and no later slot is free through {last_day}; it can go after that, "
                    "or sooner once a limit is raised"
                )
    return (
        f"no slot is free through {last_day} ({settings.timezone}): the publish days, time slots and "
        "blackout dates leave none"
    )


def check_explicit_time(
    settings: PublishingSettings,
    taken: Iterable[datetime],
    when: datetime,
    now: datetime,
    *,
    counts: Mapping[str, int] | None = None,
) -> str | None:
    """None when a user-chosen time is acceptable, else the reason as one readable sentence.

    An explicit time may fall outside the slots, publish days and blackout dates (the user
    chose it), but it must be in the future and keep every cap. When rescheduling, leave the
    item itself out of `taken` (or of `counts`, which replaces `taken` as in `assign_slots`).
    """
    _require_aware(when, "when")
    _require_aware(now, "now")
    if when <= now:
        return "The publish time must be in the future."
    counts, _ = _tally(taken, settings.zone, counts)
    keys = period_keys(when.astimezone(settings.zone))
    for period, cap, key in zip(PERIODS, _caps(settings), keys, strict=True):
        if counts[key] >= cap:
            return f"The {period} publish limit ({cap}) is already reached for {key} ({settings.timezone})."
    return None


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _caps(settings: PublishingSettings) -> tuple[float, float, float]:
    """Daily, weekly and monthly caps, unlimited as infinity so `min` and `>=` just work."""
    limits = (settings.daily_publish_limit, settings.weekly_publish_limit, settings.monthly_publish_limit)
    return tuple(float("inf") if limit is None else limit for limit in limits)


def period_counts(times: Iterable[datetime], zone: ZoneInfo) -> Counter[str]:
    """Items per local period key (`period_keys`) of the given times: what counters would hold."""
    counts: Counter[str] = Counter()
    for moment in times:
        _require_aware(moment, "taken")
        counts.update(period_keys(moment.astimezone(zone)))
    return counts


def _tally(
    taken: Iterable[datetime], zone: ZoneInfo, counts: Mapping[str, int] | None
) -> tuple[Counter[str], set[int]]:
    """Items per local period key (`counts` as given, else from `taken`) and the taken UTC minutes."""
    taken = list(taken)
    for moment in taken:
        _require_aware(moment, "taken")
    tally = period_counts(taken, zone) if counts is None else Counter(counts)
    return tally, {_minute(moment) for moment in taken}


def _minute(moment: datetime) -> int:
    """The UTC minute an instant falls in (its identity for "never two items in one minute")."""
    return int(moment.timestamp()) // 60


def _day_grid(settings: PublishingSettings, jitter: int = 0) -> list[int]:
    """The day's candidate minutes after local midnight, ascending (see the module docstring),
    each shifted by `jitter` minutes at most, never past its part of the slot window."""
    if jitter < 0:
        raise ValueError("jitter must not be negative")
    slots = [
        (start.hour * 60 + start.minute, end.hour * 60 + end.minute) for start, end in settings.time_slots
    ]
    daily = settings.daily_publish_limit
    if daily is None:
        uncapped = []
        for start, end in slots:
            minutes = range(start, end, UNLIMITED_GRID_MINUTES)
            room = min(UNLIMITED_GRID_MINUTES, end - minutes[-1]) if minutes else 1  # after the last one
            uncapped += [minute + jitter % room for minute in minutes]
        return uncapped
    total = sum(end - start for start, end in slots)
    parts = min(daily, total)
    step = ROUND_TO_MINUTES if parts and total // parts >= ROUND_TO_MINUTES else 1
    shift = jitter % (total // (2 * parts)) if parts and total // (2 * parts) > 0 else 0
    grid = set()
    for index in range(parts):
        offset = (2 * index + 1) * total // (2 * parts)
        for start, end in slots:
            if offset < end - start:
                grid.add(min(start + offset // step * step + shift, end - 1))
                break
            offset -= end - start
    return sorted(grid)


def _instants(day: date, grid: list[int], zone: ZoneInfo) -> Iterator[datetime]:
    """The grid's wall times on `day` as UTC instants, skipping those a DST gap removes."""
    for minute in grid:
        wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)  # fold=0
        moment = wall.astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
            yield moment
