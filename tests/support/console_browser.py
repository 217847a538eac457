"""Helpers for the console's browser tests: the API as the tests call it, a tenant of their own,
opening the console signed in, screenshots, and how the calendar lays items out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import Dialog, Locator, Page, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output"
# axe-core from the console's npm devDependencies (`make console`); injected by the tests only.
AXE_SOURCE = ROOT / "functions" / "console" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# A zone with a half-hour offset and no daylight saving: a wrong conversion cannot hide.
TEST_ZONE = "Asia/Kolkata"
OPEN_SETTINGS = {
    "auto_approval_enabled": False,
    "auto_publish_enabled": False,
    "daily_publish_limit": None,
    "weekly_publish_limit": None,
    "monthly_publish_limit": None,
    "publish_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "publish_time_slots": [{"start": "09:00", "end": "17:00"}],
    "timezone": TEST_ZONE,
    "missed_schedule_policy": "publish_late",
    "blackout_dates": [],
}


def utc_text(moment: datetime) -> str:
    """The API's format: `2026-11-24T08:30:00Z`."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Api:
    """Plain HTTP calls to the runner's API with one account's token (what tests assert on)."""

    base_url: str
    token: str

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.base_url}/api/v1{path}",
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def data(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.call(method, path, body, **params)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code}: {response.text}"
        return response.json()["data"]

    def content(self, content_id: str) -> dict[str, Any]:
        return self.data("GET", f"/content/{content_id}/")


def with_somewhere_to_publish(api: Api, site_id: str) -> None:
    """An enabled webhook integration (content is scheduled only where it can be published); the
    tests publish nothing to it unless they point it at a peer of theirs."""
    api.data(
        "PUT",
        f"/sites/{site_id}/integrations/webhook/",
        {
            "enabled": True,
            "config": {"url": "https://hooks.example.com/console-e2e"},
            "credentials": {"signing_secret": "console-e2e-signing-secret"},
        },
    )


@dataclass
class Tenant:
    """An account of its own with one site whose settings publish any day, 09:00-17:00 local."""

    api: Api
    site_id: str
    zone: ZoneInfo
    account: str = ""

    def local(self, day: date, at: str) -> datetime:
        """`at` (HH:MM) on `day`, in the site's zone."""
        return datetime.combine(day, time.fromisoformat(at), self.zone)

    def today(self) -> date:
        return datetime.now(self.zone).date()

    def approved(self, title: str) -> str:
        """A new approved item on no schedule (the calendar's backlog); its id."""
        content = self.api.data(
            "POST",
            "/content/",
            {"site_id": self.site_id, "title": title, "html": f"<p>{title}</p>", "content_type": "post"},
        )
        self.api.data("PATCH", f"/content/{content['id']}/", {"status": "approved"})
        return content["id"]

    def scheduled(self, title: str, when: datetime) -> str:
        """A new approved item scheduled at `when`; its id."""
        content_id = self.approved(title)
        scheduled = self.api.data(
            "POST", f"/content/{content_id}/schedule/", {"scheduled_publish_at": utc_text(when)}
        )
        assert scheduled["site_status"] == "scheduled"
        return content_id


def open_console(page: Page, api: Api, view: str = "calendar") -> None:
    """Open the console signed in (the platform's `#token=` hand-over), on one of its pages."""
    page.goto(f"{api.base_url}/console/#token={api.token}")
    expect(page.locator("#nav")).to_be_visible()
    if view != "calendar":
        page.locator(f'#nav a[data-page="{view}"]').click()
    expect(page.locator(f"#page-{view}")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"console-{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # sticky calendar headers would be captured mid-page
    page.screenshot(path=str(path), full_page=True)
    return path


def drag(page: Page, source: Locator, target: Callable[[], tuple[float, float]]) -> None:
    """Press on the top of `source` (its first time slot), move in steps as a hand would, release
    on the point `target` gives once `source` is scrolled to the middle of the window."""
    source.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = source.bounding_box()
    assert box is not None, "the item to drag is not on screen"
    x, y = target()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + min(5, box["height"] / 2))
    page.mouse.down()
    page.mouse.move(x, y, steps=15)
    page.mouse.up()


def centre(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, "the target is not on screen"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def week_slot_point(page: Page, day: date, at: str) -> tuple[float, float]:
    """Where to drop in the week view for `day` at `at` (HH:MM): the day's column, the slot's top."""
    column = page.locator(f'td.fc-timegrid-col[data-date="{day.isoformat()}"]')
    lane = page.locator(f'td.fc-timegrid-slot-lane[data-time="{at}:00"]')
    x, _ = centre(column)
    box = lane.bounding_box()
    assert box is not None, f"no {at} slot in the week view"
    return x, box["y"] + 5


def switch_view(page: Page, view: str) -> None:
    """Choose a view with its toolbar button (dayGridMonth, timeGridWeek, listNext30) and wait for it."""
    page.locator(f".fc-{view}-button").click()
    expect(page.locator("#calendar")).to_have_attribute("data-view", view)


def show_day(page: Page, day: date, cell_selector: str) -> Locator:
    """The current view's cell for `day` once the events are loaded, moving the calendar to the
    period that holds `day` first (a view's range is on #calendar's data-range-* attributes)."""
    calendar = page.locator("#calendar")
    expect(calendar).to_have_attribute("data-range-start", re.compile(r"\d{4}-\d\d-\d\d"))
    for _ in range(3):
        start, end = calendar.get_attribute("data-range-start"), calendar.get_attribute("data-range-end")
        if start <= day.isoformat() < end:
            break
        page.locator(".fc-next-button" if day.isoformat() >= end else ".fc-prev-button").click()
        expect(calendar).not_to_have_attribute("data-range-start", start)
    expect(calendar).to_have_attribute("aria-busy", "false")
    cell = page.locator(cell_selector.format(day=day.isoformat()))
    expect(cell).to_have_count(1)
    return cell


@dataclass
class Dialogs:
    """The confirm dialogs a page opened (their messages), answered as `accept` says at the time."""

    accept: bool
    messages: list[str]

    def answer(self, dialog: Dialog) -> None:
        self.messages.append(dialog.message)
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()


def answer_dialogs(page: Page, accept: bool) -> Dialogs:
    """Answer every confirm dialog the page opens from now on (flip `.accept` to change the answer)."""
    dialogs = Dialogs(accept, [])
    page.on("dialog", dialogs.answer)
    return dialogs


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of those impacts on the page as it is (run through the DevTools
    protocol, so the console's Content-Security-Policy does not stop the injected script)."""
    page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;0")
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
            (v) => ({id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" "))}))"""
    )
    return [violation for violation in violations if violation["impact"] in impacts]
