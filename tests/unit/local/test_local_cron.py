"""EventBridge schedule expressions as the local runner reads them: rate(...) and 6-field cron(...)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from local.schedules import Clock, Cron, Rate, parse_schedule, schedule_sources
from local.template import Resolver, load_template, parameter_defaults

ANCHOR = datetime(2026, 11, 21, 9, 55, 30, tzinfo=UTC)  # a Saturday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(2 days)", timedelta(days=2)),
    ],
)
def test_rates_parse_to_their_period(expression: str, period: timedelta) -> None:
    assert parse_schedule(expression) == Rate(period)


def test_a_rate_ticks_every_period_counted_from_the_rules_creation() -> None:
    rate = parse_schedule("rate(5 minutes)")

    first = rate.next_after(ANCHOR, anchor=ANCHOR)
    second = rate.next_after(first, anchor=ANCHOR)
    mid_period = rate.next_after(ANCHOR + timedelta(minutes=7), anchor=ANCHOR)

    assert first == ANCHOR + timedelta(minutes=5)
    assert second == ANCHOR + timedelta(minutes=10)
    assert mid_period == ANCHOR + timedelta(minutes=10)


def test_the_templates_daily_cron_fires_at_the_next_midnight_utc() -> None:
    cron = parse_schedule("cron(0 0 * * ? *)")

    assert cron.next_after(ANCHOR) == at("2026-11-22T00:00:00")
    assert cron.next_after(at("2026-11-22T00:00:00")) == at("2026-11-23T00:00:00")


def test_weekday_names_and_numbers_count_sunday_as_1() -> None:
    by_name = parse_schedule("cron(0 9,17 ? * MON-FRI *)")
    by_number = parse_schedule("cron(0 9,17 ? * 2-6 *)")
    sunday = parse_schedule("cron(30 8 ? * 1 *)")

    assert by_name == by_number
    assert by_name.next_after(at("2026-11-20T17:00:00")) == at("2026-11-23T09:00:00")  # Fri → Mon
    assert by_name.next_after(at("2026-11-23T09:00:00")) == at("2026-11-23T17:00:00")
    assert sunday.next_after(ANCHOR) == at("2026-11-22T08:30:00")


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0/15 * * * ? *)", "2026-11-21T09:55:00", "2026-11-21T10:00:00"),
        ("cron(*/20 10 * * ? *)", "2026-11-21T10:20:00", "2026-11-21T10:40:00"),
        ("cron(10-30/10 * * * ? *)", "2026-11-21T10:31:00", "2026-11-21T11:10:00"),
        ("cron(0 12 1 JAN,JUL ? *)", "2026-11-21T00:00:00", "2027-01-01T12:00:00"),
        ("cron(0 0 31 * ? *)", "2026-11-21T00:00:00", "2026-12-31T00:00:00"),
        ("cron(0 0 29 2 ? 2027-2030)", "2026-11-21T00:00:00", "2028-02-29T00:00:00"),
    ],
)
def test_lists_ranges_and_steps(expression: str, after: str, expected: str) -> None:
    assert parse_schedule(expression).next_after(at(after)) == at(expected)


def test_a_cron_that_can_never_fire_again_has_no_next_tick() -> None:
    assert parse_schedule("cron(0 0 1 1 ? 2020)").next_after(ANCHOR) is None


def test_a_cron_in_a_time_zone_fires_at_local_wall_time() -> None:
    berlin = parse_schedule("cron(0 9 * * ? *)", zone="Europe/Berlin")

    assert berlin.next_after(ANCHOR) == at("2026-11-22T08:00:00")  # 09:00 CET


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 0 * * *)",  # five fields
        "cron(0 0 * * * *)",  # neither day field is ?
        "cron(0 0 ? * ? *)",  # both are
        "cron(0 0 L * ? *)",
        "cron(0 0 ? * 6#3 *)",
        "cron(0 0 15W * ? *)",  # unsupported extensions
        "cron(60 0 * * ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(5-1 0 * * ? *)",
        "cron(0/0 0 * * ? *)",
        "every 5 minutes",
    ],
)
def test_invalid_or_unsupported_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_schedule(expression)


minutes_field = st.sampled_from(["*", "0", "5,35", "0/15", "10-20", "*/7"])
hours_field = st.sampled_from(["*", "0", "9-17", "*/6", "3,15"])
days_field = st.sampled_from(["*", "1", "15", "28-31", "1/10"])
weekdays_field = st.sampled_from(["*", "1", "MON-FRI", "SAT,SUN", "2/3"])


@settings(max_examples=60, deadline=None)
@given(
    minute=minutes_field,
    hour=hours_field,
    day=days_field,
    weekday=weekdays_field,
    month=st.sampled_from(["*", "2", "JAN-MAR", "11,12"]),
    day_of_week_wins=st.booleans(),
    after=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
)
def test_next_after_is_the_first_matching_minute(
    minute: str, hour: str, day: str, weekday: str, month: str, day_of_week_wins: bool, after: datetime
) -> None:
    """Checked against a minute-by-minute walk over the 3 days after `after` (or up to the tick)."""
    days, weekdays = ("?", weekday) if day_of_week_wins else (day, "?")
    cron = parse_schedule(f"cron({minute} {hour} {days} {month} {weekdays} *)")
    after = after.replace(tzinfo=UTC)

    tick = cron.next_after(after)

    def matches(moment: datetime) -> bool:
        return (
            moment.minute in cron.minutes
            and moment.hour in cron.hours
            and moment.month in cron.months
            and cron.matches_day(moment.date())
        )

    assert tick is not None and tick > after and matches(tick)
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while moment < min(tick, after + timedelta(days=3)):
        assert not matches(moment), f"{moment} matches but the tick is {tick}"
        moment += timedelta(minutes=1)


def test_a_fast_clock_runs_ahead_and_shortens_the_wait() -> None:
    real_seconds = [100.0]
    clock = Clock(speed=600, start=ANCHOR, timer=lambda: real_seconds[0])

    before = clock.real_seconds_until(ANCHOR + timedelta(minutes=5))
    real_seconds[0] += 0.25
    later = clock.now()

    assert before == 0.5  # 300 simulated seconds at x600
    assert later == ANCHOR + timedelta(seconds=150)
    assert clock.real_seconds_until(ANCHOR) == 0.0  # the past is due now


def test_the_templates_schedules_are_all_found() -> None:
    template = load_template()
    sources = schedule_sources(template, Resolver(parameter_defaults(template)).resolve)

    found = {(source.function, source.event, source.expression) for source in sources}
    assert found == {
        ("ScheduleApprovedContentFunction", "Every15Minutes", "rate(15 minutes)"),
        ("ProcessScheduledPublicationsFunction", "Every5Minutes", "rate(5 minutes)"),
        ("CleanupFailedPublicationsFunction", "DailyAtMidnight", "cron(0 0 * * ? *)"),
    }
    assert all(isinstance(source.schedule, Rate | Cron) for source in sources)
    assert all(source.rule_arn.startswith("arn:aws:events:us-east-1:") for source in sources)


def test_schedule_v2_time_zones_disabled_rules_and_constant_input_are_honoured() -> None:
    def function(events: dict) -> dict:
        return {"Type": "AWS::Serverless::Function", "Properties": {"Events": events}}

    template = {
        "Resources": {
            "Nightly": function(
                {
                    "InBerlin": {
                        "Type": "ScheduleV2",
                        "Properties": {
                            "ScheduleExpression": "cron(0 2 * * ? *)",
                            "ScheduleExpressionTimezone": "Europe/Berlin",
                        },
                    }
                }
            ),
            "Paused": function(
                {
                    "Off": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)", "Enabled": False}},
                    "OffV2": {
                        "Type": "ScheduleV2",
                        "Properties": {"ScheduleExpression": "rate(1 hour)", "State": "DISABLED"},
                    },
                }
            ),
            "WithInput": function(
                {
                    "Tick": {
                        "Type": "Schedule",
                        "Properties": {
                            "Schedule": "rate(1 minute)",
                            "Input": '{"job": "x"}',
                            "Name": "named-rule",
                        },
                    }
                }
            ),
        }
    }

    sources = {source.function: source for source in schedule_sources(template, lambda value: value)}

    assert set(sources) == {"Nightly", "WithInput"}
    assert sources["Nightly"].schedule.next_after(ANCHOR) == at("2026-11-22T01:00:00")  # 02:00 CET
    assert sources["WithInput"].input == '{"job": "x"}'
    assert sources["WithInput"].rule_arn.endswith(":rule/named-rule")
