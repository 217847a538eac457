"""How ConsoleFunction serves the page and its files, over real HTTP through the local runner's
API Gateway: content types, cache validation, security headers, and nothing outside its table."""

from __future__ import annotations

import gzip
import http.client

import pytest
import requests

from tests.support.local_runner import LocalRunner

pytestmark = pytest.mark.e2e


def raw_get(runner: LocalRunner, path: str) -> http.client.HTTPResponse:
    """A GET with the path sent exactly as written (requests would normalise `..`)."""
    connection = http.client.HTTPConnection("127.0.0.1", runner.api_port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_given_the_bare_console_path_when_fetched_then_it_redirects_relatively_to_the_folder(
    local_api: LocalRunner,
) -> None:
    response = requests.get(f"{local_api.api_url}/console", allow_redirects=False, timeout=30)

    assert response.status_code == 302
    assert response.headers["Location"] == "console/"  # also right under a stage prefix


def test_given_the_console_folder_when_fetched_then_the_page_comes_with_a_strict_policy(
    local_api: LocalRunner,
) -> None:
    response = requests.get(f"{local_api.api_url}/console/", timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script src="js/main.js" type="module">' in response.text
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/console/js/main.js", "text/javascript; charset=utf-8", "ConsoleApp"),
        ("/console/console.css", "text/css; charset=utf-8", ".topbar"),
        ("/console/icon.svg", "image/svg+xml", "<svg"),
        ("/console/vendor/fullcalendar-core.js", "text/javascript; charset=utf-8", "FullCalendar Core v6"),
        ("/console/vendor/fullcalendar-interaction.js", "text/javascript; charset=utf-8", "FullCalendar"),
    ],
)
def test_given_an_asset_when_fetched_then_it_has_its_content_type(
    local_api: LocalRunner, path: str, content_type: str, marker: str
) -> None:
    response = requests.get(local_api.api_url + path, timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert marker in response.text


def test_given_a_cached_copy_when_its_etag_is_sent_back_then_the_answer_is_304_without_a_body(
    local_api: LocalRunner,
) -> None:
    first = requests.get(f"{local_api.api_url}/console/js/calendar.js", timeout=30)
    assert first.headers["Cache-Control"] == "no-cache"

    again = requests.get(
        f"{local_api.api_url}/console/js/calendar.js",
        headers={"If-None-Match": first.headers["ETag"]},
        timeout=30,
    )
    changed = requests.get(
        f"{local_api.api_url}/console/js/calendar.js", headers={"If-None-Match": '"stale"'}, timeout=30
    )

    assert again.status_code == 304
    assert again.content == b""
    assert changed.status_code == 200
    assert changed.text == first.text


@pytest.mark.parametrize(
    "path",
    [
        "/console/app.py",
        "/console/../template.yaml",
        "/console/%2e%2e/app.py",
        "/console/static/index.html",
        "/console/node_modules/@fullcalendar/core/package.json",
        "/console/js/",
    ],
)
def test_given_a_path_outside_the_asset_table_when_fetched_then_it_is_not_found(
    local_api: LocalRunner, path: str
) -> None:
    response = raw_get(local_api, path)

    assert response.status == 404


def raw_get_with(
    runner: LocalRunner, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """A GET whose body comes back exactly as sent (not decoded), with its headers by lower-case name."""
    connection = http.client.HTTPConnection("127.0.0.1", runner.api_port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {name.lower(): value for name, value in response.getheaders()}, body


@pytest.mark.parametrize(
    "path",
    ["/console/", "/console/vendor/fullcalendar-core.js", "/console/console.css", "/console/js/calendar.js"],
)
def test_given_a_client_that_accepts_gzip_when_an_asset_is_fetched_then_it_comes_gzipped_with_its_own_etag(
    local_api: LocalRunner, path: str
) -> None:
    status, packed_headers, packed = raw_get_with(local_api, path, {"Accept-Encoding": "gzip, deflate, br"})
    _, plain_headers, plain = raw_get_with(local_api, path, {"Accept-Encoding": "identity"})
    _, refused_headers, refused = raw_get_with(local_api, path, {"Accept-Encoding": "gzip;q=0, identity"})

    assert status == 200
    assert packed_headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2
    assert "content-encoding" not in plain_headers
    assert refused == plain and "content-encoding" not in refused_headers
    for headers in (packed_headers, plain_headers):
        assert headers["vary"] == "Accept-Encoding"
    assert packed_headers["etag"] != plain_headers["etag"]  # two representations, two validators


def test_given_a_gzipped_copy_cached_when_revalidated_then_the_answer_is_304_naming_the_gzip_etag(
    local_api: LocalRunner,
) -> None:
    _, first, _ = raw_get_with(local_api, "/console/js/main.js", {"Accept-Encoding": "gzip"})

    status, again, body = raw_get_with(
        local_api, "/console/js/main.js", {"Accept-Encoding": "gzip", "If-None-Match": first["etag"]}
    )

    assert status == 304
    assert body == b""
    assert again["etag"] == first["etag"]
    assert again["vary"] == "Accept-Encoding"
