"""Signing in to the console in Chromium against the local runner: a pasted token, the platform's
`#token=` hand-over, a refused token, and signing out. The token lives in this tab only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.console_browser import Tenant, open_console
from tests.support.local_runner import LocalRunner

pytestmark = pytest.mark.e2e

STORED_TOKEN = "sessionStorage.getItem('publisher.console.token')"


def test_given_a_refused_then_a_valid_pasted_token_when_signing_in_then_only_the_valid_one_enters(
    page: Page, local_api: LocalRunner, tenant: Tenant
) -> None:
    page.goto(f"{local_api.api_url}/console/")
    expect(page.get_by_label("API token")).to_be_focused()

    page.get_by_label("API token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#problem")).to_have_text(
        "The API refused the token (expired or not valid). Sign in again."
    )
    expect(page.locator("#page-signin")).to_be_visible()
    assert page.evaluate(STORED_TOKEN) is None

    page.get_by_label("API token").fill(tenant.api.token)
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#page-calendar")).to_be_visible()
    expect(page.locator("#site-picker")).to_have_value(tenant.site_id)
    assert page.evaluate(STORED_TOKEN) == tenant.api.token
    assert page.get_by_label("API token").input_value() == ""  # not left in the form


def test_given_the_platform_hand_over_when_opened_then_the_token_leaves_the_address_and_sign_out_forgets_it(
    page: Page, tenant: Tenant
) -> None:
    open_console(page, tenant.api)

    assert tenant.api.token not in page.url
    assert page.url.endswith("/console/#calendar")
    assert page.evaluate(STORED_TOKEN) == tenant.api.token

    page.get_by_role("button", name="Sign out").click()

    expect(page.locator("#page-signin")).to_be_visible()
    expect(page.locator("#notice")).to_have_text("Signed out.")
    expect(page.locator("#nav")).to_be_hidden()
    assert page.evaluate(STORED_TOKEN) is None
