"""The signed webhook adapter against a real receiver on 127.0.0.1, and signature checking."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from publisher.destinations.base import Article, PermanentDestinationError, RetryableDestinationError
from publisher.destinations.webhook import WebhookDestination, sign, verify_signature
from tests.support.loopback import LoopbackServer, Received, Reply, loopback_server

SECRET = "whsec_test_0123456789"
NOW = 1_800_000_000
ARTICLE = Article(
    content_id="01JCONTENT",
    slug="hello-world",
    title="Hello",
    html="<p>Hi</p>",
    excerpt="Hi",
    tags=("a", "b"),
    content_hash="abc123",
)


@pytest.fixture
def receiver() -> Iterator[LoopbackServer]:
    with loopback_server() as server:
        yield server


def webhook(server: LoopbackServer, secret: str = SECRET) -> WebhookDestination:
    return WebhookDestination(
        {"url": f"{server.url}/hooks/publisher", "allow_insecure_http": True},
        {"signing_secret": secret},
        clock=lambda: NOW,
    )


def test_given_a_new_article_when_published_then_the_receiver_gets_a_signed_created_event(
    receiver: LoopbackServer,
) -> None:
    receiver.route(
        "POST", "/hooks/publisher", Reply(201, {"Content-Type": "application/json"}, b'{"id": "r-1"}')
    )

    post = webhook(receiver).publish(ARTICLE)

    sent = receiver.received[0]
    assert sent.headers["X-Publisher-Event"] == "publication.created"
    assert sent.headers["Idempotency-Key"] == "01JCONTENT:abc123"
    assert verify_signature(SECRET, sent.headers["X-Publisher-Signature"], sent.body, now=NOW)
    body = json.loads(sent.body)
    assert body["event"] == "publication.created"
    assert (body["content_id"], body["slug"], body["html"], body["content_hash"]) == (
        "01JCONTENT",
        "hello-world",
        "<p>Hi</p>",
        "abc123",
    )
    assert body["tags"] == ["a", "b"]
    assert (post.external_id, post.slug) == ("r-1", "hello-world")


def test_given_a_known_post_when_published_again_then_an_updated_event_keeps_the_external_id(
    receiver: LoopbackServer,
) -> None:
    receiver.route("POST", "/hooks/publisher", Reply(204))

    post = webhook(receiver).publish(ARTICLE, known_external_id="r-1")

    sent = receiver.received[0]
    assert sent.headers["X-Publisher-Event"] == "publication.updated"
    assert json.loads(sent.body)["external_id"] == "r-1"
    assert post.external_id == "r-1"


def test_given_a_receiver_without_a_json_id_then_the_external_id_is_the_content_id(
    receiver: LoopbackServer,
) -> None:
    receiver.route("POST", "/hooks/publisher", Reply(200, {"Content-Type": "text/plain"}, b"ok"))

    assert webhook(receiver).create(ARTICLE).external_id == "01JCONTENT"


def test_given_the_same_content_delivered_twice_then_both_posts_share_the_idempotency_key(
    receiver: LoopbackServer,
) -> None:
    receiver.route("POST", "/hooks/publisher", Reply(200))
    destination = webhook(receiver)

    destination.publish(ARTICLE)
    destination.publish(ARTICLE)
    destination.publish(replace(ARTICLE, content_hash="def456"))

    keys = [r.headers["Idempotency-Key"] for r in receiver.received]
    assert keys == ["01JCONTENT:abc123", "01JCONTENT:abc123", "01JCONTENT:def456"]


def test_given_a_published_post_when_retracted_then_a_signed_retracted_event_is_sent(
    receiver: LoopbackServer,
) -> None:
    receiver.route("POST", "/hooks/publisher", Reply(200))

    webhook(receiver).retract("r-1")

    sent = receiver.received[0]
    assert sent.headers["X-Publisher-Event"] == "publication.retracted"
    assert sent.headers["Idempotency-Key"] == f"r-1:retracted:{NOW * 1000}"
    assert json.loads(sent.body) == {"event": "publication.retracted", "external_id": "r-1"}
    assert verify_signature(SECRET, sent.headers["X-Publisher-Signature"], sent.body, now=NOW)


def test_given_a_receiver_that_checks_signatures_then_verify_reports_success_or_rejection(
    receiver: LoopbackServer,
) -> None:
    def check(request: Received) -> Reply:
        good = verify_signature(
            SECRET, request.headers.get("X-Publisher-Signature", ""), request.body, now=NOW
        )
        return (
            Reply(204)
            if good
            else Reply(401, {"Content-Type": "application/json"}, b'{"error": "bad signature"}')
        )

    receiver.route("POST", "/hooks/publisher", check)

    ok = webhook(receiver).verify()
    rejected = webhook(receiver, secret="wrong-secret-value").verify()

    assert ok.ok and ok.message == "The webhook accepted a signed ping."
    assert not rejected.ok
    assert "credentials rejected" in rejected.message and "bad signature" in rejected.message
    assert receiver.received[0].headers["X-Publisher-Event"] == "ping"


def test_given_a_failing_receiver_then_the_error_is_retryable(receiver: LoopbackServer) -> None:
    receiver.route("POST", "/hooks/publisher", Reply(503, {"Retry-After": "30"}))

    with pytest.raises(RetryableDestinationError) as caught:
        webhook(receiver).create(ARTICLE)

    assert caught.value.retry_after == 30


def test_given_no_secret_then_nothing_is_sent_and_the_error_is_permanent(receiver: LoopbackServer) -> None:
    with pytest.raises(PermanentDestinationError, match="signing_secret"):
        webhook(receiver, secret="").create(ARTICLE)

    assert receiver.received == []


def test_the_secret_never_travels_in_the_request(receiver: LoopbackServer) -> None:
    receiver.route("POST", "/hooks/publisher", Reply(200))

    webhook(receiver).create(ARTICLE)

    sent = receiver.received[0]
    assert SECRET not in sent.body.decode()
    assert all(SECRET not in value for value in sent.headers.values())


def test_given_the_default_policy_then_an_http_webhook_url_is_refused() -> None:
    destination = WebhookDestination({"url": "http://hooks.example.com/x"}, {"signing_secret": SECRET})

    with pytest.raises(PermanentDestinationError, match="only https://"):
        destination.create(ARTICLE)


# --- verify_signature (for receivers) -----------------------------------------------------

BODY = b'{"event":"ping"}'


def test_verify_signature_accepts_the_exact_body_within_the_tolerance() -> None:
    header = sign(SECRET, NOW, BODY)

    assert verify_signature(SECRET, header, BODY, now=NOW + 299)
    assert verify_signature(SECRET, header, BODY.decode(), now=NOW - 299)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("other-secret", BODY, NOW),
        (SECRET, b'{"event":"pong"}', NOW),
        (SECRET, BODY, NOW + 301),
        (SECRET, BODY, NOW - 301),
    ],
)
def test_verify_signature_rejects_wrong_secrets_altered_bodies_and_old_or_future_timestamps(
    secret: str, body: bytes, now: int
) -> None:
    assert not verify_signature(secret, sign(SECRET, NOW, BODY), body, now=now)


def test_verify_signature_rejects_a_timestamp_swapped_into_an_old_signature() -> None:
    old = sign(SECRET, NOW - 3600, BODY)
    replayed = old.replace(f"t={NOW - 3600}", f"t={NOW}")

    assert not verify_signature(SECRET, replayed, BODY, now=NOW)


@pytest.mark.parametrize("header", ["", "v1=abc", f"t={NOW}", "t=soon,v1=abc", "garbage"])
def test_verify_signature_rejects_malformed_headers(header: str) -> None:
    assert not verify_signature(SECRET, header, BODY, now=NOW)


def test_verify_signature_accepts_any_of_several_v1_values_for_secret_rotation() -> None:
    current = sign(SECRET, NOW, BODY).split("v1=")[1]
    header = f"t={NOW},v1={'0' * 64},v1={current}"

    assert verify_signature(SECRET, header, BODY, now=NOW)


def test_given_retract_and_republish_twice_then_every_retraction_and_restore_has_a_key_of_its_own(
    receiver: LoopbackServer,
) -> None:
    receiver.route("POST", "/hooks/publisher", Reply(200))
    now = [NOW]
    destination = WebhookDestination(
        {"url": f"{receiver.url}/hooks/publisher", "allow_insecure_http": True},
        {"signing_secret": SECRET},
        clock=lambda: now[0],
    )

    destination.publish(ARTICLE, known_external_id="r-1")
    for later in (60, 120):
        now[0] = NOW + later
        destination.retract("r-1")
        now[0] += 1
        post = destination.publish(ARTICLE, retracted_external_id="r-1")

    sent = [(r.headers["X-Publisher-Event"], r.headers["Idempotency-Key"]) for r in receiver.received]
    assert sent == [
        ("publication.updated", "01JCONTENT:abc123"),
        ("publication.retracted", f"r-1:retracted:{(NOW + 60) * 1000}"),
        ("publication.updated", f"01JCONTENT:abc123:restored:{(NOW + 61) * 1000}"),  # not the first
        ("publication.retracted", f"r-1:retracted:{(NOW + 120) * 1000}"),  # not the first retraction
        ("publication.updated", f"01JCONTENT:abc123:restored:{(NOW + 121) * 1000}"),
    ]
    assert json.loads(receiver.received[-1].body)["external_id"] == "r-1" and post.external_id == "r-1"
