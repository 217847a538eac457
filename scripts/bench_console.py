"""Cold-load bytes of the console's pages, transferred, with and without gzip (a benchmark, not a test).

    .venv/bin/python -m scripts.bench_console [--screenshots docs]

For each mode it starts `python -m local start --demo --no-schedules` on free loopback ports
(`CONSOLE_GZIP=0` for the run without gzip), adds two approved items to the demo site's backlog,
and opens each page (calendar, queue, settings) in a fresh Chromium context (empty cache) at
1280x800 and at 390x844. The bytes are Chromium's own count of what crossed the wire
(`Network.loadingFinished` encodedDataLength: headers and body) until the page shows its data,
split into the console's files (/console/...) and the API's answers (/api/v1/...).
With --screenshots DIR, the gzip run also saves docs-ready full-page screenshots of each page
at both widths as DIR/console-<page>-<width>.png.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from playwright.sync_api import Browser, sync_playwright

from tests.support.console_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE
from tests.support.local_runner import LocalRunner, local_token, running_local

PAGES = {"calendar": ".fc-event[data-content-id]", "queue": "#queue-rows tr", "settings": "#preview-list li"}
WIDTHS = {"1280": DESKTOP, "390": PHONE}
BACKLOG = ["Interview: the night editor", "Ten tips for spring gardens"]
DEMO_ACCOUNT = "demo-account"  # local/demo.py's account (importing it needs the layer on the path)
TOKEN_KEY = "publisher.console.token"  # noqa: S105 - the sessionStorage key, not a secret


@contextmanager
def demo_runner(gzip_on: bool) -> Iterator[LocalRunner]:
    previous = os.environ.get("CONSOLE_GZIP")
    os.environ["CONSOLE_GZIP"] = "1" if gzip_on else "0"  # the runner's functions inherit it
    try:
        with running_local("--demo", "--no-schedules") as runner:
            runner.wait_for_log("Try it", timeout=180)
            yield runner
    finally:
        if previous is None:
            os.environ.pop("CONSOLE_GZIP", None)
        else:
            os.environ["CONSOLE_GZIP"] = previous


def add_backlog(runner: LocalRunner, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    api = f"{runner.api_url}/api/v1"
    site = requests.get(f"{api}/sites/", headers=headers, timeout=30).json()["data"][0]
    for title in BACKLOG:
        body = {"site_id": site["id"], "title": title, "html": f"<p>{title}</p>"}
        content = requests.post(f"{api}/content/", json=body, headers=headers, timeout=30).json()["data"]
        approve = {"status": "approved"}
        requests.patch(f"{api}/content/{content['id']}/", json=approve, headers=headers, timeout=30)


def cold_load(
    browser: Browser, runner: LocalRunner, token: str, page_name: str, viewport: dict, shot: Path | None
) -> dict[str, int]:
    """Bytes over the wire for one cold load of a page, by kind; saves a screenshot when asked."""
    context = browser.new_context(viewport=viewport)
    context.add_init_script(f"sessionStorage.setItem({TOKEN_KEY!r}, {token!r})")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes = {"console": 0, "api": 0}
    cdp.on(
        "Network.requestWillBeSent",
        lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]),
    )

    def finished(event: dict) -> None:
        url = urls.get(event["requestId"], "")
        kind = "api" if "/api/v1/" in url else "console" if "/console" in url else None
        if kind:
            sizes[kind] += int(event["encodedDataLength"])

    cdp.on("Network.loadingFinished", finished)
    page.goto(f"{runner.api_url}/console/#{page_name}")
    page.locator(PAGES[page_name]).first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    if shot is not None:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shot), full_page=True)
    context.close()
    return sizes


def measure(gzip_on: bool, screenshots: Path | None) -> dict[tuple[str, str], dict[str, int]]:
    results = {}
    with demo_runner(gzip_on) as runner, sync_playwright() as playwright:
        token = local_token(DEMO_ACCOUNT)
        add_backlog(runner, token)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for width, viewport in WIDTHS.items():
            for page_name in PAGES:
                shot = screenshots / f"console-{page_name}-{width}.png" if screenshots and gzip_on else None
                results[(page_name, width)] = cold_load(browser, runner, token, page_name, viewport, shot)
        browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshots", type=Path, help="save each page at both widths here (e.g. docs)")
    args = parser.parse_args(argv)
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    plain = measure(False, None)
    packed = measure(True, args.screenshots)
    print(
        f"{'page':<10} {'width':>5} {'console plain':>14} {'console gzip':>13} {'api':>8} {'total gzip':>11}"
    )
    for (page_name, width), before in plain.items():
        after = packed[(page_name, width)]
        print(
            f"{page_name:<10} {width:>5} {before['console']:>14,} {after['console']:>13,} "
            f"{after['api']:>8,} {after['console'] + after['api']:>11,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
