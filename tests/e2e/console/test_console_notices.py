"""Error banners and the list view in Chromium against the local runner: a failed load's banner
goes once data loads, on a site switch and on a page switch; a site's late answer after a switch
changes nothing; the list spans the next 30 days."""

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


def settings_of(site_id: str) -> re.Pattern[str]:
    return re.compile(rf"/api/v1/sites/{site_id}/publishing-settings/$")


# The addresses of the API answers the page has read. Everything the console does with an answer
# after its `json()` runs in microtasks, so once a later task sees the address, it was handled.
ANSWERS = """(() => {
  window.answered = [];
  const json = Response.prototype.json;
  Response.prototype.json = function () {
    return json.call(this).finally(() => window.answered.push(this.url));
  };
})()"""


def held(page: Page, pattern: re.Pattern[str]) -> list[Route]:
    """Requests to `pattern` wait (unanswered) in the returned list until the test lets them go."""
    routes: list[Route] = []
    page.route(pattern, lambda route: routes.append(route))
    return routes


def let_go(page: Page, routes: list[Route], pattern: re.Pattern[str]) -> None:
    """Let the one held request go on, and wait until the console has handled its answer."""
    assert len(routes) == 1
    count = "source => window.answered.filter((url) => new RegExp(source).test(url)).length"
    before = page.evaluate(count, pattern.pattern)
    routes.pop().continue_()
    page.wait_for_function(f"([source, before]) => ({count})(source) > before", arg=[pattern.pattern, before])


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
    with page.expect_response(calendar_of(other["id"])):
        page.locator("#site-picker").select_option(other["id"])  # the other site loads fine
    expect(page.locator("#calendar")).to_have_attribute("aria-busy", "false")
    expect(problem).to_be_empty()

    page.locator("#site-picker").select_option(tenant.site_id)
    expect(problem).to_contain_text("The calendar is resting.")
    page.locator('#nav a[data-page="queue"]').click()
    expect(page.locator("#queue-updated")).to_contain_text("(Asia/Kolkata)")  # the site's zone
    expect(problem).to_be_empty()


def test_given_a_switch_back_when_the_other_site_answers_late_then_its_answer_changes_nothing(
    page: Page, tenant: Tenant
) -> None:
    other = tenant.api.data(
        "POST", "/sites/", {"name": "Other site", "slug": f"{tenant.account}-b", "url": "https://example.org"}
    )
    problem = page.locator("#problem")
    page.add_init_script(ANSWERS)
    page.route(calendar_of(tenant.site_id), failing)
    open_console(page, tenant.api)
    expect(problem).to_contain_text("The calendar is resting.")

    # The other site's calendar answers after the first site's failure is shown again.
    calendars = held(page, calendar_of(other["id"]))
    with page.expect_request(calendar_of(other["id"])):
        page.locator("#site-picker").select_option(other["id"])
    page.locator("#site-picker").select_option(tenant.site_id)
    expect(problem).to_contain_text("The calendar is resting.")
    let_go(page, calendars, calendar_of(other["id"]))
    expect(problem).to_contain_text("The calendar is resting.")

    # The other site's settings answer after the first site is shown again: the first site stays.
    page.unroute(calendar_of(other["id"]))
    settings = held(page, settings_of(other["id"]))
    with page.expect_request(settings_of(other["id"])):
        page.locator("#site-picker").select_option(other["id"])
    page.locator("#site-picker").select_option(tenant.site_id)
    expect(problem).to_contain_text("The calendar is resting.")
    let_go(page, settings, settings_of(other["id"]))
    expect(page.locator("#site-picker")).to_have_value(tenant.site_id)
    expect(page.locator("#site-zone")).to_have_text("Times in Asia/Kolkata")
    expect(page.locator("#calendar")).to_have_attribute("aria-busy", "false")
    expect(problem).to_contain_text("The calendar is resting.")


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
