"""The guarded session across hosts and over time: a cross-host redirect carries no credential,
no signature and no body; every call ends by its overall deadline, however slowly a peer answers.

Two loopback servers on different ports are two origins (requests treats a port change as
another host, as browsers do).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.destinations.base import RetryableDestinationError
from publisher.destinations.http import build_session, fetch_image
from publisher.destinations.webhook import SIGNATURE_HEADER, WebhookDestination
from tests.support.loopback import LoopbackServer, Reply, loopback_server

SECRET = "whsec-0123456789abcdef"


@pytest.fixture
def first() -> Iterator[LoopbackServer]:
    with loopback_server() as running:
        yield running


@pytest.fixture
def other() -> Iterator[LoopbackServer]:
    with loopback_server() as running:
        yield running


def webhook(url: str) -> WebhookDestination:
    config = {"url": url, "allow_insecure_http": True}
    return WebhookDestination(
        config, {"signing_secret": SECRET}, session=build_session(allow_insecure_http=True)
    )


@pytest.mark.parametrize("status", [307, 308])
def test_given_a_body_when_a_peer_redirects_it_to_another_host_then_it_is_refused_and_nothing_is_resent(
    first: LoopbackServer, other: LoopbackServer, status: int
) -> None:
    first.route("POST", "/hook", Reply(status, {"Location": f"{other.url}/steal"}))
    other.route("POST", "/steal", Reply(200))

    verification = webhook(f"{first.url}/hook").verify()

    assert verification.ok is False
    assert "another host" in verification.message
    assert len(first.received) == 1
    assert other.received == []


@pytest.mark.parametrize("status", [301, 302, 303])
def test_given_a_cross_host_redirect_then_no_authorization_signature_or_body_follows(
    first: LoopbackServer, other: LoopbackServer, status: int
) -> None:
    first.route("POST", "/hook", Reply(status, {"Location": f"{other.url}/landing"}))
    other.route("GET", "/landing", Reply(200))
    session = build_session(allow_insecure_http=True)

    session.post(
        f"{first.url}/hook",
        data=b'{"secret": "payload"}',
        headers={"Authorization": "Bearer tok-123456789", SIGNATURE_HEADER: "t=1,v1=abc"},
    )

    (landed,) = other.received
    names = {name.lower() for name in landed.headers}
    assert "authorization" not in names
    assert SIGNATURE_HEADER.lower() not in names
    assert landed.body == b""
    assert first.received[0].headers[SIGNATURE_HEADER] == "t=1,v1=abc"


def test_given_a_same_host_307_then_method_body_and_signature_are_kept(first: LoopbackServer) -> None:
    first.route("POST", "/hook", Reply(307, {"Location": "/hook-v2"}))
    first.route("POST", "/hook-v2", Reply(204))

    assert webhook(f"{first.url}/hook").verify().ok is True

    moved = first.received[1]
    assert moved.method == "POST" and moved.body == first.received[0].body
    assert moved.headers[SIGNATURE_HEADER] == first.received[0].headers[SIGNATURE_HEADER]


def test_given_a_peer_that_trickles_its_body_then_the_overall_deadline_ends_the_call(
    first: LoopbackServer,
) -> None:
    """Each byte arrives well inside the read timeout, so only an overall deadline can stop it."""
    first.route("GET", "/slow", Reply(200, body=b"x" * 100, trickle_seconds=0.1))
    session = build_session(allow_insecure_http=True, timeout=(2.0, 2.0), deadline=0.5)

    with pytest.raises(RetryableDestinationError, match=r"did not answer within 0\.5 s"):
        session.get(f"{first.url}/slow")


def test_given_a_fast_peer_then_the_deadline_does_not_interfere_with_later_calls(
    first: LoopbackServer,
) -> None:
    first.route("GET", "/fast", Reply(200, body=b"ok"))
    session = build_session(allow_insecure_http=True, deadline=5)

    replies = [session.get(f"{first.url}/fast").text for _ in range(3)]

    assert replies == ["ok", "ok", "ok"]


def test_the_default_deadline_is_thirty_seconds() -> None:
    assert build_session().deadline == 30.0


def test_given_a_trickling_streamed_body_then_reading_it_also_ends_at_the_deadline(
    first: LoopbackServer,
) -> None:
    first.route("GET", "/img", Reply(200, {"Content-Type": "image/png"}, b"x" * 100, trickle_seconds=0.1))
    session = build_session(allow_insecure_http=True, timeout=(2.0, 2.0), deadline=0.5)

    with pytest.raises(RetryableDestinationError, match=r"did not answer within 0\.5 s"):
        fetch_image(session, f"{first.url}/img")
