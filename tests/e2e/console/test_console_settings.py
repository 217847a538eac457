"""The settings page in Chromium against the local runner: the API's field errors next to their
fields, and a saved change reflected in the preview of the next slots."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.console_browser import OPEN_SETTINGS, Tenant, open_console, parse_time, screenshot

pytestmark = pytest.mark.e2e


def settings_path(tenant: Tenant) -> str:
    return f"/sites/{tenant.site_id}/publishing-settings/"


def test_given_a_slot_ending_before_it_starts_when_saved_then_the_server_reason_is_next_to_that_field(
    page: Page, tenant: Tenant
) -> None:
    open_console(page, tenant.api, "settings")
    expect(page.locator("#publish_time_slots-0-start")).to_have_value("09:00")

    page.locator("#publish_time_slots-0-end").fill("08:00")
    page.locator("#daily_publish_limit").fill("4")
    page.locator("#weekly_publish_limit").fill("2")
    page.get_by_role("button", name="Save settings").click()

    refused = tenant.api.call(
        "PUT",
        settings_path(tenant),
        {
            **OPEN_SETTINGS,
            "publish_time_slots": [{"start": "09:00", "end": "08:00"}],
            "daily_publish_limit": 4,
            "weekly_publish_limit": 2,
        },
    )
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert set(errors) == {"publish_time_slots.0.end", "weekly_publish_limit"}
    slot_end = page.locator('[data-field="publish_time_slots.0.end"] > .field-error')
    expect(slot_end).to_have_text(" ".join(errors["publish_time_slots.0.end"]))
    expect(page.locator("#publish_time_slots-0-end")).to_have_attribute("aria-invalid", "true")
    weekly = page.locator('[data-field="weekly_publish_limit"] > .field-error')
    expect(weekly).to_have_text(" ".join(errors["weekly_publish_limit"]))
    expect(page.locator("#settings-summary")).to_have_text(
        "The settings were not saved: 2 problems are marked below."
    )
    expect(page.locator("#weekly_publish_limit")).to_be_focused()  # the first field with a problem
    stored = tenant.api.data("GET", settings_path(tenant))
    assert stored["publish_time_slots"] == [{"start": "09:00", "end": "17:00"}]
    assert stored["weekly_publish_limit"] is None
    screenshot(page, "settings-errors")


def test_given_new_time_slots_when_saved_then_the_api_has_them_and_the_preview_follows(
    page: Page, tenant: Tenant
) -> None:
    open_console(page, tenant.api, "settings")
    expect(page.locator("#preview-list li")).to_have_count(5)

    page.locator("#publish_time_slots-0-start").fill("06:00")
    page.locator("#publish_time_slots-0-end").fill("06:30")
    page.get_by_role("button", name="Add a slot").click()
    page.locator("#publish_time_slots-1-start").fill("20:00")
    page.locator("#publish_time_slots-1-end").fill("20:30")
    page.get_by_role("button", name="Save settings").click()

    expect(page.locator("#notice")).to_have_text("Settings saved.")
    stored = tenant.api.data("GET", settings_path(tenant))
    assert stored["publish_time_slots"] == [
        {"start": "06:00", "end": "06:30"},
        {"start": "20:00", "end": "20:30"},
    ]
    preview = tenant.api.data("GET", f"{settings_path(tenant)}preview/", count=5)["slots"]
    expected = [
        f"{parse_time(slot['scheduled_publish_at']).astimezone(tenant.zone):%H:%M}" for slot in preview
    ]
    assert all("06:00" <= at < "06:30" or "20:00" <= at < "20:30" for at in expected)
    shown = page.locator("#preview-list li")
    expect(shown).to_have_count(5)
    for index, at in enumerate(expected):
        expect(shown.nth(index)).to_contain_text(at)
    screenshot(page, "settings-saved")
