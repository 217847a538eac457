"""Per-site publication counters per LOCAL day / ISO week / month, so caps hold under concurrency.

A counter is `UsageCounterModel(site_id, "day#2026-11-21" | "week#2026-W47" | "month#2026-11")`.
Reserving is an atomic +1 on each counter of an instant, conditioned on staying within its cap
(`add_one` before a schedule move; `add_increments` inside a publication's transaction): two
schedulers racing for the last place of a day cannot both win.
Unlimited periods are not counted (a write per period that no cap reads): setting a cap recounts
the site's counters from its calendar (services/settings.py), so a cap set later starts from the truth.
Releasing is a -1 that never goes below zero; it is applied after the move that frees the place,
so a crash in between over-counts (a cap is never exceeded, a place may stay unused).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from publisher.domain.publishing_settings import PublishingSettings
from publisher.domain.slots import PERIODS, period_keys
from publisher.errors import Conflict
from publisher.store.common import BUSY, LabelledTransaction, condition_failed, conflicted, run_transaction
from publisher.store.models import UsageCounterModel

COUNTER_KEPT = timedelta(days=40)
"""A counter expires (TTL) this long after the moment of its latest +1 (a moment of its period): past
the end of the period (a month is at most 31 days), when no cap reads it any more. Counters written
before this kept 400 days: until they expire, `counts_from` also reads those past weeks and months."""
PREFIXES = ("day", "week", "month")

Reservation = tuple[str, int | None]
"""A counter key and its cap (None: unlimited)."""


def counter_keys(settings: PublishingSettings, when: datetime) -> list[Reservation]:
    """The day/week/month counters an instant counts toward, in the site's zone, with their caps."""
    keys = period_keys(when.astimezone(settings.zone))
    caps = (settings.daily_publish_limit, settings.weekly_publish_limit, settings.monthly_publish_limit)
    return [(f"{prefix}#{key}", cap) for prefix, key, cap in zip(PREFIXES, keys, caps, strict=True)]


def period_key(counter_key: str) -> str:
    """`"day#2026-11-21"` → `"2026-11-21"` (the key `domain.slots.period_keys` gives)."""
    return counter_key.split("#", 1)[1]


def period_name(counter_key: str) -> str:
    """`"day#2026-11-21"` → `"daily"` (the word the limits use)."""
    return PERIODS[PREFIXES.index(counter_key.split("#", 1)[0])]


@dataclass(frozen=True)
class Increments:
    """+1 on counters of a site, written in the transaction of another move (a publication's), each
    on the condition of its cap (None: counted without one)."""

    site_id: str
    reservations: list[Reservation]
    moment: datetime


class CapFull(Conflict):
    """A counter of `Increments` was at its cap: the transaction wrote nothing."""

    def __init__(self, counter_key: str, cap: int | None) -> None:
        period = period_name(counter_key)
        super().__init__(f"the {period} cap of {cap} publications is reached ({counter_key})")
        self.counter_key = counter_key
        self.cap = cap


def reservable(reservations: Iterable[Reservation]) -> bool:
    """False when a cap of 0 makes the reservation impossible whatever the count."""
    return all(cap is None or cap > 0 for _, cap in reservations)


def add_increments(
    tx: LabelledTransaction,
    site_id: str,
    reservations: Iterable[Reservation],
    when: datetime,
    *,
    within_caps: bool = True,
) -> None:
    """Put the +1 of each capped counter into the transaction, conditioned on its cap unless
    `within_caps` is False (counted whatever the count); labels are the keys. Unlimited periods
    (cap None) are not counted."""
    for key, cap in reservations:
        if cap is None:
            continue
        counter = UsageCounterModel(site_id=site_id, period=key)
        tx.update(counter, _plus_one(when), condition=_within(cap) if within_caps else None, label=key)


def _plus_one(when: datetime) -> list[Any]:
    expires = when.astimezone(UTC) + COUNTER_KEPT
    return [UsageCounterModel.count.add(1), UsageCounterModel.expires_at.set(expires)]


def _within(cap: int) -> Condition:
    return UsageCounterModel.count.does_not_exist() | (UsageCounterModel.count < cap)


def add_one(site_id: str, key: str, cap: int, when: datetime) -> str | None:
    """+1 on one counter if it stays within `cap`, as a plain conditional UpdateItem (outside a
    transaction, which would bill it twice): None when counted, else `key` (full) or BUSY."""
    counter = UsageCounterModel(site_id=site_id, period=key)
    try:
        counter.update(actions=_plus_one(when), condition=_within(cap))
    except UpdateError as exc:
        if condition_failed(exc):
            return key
        if conflicted(exc):
            return BUSY
        raise
    return None


def reserve(site_id: str, settings: PublishingSettings, when: datetime, *, attempts: int = 5) -> bool:
    """+1 on `when`'s local day/week/month counters if every one stays within its cap; else False."""
    reservations = counter_keys(settings, when)
    if not reservable(reservations):
        return False
    for _ in range(attempts):
        outcome = run_transaction(lambda tx: add_increments(tx, site_id, reservations, when))
        if outcome != BUSY:
            return outcome is None
    raise Conflict("the publish counters are busy; try again")


def release(site_id: str, settings: PublishingSettings, when: datetime) -> None:
    """-1 on `when`'s capped counters (an unschedule or a reschedule away); never below zero."""
    release_keys(site_id, capped_keys(settings, when))


def capped_keys(settings: PublishingSettings, when: datetime) -> list[str]:
    """The counters of `when` that a cap reads (the only ones counted)."""
    return [key for key, cap in counter_keys(settings, when) if cap is not None]


def release_keys(site_id: str, keys: Iterable[str]) -> None:
    for key in keys:
        counter = UsageCounterModel(site_id=site_id, period=key)
        try:
            counter.update(actions=[UsageCounterModel.count.add(-1)], condition=UsageCounterModel.count > 0)
        except UpdateError as exc:
            if not condition_failed(exc):
                raise


def current(site_id: str, keys: Iterable[str]) -> dict[str, int]:
    """The named counters of a site now (one consistent GetItem each; 0 when absent)."""
    found: dict[str, int] = {}
    for key in dict.fromkeys(keys):
        try:
            found[key] = int(UsageCounterModel.get(site_id, key, consistent_read=True).count or 0)
        except UsageCounterModel.DoesNotExist:
            found[key] = 0
    return found


def counts_from(site_id: str, settings: PublishingSettings, moment: datetime) -> dict[str, int]:
    """The site's capped counters of `moment`'s local day, week and month and of every later one,
    keyed by period key as `domain.slots.period_keys` spells them ("2026-11-21"): what the scheduler
    needs of the past. One consistent Query on the site's counters from the earliest of those keys
    ("day#…" < "month#…" < "week#…"): it reads the days from `moment`'s on, and the weeks and months
    kept by the TTL (COUNTER_KEPT: a few past ones), however long the site's history."""
    firsts = {key.split("#", 1)[0]: key for key, cap in counter_keys(settings, moment) if cap is not None}
    if not firsts:
        return {}
    since = UsageCounterModel.period >= min(firsts.values())
    found: dict[str, int] = {}
    for item in UsageCounterModel.query(site_id, since, consistent_read=True):
        first = firsts.get(item.period.split("#", 1)[0])
        if first is not None and item.period >= first:
            found[period_key(item.period)] = int(item.count or 0)
    return found


def counts(site_id: str) -> dict[str, int]:
    """Every counter of a site (a Query on its partition: the periods not over and, thanks to the
    TTL, a few past ones)."""
    return {item.period: int(item.count) for item in UsageCounterModel.query(site_id, consistent_read=True)}


def recount(site_id: str, settings: PublishingSettings, times: Iterable[datetime], now: datetime) -> None:
    """Rewrite the site's current and future counters from the items' times (after a time zone change).

    `times` must hold every counted item from the start of the current local week or month,
    whichever is earlier. Not atomic with concurrent scheduling: run on a settings change only.
    """
    fresh: Counter[str] = Counter()
    latest = now
    for moment in times:
        fresh.update(capped_keys(settings, moment))
        latest = max(latest, moment)
    current = {key.split("#", 1)[0]: key for key, _ in counter_keys(settings, now)}

    def still_matters(key: str) -> bool:
        return key >= current[key.split("#", 1)[0]]

    existing = counts(site_id)
    expires = latest + COUNTER_KEPT  # after the last period any of them counts
    for key in sorted(set(existing) | set(fresh)):
        if still_matters(key) and existing.get(key, 0) != fresh.get(key, 0):
            UsageCounterModel(site_id=site_id, period=key, count=fresh.get(key, 0), expires_at=expires).save()
