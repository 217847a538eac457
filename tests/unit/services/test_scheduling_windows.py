"""The calendar window a recount of the counters reads starts before every item that counts toward
the caps of the local week and month in question (else a cap could be recounted from too few items)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from publisher.domain.publishing_settings import PublishingSettings
from publisher.services.slot_claims import window_start as _window_start

ZONES = [
    "UTC",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "America/Santiago",
    "Asia/Kathmandu",
]

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


def _local_start(day: date, settings: PublishingSettings) -> datetime:
    return datetime.combine(day, time(0), tzinfo=settings.zone).astimezone(UTC)


@given(moment=moments, zone=st.sampled_from(ZONES))
def test_the_window_starts_before_the_local_week_and_month_of_the_moment(moment, zone):
    settings = PublishingSettings(timezone=zone)
    day = moment.astimezone(settings.zone).date()
    week_start = day - timedelta(days=day.weekday())
    month_start = day.replace(day=1)

    start = _window_start(settings, moment)

    assert start <= _local_start(min(week_start, month_start), settings)
    assert start <= moment
    assert moment - start <= timedelta(days=40)  # a window, not the whole history
