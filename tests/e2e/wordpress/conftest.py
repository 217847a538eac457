"""Fixtures for the WordPress end-to-end tests: a real WordPress on 127.0.0.1 (started once per
session by scripts/e2e/wordpress.sh) and a loopback server the images are copied from.

`wordpress_integration` is the integration a site would store (destination, config,
credentials), for tests that drive publishing through the worker.
Set WP_E2E_KEEP=1 to leave WordPress running after the session (faster reruns while developing).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from publisher.destinations.wordpress import WordPressDestination
from tests.support.loopback import LoopbackServer, Reply

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "e2e" / "wordpress.sh"
STATE_DIR = Path(os.environ.get("WP_STATE_DIR", "/tmp/publisher-e2e-wp"))


def run_script(*args: str) -> None:
    """Run scripts/e2e/wordpress.sh with the session's state dir."""
    env = {**os.environ, "WP_STATE_DIR": str(STATE_DIR)}
    subprocess.run([str(SCRIPT), *args], check=True, env=env, timeout=900)


@dataclass(frozen=True)
class WordPressSite:
    """The running WordPress, plus a plain REST client for asserting on what it holds."""

    base_url: str
    username: str
    application_password: str

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "post_type": "post",
            "publish_status": "publish",
            "allow_insecure_http": True,
            **overrides,
        }

    def credentials(self, **overrides: Any) -> dict[str, Any]:
        return {"username": self.username, "application_password": self.application_password, **overrides}

    def destination(self, **config_overrides: Any) -> WordPressDestination:
        """A fresh adapter, as the worker builds one per message."""
        return WordPressDestination(self.config(**config_overrides), self.credentials())

    def rest(self, method: str, route: str, **params: Any) -> Any:
        """Call the REST API directly (not through the adapter); returns the JSON body."""
        response = requests.request(
            method,
            f"{self.base_url}/",
            params={"rest_route": f"/{route.strip('/')}", **params},
            auth=(self.username, self.application_password),
            timeout=30,
        )
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WordPressSite]:
    run_script("up")
    data = json.loads((STATE_DIR / "wordpress.json").read_text())
    try:
        yield WordPressSite(data["base_url"], data["username"], data["application_password"])
    finally:
        if not os.environ.get("WP_E2E_KEEP"):
            run_script("down")


@pytest.fixture(scope="session")
def wordpress_integration(wordpress: WordPressSite) -> dict[str, Any]:
    """The integration record's parts for destination "wordpress"."""
    return {"destination": "wordpress", "config": wordpress.config(), "credentials": wordpress.credentials()}


@pytest.fixture
def plain_permalinks(wordpress: WordPressSite) -> Iterator[WordPressSite]:
    """The site with plain permalinks, where /wp-json/ does not route; pretty ones afterwards."""
    run_script("permalinks", "plain")
    try:
        yield wordpress
    finally:
        run_script("permalinks", "pretty")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class ImageHost:
    """Serves generated PNGs from a real HTTP server on 127.0.0.1 and counts their downloads."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server

    def add(self, name: str) -> str:
        """A new image at a URL never used before (WordPress keeps media between sessions)."""
        path = f"/images/{uuid.uuid4().hex[:10]}/{name}.png"
        colour = tuple(uuid.uuid4().bytes[:3])
        self.server.route("GET", path, Reply(200, {"Content-Type": "image/png"}, png(8, 6, colour)))
        return f"{self.server.url}{path}"

    def downloads(self, url: str) -> int:
        path = url.removeprefix(self.server.url)
        return sum(1 for request in self.server.received if request.path == path)


@pytest.fixture(scope="session")
def images() -> Iterator[ImageHost]:
    server = LoopbackServer().start()
    try:
        yield ImageHost(server)
    finally:
        server.stop()
