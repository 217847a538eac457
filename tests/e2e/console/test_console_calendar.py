"""The calendar page in Chromium against the local runner: where items are drawn, moving them by
drag-and-drop and from the keyboard. Every outcome is checked through the API as well."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.support.console_browser import (
    OPEN_SETTINGS,
    Api,
    Tenant,
    centre,
    drag,
    open_console,
    parse_time,
    screenshot,
    show_day,
    switch_view,
    utc_text,
    week_slot_point,
    with_somewhere_to_publish,
)

pytestmark = pytest.mark.e2e

MONTH_CELL = '.fc-daygrid-day[data-date="{day}"]'
WEEK_COLUMN = 'td.fc-timegrid-col[data-date="{day}"]'


def event(page: Page, content_id: str):
    return page.locator(f'.fc-event[data-content-id="{content_id}"]')


def test_given_the_demo_site_when_the_calendar_opens_then_each_item_is_on_its_day_in_the_site_zone(
    page: Page, demo_api: Api
) -> None:
    site = demo_api.data("GET", "/sites/")[0]
    zone = ZoneInfo(demo_api.data("GET", f"/sites/{site['id']}/publishing-settings/")["timezone"])
    items = demo_api.data("GET", "/publisher/queue/", site_id=site["id"])
    assert len(items) >= 3, "the demo seed schedules three items"

    open_console(page, demo_api)

    expect(page.locator("#site-zone")).to_have_text(f"Times in {zone.key}")
    for item in items:
        local = parse_time(item["scheduled_publish_at"]).astimezone(zone)
        cell = show_day(page, local.date(), MONTH_CELL)
        drawn = cell.locator(f'.fc-event[data-content-id="{item["id"]}"]')
        expect(drawn).to_contain_text(item["title"])
        expect(drawn).to_contain_text(local.strftime("%H:%M"))
        expect(drawn).to_have_class(re.compile(r"\bstatus-scheduled\b"))  # coloured as scheduled
    screenshot(page, "calendar-month")


def test_given_the_list_view_when_chosen_then_it_lists_the_items_with_their_local_times(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.scheduled("Listed item", tenant.local(tomorrow, "09:30"))
    open_console(page, tenant.api)

    switch_view(page, "listNext30")
    show_day(page, tomorrow, '.fc-list-day[data-date="{day}"]')

    row = page.locator(f'.fc-list-event[data-content-id="{content_id}"]')
    expect(row).to_contain_text("Listed item")
    expect(row).to_contain_text("09:30")
    screenshot(page, "calendar-list")


def test_given_a_scheduled_item_when_dragged_to_a_later_allowed_slot_then_the_api_has_the_new_time(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.scheduled("Drag me later", tenant.local(tomorrow, "10:00"))
    open_console(page, tenant.api)
    switch_view(page, "timeGridWeek")
    show_day(page, tomorrow, WEEK_COLUMN)

    drag(page, event(page, content_id), lambda: week_slot_point(page, tomorrow, "13:30"))

    expect(page.locator("#notice")).to_contain_text("Moved “Drag me later”")
    moved = tenant.api.content(content_id)
    assert moved["site_status"] == "scheduled"
    assert parse_time(moved["scheduled_publish_at"]) == tenant.local(tomorrow, "13:30")
    expect(event(page, content_id)).to_contain_text("13:30")
    screenshot(page, "calendar-week-after-drag")


def test_given_a_scheduled_item_when_dragged_into_the_past_then_the_server_reason_shows_and_it_snaps_back(
    page: Page, tenant: Tenant
) -> None:
    today = tenant.today()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    planned = tenant.local(tomorrow, "10:00")
    content_id = tenant.scheduled("Not into the past", planned)
    open_console(page, tenant.api)
    show_day(page, yesterday, MONTH_CELL)  # the month before, when today starts the month's grid
    show_day(page, tomorrow, MONTH_CELL)  # still in view: a month grid ends at least 5 days into the next

    drag(page, event(page, content_id), lambda: centre(page.locator(MONTH_CELL.format(day=yesterday))))

    refusal = tenant.api.call(
        "POST",
        f"/content/{content_id}/schedule/",
        {"scheduled_publish_at": utc_text(tenant.local(yesterday, "10:00"))},
    )
    assert refusal.status_code in {409, 422}
    expect(page.locator("#problem")).to_contain_text(refusal.json()["error"])
    expect(
        page.locator(MONTH_CELL.format(day=tomorrow)).locator(f'[data-content-id="{content_id}"]')
    ).to_be_visible()
    expect(
        page.locator(MONTH_CELL.format(day=yesterday)).locator(f'[data-content-id="{content_id}"]')
    ).to_have_count(0)
    assert parse_time(tenant.api.content(content_id)["scheduled_publish_at"]) == planned
    screenshot(page, "calendar-refused-move")


def test_given_only_the_keyboard_when_an_item_is_rescheduled_through_the_date_field_then_the_api_has_it(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    later = tomorrow + timedelta(days=1)
    content_id = tenant.scheduled("Keyboard move", tenant.local(tomorrow, "10:00"))
    open_console(page, tenant.api)
    expect(event(page, content_id)).to_be_visible()

    for _ in range(60):  # from the top of the page, Tab through the header, toolbar and grid to the item
        if page.evaluate("document.activeElement.dataset.contentId") == content_id:
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.contentId") == content_id
    page.keyboard.press("Enter")
    expect(page.locator("#details-title")).to_be_focused()
    expect(page.locator("#details-title")).to_have_text("Keyboard move")
    for _ in range(6):
        if page.evaluate("document.activeElement.id") == "reschedule-at":
            break
        page.keyboard.press("Tab")
    field = page.locator("#reschedule-at")
    expect(field).to_be_focused()
    expect(field).to_have_value(f"{tomorrow.isoformat()}T10:00")
    field.fill(f"{later.isoformat()}T15:45")
    page.keyboard.press("Enter")

    expect(page.locator("#notice")).to_contain_text("Moved “Keyboard move”")
    assert parse_time(tenant.api.content(content_id)["scheduled_publish_at"]) == tenant.local(later, "15:45")
    expect(page.locator("#details-title")).to_be_focused()
    screenshot(page, "calendar-keyboard-reschedule")


def test_given_two_sites_when_all_sites_is_chosen_then_both_sites_items_show_each_in_its_zone(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    here = tenant.scheduled("On the first site", tenant.local(tomorrow, "10:00"))
    other = tenant.api.data(
        "POST",
        "/sites/",
        {"name": "Second site", "slug": f"{tenant.account}-2", "url": "https://example.org"},
    )
    tenant.api.data(
        "PUT", f"/sites/{other['id']}/publishing-settings/", {**OPEN_SETTINGS, "timezone": "America/New_York"}
    )
    with_somewhere_to_publish(tenant.api, other["id"])
    second = Tenant(
        api=tenant.api, site_id=other["id"], zone=ZoneInfo("America/New_York"), account=tenant.account
    )
    there = second.scheduled("On the second site", second.local(tomorrow, "11:15"))
    open_console(page, tenant.api)
    show_day(page, tomorrow, MONTH_CELL)
    expect(event(page, here)).to_be_visible()
    expect(event(page, there)).to_have_count(0)

    page.get_by_label("All sites").check()

    cell = page.locator(MONTH_CELL.format(day=tomorrow.isoformat()))
    expect(cell.locator(f'[data-content-id="{there}"]')).to_contain_text("Second site: On the second site")
    expect(cell.locator(f'[data-content-id="{there}"]')).to_contain_text("11:15")  # New York's wall clock
    expect(cell.locator(f'[data-content-id="{here}"]')).to_contain_text("10:00")  # Kolkata's
    expect(page.locator("#backlog")).to_be_hidden()
    expect(event(page, there)).not_to_have_class(
        re.compile(r"\bfc-event-draggable\b")
    )  # choose a site to move
