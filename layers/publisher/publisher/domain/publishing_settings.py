"""A site's publishing settings: the body of `PUT /sites/{id}/publishing-settings/` and the stored shape.

Every rule raises a pydantic `ValidationError` whose `loc` names the offending field, down to
the list index (`("publish_time_slots", 1, "start")`), so the API can answer field by field.

Decisions:
- Times are `HH:MM` from `00:00` to `23:59`. A slot is half-open, `[start, end)`: `09:00-12:00`
  and `12:00-17:00` touch but do not overlap. `24:00` is refused (it is not a time of day);
  `23:59` is the latest end, so the last usable minute of a day is 23:58.
- A limit of `None` is unlimited and `0` publishes nothing in that period (a pause).
- `publish_days` and `publish_time_slots` may not be empty: such settings could never be met.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in `date.weekday()` order, so `DAYS.index(name)` is the weekday number."""

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Limit = Annotated[int, Field(ge=0)] | None
MAX_TIME_SLOTS = 10
MAX_BLACKOUT_DATES = 1000
HH_MM_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
"""ASCII digits only: `\\d` would also match other scripts' digits, e.g. U+0661."""
_HH_MM = re.compile(HH_MM_PATTERN)
HhMm = Annotated[str, Field(max_length=5, json_schema_extra={"pattern": HH_MM_PATTERN})]


def _error(kind: str, message: str, **context: object) -> PydanticCustomError:
    return PydanticCustomError(kind, message, context or None)


def _errors_at(title: str, problems: list[tuple[int, object, PydanticCustomError]]) -> ValidationError:
    """A ValidationError for list items; pydantic prefixes each `loc` with the field's name."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=error, loc=(index,), input=value) for index, value, error in problems]
    )


def _duplicates(values: list) -> list[tuple[int, object, PydanticCustomError]]:
    seen: set = set()
    problems = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append((index, value, _error("duplicate", "{value} is listed twice", value=str(value))))
        seen.add(value)
    return problems


def _as_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class TimeSlot(BaseModel):
    """A daily window `[start, end)` in the site's local wall time."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    start: HhMm
    end: HhMm

    @field_validator("start", "end")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HH_MM.fullmatch(value):
            raise _error("time_format", "use HH:MM between 00:00 and 23:59")
        return value

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if start is not None and value <= start:  # zero-padded HH:MM compares like the times
            raise _error("slot_order", "end must be after start ({start})", start=start)
        return value


class PublishingSettings(BaseModel):
    """One site's scheduling rules; defaults are those of the API contract. Defaults are validated
    too, so a body naming only `daily_publish_limit: 104` meets the weekly default's rule (422)."""

    model_config = ConfigDict(extra="forbid", validate_default=True, defer_build=True)

    auto_approval_enabled: bool = False
    auto_publish_enabled: bool = False
    auto_republish_on_edit: bool = False
    """An edit of a published field of published content queues a republish (as the system)."""
    daily_publish_limit: Limit = 3
    weekly_publish_limit: Limit = 15
    monthly_publish_limit: Limit = 50
    publish_days: list[Day] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"],
        min_length=1,
        max_length=len(DAYS),
        json_schema_extra={"uniqueItems": True},  # _unique_days refuses a repeat
    )
    publish_time_slots: list[TimeSlot] = Field(
        default_factory=lambda: [TimeSlot(start="09:00", end="17:00")],
        min_length=1,
        max_length=MAX_TIME_SLOTS,
    )
    timezone: Annotated[str, Field(max_length=64)] = "UTC"
    missed_schedule_policy: Literal["publish_late", "next_slot", "hold"] = "publish_late"
    blackout_dates: list[date] = Field(
        default_factory=list,
        max_length=MAX_BLACKOUT_DATES,
        json_schema_extra={"uniqueItems": True},  # _unique_dates refuses a repeat
    )

    @field_validator("weekly_publish_limit")
    @classmethod
    def _weekly_covers_daily(cls, value: int | None, info: ValidationInfo) -> int | None:
        daily = info.data.get("daily_publish_limit")
        if value is not None and daily is not None and daily > value:
            raise _error("limit_order", "must be at least the daily limit ({daily})", daily=daily)
        return value

    @field_validator("monthly_publish_limit")
    @classmethod
    def _monthly_covers_shorter(cls, value: int | None, info: ValidationInfo) -> int | None:
        shorter = [info.data.get(name) for name in ("daily_publish_limit", "weekly_publish_limit")]
        largest = max((limit for limit in shorter if limit is not None), default=None)
        if value is not None and largest is not None and largest > value:
            raise _error(
                "limit_order", "must be at least the daily and weekly limits ({largest})", largest=largest
            )
        return value

    @field_validator("publish_days")
    @classmethod
    def _unique_days(cls, value: list[str]) -> list[str]:
        if problems := _duplicates(value):
            raise _errors_at("publish_days", problems)
        return value

    @field_validator("publish_time_slots")
    @classmethod
    def _no_overlap(cls, value: list[TimeSlot]) -> list[TimeSlot]:
        """Report each slot that starts before an earlier-starting slot has ended."""
        order = sorted(range(len(value)), key=lambda index: (value[index].start, value[index].end))
        problems = []
        reach = value[order[0]]  # the slot ending last so far (min_length keeps the list non-empty)
        for index in order[1:]:
            slot = value[index]
            if slot.start < reach.end:
                problem = _error(
                    "slot_overlap", "overlaps the slot {start}-{end}", start=reach.start, end=reach.end
                )
                problems.append((index, slot.model_dump(), problem))
            if slot.end > reach.end:
                reach = slot
        if problems:
            raise _errors_at("publish_time_slots", sorted(problems, key=lambda problem: problem[0]))
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # "localtime" names the host's zone, not an IANA one: it would differ between machines.
        try:
            if value != "localtime":
                ZoneInfo(value)
                return value
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
        raise _error("unknown_time_zone", "unknown time zone; use an IANA name such as Europe/Paris")

    @field_validator("blackout_dates")
    @classmethod
    def _unique_dates(cls, value: list[date]) -> list[date]:
        if problems := _duplicates(value):
            raise _errors_at("blackout_dates", problems)
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone (ZoneInfo caches instances per name, so this is cheap)."""
        return ZoneInfo(self.timezone)

    @property
    def time_slots(self) -> list[tuple[time, time]]:
        """The slots as `(start, end)` times of day, earliest first."""
        return sorted((_as_time(slot.start), _as_time(slot.end)) for slot in self.publish_time_slots)
