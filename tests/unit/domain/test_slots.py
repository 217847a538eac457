"""assign_slots, period_keys and check_explicit_time on worked examples (DST included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from publisher.domain.publishing_settings import PublishingSettings
from publisher.domain.slots import (
    JITTER_MINUTES,
    assign_slots,
    check_explicit_time,
    no_slot_reason,
    period_counts,
    period_keys,
    site_jitter,
)

FRIDAY_EVENING = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # after the default 09:00-17:00 slot


def at(text: str) -> datetime:
    """`"2026-11-23T10:20Z"` as an aware datetime."""
    return datetime.fromisoformat(text)


def utc_texts(moments: list[datetime]) -> list[str]:
    return [moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ") for moment in moments]


def settings(**fields: Any) -> PublishingSettings:
    if "slots" in fields:
        fields["publish_time_slots"] = [{"start": start, "end": end} for start, end in fields.pop("slots")]
    return PublishingSettings(**fields)


def walls(moments: list[datetime], zone_name: str) -> list[str]:
    """Local wall times with their offsets, to read DST cases at a glance."""
    return [
        moment.astimezone(settings(timezone=zone_name).zone).strftime("%m-%d %H:%M%z") for moment in moments
    ]


# --- the grid and the publish days ---------------------------------------------------------


def test_given_default_settings_when_assigning_after_friday_hours_then_weekdays_get_three_spread_times():
    chosen = assign_slots(settings(), [], FRIDAY_EVENING, 4)

    assert utc_texts(chosen) == [
        "2026-11-23T10:20Z",
        "2026-11-23T13:00Z",
        "2026-11-23T15:40Z",
        "2026-11-24T10:20Z",
    ]
    assert all(moment.tzinfo is UTC and moment.second == 0 for moment in chosen)


def test_given_only_monday_and_wednesday_then_other_days_are_skipped():
    chosen = assign_slots(settings(publish_days=["wed", "mon"], daily_publish_limit=1), [], FRIDAY_EVENING, 3)

    assert utc_texts(chosen) == ["2026-11-23T13:00Z", "2026-11-25T13:00Z", "2026-11-30T13:00Z"]


def test_given_two_windows_then_the_day_is_spread_over_both_as_one_timeline():
    two_windows = settings(slots=[("14:00", "15:00"), ("09:00", "10:00")], daily_publish_limit=4)

    chosen = assign_slots(two_windows, [], FRIDAY_EVENING, 4)

    assert utc_texts(chosen) == [
        "2026-11-23T09:15Z",
        "2026-11-23T09:45Z",
        "2026-11-23T14:15Z",
        "2026-11-23T14:45Z",
    ]


def test_given_parts_of_five_minutes_or_more_then_times_fall_on_five_minute_marks():
    chosen = assign_slots(settings(daily_publish_limit=7), [], FRIDAY_EVENING, 7)

    assert [moment.strftime("%H:%M") for moment in chosen] == [
        "09:30",
        "10:40",
        "11:50",
        "13:00",
        "14:05",
        "15:15",
        "16:25",
    ]


def test_given_parts_shorter_than_five_minutes_then_times_keep_minute_precision():
    chosen = assign_slots(settings(slots=[("09:00", "09:10")], daily_publish_limit=4), [], FRIDAY_EVENING, 4)

    assert [moment.strftime("%H:%M") for moment in chosen] == ["09:01", "09:03", "09:06", "09:08"]


def test_given_a_daily_limit_above_the_slot_minutes_then_every_minute_is_used_once():
    chosen = assign_slots(settings(slots=[("09:00", "09:03")], daily_publish_limit=5), [], FRIDAY_EVENING, 4)

    assert utc_texts(chosen) == [
        "2026-11-23T09:00Z",
        "2026-11-23T09:01Z",
        "2026-11-23T09:02Z",
        "2026-11-24T09:00Z",
    ]


def test_given_no_daily_limit_then_candidates_are_every_30_minutes_from_each_slot_start():
    unlimited = settings(
        slots=[("09:00", "10:15"), ("13:10", "13:40")],
        daily_publish_limit=None,
        weekly_publish_limit=None,
        monthly_publish_limit=None,
    )

    chosen = assign_slots(unlimited, [], FRIDAY_EVENING, 5)

    assert utc_texts(chosen) == [
        "2026-11-23T09:00Z",
        "2026-11-23T09:30Z",
        "2026-11-23T10:00Z",
        "2026-11-23T13:10Z",
        "2026-11-24T09:00Z",
    ]


# --- caps -----------------------------------------------------------------------------------


def test_given_a_weekly_limit_then_the_rest_of_the_iso_week_is_skipped():
    chosen = assign_slots(settings(weekly_publish_limit=5), [], FRIDAY_EVENING, 6)

    assert utc_texts(chosen) == [
        "2026-11-23T10:20Z",
        "2026-11-23T13:00Z",
        "2026-11-23T15:40Z",
        "2026-11-24T10:20Z",
        "2026-11-24T13:00Z",
        "2026-11-30T10:20Z",
    ]


def test_given_a_monthly_limit_then_the_rest_of_the_month_is_skipped():
    thursday_morning = at("2026-11-26T08:00Z")

    chosen = assign_slots(
        settings(weekly_publish_limit=None, monthly_publish_limit=4), [], thursday_morning, 5
    )

    assert utc_texts(chosen) == [
        "2026-11-26T10:20Z",
        "2026-11-26T13:00Z",
        "2026-11-26T15:40Z",
        "2026-11-27T10:20Z",
        "2026-12-01T10:20Z",
    ]


def test_given_taken_items_on_a_day_then_they_count_toward_its_limit_wherever_they_are():
    taken = [at("2026-11-23T07:00Z"), at("2026-11-23T11:11Z")]  # one outside the slot (explicit)

    chosen = assign_slots(settings(), taken, FRIDAY_EVENING, 2)

    assert utc_texts(chosen) == ["2026-11-23T10:20Z", "2026-11-24T10:20Z"]


def test_given_taken_items_in_the_past_of_this_month_then_they_count_toward_the_monthly_limit():
    taken = [at("2026-11-02T10:00Z"), at("2026-11-03T10:00Z"), at("2026-10-30T10:00Z")]

    chosen = assign_slots(
        settings(weekly_publish_limit=None, monthly_publish_limit=3), taken, FRIDAY_EVENING, 2
    )

    assert utc_texts(chosen) == ["2026-11-23T10:20Z", "2026-12-01T10:20Z"]


def test_given_a_zero_limit_then_nothing_is_assigned():
    assert (
        assign_slots(
            settings(monthly_publish_limit=0, weekly_publish_limit=0, daily_publish_limit=0),
            [],
            FRIDAY_EVENING,
            3,
        )
        == []
    )


def test_given_a_site_zone_then_taken_items_count_in_its_local_days():
    new_york = settings(timezone="America/New_York", daily_publish_limit=1)
    monday_night_in_new_york = at("2026-11-24T03:00Z")  # Monday 22:00 local, Tuesday in UTC

    friday_evening_in_new_york = at("2026-11-20T22:00Z")

    chosen = assign_slots(new_york, [monday_night_in_new_york], friday_evening_in_new_york, 2)

    assert walls(chosen, "America/New_York") == ["11-24 13:00-0500", "11-25 13:00-0500"]


# --- taken minutes, blackout, lead, horizon ---------------------------------------------------


def test_given_a_taken_time_in_a_candidate_minute_then_that_minute_is_never_reused():
    taken = [at("2026-11-23T10:20:30Z")]

    chosen = assign_slots(settings(), taken, FRIDAY_EVENING, 3)

    assert utc_texts(chosen) == ["2026-11-23T13:00Z", "2026-11-23T15:40Z", "2026-11-24T10:20Z"]


def test_given_a_blackout_date_then_that_local_day_is_skipped():
    chosen = assign_slots(
        settings(blackout_dates=["2026-11-23"], daily_publish_limit=1), [], FRIDAY_EVENING, 2
    )

    assert utc_texts(chosen) == ["2026-11-24T13:00Z", "2026-11-25T13:00Z"]


@pytest.mark.parametrize(
    ("now", "first"),
    [
        ("2026-11-23T10:15:00Z", "2026-11-23T10:20Z"),  # exactly now + lead is allowed
        ("2026-11-23T10:15:01Z", "2026-11-23T13:00Z"),
    ],
)
def test_given_the_default_lead_then_nothing_is_before_now_plus_five_minutes(now, first):
    assert utc_texts(assign_slots(settings(), [], at(now), 1)) == [first]


def test_given_a_longer_lead_then_it_pushes_the_first_time_later():
    chosen = assign_slots(settings(), [], at("2026-11-23T08:00Z"), 1, lead=timedelta(hours=5))

    assert utc_texts(chosen) == ["2026-11-23T13:00Z"]


@pytest.mark.parametrize(("horizon_days", "expected"), [(2, []), (3, ["2026-11-23T10:20Z"])])
def test_given_a_horizon_then_only_local_dates_up_to_it_are_searched(horizon_days, expected):
    chosen = assign_slots(settings(), [], FRIDAY_EVENING, 1, horizon_days=horizon_days)

    assert utc_texts(chosen) == expected


def test_given_now_in_another_zone_then_the_same_instant_gives_the_same_times():
    tokyo = timezone(timedelta(hours=9))

    assert assign_slots(settings(), [], FRIDAY_EVENING.astimezone(tokyo), 5) == assign_slots(
        settings(), [], FRIDAY_EVENING, 5
    )


def test_given_earlier_results_as_taken_then_the_next_call_continues_where_one_call_would():
    busy = settings(weekly_publish_limit=7, slots=[("09:00", "12:00"), ("13:00", "17:00")])
    both_at_once = assign_slots(busy, [], FRIDAY_EVENING, 9)

    first = assign_slots(busy, [], FRIDAY_EVENING, 4)
    then = assign_slots(busy, first, FRIDAY_EVENING, 5)

    assert first + then == both_at_once


def test_given_count_zero_then_nothing_is_assigned():
    assert assign_slots(settings(), [], FRIDAY_EVENING, 0) == []


def test_given_naive_times_then_the_call_is_refused():
    with pytest.raises(ValueError, match="now"):
        assign_slots(settings(), [], datetime(2026, 11, 20, 17, 0), 1)
    with pytest.raises(ValueError, match="taken"):
        assign_slots(settings(), [datetime(2026, 11, 23, 10, 0)], FRIDAY_EVENING, 1)


# --- DST ------------------------------------------------------------------------------------


def sundays_in(zone_name: str, start: str, end: str, **fields: Any) -> PublishingSettings:
    return settings(
        timezone=zone_name, publish_days=["sun"], slots=[(start, end)], weekly_publish_limit=None, **fields
    )


def test_given_new_york_spring_forward_then_no_time_falls_in_the_missing_hour():
    unlimited = sundays_in("America/New_York", "01:30", "03:30", daily_publish_limit=None)

    chosen = assign_slots(unlimited, [], at("2026-03-07T12:00Z"), 3)

    # 02:00 and 02:30 do not exist on 2026-03-08: the day keeps 01:30 EST and 03:00 EDT.
    assert utc_texts(chosen) == ["2026-03-08T06:30Z", "2026-03-08T07:00Z", "2026-03-15T05:30Z"]
    assert walls(chosen, "America/New_York") == ["03-08 01:30-0500", "03-08 03:00-0400", "03-15 01:30-0400"]


def test_given_new_york_spring_forward_with_a_daily_limit_then_a_candidate_in_the_gap_is_dropped():
    capped = sundays_in("America/New_York", "01:30", "03:30", daily_publish_limit=3)

    chosen = assign_slots(capped, [], at("2026-03-07T12:00Z"), 3)

    # The grid is 01:50, 02:30, 03:10; 02:30 does not exist, so that Sunday gets two items.
    assert walls(chosen, "America/New_York") == ["03-08 01:50-0500", "03-08 03:10-0400", "03-15 01:50-0400"]


def test_given_new_york_fall_back_then_each_repeated_wall_time_is_used_once():
    unlimited = sundays_in("America/New_York", "01:00", "02:00", daily_publish_limit=None)

    chosen = assign_slots(unlimited, [], at("2026-10-31T12:00Z"), 3)

    # 01:00-01:59 happens twice on 2026-11-01; only its first (EDT) occurrence is used.
    assert utc_texts(chosen) == ["2026-11-01T05:00Z", "2026-11-01T05:30Z", "2026-11-08T06:00Z"]
    assert walls(chosen, "America/New_York") == ["11-01 01:00-0400", "11-01 01:30-0400", "11-08 01:00-0500"]


def test_given_sydney_dst_start_then_a_slot_inside_the_gap_yields_nothing_that_day():
    unlimited = sundays_in("Australia/Sydney", "02:00", "03:00", daily_publish_limit=None)

    chosen = assign_slots(unlimited, [], at("2026-10-01T00:00Z"), 1)

    assert walls(chosen, "Australia/Sydney") == ["10-11 02:00+1100"]  # not 2026-10-04


def test_given_sydney_dst_end_then_the_repeated_hour_is_used_once_at_its_first_occurrence():
    unlimited = sundays_in("Australia/Sydney", "02:00", "03:00", daily_publish_limit=None)

    chosen = assign_slots(unlimited, [], at("2026-04-01T00:00Z"), 3)

    assert utc_texts(chosen) == ["2026-04-04T15:00Z", "2026-04-04T15:30Z", "2026-04-11T16:00Z"]


def test_given_lord_howe_half_hour_dst_start_then_only_the_existing_half_hour_is_used():
    unlimited = sundays_in("Australia/Lord_Howe", "02:00", "03:00", daily_publish_limit=None)

    chosen = assign_slots(unlimited, [], at("2026-10-01T00:00Z"), 2)

    assert walls(chosen, "Australia/Lord_Howe") == ["10-04 02:30+1100", "10-11 02:00+1100"]


def test_given_kathmandu_quarter_hour_offset_then_the_local_time_is_kept():
    kathmandu = settings(timezone="Asia/Kathmandu", slots=[("09:00", "10:00")], daily_publish_limit=1)

    chosen = assign_slots(kathmandu, [], at("2026-11-20T00:00Z"), 1)

    assert utc_texts(chosen) == ["2026-11-20T03:45Z"]


# --- period keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "keys"),
    [
        (date(2026, 11, 21), ("2026-11-21", "2026-W47", "2026-11")),
        (datetime(2026, 11, 21, 23, 59), ("2026-11-21", "2026-W47", "2026-11")),
        (date(2027, 1, 1), ("2027-01-01", "2026-W53", "2027-01")),  # ISO week of the previous year
        (date(2024, 12, 30), ("2024-12-30", "2025-W01", "2024-12")),  # ISO week of the next year
    ],
)
def test_period_keys_name_the_local_day_iso_week_and_month(local, keys):
    assert period_keys(local) == keys


# --- explicit times -------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["2026-11-20T17:00Z", "2026-11-20T16:59Z"])
def test_given_an_explicit_time_not_in_the_future_then_it_is_refused(when):
    assert (
        check_explicit_time(settings(), [], at(when), FRIDAY_EVENING)
        == "The publish time must be in the future."
    )


def test_given_an_explicit_time_outside_slots_days_and_on_a_blackout_then_it_is_accepted():
    sunday_midnight = at("2026-11-22T23:30Z")

    assert (
        check_explicit_time(settings(blackout_dates=["2026-11-22"]), [], sunday_midnight, FRIDAY_EVENING)
        is None
    )


def test_given_a_full_day_then_an_explicit_time_that_day_is_refused_with_the_reason():
    taken = [at("2026-11-23T10:20Z"), at("2026-11-23T13:00Z"), at("2026-11-23T15:40Z")]

    reason = check_explicit_time(settings(), taken, at("2026-11-23T20:00Z"), FRIDAY_EVENING)

    assert reason == "The daily publish limit (3) is already reached for 2026-11-23 (UTC)."
    assert check_explicit_time(settings(), taken, at("2026-11-24T20:00Z"), FRIDAY_EVENING) is None


def test_given_a_full_week_then_an_explicit_time_that_iso_week_is_refused():
    weekly = settings(daily_publish_limit=None, weekly_publish_limit=2)
    taken = [at("2026-11-23T10:00Z"), at("2026-11-24T10:00Z")]

    assert "weekly publish limit (2)" in check_explicit_time(
        weekly, taken, at("2026-11-29T23:00Z"), FRIDAY_EVENING
    )
    assert check_explicit_time(weekly, taken, at("2026-11-30T00:00Z"), FRIDAY_EVENING) is None


def test_given_a_full_month_then_an_explicit_time_that_month_is_refused():
    monthly = settings(daily_publish_limit=1, weekly_publish_limit=None, monthly_publish_limit=1)

    reason = check_explicit_time(monthly, [at("2026-11-02T10:00Z")], at("2026-11-30T10:00Z"), FRIDAY_EVENING)

    assert reason == "The monthly publish limit (1) is already reached for 2026-11 (UTC)."


def test_given_a_site_zone_then_explicit_times_are_counted_in_its_local_periods():
    new_york = settings(timezone="America/New_York", daily_publish_limit=1)
    taken = [at("2026-11-24T03:00Z")]  # Monday 22:00 in New York

    assert "2026-11-23 (America/New_York)" in check_explicit_time(
        new_york, taken, at("2026-11-23T15:00Z"), FRIDAY_EVENING
    )
    assert check_explicit_time(new_york, taken, at("2026-11-24T15:00Z"), FRIDAY_EVENING) is None


def test_given_unlimited_caps_then_any_future_explicit_time_is_accepted():
    unlimited = settings(daily_publish_limit=None, weekly_publish_limit=None, monthly_publish_limit=None)
    taken = [at("2026-11-23T10:00Z")] * 100

    assert check_explicit_time(unlimited, taken, at("2026-11-23T10:00Z"), FRIDAY_EVENING) is None


def test_given_a_naive_explicit_time_then_the_call_is_refused():
    with pytest.raises(ValueError, match="when"):
        check_explicit_time(settings(), [], datetime(2026, 11, 23, 10, 0), FRIDAY_EVENING)


# --- why no slot is left -------------------------------------------------------------------


def test_given_a_cap_of_zero_then_the_reason_names_it():
    reason = no_slot_reason(settings(daily_publish_limit=0), [], FRIDAY_EVENING)

    assert reason == "the daily publish limit is 0: nothing can be scheduled until it is raised"


def test_given_every_slot_of_the_horizon_taken_then_the_reason_names_the_first_full_cap_and_the_last_day():
    capped = settings(daily_publish_limit=1, weekly_publish_limit=1, timezone="Europe/Berlin")
    taken = assign_slots(capped, [], FRIDAY_EVENING, 1000, horizon_days=30)
    assert assign_slots(capped, taken, FRIDAY_EVENING, 1, horizon_days=30) == []

    reason = no_slot_reason(capped, taken, FRIDAY_EVENING, horizon_days=30)

    # Friday 18:00 in Berlin is after the day's slot; Monday 2026-11-23 is the first day looked at
    assert reason.startswith("the daily publish limit (1) is reached for 2026-11-23 (Europe/Berlin)")
    assert "no later slot is free through 2026-12-20" in reason


def test_given_publish_days_that_are_all_blacked_out_then_the_reason_says_so():
    blocked = settings(
        publish_days=["mon"], blackout_dates=[date(2026, 11, 23) + timedelta(weeks=n) for n in range(5)]
    )

    reason = no_slot_reason(blocked, [], FRIDAY_EVENING, horizon_days=30)

    assert reason.startswith("no slot is free through 2026-12-20 (UTC)")


# --- a site's jitter -----------------------------------------------------------------------

SITES = [f"site-{n:03d}" for n in range(200)]


def test_given_equal_settings_then_different_sites_publish_in_different_minutes():
    defaults = settings()
    firsts = {
        site: assign_slots(defaults, [], FRIDAY_EVENING, 1, jitter=site_jitter(site))[0] for site in SITES[:2]
    }

    assert site_jitter("site-000") != site_jitter("site-001")
    assert firsts["site-000"] != firsts["site-001"]
    assert len({site_jitter(site) for site in SITES}) == JITTER_MINUTES  # every shift is used


def test_given_the_same_site_then_its_minutes_are_the_same_every_time():
    jitter = site_jitter("01JSAMESITE")

    assert jitter == site_jitter("01JSAMESITE")
    assert assign_slots(settings(), [], FRIDAY_EVENING, 6, jitter=jitter) == assign_slots(
        settings(), [], FRIDAY_EVENING, 6, jitter=jitter
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},  # 09:00-17:00, 3 a day: parts of 160 minutes
        {"daily_publish_limit": 10, "slots": [("09:00", "09:50")]},  # parts of 5 minutes
        {"daily_publish_limit": 4, "slots": [("14:00", "15:00"), ("09:00", "10:00")]},  # two windows
        {"daily_publish_limit": 2, "slots": [("09:00", "09:07"), ("12:00", "12:03")]},  # windows of minutes
        {"daily_publish_limit": None, "slots": [("09:00", "09:40"), ("18:00", "20:00")]},  # uncapped grid
        {"daily_publish_limit": None, "slots": [("09:00", "09:10")]},  # uncapped, a window of 10 minutes
    ],
)
def test_given_any_site_then_its_shifted_times_stay_inside_the_slot_windows_and_apart(fields):
    rules = settings(**fields)
    windows = [
        (start.hour * 60 + start.minute, end.hour * 60 + end.minute) for start, end in rules.time_slots
    ]
    unshifted = assign_slots(rules, [], FRIDAY_EVENING, 20)
    for site in SITES[:40]:
        chosen = assign_slots(rules, [], FRIDAY_EVENING, 20, jitter=site_jitter(site))
        minutes = [moment.hour * 60 + moment.minute for moment in chosen]  # UTC is the default zone
        assert all(any(start <= minute < end for start, end in windows) for minute in minutes), (
            site,
            minutes,
        )
        assert len(set(chosen)) == len(chosen) and chosen == sorted(chosen)
        assert len(chosen) == len(unshifted)
        first_day = [moment for moment in chosen if moment.date() == chosen[0].date()]
        assert len(first_day) == len(
            [m for m in unshifted if m.date() == unshifted[0].date()]
        )  # no place lost


# --- counts per period instead of the calendar's past ----------------------------------------


def test_given_counts_then_caps_come_from_them_and_taken_only_blocks_minutes():
    full_monday = {"2026-11-23": 3}  # e.g. the day's counter, its items scheduled long ago

    chosen = assign_slots(settings(), [], FRIDAY_EVENING, 2, counts=full_monday)

    assert utc_texts(chosen) == ["2026-11-24T10:20Z", "2026-11-24T13:00Z"]
    # a taken minute is skipped, but with counts given it is not counted again
    chosen = assign_slots(settings(), [at("2026-11-23T10:20Z")], FRIDAY_EVENING, 3, counts={})
    assert utc_texts(chosen) == ["2026-11-23T13:00Z", "2026-11-23T15:40Z", "2026-11-24T10:20Z"]


def test_given_a_month_of_history_then_its_counts_and_the_times_ahead_give_the_same_slots_with_jitter():
    monthly = settings(daily_publish_limit=3, weekly_publish_limit=12, monthly_publish_limit=25)
    jitter = site_jitter("01JHISTORY")
    start_of_month = at("2026-11-02T00:00Z")
    published = assign_slots(monthly, [], start_of_month, 12, lead=timedelta(0), jitter=jitter)
    ahead = assign_slots(monthly, published, FRIDAY_EVENING, 6, jitter=jitter)  # Monday and Tuesday
    history = published + ahead

    from_counts = assign_slots(
        monthly, ahead, FRIDAY_EVENING, 9, jitter=jitter, counts=period_counts(history, monthly.zone)
    )

    assert from_counts == assign_slots(monthly, history, FRIDAY_EVENING, 9, jitter=jitter)
    # the weekly cap of 12 ends W48 after 6 more; the monthly cap of 25 leaves one for November 30
    assert sum(moment.month == 11 for moment in from_counts) == 25 - 18


def test_given_counts_then_explicit_times_and_the_no_slot_reason_read_them():
    counts = {"2026-11-23": 3}

    assert check_explicit_time(settings(), [], at("2026-11-23T20:00Z"), FRIDAY_EVENING, counts=counts) == (
        "The daily publish limit (3) is already reached for 2026-11-23 (UTC)."
    )
    assert check_explicit_time(settings(), [], at("2026-11-24T20:00Z"), FRIDAY_EVENING, counts=counts) is None
    monthly = settings(daily_publish_limit=1, weekly_publish_limit=None, monthly_publish_limit=5)
    reason = no_slot_reason(monthly, [], FRIDAY_EVENING, horizon_days=5, counts={"2026-11": 5, "2026-12": 5})
    assert reason.startswith("the monthly publish limit (5) is reached for 2026-11 (UTC)")


def test_period_counts_count_each_time_in_its_local_day_week_and_month():
    counts = period_counts(
        [at("2026-11-24T03:00Z"), at("2026-11-24T15:00Z")], settings(timezone="America/New_York").zone
    )

    assert counts == {"2026-11-23": 1, "2026-11-24": 1, "2026-W48": 2, "2026-11": 2}
