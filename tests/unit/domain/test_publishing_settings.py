"""PublishingSettings: the API contract's defaults and one field-level error per rule."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from pydantic import ValidationError

from publisher.domain.publishing_settings import PublishingSettings


def error_locs(**fields: Any) -> list[tuple]:
    """The `loc` of every error raised for settings built from `fields`."""
    with pytest.raises(ValidationError) as caught:
        PublishingSettings(**fields)
    return [error["loc"] for error in caught.value.errors()]


def slots(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"start": start, "end": end} for start, end in pairs]


def test_given_nothing_when_built_then_defaults_are_those_of_the_api_contract():
    assert PublishingSettings().model_dump(mode="json") == {
        "auto_approval_enabled": False,
        "auto_publish_enabled": False,
        "auto_republish_on_edit": False,
        "daily_publish_limit": 3,
        "weekly_publish_limit": 15,
        "monthly_publish_limit": 50,
        "publish_days": ["mon", "tue", "wed", "thu", "fri"],
        "publish_time_slots": [{"start": "09:00", "end": "17:00"}],
        "timezone": "UTC",
        "missed_schedule_policy": "publish_late",
        "blackout_dates": [],
    }


def test_given_a_full_json_body_when_validated_then_it_round_trips_and_offers_parsed_helpers():
    body = {
        "auto_approval_enabled": True,
        "auto_publish_enabled": True,
        "auto_republish_on_edit": True,
        "daily_publish_limit": None,
        "weekly_publish_limit": None,
        "monthly_publish_limit": None,
        "publish_days": ["sat", "mon"],
        "publish_time_slots": slots(("14:00", "18:30"), ("00:00", "09:00"), ("09:00", "12:00")),
        "timezone": "America/New_York",
        "missed_schedule_policy": "hold",
        "blackout_dates": ["2026-12-25", "2026-01-01"],
    }

    settings = PublishingSettings.model_validate(body)

    assert settings.model_dump(mode="json") == body
    assert settings.blackout_dates == [date(2026, 12, 25), date(2026, 1, 1)]
    assert settings.time_slots == [
        (time(0, 0), time(9, 0)),
        (time(9, 0), time(12, 0)),
        (time(14, 0), time(18, 30)),
    ]
    assert settings.zone.key == "America/New_York"


@pytest.mark.parametrize("bad", ["9:00", "24:00", "12:60", "noon", "", "12:00:00", " 12:00", "1200"])
@pytest.mark.parametrize("side", ["start", "end"])
def test_given_a_time_not_hh_mm_when_validated_then_the_error_points_at_that_time(bad, side):
    good = {"start": "00:00", "end": "23:59"}
    assert error_locs(publish_time_slots=[good, {**good, side: bad}]) == [("publish_time_slots", 1, side)]


def test_given_extreme_valid_times_when_validated_then_they_are_accepted():
    settings = PublishingSettings(publish_time_slots=slots(("00:00", "23:59")))

    assert settings.time_slots == [(time(0, 0), time(23, 59))]


@pytest.mark.parametrize(("start", "end"), [("10:00", "10:00"), ("17:00", "09:00")])
def test_given_a_slot_that_does_not_end_after_it_starts_then_the_error_points_at_its_end(start, end):
    assert error_locs(publish_time_slots=slots(("06:00", "07:00"), (start, end))) == [
        ("publish_time_slots", 1, "end")
    ]


def test_given_overlapping_slots_then_each_later_starting_overlapping_slot_is_reported():
    locs = error_locs(
        publish_time_slots=slots(
            ("12:30", "12:45"), ("09:00", "17:00"), ("18:00", "19:00"), ("10:00", "11:00")
        )
    )

    assert locs == [("publish_time_slots", 0), ("publish_time_slots", 3)]


def test_given_slots_that_only_touch_then_they_are_accepted():
    settings = PublishingSettings(publish_time_slots=slots(("12:00", "17:00"), ("09:00", "12:00")))

    assert settings.time_slots == [(time(9), time(12)), (time(12), time(17))]


def test_given_more_than_ten_slots_then_the_list_is_refused():
    eleven = slots(*[(f"{hour:02d}:00", f"{hour:02d}:30") for hour in range(11)])

    assert error_locs(publish_time_slots=eleven) == [("publish_time_slots",)]
    assert len(PublishingSettings(publish_time_slots=eleven[:10]).time_slots) == 10


def test_given_no_slots_then_the_list_is_refused():
    assert error_locs(publish_time_slots=[]) == [("publish_time_slots",)]


def test_given_a_slot_with_an_unknown_key_then_that_key_is_refused():
    assert error_locs(publish_time_slots=[{"start": "09:00", "end": "10:00", "label": "x"}]) == [
        ("publish_time_slots", 0, "label")
    ]


def test_given_an_unknown_day_then_the_error_points_at_it():
    assert error_locs(publish_days=["mon", "monday"]) == [("publish_days", 1)]


def test_given_a_repeated_day_then_the_error_points_at_the_repeat():
    assert error_locs(publish_days=["mon", "tue", "mon"]) == [("publish_days", 2)]


def test_given_no_publish_day_then_the_list_is_refused():
    assert error_locs(publish_days=[]) == [("publish_days",)]


@pytest.mark.parametrize("field", ["daily_publish_limit", "weekly_publish_limit", "monthly_publish_limit"])
def test_given_a_negative_limit_then_the_error_points_at_it(field):
    unlimited = {"daily_publish_limit": None, "weekly_publish_limit": None, "monthly_publish_limit": None}

    assert error_locs(**{**unlimited, field: -1}) == [(field,)]


@pytest.mark.parametrize("field", ["daily_publish_limit", "weekly_publish_limit", "monthly_publish_limit"])
def test_given_a_fractional_limit_then_the_error_points_at_it(field):
    assert error_locs(**{field: 2.5}) == [(field,)]


def test_given_a_daily_limit_above_the_weekly_then_the_weekly_limit_is_reported():
    assert error_locs(daily_publish_limit=5, weekly_publish_limit=4) == [("weekly_publish_limit",)]


def test_given_a_weekly_limit_above_the_monthly_then_the_monthly_limit_is_reported():
    assert error_locs(weekly_publish_limit=20, monthly_publish_limit=19) == [("monthly_publish_limit",)]


def test_given_no_weekly_limit_and_a_daily_limit_above_the_monthly_then_the_monthly_limit_is_reported():
    assert error_locs(daily_publish_limit=9, weekly_publish_limit=None, monthly_publish_limit=8) == [
        ("monthly_publish_limit",)
    ]


def test_given_unlimited_or_equal_limits_then_any_order_between_set_ones_holds():
    unlimited_week = PublishingSettings(
        daily_publish_limit=40, weekly_publish_limit=None, monthly_publish_limit=40
    )
    zero = PublishingSettings(daily_publish_limit=0, weekly_publish_limit=0, monthly_publish_limit=0)

    assert (unlimited_week.daily_publish_limit, unlimited_week.weekly_publish_limit) == (40, None)
    assert zero.monthly_publish_limit == 0


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "America", "localtime", "UTC "]
)
def test_given_an_unknown_time_zone_then_the_error_points_at_it(name):
    assert error_locs(timezone=name) == [("timezone",)]


@pytest.mark.parametrize("name", ["Europe/Paris", "Asia/Kathmandu", "Etc/GMT+5", "Australia/Lord_Howe"])
def test_given_an_iana_time_zone_then_it_is_accepted(name):
    assert PublishingSettings(timezone=name).zone.key == name


def test_given_a_repeated_blackout_date_then_the_error_points_at_the_repeat():
    assert error_locs(blackout_dates=["2026-12-25", "2026-12-24", "2026-12-25"]) == [("blackout_dates", 2)]


def test_given_a_blackout_date_that_is_no_date_then_the_error_points_at_it():
    assert error_locs(blackout_dates=["2026-12-25", "2026-13-01"]) == [("blackout_dates", 1)]


def test_given_an_unknown_missed_schedule_policy_then_it_is_refused():
    assert error_locs(missed_schedule_policy="retry") == [("missed_schedule_policy",)]


def test_given_an_unknown_field_then_it_is_refused():
    assert error_locs(publish_hours=[9]) == [("publish_hours",)]


def test_given_several_mistakes_then_each_is_reported_at_its_own_field():
    locs = error_locs(
        daily_publish_limit=-3,
        publish_days=["mon", "mon"],
        publish_time_slots=slots(("09:00", "08:00")),
        timezone="Nowhere/Town",
    )

    assert sorted(locs) == sorted(
        [("daily_publish_limit",), ("publish_days", 1), ("publish_time_slots", 0, "end"), ("timezone",)]
    )
