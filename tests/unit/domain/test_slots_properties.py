"""Properties of assign_slots over random valid settings, taken sets and nows (hypothesis)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.domain.publishing_settings import DAYS, PublishingSettings
from publisher.domain.slots import assign_slots, period_counts, period_keys

# Zones with DST gaps and repeats at various hours, half-hour shifts (Lord Howe), odd offsets
# (Kathmandu, Chatham) and a DST change at midnight (Santiago).
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Santiago",
]


@cache
def offset_changes(zone_name: str) -> list[datetime]:
    """The UTC instants (to the hour) in 2025-2028 when the zone's UTC offset changes: days whose
    offset differs from the next day's are searched hour by hour (computed once per zone, when a
    test first draws from it, not at import)."""
    zone = ZoneInfo(zone_name)

    def shifts(instants: list[datetime]) -> list[datetime]:
        return [
            b
            for a, b in pairwise(instants)
            if a.astimezone(zone).utcoffset() != b.astimezone(zone).utcoffset()
        ]

    start = datetime(2025, 1, 1, tzinfo=UTC)
    days = shifts([start + timedelta(days=day) for day in range(4 * 366 + 1)])
    return [hour for day in days for hour in shifts([day - timedelta(hours=h) for h in range(24, -1, -1)])]


@dataclass(frozen=True)
class Scenario:
    settings: PublishingSettings
    taken: list[datetime]
    now: datetime
    lead: timedelta

    def assign(self, count: int, taken: list[datetime] | None = None) -> list[datetime]:
        return assign_slots(
            self.settings, self.taken if taken is None else taken, self.now, count, lead=self.lead
        )


def minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


@st.composite
def limits(draw: st.DrawFn) -> tuple[int | None, int | None, int | None]:
    """Daily <= weekly <= monthly wherever both are set, as the settings require."""
    daily = draw(st.none() | st.integers(0, 8))
    weekly = draw(st.none() | st.integers(daily or 0, (daily or 0) + 20))
    floor = max((limit for limit in (daily, weekly) if limit is not None), default=0)
    monthly = draw(st.none() | st.integers(floor, floor + 60))
    return daily, weekly, monthly


@st.composite
def time_slots(draw: st.DrawFn) -> list[dict[str, str]]:
    """1-4 disjoint slots, often on half hours so they meet DST gaps and repeats."""
    count = draw(st.integers(1, 4))
    minute = st.integers(0, 1439) | st.sampled_from(range(0, 1440, 30))
    bounds = sorted(draw(st.lists(minute, min_size=2 * count, max_size=2 * count, unique=True)))
    pairs = [(bounds[index], bounds[index + 1]) for index in range(0, len(bounds), 2)]
    slots = [
        {"start": f"{start // 60:02d}:{start % 60:02d}", "end": f"{end // 60:02d}:{end % 60:02d}"}
        for start, end in pairs
    ]
    return draw(st.permutations(slots))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone_name = draw(st.sampled_from(ZONES))
    if offset_changes(zone_name) and draw(st.booleans()):  # just before a DST change, half of the time
        change = draw(st.sampled_from(offset_changes(zone_name)))
        now = change - draw(st.timedeltas(timedelta(0), timedelta(days=3)))
    else:
        now = draw(st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)))
    daily, weekly, monthly = draw(limits())
    blackout_offsets = draw(st.lists(st.integers(-2, 40), max_size=8, unique=True))
    site = PublishingSettings(
        daily_publish_limit=daily,
        weekly_publish_limit=weekly,
        monthly_publish_limit=monthly,
        publish_days=draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True)),
        publish_time_slots=draw(time_slots()),
        timezone=zone_name,
        blackout_dates=[now.date() + timedelta(days=offset) for offset in blackout_offsets],
    )
    moment_zone = st.sampled_from([UTC, ZoneInfo(zone_name), timezone(timedelta(hours=-7, minutes=-30))])
    taken = draw(
        st.lists(
            st.datetimes(
                (now - timedelta(days=40)).replace(tzinfo=None),
                (now + timedelta(days=80)).replace(tzinfo=None),
                timezones=moment_zone,
            ),
            max_size=40,
        )
    )
    if draw(st.booleans()):  # also occupy exact grid minutes, as earlier assignments do
        earlier = now - timedelta(days=draw(st.integers(0, 10)), minutes=draw(st.integers(0, 600)))
        taken += assign_slots(site, [], earlier, draw(st.integers(1, 20)))
    lead = draw(st.timedeltas(timedelta(0), timedelta(hours=3)))
    return Scenario(site, draw(st.permutations(taken)), now, lead)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(0, 30))
def test_every_assigned_time_keeps_every_rule(scenario: Scenario, count: int):
    site = scenario.settings
    zone = site.zone
    chosen = scenario.assign(count)
    local = [moment.astimezone(zone) for moment in chosen]

    assert len(chosen) <= count
    assert chosen == sorted(chosen)
    assert all(moment.tzinfo is UTC and moment.second == moment.microsecond == 0 for moment in chosen)
    assert all(moment >= scenario.now + scenario.lead for moment in chosen)
    assert all(DAYS[wall.weekday()] in site.publish_days for wall in local)
    assert all(wall.date() not in site.blackout_dates for wall in local)
    slots = [(minute_of_day(start), minute_of_day(end)) for start, end in site.time_slots]
    assert all(any(start <= minute_of_day(wall) < end for start, end in slots) for wall in local)
    # One item per UTC minute, never a taken minute, and one instant per local wall time.
    minutes = [int(moment.timestamp()) // 60 for moment in chosen]
    taken_minutes = {int(moment.timestamp()) // 60 for moment in scenario.taken}
    assert len(set(minutes)) == len(minutes)
    assert not taken_minutes & set(minutes)
    assert len({wall.replace(tzinfo=None) for wall in local}) == len(local)
    # Caps hold in every local day, ISO week and month that received a new item.
    caps = (site.daily_publish_limit, site.weekly_publish_limit, site.monthly_publish_limit)
    totals = Counter(
        key for moment in [*scenario.taken, *chosen] for key in period_keys(moment.astimezone(zone))
    )
    for wall in local:
        for cap, key in zip(caps, period_keys(wall), strict=True):
            assert cap is None or totals[key] <= cap, (key, totals[key], cap)


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(0, 20))
def test_same_inputs_give_the_same_times_whatever_the_order_of_taken(scenario: Scenario, count: int):
    first = scenario.assign(count)

    assert scenario.assign(count) == first
    assert scenario.assign(count, taken=scenario.taken[::-1]) == first


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(0, 15), st.integers(0, 15))
def test_asking_for_more_extends_the_shorter_answer(scenario: Scenario, fewer: int, more: int):
    assert scenario.assign(fewer + more)[:fewer] == scenario.assign(fewer)


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(0, 15), st.integers(0, 15))
def test_assigning_in_two_calls_equals_assigning_in_one(scenario: Scenario, fewer: int, more: int):
    first = scenario.assign(fewer)

    second = scenario.assign(more, taken=[*scenario.taken, *first])

    assert first + second == scenario.assign(fewer + more)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(0, 30), st.integers(0, 14))
def test_counts_per_period_and_the_times_ahead_give_what_the_whole_calendar_gives(
    scenario: Scenario, count: int, jitter: int
):
    """What the scheduler reads (the counters, and the calendar from `now + lead` on) decides as
    the whole calendar from the start of the month did."""
    site = scenario.settings
    earliest = scenario.now + scenario.lead
    first_minute = earliest.replace(second=0, microsecond=0)
    ahead = [moment for moment in scenario.taken if moment >= first_minute]
    counts = period_counts(scenario.taken, site.zone)

    from_counts = assign_slots(
        site, ahead, scenario.now, count, lead=scenario.lead, jitter=jitter, counts=counts
    )

    assert from_counts == assign_slots(
        site, scenario.taken, scenario.now, count, lead=scenario.lead, jitter=jitter
    )
