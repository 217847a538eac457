"""The site's publishing slots on the calendar in Chromium: days and hours outside the publish
days and time slots, blackout dates and days at the daily cap are shaded, the last two with a word."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support.console_browser import (
    OPEN_SETTINGS,
    Tenant,
    open_console,
    screenshot,
    show_day,
    switch_view,
)

pytestmark = pytest.mark.e2e

MONTH_CELL = '.fc-daygrid-day[data-date="{day}"]'
WEEK_COLUMN = 'td.fc-timegrid-col[data-date="{day}"]'
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def covers(page: Page, column: str, lane_time: str) -> bool:
    """Whether a shaded (non-business) box of the week column covers the middle of the lane."""
    return page.evaluate(
        """([column, time]) => {
          const lane = document.querySelector(`td.fc-timegrid-slot-lane[data-time="${time}"]`)
            .getBoundingClientRect();
          const y = lane.top + lane.height / 2;
          return [...document.querySelectorAll(`${column} .fc-non-business`)].some((box) => {
            const r = box.getBoundingClientRect();
            return r.top <= y && y <= r.bottom;
          });
        }""",
        [column, lane_time],
    )


def test_given_days_slots_blackouts_and_a_cap_when_the_calendar_shows_them_then_each_is_shaded(
    page: Page, tenant: Tenant
) -> None:
    today = tenant.today()
    full, blackout, closed = (today + timedelta(days=n) for n in (1, 2, 3))
    days = [day for day in WEEKDAYS if day != WEEKDAYS[closed.weekday()]]
    settings = {
        **OPEN_SETTINGS,
        "publish_days": days,
        "publish_time_slots": [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "17:00"}],
        "blackout_dates": [blackout.isoformat()],
        "daily_publish_limit": 1,
    }
    tenant.api.data("PUT", f"/sites/{tenant.site_id}/publishing-settings/", settings)
    tenant.scheduled("Fills the day", tenant.local(full, "10:00"))
    open_console(page, tenant.api)

    for day, slot in ((full, "full"), (blackout, "blackout")):
        cell = show_day(page, day, MONTH_CELL)
        expect(cell.locator(f'.fc-bg-event[data-slot="{slot}"]')).to_have_text(slot.capitalize())
    closed_cell = show_day(page, closed, MONTH_CELL)
    expect(closed_cell.locator(".fc-non-business")).to_have_count(1)  # not a publish day
    expect(closed_cell.locator(".fc-bg-event")).to_have_count(0)
    screenshot(page, "slots-month")

    switch_view(page, "timeGridWeek")
    column = WEEK_COLUMN.format(day=full.isoformat())
    show_day(page, full, WEEK_COLUMN)
    assert covers(page, column, "03:00:00")  # before the first slot
    assert covers(page, column, "12:30:00")  # between the two slots
    assert not covers(page, column, "10:00:00")
    assert not covers(page, column, "15:30:00")
    expect(page.locator(f'{column} .fc-bg-event[data-slot="full"]')).to_have_count(1)
    screenshot(page, "slots-week")
