"""The console in a real browser against the real local runner.

One `python -m local start --demo --no-schedules` serves the API and the console on free loopback
ports for the session (no schedules, so nothing moves while a test looks). Debian's Chromium
(`apt-get install chromium`) runs headless through Playwright; each test gets a fresh tab, and
with it a fresh sessionStorage. Each test that writes works in an account of its own, so tests
cannot see each other's sites.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from local.aws import LOCAL_JWT_SECRET
from local.demo import DEMO_ACCOUNT
from publisher.tokens import issue_token
from tests.support.console_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OPEN_SETTINGS,
    TEST_ZONE,
    Api,
    Tenant,
    with_somewhere_to_publish,
)
from tests.support.local_runner import LocalRunner, running_local


@pytest.fixture(scope="session")
def local_api() -> Iterator[LocalRunner]:
    with running_local("--demo", "--no-schedules") as runner:
        runner.wait_for_log("Try it", timeout=120)  # the demo seed has finished
        yield runner


@pytest.fixture(scope="session")
def browser_context() -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (see README, make e2e)")
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1360, "height": 900},
            )
            context.set_default_timeout(15_000)
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def demo_api(local_api: LocalRunner) -> Api:
    token = issue_token(LOCAL_JWT_SECRET, account_id=DEMO_ACCOUNT, role="owner", sub="console-e2e")
    return Api(local_api.api_url, token)


@pytest.fixture
def tenant(local_api: LocalRunner) -> Tenant:
    account = f"console-{uuid.uuid4().hex[:10]}"
    api = Api(local_api.api_url, issue_token(LOCAL_JWT_SECRET, account_id=account, role="owner", sub="e2e"))
    site = api.data(
        "POST", "/sites/", {"name": f"Console {account}", "slug": account, "url": "https://example.com"}
    )
    api.data("PUT", f"/sites/{site['id']}/publishing-settings/", OPEN_SETTINGS)
    with_somewhere_to_publish(api, site["id"])
    return Tenant(api=api, site_id=site["id"], zone=ZoneInfo(TEST_ZONE), account=account)


@pytest.fixture
def viewer_api(local_api: LocalRunner, tenant: Tenant) -> Api:
    """The tenant's account with a viewer's token."""
    token = issue_token(LOCAL_JWT_SECRET, account_id=tenant.account, role="viewer", sub="e2e-viewer")
    return Api(local_api.api_url, token)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test's report ends with the local runner's last log lines (what the server did)."""
    outcome = yield
    report = outcome.get_result()
    runner = item.funcargs.get("local_api") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(runner, LocalRunner):
        report.sections.append(("local runner log (last lines)", "\n".join(runner.log().splitlines()[-80:])))
