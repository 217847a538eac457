"""A real Ghost 5 on loopback for the session, plus a local image server and an admin reader.

`scripts/e2e/ghost.py up` installs Ghost once into a cache dir (minutes, the first time),
starts it with its own sqlite database, creates the owner and a custom integration, and
writes the admin URL and Admin API key to a JSON file. The session ends with `down`, unless
PUBLISHER_E2E_KEEP_GHOST=1 (handy while iterating: the next `up` reuses the running Ghost).
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from publisher.destinations.ghost import GhostDestination, admin_token

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "scripts" / "e2e" / "ghost.py"


@pytest.fixture(scope="session")
def ghost_instance() -> Iterator[dict[str, str]]:
    """{"admin_url", "admin_api_key"} of a running Ghost; started once per session."""
    up = subprocess.run([sys.executable, str(SCRIPT), "up"], check=True, stdout=subprocess.PIPE, text=True)
    state_file = Path(up.stdout.strip().splitlines()[-1])
    yield json.loads(state_file.read_text())
    if os.environ.get("PUBLISHER_E2E_KEEP_GHOST") != "1":
        subprocess.run([sys.executable, str(SCRIPT), "down"], check=True)


@pytest.fixture(scope="session")
def ghost_integration(ghost_instance: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The integration as the service stores it: non-secret config and write-only credentials."""
    return {
        "config": {"admin_url": ghost_instance["admin_url"], "allow_insecure_http": True},
        "credentials": {"admin_api_key": ghost_instance["admin_api_key"]},
    }


@pytest.fixture
def ghost(ghost_integration: dict[str, dict[str, Any]]) -> GhostDestination:
    return GhostDestination(ghost_integration["config"], ghost_integration["credentials"])


class GhostAdmin:
    """Reads and edits Ghost directly (not through the adapter) to check what really happened."""

    def __init__(self, admin_url: str, admin_api_key: str) -> None:
        self.admin_url = admin_url
        self.admin_api_key = admin_api_key
        self.http = requests.Session()

    def _headers(self) -> dict[str, str]:
        token = admin_token(self.admin_api_key, now=int(time.time()))
        return {"Authorization": f"Ghost {token}", "Accept-Version": "v5.0"}

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(
            f"{self.admin_url}/ghost/api/admin/{path}", params=params, headers=self._headers(), timeout=30
        )
        response.raise_for_status()
        return response.json()

    def read(self, resource: str, post_id: str) -> dict[str, Any]:
        return self.get(f"{resource}/{post_id}/", formats="html", include="tags")[resource][0]

    def with_slug(self, resource: str, slug: str) -> list[dict[str, Any]]:
        """Every post of any status with this slug (or Ghost's de-duplicated `slug-2`, ...)."""
        found = self.get(
            f"{resource}/", filter=f"slug:~^'{slug}'+status:[draft,published,scheduled]", limit="all"
        )
        return found[resource]

    def delete(self, resource: str, post_id: str) -> int:
        response = self.http.delete(
            f"{self.admin_url}/ghost/api/admin/{resource}/{post_id}/", headers=self._headers(), timeout=30
        )
        return response.status_code

    def edit_title(self, resource: str, post_id: str, title: str) -> str:
        """A concurrent editor: change the title, answer the post's new `updated_at`."""
        current = self.read(resource, post_id)["updated_at"]
        response = self.http.put(
            f"{self.admin_url}/ghost/api/admin/{resource}/{post_id}/",
            json={resource: [{"title": title, "updated_at": current}]},
            headers=self._headers(),
            timeout=30,
        )
        response.raise_for_status()
        return response.json()[resource][0]["updated_at"]


@pytest.fixture(scope="session")
def ghost_admin(ghost_instance: dict[str, str]) -> GhostAdmin:
    return GhostAdmin(ghost_instance["admin_url"], ghost_instance["admin_api_key"])


def png(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    """A small valid PNG of one colour (no imaging library needed)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class ImageServer:
    """Serves named PNGs on 127.0.0.1 and counts how often each was fetched."""

    def __init__(self) -> None:
        self.images: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = server.images.get(self.path)
                server.hits[self.path] += 1
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, rgb: tuple[int, int, int]) -> str:
        """A new image with a unique path; returns its URL."""
        path = f"/img/{uuid.uuid4().hex[:12]}.png"
        self.images[path] = png(rgb)
        return self.base + path


@pytest.fixture(scope="session")
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def unique_slug(request: pytest.FixtureRequest) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_given_").lower())[:40]
    return f"e2e-{words.strip('-')}-{uuid.uuid4().hex[:8]}"
