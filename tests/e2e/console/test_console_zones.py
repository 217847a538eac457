"""The console's time zone arithmetic (zones.js) in Chromium's own Intl data, checked against
Python's zoneinfo, which the API uses: a date field and the calendar must mean what the server
means, also on the days clocks change."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page

from tests.support.local_runner import LocalRunner

pytestmark = pytest.mark.e2e

CASES = [
    ("2026-11-23T15:45", "Asia/Kolkata"),  # half-hour offset
    ("2026-06-01T12:00", "UTC"),
    ("2026-03-29T00:30", "Europe/Berlin"),  # the night clocks go forward…
    ("2026-03-29T02:30", "Europe/Berlin"),  # …a time that does not exist that night
    ("2026-03-29T03:30", "Europe/Berlin"),
    ("2026-10-25T02:30", "Europe/Berlin"),  # clocks go back: read twice, the first one counts
    ("2026-11-01T01:30", "America/New_York"),
    ("2026-04-05T02:15", "Australia/Lord_Howe"),  # a half-hour daylight saving change
]
ROUND_TRIP = """async ([value, zone]) => {
  const zones = await import("./js/zones.js");
  const instant = zones.fromLocalInput(value, zone);
  return [instant.toISOString(), zones.toLocalInput(instant, zone)];
}"""


@pytest.fixture
def console_page(page: Page, local_api: LocalRunner) -> Page:
    page.goto(f"{local_api.api_url}/console/")
    return page


@pytest.mark.parametrize(("value", "zone"), CASES)
def test_given_a_local_date_and_time_when_converted_in_the_browser_then_it_is_the_instant_zoneinfo_gives(
    console_page: Page, value: str, zone: str
) -> None:
    # In UTC: Python never finds a skipped or doubled wall time equal to an instant of another zone.
    expected = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)

    instant, shown = console_page.evaluate(ROUND_TRIP, [value, zone])

    assert datetime.fromisoformat(instant) == expected
    assert shown == f"{expected.astimezone(ZoneInfo(zone)):%Y-%m-%dT%H:%M}"
