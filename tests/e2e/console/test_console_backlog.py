"""The calendar's backlog in Chromium against the local runner: approved items on no schedule,
scheduled by dragging them onto the week view, from the keyboard, or into the next free slot;
a drop outside the site's slots asks first. Every outcome is checked through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support.console_browser import (
    Tenant,
    answer_dialogs,
    drag,
    open_console,
    parse_time,
    screenshot,
    show_day,
    switch_view,
    week_slot_point,
)

pytestmark = pytest.mark.e2e

WEEK_COLUMN = 'td.fc-timegrid-col[data-date="{day}"]'


def backlog_item(page: Page, content_id: str):
    return page.locator(f'#backlog-list .backlog-item[data-content-id="{content_id}"]')


def test_given_an_approved_item_when_dragged_from_the_backlog_onto_a_slot_then_it_is_scheduled_there(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.approved("From the backlog")
    open_console(page, tenant.api)
    expect(backlog_item(page, content_id)).to_contain_text("From the backlog")
    switch_view(page, "timeGridWeek")
    show_day(page, tomorrow, WEEK_COLUMN)
    dialogs = answer_dialogs(page, accept=True)

    drag(page, backlog_item(page, content_id), lambda: week_slot_point(page, tomorrow, "11:30"))

    expect(page.locator("#notice")).to_contain_text("Scheduled “From the backlog”")
    assert dialogs.messages == []  # inside the slots: no question
    content = tenant.api.content(content_id)
    assert content["site_status"] == "scheduled"
    assert parse_time(content["scheduled_publish_at"]) == tenant.local(tomorrow, "11:30")
    expect(backlog_item(page, content_id)).to_have_count(0)
    expect(page.locator(f'.fc-event[data-content-id="{content_id}"]')).to_contain_text("11:30")
    screenshot(page, "backlog-after-drag")


def test_given_a_drop_outside_the_slots_when_the_question_is_declined_then_nothing_is_scheduled(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.approved("Night owl")
    open_console(page, tenant.api)
    switch_view(page, "timeGridWeek")
    show_day(page, tomorrow, WEEK_COLUMN)
    dialogs = answer_dialogs(page, accept=False)

    drag(page, backlog_item(page, content_id), lambda: week_slot_point(page, tomorrow, "03:00"))

    expect(page.locator("#notice")).to_have_text("“Night owl” stays in the backlog.")
    assert len(dialogs.messages) == 1
    assert "03:00 is outside the publishing time slots (09:00\N{EN DASH}17:00)" in dialogs.messages[0]
    assert "Schedule “Night owl” there anyway?" in dialogs.messages[0]
    expect(backlog_item(page, content_id)).to_be_visible()
    assert tenant.api.content(content_id)["site_status"] == "not_published"

    dialogs.accept = True
    drag(page, backlog_item(page, content_id), lambda: week_slot_point(page, tomorrow, "03:00"))

    expect(page.locator("#notice")).to_contain_text("Scheduled “Night owl”")
    assert len(dialogs.messages) == 2
    assert parse_time(tenant.api.content(content_id)["scheduled_publish_at"]) == tenant.local(
        tomorrow, "03:00"
    )


def test_given_only_the_keyboard_when_a_backlog_item_gets_a_time_then_the_api_has_it(
    page: Page, tenant: Tenant
) -> None:
    later = tenant.today() + timedelta(days=2)
    content_id = tenant.approved("Typed in")
    open_console(page, tenant.api)
    opener = backlog_item(page, content_id).locator('[data-action="open"]')
    expect(opener).to_be_visible()

    for _ in range(40):  # from the top of the page, Tab through the header to the backlog
        if page.evaluate("document.activeElement.closest('.backlog-item')?.dataset.contentId") == content_id:
            break
        page.keyboard.press("Tab")
    expect(opener).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#details-title")).to_be_focused()
    expect(page.locator("#details-title")).to_have_text("Typed in")
    for _ in range(8):
        if page.evaluate("document.activeElement.id") == "reschedule-at":
            break
        page.keyboard.press("Tab")
    field = page.locator("#reschedule-at")
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    field.fill(f"{later.isoformat()}T10:15")
    page.keyboard.press("Enter")

    expect(page.locator("#notice")).to_contain_text("Scheduled “Typed in”")
    content = tenant.api.content(content_id)
    assert content["site_status"] == "scheduled"
    assert parse_time(content["scheduled_publish_at"]) == tenant.local(later, "10:15")
    expect(backlog_item(page, content_id)).to_have_count(0)
    expect(page.locator("#details-title")).to_be_focused()


def test_given_a_backlog_item_when_next_free_slot_is_chosen_then_it_gets_the_slot_the_preview_named(
    page: Page, tenant: Tenant
) -> None:
    content_id = tenant.approved("Next slot please")
    slot = tenant.api.data("GET", f"/sites/{tenant.site_id}/publishing-settings/preview/", count=1)["slots"][
        0
    ]
    open_console(page, tenant.api)

    backlog_item(page, content_id).get_by_role("button", name="Next free slot: Next slot please").click()

    expect(page.locator("#notice")).to_contain_text("Scheduled “Next slot please”")
    content = tenant.api.content(content_id)
    assert content["site_status"] == "scheduled"
    assert parse_time(content["scheduled_publish_at"]) == parse_time(slot["scheduled_publish_at"])
    expect(backlog_item(page, content_id)).to_have_count(0)


def test_given_an_unscheduled_item_when_unscheduled_from_the_details_then_it_returns_to_the_backlog(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.scheduled("Back to the backlog", tenant.local(tomorrow, "10:00"))
    open_console(page, tenant.api)
    show_day(page, tomorrow, '.fc-daygrid-day[data-date="{day}"]')
    page.locator(f'.fc-event[data-content-id="{content_id}"]').click()
    dialogs = answer_dialogs(page, accept=True)

    page.locator("#details").get_by_role("button", name="Unschedule").click()

    expect(page.locator("#notice")).to_have_text("“Back to the backlog” is no longer scheduled.")
    assert dialogs.messages == ["Unschedule “Back to the backlog”? It goes back to the backlog."]
    expect(backlog_item(page, content_id)).to_be_visible()
    assert tenant.api.content(content_id)["site_status"] == "not_published"
