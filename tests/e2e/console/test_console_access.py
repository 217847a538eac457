"""Who and what the console works for, in Chromium against the local runner: viewers get a
read-only console, statuses read without colour, phones get a layout without sideways scrolling,
and axe-core finds no serious or critical violation on any page at either width."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support.console_browser import (
    DESKTOP,
    PHONE,
    Api,
    Tenant,
    axe_violations,
    centre,
    drag,
    open_console,
    parse_time,
    screenshot,
    show_day,
)

pytestmark = pytest.mark.e2e

MONTH_CELL = '.fc-daygrid-day[data-date="{day}"]'
PAGES = ["calendar", "queue", "settings"]
# Deuteranopia (Machado et al. 2009, severity 1.0) as an SVG colour matrix over the whole page.
DEUTERANOPIA = """() => {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", "0");
  svg.setAttribute("height", "0");
  svg.style.position = "absolute";
  svg.innerHTML = '<filter id="deuteranopia"><feColorMatrix type="matrix" values="'
    + '0.367 0.861 -0.228 0 0  0.280 0.673 0.047 0 0  -0.012 0.043 0.969 0 0  0 0 0 1 0"/></filter>';
  document.body.append(svg);
  document.documentElement.style.filter = "url(#deuteranopia)";
}"""
EVERY_STATUS = """async () => {
  const items = await import("./js/items.js");
  return Object.keys(items.STATUS_LABELS).map((status) => {
    const badge = items.statusBadge(status);
    document.body.append(badge);
    return [status, badge.querySelector(".icon").textContent, badge.textContent];
  });
}"""


def test_given_a_viewer_token_when_the_console_opens_then_nothing_offers_a_change(
    page: Page, tenant: Tenant, viewer_api: Api
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    planned = tenant.local(tomorrow, "10:00")
    scheduled_id = tenant.scheduled("Look, do not touch", planned)
    waiting_id = tenant.approved("Waiting in the backlog")
    open_console(page, viewer_api)

    expect(page.locator("#read-only-note")).to_be_visible()
    item = page.locator(f'.fc-event[data-content-id="{scheduled_id}"]')
    show_day(page, tomorrow, MONTH_CELL)
    expect(item).to_be_visible()
    expect(item).not_to_have_class(re.compile(r"\bfc-event-draggable\b"))
    backlog = page.locator(f'.backlog-item[data-content-id="{waiting_id}"]')
    expect(backlog).to_contain_text("Waiting in the backlog")
    expect(backlog).not_to_have_attribute("data-draggable", "true")
    expect(backlog.get_by_role("button", name="Next free slot")).to_have_count(0)

    drag(page, item, lambda: centre(page.locator(MONTH_CELL.format(day=tomorrow + timedelta(days=1)))))
    item.click()
    details = page.locator("#details")
    expect(page.locator("#details-title")).to_have_text("Look, do not touch")
    for name in ("Publish now", "Unschedule", "Reschedule", "Next free slot"):
        expect(details.get_by_role("button", name=name)).to_have_count(0)
    expect(page.locator("#reschedule-at")).to_have_count(0)
    assert parse_time(tenant.api.content(scheduled_id)["scheduled_publish_at"]) == planned

    page.locator('#nav a[data-page="queue"]').click()
    row = page.locator(f'#queue-rows tr[data-content-id="{scheduled_id}"]')
    expect(row).to_contain_text("Scheduled")
    expect(row.get_by_role("button")).to_have_count(0)

    page.locator('#nav a[data-page="settings"]').click()
    expect(page.locator("#daily_publish_limit")).to_be_disabled()
    expect(page.get_by_role("button", name="Save settings")).to_be_disabled()
    screenshot(page, "viewer-settings")


def test_given_a_deuteranopia_filter_when_statuses_show_then_each_has_its_own_icon_and_word(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.scheduled("Seen without colour", tenant.local(tomorrow, "10:00"))
    open_console(page, tenant.api)
    page.evaluate(DEUTERANOPIA)
    assert page.evaluate("getComputedStyle(document.documentElement).filter") == 'url("#deuteranopia")'

    legend = page.locator(".legend li[data-status]")
    expect(legend).to_have_text(["◷Scheduled", "↻Publishing", "✓Published", "✕Failed"])
    badges = page.evaluate(EVERY_STATUS)
    icons = [icon for _, icon, _ in badges]
    words = [text.removeprefix(icon) for _, icon, text in badges]
    assert len(set(icons)) == len(badges) == 6, badges  # every site status, retrying included
    assert words == ["Not published", "Scheduled", "Publishing", "Retrying", "Published", "Failed"]
    drawn = page.locator(f'.fc-event[data-content-id="{content_id}"]')
    show_day(page, tomorrow, MONTH_CELL)
    expect(drawn.locator(".icon")).to_have_text("◷")
    expect(drawn).to_have_attribute(
        "aria-label", f"Seen without colour, Scheduled, {tomorrow:%a}, {tomorrow.day} {tomorrow:%b %Y}, 10:00"
    )
    screenshot(page, "deuteranopia")


@pytest.mark.parametrize("name", PAGES)
def test_given_a_phone_when_each_page_opens_then_nothing_scrolls_sideways(
    page: Page, tenant: Tenant, name: str
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    tenant.scheduled(
        "A rather long title that has to wrap on a phone screen", tenant.local(tomorrow, "10:00")
    )
    tenant.approved("Waiting on a phone")
    page.set_viewport_size(PHONE)
    open_console(page, tenant.api, name)
    if name == "calendar":
        expect(page.locator("#calendar")).to_have_attribute("data-view", "listNext30")  # the agenda
        expect(page.locator(".fc-list-event")).to_have_count(1)
    if name == "queue":
        expect(page.locator("#queue-rows tr")).to_have_count(1)
        assert page.evaluate("getComputedStyle(document.querySelector('#queue-rows tr')).display") == "block"

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    overflowing = page.evaluate(
        """(width) => [...document.querySelectorAll("body *")]
             .filter((node) => node.getClientRects().length
                               && node.getBoundingClientRect().right > width + 0.5
                               && !node.closest(".sr-only, .skip-link"))
             .map((node) => node.tagName + "." + node.className)""",
        PHONE["width"],
    )
    assert overflowing == []
    screenshot(page, f"phone-{name}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
@pytest.mark.parametrize("name", PAGES)
def test_given_axe_core_when_each_page_is_checked_then_no_serious_or_critical_violation(
    page: Page, tenant: Tenant, name: str, viewport: dict[str, int]
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    tenant.scheduled("Checked by axe", tenant.local(tomorrow, "10:00"))
    tenant.approved("Backlog checked by axe")
    page.set_viewport_size(viewport)
    open_console(page, tenant.api, name)
    ready = {
        "calendar": ".fc-event[data-content-id]",
        "queue": "#queue-rows tr",
        "settings": "#slots input",
    }[name]
    expect(page.locator(ready).first).to_be_visible()

    assert axe_violations(page) == []
