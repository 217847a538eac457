"""Error banners and the list view in Chromium against the local runner: a failed load's banner
goes once data loads, on a site switch and on a page switch; the list spans the next 30 days."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.console_browser import Tenant, open_console, switch_view

pytestmark = pytest.mark.e2e


def failing(route: Route) -> None:
    route.fulfill(
        status=503,
        content_type="application/json",
        body=json.dumps({"success": False, "error": "The calendar is resting.", "request_id": "e2e"}),
    )


def calendar_of(site_id: str) -> re.Pattern[str]:
    return re.compile(rf"/api/v1/publisher/calendar/\?.*site_id={site_id}")


def test_given_a_failed_calendar_load_when_data_loads_the_site_or_page_changes_then_the_banner_goes(
    page: Page, tenant: Tenant
) -> None:
    other = tenant.api.data(
        "POST", "/sites/", {"name": "Other site", "slug": f"{tenant.account}-b", "url": "https://example.org"}
    )
    problem = page.locator("#problem")
    page.route(calendar_of(tenant.site_id), failing)
    open_console(page, tenant.api)
    expect(page.locator("#site-picker")).to_have_value(tenant.site_id)
    expect(problem).to_have_text("The calendar could not be loaded: The calendar is resting.")

    page.unroute(calendar_of(tenant.site_id))
    page.locator(".fc-next-button").click()  # loads again, and now succeeds
    expect(problem).to_be_empty()

    page.route(calendar_of(tenant.site_id), failing)
    page.locator(".fc-prev-button").click()
    expect(problem).to_contain_text("The calendar is resting.")
    page.locator("#site-picker").select_option(other["id"])  # the other site loads fine
    expect(page.locator("#calendar")).to_have_attribute("aria-busy", "false")
    expect(problem).to_be_empty()

    page.locator("#site-picker").select_option(tenant.site_id)
    expect(problem).to_contain_text("The calendar is resting.")
    page.locator('#nav a[data-page="queue"]').click()
    expect(page.locator("#queue-updated")).to_contain_text("(Asia/Kolkata)")  # the site's zone
    expect(problem).to_be_empty()


def test_given_items_over_six_weeks_when_the_list_view_opens_then_it_lists_the_next_30_days(
    page: Page, tenant: Tenant
) -> None:
    today = tenant.today()
    soon = tenant.scheduled("Tomorrow", tenant.local(today + timedelta(days=1), "10:00"))
    later = tenant.scheduled("In 25 days", tenant.local(today + timedelta(days=25), "10:00"))
    beyond = tenant.scheduled("In 35 days", tenant.local(today + timedelta(days=35), "10:00"))
    open_console(page, tenant.api)

    switch_view(page, "listNext30")

    calendar = page.locator("#calendar")
    expect(calendar).to_have_attribute("data-range-start", today.isoformat())
    expect(calendar).to_have_attribute("data-range-end", (today + timedelta(days=30)).isoformat())
    expect(calendar).to_have_attribute("aria-busy", "false")
    for content_id in (soon, later):
        expect(page.locator(f'.fc-list-event[data-content-id="{content_id}"]')).to_be_visible()
    expect(page.locator(f'.fc-list-event[data-content-id="{beyond}"]')).to_have_count(0)
    expect(page.locator(f'.fc-list-event[data-content-id="{later}"]')).to_contain_text("◷Scheduled")
