"""The queue page in Chromium against the local runner: its rows follow the server as it polls,
and its actions (unschedule, publish now, retry) reach the API and both pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support.console_browser import Api, Tenant, answer_dialogs, open_console, screenshot, show_day
from tests.support.loopback import LoopbackServer, Received, Reply, loopback_server

pytestmark = pytest.mark.e2e

LIVE = 30_000  # ms: a poll (4 s) plus the worker's turn, on a busy machine


@pytest.fixture
def webhook_peer() -> Iterator[LoopbackServer]:
    with loopback_server() as server:
        yield server


def test_given_a_scheduled_item_when_unscheduled_from_the_queue_then_both_pages_drop_it(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.scheduled("Unschedule me", tenant.local(tomorrow, "11:00"))
    open_console(page, tenant.api)
    show_day(page, tomorrow, '.fc-daygrid-day[data-date="{day}"]')
    expect(page.locator(f'.fc-event[data-content-id="{content_id}"]')).to_be_visible()

    page.locator('#nav a[data-page="queue"]').click()
    row = page.locator(f'#queue-rows tr[data-content-id="{content_id}"]')
    expect(row).to_contain_text("Scheduled")
    expect(row).to_contain_text(f"{tomorrow.day} {tomorrow:%b %Y}, 11:00")  # the site's time
    screenshot(page, "queue")
    dialogs = answer_dialogs(page, accept=False)
    row.get_by_role("button", name="Unschedule: Unschedule me").click()

    assert dialogs.messages == ["Unschedule “Unschedule me”? It goes back to the calendar's backlog."]
    expect(row).to_contain_text("Scheduled")  # not confirmed: nothing changed
    assert tenant.api.content(content_id)["site_status"] == "scheduled"
    dialogs.accept = True
    row.get_by_role("button", name="Unschedule: Unschedule me").click()

    expect(row).to_have_count(0)
    expect(page.locator("#queue-empty")).to_be_visible()
    assert tenant.api.content(content_id)["site_status"] == "not_published"
    page.locator('#nav a[data-page="calendar"]').click()
    show_day(page, tomorrow, '.fc-daygrid-day[data-date="{day}"]')  # reloaded: unscheduled is not drawn
    expect(page.locator(f'.fc-event[data-content-id="{content_id}"]')).to_have_count(0)


def test_given_a_failing_destination_when_published_from_queue_then_the_failure_shows_live_and_retry_works(
    page: Page, tenant: Tenant, webhook_peer: LoopbackServer
) -> None:
    answers = iter([Reply(400, {"Content-Type": "text/plain"}, b"payload refused")])

    def hook(_received: Received) -> Reply:
        return next(answers, Reply(200, {"Content-Type": "application/json"}, b"{}"))

    webhook_peer.route("POST", "/hook", hook)
    tenant.api.data(
        "PUT",
        f"/sites/{tenant.site_id}/integrations/webhook/",
        {
            "enabled": True,
            "config": {"url": f"{webhook_peer.url}/hook", "allow_insecure_http": True},
            "credentials": {"signing_secret": "console-e2e-signing-secret"},
        },
    )
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.scheduled("Publish me", tenant.local(tomorrow, "12:00"))
    open_console(page, tenant.api, "queue")
    row = page.locator(f'#queue-rows tr[data-content-id="{content_id}"]')
    expect(row).to_contain_text("Not started")
    dialogs = answer_dialogs(page, accept=True)

    row.get_by_role("button", name="Publish now: Publish me").click()

    assert dialogs.messages == ["Publish “Publish me” now, at every destination?"]
    expect(row.locator(".badge.status-failed")).to_be_visible(timeout=LIVE)  # no reload: the page polls
    expect(row.locator(".badge.status-failed")).to_have_text("✕Failed")  # a shape and a word, not a colour
    expect(row.locator('li[data-destination="webhook"]')).to_contain_text("failed")
    expect(row.locator('li[data-destination="webhook"] .reason')).to_contain_text("HTTP 400")
    screenshot(page, "queue-failed")
    assert (
        tenant.api.data("GET", "/publisher/publish/status/", content_id=content_id)["site_status"] == "failed"
    )

    row.get_by_role("button", name="Retry now: Publish me").click()

    expect(row).to_have_count(0, timeout=LIVE)  # published: no longer waiting
    status = tenant.api.data("GET", "/publisher/publish/status/", content_id=content_id)
    assert status["site_status"] == "published"
    assert [record["status"] for record in status["records"]] == ["published"]
    assert len([request for request in webhook_peer.received if request.path == "/hook"]) == 2


def test_given_two_selected_scheduled_items_when_bulk_unscheduled_then_both_leave_the_queue(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    first = tenant.scheduled("Bulk one", tenant.local(tomorrow, "10:00"))
    second = tenant.scheduled("Bulk two", tenant.local(tomorrow, "11:00"))
    stays = tenant.scheduled("Not selected", tenant.local(tomorrow, "12:00"))
    open_console(page, tenant.api, "queue")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(3)
    bulk = page.get_by_role("group", name="Selected items")
    unschedule = bulk.get_by_role("button", name="Unschedule selected")
    expect(unschedule).to_be_disabled()  # nothing selected yet

    page.get_by_role("checkbox", name="Select “Bulk one”").check()
    page.get_by_role("checkbox", name="Select “Bulk two”").check()
    expect(page.locator("#queue-selected")).to_have_text("2 selected")
    expect(page.locator("#queue-select-all")).to_have_js_property("indeterminate", True)
    dialogs = answer_dialogs(page, accept=False)
    unschedule.click()

    assert dialogs.messages == ["Unschedule 2 selected items? They go back to the calendar's backlog."]
    expect(rows).to_have_count(3)  # not confirmed: nothing changed
    assert tenant.api.content(first)["site_status"] == "scheduled"
    dialogs.accept = True
    unschedule.click()

    expect(page.locator("#notice")).to_have_text("2 done.")
    expect(rows).to_have_count(1)
    expect(page.locator(f'#queue-rows tr[data-content-id="{stays}"]')).to_be_visible()
    expect(page.get_by_role("checkbox", name="Select “Not selected”")).not_to_be_checked()
    expect(page.locator("#queue-selected")).to_have_text("None selected")
    assert [tenant.api.content(content_id)["site_status"] for content_id in (first, second, stays)] == [
        "not_published",
        "not_published",
        "scheduled",
    ]


def test_given_an_item_changed_meanwhile_when_bulk_unscheduled_then_the_summary_names_its_failure(
    page: Page, tenant: Tenant
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    done = tenant.scheduled("Goes back", tenant.local(tomorrow, "10:00"))
    refused = tenant.scheduled("Unscheduled meanwhile", tenant.local(tomorrow, "11:00"))
    open_console(page, tenant.api, "queue")
    expect(page.locator("#queue-rows tr")).to_have_count(2)
    page.evaluate("Object.defineProperty(document, 'hidden', {get: () => true})")  # polls pause
    page.locator("#queue-select-all").check()
    expect(page.locator("#queue-selected")).to_have_text("2 selected")
    tenant.api.data("POST", f"/content/{refused}/unschedule/", {})  # behind the page's back
    answer_dialogs(page, accept=True)

    page.get_by_role("button", name="Unschedule selected").click()

    expect(page.locator("#problem")).to_contain_text("1 done, 1 failed: Unscheduled meanwhile: ")
    expect(page.locator("#queue-rows tr")).to_have_count(0)  # refreshed after the bulk request
    assert tenant.api.content(done)["site_status"] == "not_published"


def test_given_a_viewer_when_the_queue_opens_then_nothing_can_be_selected(
    page: Page, tenant: Tenant, viewer_api: Api
) -> None:
    tomorrow = tenant.today() + timedelta(days=1)
    content_id = tenant.scheduled("Viewer sees me", tenant.local(tomorrow, "10:00"))
    open_console(page, viewer_api, "queue")

    expect(page.locator(f'#queue-rows tr[data-content-id="{content_id}"]')).to_contain_text("Scheduled")
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.locator("#queue-bulk")).to_be_hidden()
    for name in ("Schedule selected", "Unschedule selected", "Publish now selected"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.locator("#queue-select-head")).to_be_hidden()
