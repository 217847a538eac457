"""EventBridge schedules for the local runner: `rate(...)` and AWS's 6-field `cron(...)`,
a clock that can run faster than real time for demos, and one thread per schedule."""

from __future__ import annotations

import calendar
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

log = logging.getLogger("local")

_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class Schedule(Protocol):
    def next_after(self, after: datetime, *, anchor: datetime) -> datetime | None:
        """The first tick strictly after `after`; `anchor` is when the rule was created."""
        ...


@dataclass(frozen=True)
class Rate:
    """`rate(N unit)`: every N units, counted from when the rule was created."""

    period: timedelta

    def next_after(self, after: datetime, *, anchor: datetime) -> datetime:
        elapsed = max(after - anchor, timedelta(0))
        return anchor + self.period * (elapsed // self.period + 1)


@dataclass(frozen=True)
class Cron:
    """`cron(min hour day-of-month month day-of-week year)` as EventBridge reads it
    (day-of-week 1-7 is SUN-SAT; one of the two day fields is `?`)."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int] | None  # None: `?`
    months: tuple[int, ...]
    weekdays: frozenset[int] | None  # None: `?`
    years: tuple[int, ...]
    zone: tzinfo = UTC

    def matches_day(self, day: date) -> bool:
        weekday = (day.weekday() + 1) % 7 + 1  # Monday is 0 in Python, 2 in cron
        return (self.days is None or day.day in self.days) and (
            self.weekdays is None or weekday in self.weekdays
        )

    def next_after(self, after: datetime, *, anchor: datetime | None = None) -> datetime | None:
        start = (after.astimezone(self.zone) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        for year in (year for year in self.years if year >= start.year):
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                for day_number in range(1, calendar.monthrange(year, month)[1] + 1):
                    day = date(year, month, day_number)
                    if day < start.date() or not self.matches_day(day):
                        continue
                    for hour in self.hours:
                        for minute in self.minutes:
                            tick = datetime(year, month, day_number, hour, minute, tzinfo=self.zone)
                            if tick >= start:
                                return tick.astimezone(UTC)
        return None


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> tuple[int, ...]:
    """One cron field: `*`, numbers or names, lists `a,b`, ranges `a-b` and steps `*/n`, `a/n`, `a-b/n`."""

    def number(token: str) -> int:
        value = int(token) if token.isdigit() else (names or {}).get(token.upper())
        if value is None and re.search(r"[LW#]", token):
            raise ValueError(f"{token!r}: L, W and # are not supported by the local runner")
        if value is None or not low <= value <= high:
            raise ValueError(f"{token!r} is not between {low} and {high}")
        return value

    values: set[int] = set()
    for item in text.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"{item!r} has an invalid step")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first, last = (number(part) for part in span.split("-", 1))
            if first > last:
                raise ValueError(f"{item!r} is an empty range")
        else:
            first = number(span)
            last = high if step else first
        values.update(range(first, last + 1, step or 1))
    return tuple(sorted(values))


def parse_schedule(expression: str, zone: str | None = None) -> Rate | Cron:
    """`rate(5 minutes)` or `cron(0 0 * * ? *)` (ValueError with the reason otherwise)."""
    expression = expression.strip()
    if found := re.fullmatch(r"rate\(\s*(\d+)\s+(minute|hour|day)(s?)\s*\)", expression):
        value, unit, plural = int(found[1]), found[2], found[3]
        if value < 1 or (value == 1) == bool(plural):
            raise ValueError(f"{expression}: say 'rate(1 {unit})' or 'rate(N {unit}s)' with N > 1")
        return Rate(timedelta(seconds=value * _UNITS[unit]))
    found = re.fullmatch(r"cron\((.*)\)", expression)
    if not found:
        raise ValueError(f"{expression!r} is neither rate(...) nor cron(...)")
    fields = found[1].split()
    if len(fields) != 6:
        raise ValueError(f"{expression}: cron needs 6 fields (minute hour day month weekday year)")
    minute, hour, day, month, weekday, year = fields
    if (day == "?") == (weekday == "?"):
        raise ValueError(f"{expression}: exactly one of day-of-month and day-of-week must be '?'")
    return Cron(
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days=None if day == "?" else frozenset(_field(day, 1, 31)),
        months=_field(month, 1, 12, _MONTHS),
        weekdays=None if weekday == "?" else frozenset(_field(weekday, 1, 7, _WEEKDAYS)),
        years=_field(year, 1970, 2199),
        zone=ZoneInfo(zone) if zone else UTC,
    )


class Clock:
    """Wall time that runs `speed` times faster than real time from the moment it is made."""

    def __init__(
        self, speed: float = 1.0, start: datetime | None = None, timer: Callable[[], float] = time.monotonic
    ) -> None:
        if speed <= 0:
            raise ValueError("the clock speed must be positive")
        self.speed = speed
        self.started = start or datetime.now(UTC)
        self._timer = timer
        self._origin = timer()

    def now(self) -> datetime:
        return self.started + timedelta(seconds=(self._timer() - self._origin) * self.speed)

    def real_seconds_until(self, when: datetime) -> float:
        return max((when - self.now()).total_seconds() / self.speed, 0.0)


@dataclass(frozen=True)
class ScheduleSource:
    """A Schedule/ScheduleV2 event of a function in the template."""

    function: str
    event: str
    expression: str
    schedule: Rate | Cron
    rule_arn: str
    input: Any = None  # the rule's constant Input (JSON text) replaces the event when set


NOT_EMULATED = {"DeadLetterConfig", "RetryPolicy"}


def schedule_sources(template: dict[str, Any], resolve: Callable[[Any], Any]) -> list[ScheduleSource]:
    """Every enabled Schedule/ScheduleV2 event of every function."""
    from local.aws import ACCOUNT, REGION

    sources = []
    for function, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event, spec in (resource["Properties"].get("Events") or {}).items():
            if spec["Type"] not in {"Schedule", "ScheduleV2"}:
                continue
            # EventBridge's delivery settings (retries, dead-letter queue) are not emulated: failed
            # local runs are logged. They are left unresolved (they name resources not created here).
            emulated = {k: v for k, v in spec.get("Properties", {}).items() if k not in NOT_EMULATED}
            props = resolve(emulated)
            if props.get("Enabled") is False or props.get("State") == "DISABLED":
                continue
            expression = props.get("Schedule") or props["ScheduleExpression"]
            rule = props.get("Name") or f"{function}{event}"
            sources.append(
                ScheduleSource(
                    function=function,
                    event=event,
                    expression=expression,
                    schedule=parse_schedule(expression, props.get("ScheduleExpressionTimezone")),
                    rule_arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}",
                    input=props.get("Input"),
                )
            )
    return sources


Fire = Callable[[ScheduleSource, datetime], None]


def run_schedule(source: ScheduleSource, clock: Clock, fire: Fire, stop: threading.Event) -> None:
    """Fire `source` on each tick until `stop`; a tick missed while a run lasted is skipped."""
    while not stop.is_set():
        tick = source.schedule.next_after(clock.now(), anchor=clock.started)
        if tick is None:
            log.info("schedule %s.%s has no future tick", source.function, source.event)
            return
        if stop.wait(clock.real_seconds_until(tick)):
            return
        try:
            fire(source, tick)
        except Exception:
            log.debug("scheduled run of %s failed", source.function, exc_info=True)


def start_schedules(
    sources: list[ScheduleSource], clock: Clock, fire: Fire, stop: threading.Event
) -> list[threading.Thread]:
    threads = [
        threading.Thread(
            target=run_schedule,
            args=(source, clock, fire, stop),
            name=f"schedule-{source.function}-{source.event}",
            daemon=True,
        )
        for source in sources
    ]
    for thread in threads:
        thread.start()
    return threads
