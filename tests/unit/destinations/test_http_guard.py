"""The guarded HTTP session: outbound policy, typed errors, status mapping, image fetching.

Positive cases run against a real HTTP server on 127.0.0.1 (allow_insecure_http=True, the
only way loopback is admitted). Refused cases never open a socket to the refused address.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from publisher.destinations.base import PermanentDestinationError, RetryableDestinationError
from publisher.destinations.http import (
    BlockedURLError,
    build_session,
    fetch_image,
    parse_retry_after,
    raise_for_status,
)
from tests.support.loopback import LoopbackServer, Received, Reply, loopback_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with loopback_server() as running:
        yield running


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records every address a socket tries to connect to (the connection still happens)."""
    attempts: list[object] = []
    real_socket = socket.socket

    class RecordingSocket(real_socket):
        def connect(self, address: object) -> None:
            attempts.append(address)
            super().connect(address)

    monkeypatch.setattr(socket, "socket", RecordingSocket)
    return attempts


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> list[str]:
    """Resolve the given names to fixed addresses (other names resolve normally); log lookups."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in names:
            return real(host, port, family, type, proto, flags)
        lookups.append(host)
        results = []
        for address in names[host]:
            fam = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if fam == socket.AF_INET6 else (address, port)
            results.append((fam, socket.SOCK_STREAM, 6, "", sockaddr))
        return results

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


# --- the URL and address policy -----------------------------------------------------------


def test_given_the_default_policy_when_an_http_url_is_requested_then_it_is_refused() -> None:
    with pytest.raises(BlockedURLError, match=r"only https:// URLs are allowed"):
        build_session().get("http://example.com/feed")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "private network"),
        ("192.168.1.10", "private network"),
        ("172.16.0.1", "private network"),
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("[::1]", "loopback"),
        ("[fc00::1]", "private network"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("100.64.0.1", "non-public"),
    ],
)
def test_given_an_internal_address_when_requested_then_it_is_refused_before_connecting(
    address: str, reason: str, connects: list[object]
) -> None:
    with pytest.raises(BlockedURLError, match=reason):
        build_session().get(f"https://{address}/latest/meta-data/")
    assert connects == []


def test_given_a_name_resolving_to_a_private_address_when_requested_then_it_is_refused(
    monkeypatch: pytest.MonkeyPatch, connects: list[object]
) -> None:
    fake_dns(monkeypatch, {"intranet.example.com": ["10.20.30.40"]})

    with pytest.raises(BlockedURLError) as caught:
        build_session().get("https://intranet.example.com/wp-json/")

    assert "intranet.example.com (10.20.30.40)" in str(caught.value)
    assert "private network" in str(caught.value)
    assert connects == []


def test_given_a_name_with_one_public_and_one_private_address_then_it_is_refused(
    monkeypatch: pytest.MonkeyPatch, connects: list[object]
) -> None:
    fake_dns(monkeypatch, {"mixed.example.com": ["93.184.216.34", "192.168.0.7"]})

    with pytest.raises(BlockedURLError, match=r"192\.168\.0\.7"):
        build_session().get("https://mixed.example.com/")
    assert connects == []


def test_given_insecure_http_allowed_when_a_private_address_is_requested_then_it_is_still_refused(
    connects: list[object],
) -> None:
    with pytest.raises(BlockedURLError, match="private network"):
        build_session(allow_insecure_http=True).get("http://10.0.0.8/")
    assert connects == []


def test_given_insecure_http_allowed_when_loopback_is_requested_then_the_local_peer_answers(
    server: LoopbackServer,
) -> None:
    server.route("GET", "/hello", Reply(200, {"Content-Type": "application/json"}, b'{"ok": true}'))

    response = build_session(allow_insecure_http=True).get(f"{server.url}/hello")

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert server.received[0].headers["User-Agent"].startswith("Publisher/")


def test_given_a_name_resolved_to_loopback_then_the_socket_connects_to_that_address_and_keeps_the_host(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dns(monkeypatch, {"peer.test": ["127.0.0.1"]})
    server.route("GET", "/", Reply(204))

    response = build_session(allow_insecure_http=True).get(f"http://peer.test:{server.port}/")

    assert response.status_code == 204
    assert server.received[0].headers["Host"] == f"peer.test:{server.port}"


def test_given_dns_that_changes_its_answer_then_the_connection_uses_the_address_that_was_checked(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check-then-connect design would resolve twice and land on the second (private) answer."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["10.9.9.9"]])
    lookups: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host, port, family=0, type=0, proto=0, flags=0):
        if host != "rebind.test":
            return real(host, port, family, type, proto, flags)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    server.route("GET", "/", Reply(200, body=b"local"))

    response = build_session(allow_insecure_http=True).get(f"http://rebind.test:{server.port}/")

    assert response.text == "local"
    assert lookups == ["rebind.test"]


def test_given_an_allowed_peer_when_it_redirects_to_the_metadata_service_then_the_hop_is_refused(
    server: LoopbackServer, connects: list[object]
) -> None:
    server.route("GET", "/start", Reply(302, {"Location": "http://169.254.169.254/latest/meta-data/"}))

    with pytest.raises(BlockedURLError, match="link-local"):
        build_session(allow_insecure_http=True).get(f"{server.url}/start")

    assert [a for a in connects if a[0] == "169.254.169.254"] == []
    assert [r.path for r in server.received] == ["/start"]


def test_given_a_peer_that_redirects_forever_then_the_sixth_redirect_is_a_permanent_error(
    server: LoopbackServer,
) -> None:
    server.route("GET", "/loop", Reply(302, {"Location": "/loop"}))

    with pytest.raises(PermanentDestinationError, match="redirected more than 5 times"):
        build_session(allow_insecure_http=True).get(f"{server.url}/loop")

    assert len(server.received) == 6


def test_given_a_redirect_to_another_host_then_the_authorization_header_is_not_forwarded(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dns(monkeypatch, {"other.test": ["127.0.0.1"]})
    server.route("GET", "/api", Reply(307, {"Location": f"http://other.test:{server.port}/landing"}))
    server.route("GET", "/landing", Reply(200, body=b"landed"))

    response = build_session(allow_insecure_http=True).get(
        f"{server.url}/api", headers={"Authorization": "Bearer s3cr3t-token"}
    )

    assert response.text == "landed"
    first, second = server.received
    assert first.headers["Authorization"] == "Bearer s3cr3t-token"
    assert "Authorization" not in second.headers


def test_given_a_configured_proxy_then_the_guarded_session_refuses_to_use_it() -> None:
    session = build_session()
    session.proxies = {"https": "http://proxy.example.com:3128"}

    with pytest.raises(BlockedURLError, match="proxy"):
        session.get("https://example.com/")


# --- transport failures become typed errors -----------------------------------------------


def test_given_nothing_listens_on_the_port_then_the_error_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(RetryableDestinationError, match=r"Could not connect to 127\.0\.0\.1"):
        build_session(allow_insecure_http=True).get(f"http://127.0.0.1:{port}/")


def test_given_a_peer_that_never_answers_then_the_default_read_timeout_makes_it_retryable(
    server: LoopbackServer,
) -> None:
    def stall(_: Received) -> Reply:
        server.release.wait(10)
        return Reply(200)

    server.route("GET", "/slow", stall)
    session = build_session(allow_insecure_http=True, timeout=(2.0, 0.2))

    with pytest.raises(RetryableDestinationError, match=r"Timed out talking to 127\.0\.0\.1"):
        session.get(f"{server.url}/slow")


# --- raise_for_status ---------------------------------------------------------------------


def make_response(
    status: int, body: object = b"", headers: dict[str, str] | None = None, authorization: str = ""
) -> requests.Response:
    """A requests.Response as the session would return it for a request to example.com."""
    response = requests.Response()
    response.status_code = status
    response.url = "https://blog.example.com/wp-json/wp/v2/posts"
    response.headers.update(headers or {})
    if isinstance(body, dict | list):
        response._content = json.dumps(body).encode()
        response.headers.setdefault("Content-Type", "application/json")
    else:
        response._content = body if isinstance(body, bytes) else str(body).encode()
    request = requests.Request(
        "POST", response.url, headers={"Authorization": authorization} if authorization else {}
    )
    response.request = request.prepare()
    return response


def test_given_a_success_status_then_raise_for_status_returns_quietly() -> None:
    for status in (200, 201, 204, 304):
        assert raise_for_status(make_response(status), action="Creating the post") is None


def test_given_429_with_retry_after_seconds_then_the_error_is_retryable_with_that_delay() -> None:
    with pytest.raises(RetryableDestinationError) as caught:
        raise_for_status(make_response(429, headers={"Retry-After": "42"}), action="Creating the post")

    assert caught.value.retry_after == 42
    assert str(caught.value) == (
        "Creating the post was rate limited by blog.example.com (HTTP 429); retry after 42 s."
    )


def test_given_429_with_an_http_date_then_retry_after_counts_the_seconds_until_it() -> None:
    now = datetime(2026, 11, 21, 14, 0, 0, tzinfo=UTC)

    assert parse_retry_after("Sat, 21 Nov 2026 14:01:30 GMT", now=now) == 90
    assert parse_retry_after("Sat, 21 Nov 2026 13:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_given_a_server_error_then_the_error_is_retryable(status: int) -> None:
    with pytest.raises(RetryableDestinationError, match=f"server error \\(HTTP {status}\\)"):
        raise_for_status(make_response(status, b"<html>oops</html>"), action="Updating the post")


@pytest.mark.parametrize("status", [401, 403])
def test_given_rejected_credentials_then_the_error_is_permanent(status: int) -> None:
    body = {"code": "rest_cannot_create", "message": "Sorry, you are not allowed to create posts."}

    with pytest.raises(PermanentDestinationError) as caught:
        raise_for_status(make_response(status, body), action="Creating the post")

    assert not isinstance(caught.value, RetryableDestinationError)
    assert str(caught.value) == (
        f"Creating the post failed: credentials rejected by blog.example.com (HTTP {status}): "
        "Sorry, you are not allowed to create posts."
    )


def test_given_404_then_the_error_is_permanent_and_says_not_found() -> None:
    with pytest.raises(PermanentDestinationError, match=r"not found \(HTTP 404\)"):
        raise_for_status(make_response(404, b"nope"), action="Updating the post")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"errors": [{"message": "Validation error.", "context": "Title is required."}]},
            "Validation error.",
        ),
        (
            {
                "code": "validation_error",
                "message": "Validation Error",
                "details": [{"param": "slug", "description": "Unique value is already in database"}],
            },
            "slug: Unique value is already in database",
        ),
        ({"error": "invalid_request", "error_description": "Bad field"}, "Bad field"),
    ],
)
def test_given_a_4xx_json_body_then_the_peer_message_is_in_the_permanent_error(
    body: object, expected: str
) -> None:
    with pytest.raises(PermanentDestinationError, match=r"refused the request \(HTTP 400\)") as caught:
        raise_for_status(make_response(400, body), action="Creating the item")

    assert expected in str(caught.value)


def test_given_a_peer_that_echoes_our_token_then_the_message_does_not_contain_it() -> None:
    body = {"message": "Token abcdef123456789 is not valid for this site"}

    with pytest.raises(PermanentDestinationError) as caught:
        raise_for_status(
            make_response(401, body, authorization="Bearer abcdef123456789"), action="Verifying the token"
        )

    assert "abcdef123456789" not in str(caught.value)
    assert "[redacted]" in str(caught.value)


# --- fetch_image --------------------------------------------------------------------------


def test_given_an_image_url_then_fetch_image_returns_bytes_type_and_file_name(server: LoopbackServer) -> None:
    server.route("GET", "/media/cat%20photo.PNG", Reply(200, {"Content-Type": "image/png"}, PNG))

    body, content_type, filename = fetch_image(
        build_session(allow_insecure_http=True), f"{server.url}/media/cat%20photo.PNG"
    )

    assert (body, content_type, filename) == (PNG, "image/png", "cat-photo.png")


def test_given_an_image_without_a_usable_name_then_the_file_name_comes_from_its_type(
    server: LoopbackServer,
) -> None:
    server.route(
        "GET", "/render", Reply(200, {"Content-Type": "image/jpeg; charset=binary"}, b"\xff\xd8\xff")
    )

    _, content_type, filename = fetch_image(
        build_session(allow_insecure_http=True), f"{server.url}/render?id=3"
    )

    assert (content_type, filename) == ("image/jpeg", "render.jpg")


def test_given_a_declared_length_over_the_cap_then_the_image_is_refused(server: LoopbackServer) -> None:
    server.route("GET", "/big.png", Reply(200, {"Content-Type": "image/png"}, b"x" * 3000))

    with pytest.raises(PermanentDestinationError, match="larger than"):
        fetch_image(build_session(allow_insecure_http=True), f"{server.url}/big.png", max_bytes=1024)


def test_given_an_undeclared_body_over_the_cap_then_streaming_stops_with_a_refusal(
    server: LoopbackServer,
) -> None:
    server.route(
        "GET", "/big.png", Reply(200, {"Content-Type": "image/png"}, b"x" * 300_000, omit_content_length=True)
    )

    with pytest.raises(PermanentDestinationError, match="larger than"):
        fetch_image(build_session(allow_insecure_http=True), f"{server.url}/big.png", max_bytes=100_000)


@pytest.mark.parametrize(
    ("content_type", "message"),
    [("text/html", r"did not return an image \(content type text/html\)"), ("image/svg+xml", "SVG")],
)
def test_given_a_non_image_or_svg_then_the_image_is_refused(
    server: LoopbackServer, content_type: str, message: str
) -> None:
    server.route("GET", "/file", Reply(200, {"Content-Type": content_type}, b"<svg onload=alert(1)>"))

    with pytest.raises(PermanentDestinationError, match=message):
        fetch_image(build_session(allow_insecure_http=True), f"{server.url}/file")


def test_given_an_image_url_that_fails_then_the_status_maps_to_the_typed_error(
    server: LoopbackServer,
) -> None:
    server.route("GET", "/gone.png", Reply(404))

    with pytest.raises(PermanentDestinationError, match=r"Fetching the image failed: .* \(HTTP 404\)"):
        fetch_image(build_session(allow_insecure_http=True), f"{server.url}/gone.png")
