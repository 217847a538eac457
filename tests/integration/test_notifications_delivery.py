"""Notifications delivered end to end by the local runner (`python -m local start`, which puts the
template's EventBridge rule on moto's bus and invokes NotifierFunction with what it matches): the
worker's and the deployments' events reach a real HTTP receiver, signed as the webhook destination
signs; e-mail goes to the deployment's SNS topic for the site's addresses only. Also the Notifier's
own retries, with `deliver` called directly against a real loopback receiver."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from publisher.bootstrap import ready_store
from publisher.destinations.webhook import EVENT_HEADER, SIGNATURE_HEADER, verify_signature
from publisher.services.credentials import CredentialVault
from publisher.store.models import SiteModel
from tests.support.fixtures import token
from tests.support.local_runner import LocalRunner, running_local, wait_until
from tests.support.loopback import LoopbackServer, Received, Reply, loopback_server

ACCEPTED = Reply(200, {"Content-Type": "application/json"}, b'{"id": "remote-1"}')
REFUSED = Reply(422, {"Content-Type": "application/json"}, b'{"message": "title refused"}')


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRunner]:
    with running_local("--no-schedules", "--api-workers", "1") as runner:
        yield runner


@pytest.fixture(scope="module")
def receiver() -> Iterator[LoopbackServer]:
    """Both the site's webhook destination (/publish: refuses titles with "Broken") and its
    notification webhook (/notify)."""
    with loopback_server() as server:
        server.route("POST", "/publish", lambda got: REFUSED if b"Broken" in got.body else ACCEPTED)
        server.route("POST", "/notify", ACCEPTED)
        yield server


def ok(reply: Any, status: int = 200) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    return reply.json()["data"]


@pytest.fixture(scope="module")
def notified_site(local: LocalRunner, receiver: LoopbackServer) -> dict[str, Any]:
    owner = token(f"acct-{uuid.uuid4().hex[:8]}", "owner")
    site = ok(local.call("POST", "/api/v1/sites/", owner, json={"name": "Notified"}), 201)
    hook = {
        "config": {"url": f"{receiver.url}/publish", "allow_insecure_http": True},
        "credentials": {"signing_secret": "destination-secret-0123456789"},
    }
    ok(local.call("PUT", f"/api/v1/sites/{site['id']}/integrations/webhook/", owner, json=hook))
    settings = {
        "webhook_url": f"{receiver.url}/notify",
        "allow_insecure_http": True,
        "emails": ["ops@example.com"],
        "events": ["publication.published", "publication.failed", "deployment.completed"],
    }
    saved = ok(local.call("PUT", f"/api/v1/sites/{site['id']}/notifications/", owner, json=settings))
    return {"owner": owner, "site": site, "secret": saved["signing_secret"]}


def publish(local: LocalRunner, site: dict[str, Any], owner: str, title: str) -> str:
    body = {"site_id": site["id"], "title": title, "html": "<p>x</p>", "status": "approved"}
    content = ok(local.call("POST", "/api/v1/content/", owner, json=body), 201)
    ok(local.call("POST", "/api/v1/publisher/publish/", owner, json={"content_id": content["id"]}), 202)
    return content["id"]


def notification(receiver: LoopbackServer, event: str, key: str, value: str) -> Received | None:
    """The notification of `event` whose data has `key` = `value`, once it arrived."""
    for got in list(receiver.received):
        ours = got.path == "/notify" and got.headers.get(EVENT_HEADER) == event
        if ours and json.loads(got.body)["data"].get(key) == value:
            return got
    return None


def test_given_a_publication_succeeds_then_the_receiver_gets_publication_published_signed(
    local, receiver, notified_site
):
    content_id = publish(local, notified_site["site"], notified_site["owner"], "Fine post")

    got = wait_until(
        lambda: notification(receiver, "publication.published", "content_id", content_id),
        "the publication.published notification",
        timeout=60,
    )

    assert verify_signature(notified_site["secret"], got.headers[SIGNATURE_HEADER], got.body)
    assert not verify_signature("another-secret", got.headers[SIGNATURE_HEADER], got.body)
    payload = json.loads(got.body)
    assert payload["event"] == "publication.published"
    assert payload["site_id"] == notified_site["site"]["id"]
    assert payload["data"]["status"] == "published"
    assert got.headers["Idempotency-Key"] == payload["id"]  # the EventBridge event's id
    assert "invoke NotifierFunction [rule PublisherEvents publication.succeeded]" in local.log()


def test_given_a_publication_fails_then_the_receiver_gets_publication_failed(local, receiver, notified_site):
    content_id = publish(local, notified_site["site"], notified_site["owner"], "Broken post")

    got = wait_until(
        lambda: notification(receiver, "publication.failed", "content_id", content_id),
        "the publication.failed notification",
        timeout=60,
    )

    assert verify_signature(notified_site["secret"], got.headers[SIGNATURE_HEADER], got.body)
    assert "422" in json.loads(got.body)["data"]["error"]


def test_given_a_deployment_completes_then_the_receiver_gets_deployment_completed(
    local, receiver, notified_site
):
    site, owner = notified_site["site"], notified_site["owner"]
    started = ok(
        local.call(
            "POST",
            "/api/v1/publisher/deployments/",
            owner,
            json={"site_id": site["id"], "deployment_type": "full"},
        ),
        202,
    )

    got = wait_until(
        lambda: notification(receiver, "deployment.completed", "id", started["id"]),
        "the deployment.completed notification",
        timeout=90,
    )

    assert verify_signature(notified_site["secret"], got.headers[SIGNATURE_HEADER], got.body)
    assert json.loads(got.body)["data"]["site_id"] == site["id"]


def test_given_emails_then_the_topic_gets_the_notification_for_the_sites_addresses_only(
    local, receiver, notified_site
):
    """A queue subscribed with the filter an address's e-mail subscription has stands in for the
    mailbox (moto sends no mail); a queue filtered to another address gets nothing."""
    import boto3

    client = {"endpoint_url": local.moto_url, "region_name": "us-east-1"}
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    sns, sqs = boto3.client("sns", **client, **creds), boto3.client("sqs", **client, **creds)
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("-notifications")
    )
    mailboxes = {}
    for address in ("ops@example.com", "stranger@example.com"):
        url = sqs.create_queue(QueueName=f"mailbox-{address.split('@')[0]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"FilterPolicy": json.dumps({"recipients": [address]}), "RawMessageDelivery": "true"},
        )
        mailboxes[address] = url
    content_id = publish(local, notified_site["site"], notified_site["owner"], "Mailed post")

    def mail() -> list[str]:
        messages = sqs.receive_message(QueueUrl=mailboxes["ops@example.com"], WaitTimeSeconds=1)
        return [m["Body"] for m in messages.get("Messages", []) if content_id in m["Body"]]

    [body] = wait_until(mail, "the e-mail notification", timeout=60)
    assert body.startswith("publication.published on site " + notified_site["site"]["id"])
    wait_until(
        lambda: notification(receiver, "publication.published", "content_id", content_id), "the webhook"
    )
    assert sqs.receive_message(QueueUrl=mailboxes["stranger@example.com"]).get("Messages", []) == []


# --- the Notifier's retries, without the runner --------------------------------------------


class _Vault(CredentialVault):
    """The vault, opening the one sealed secret these tests store (no KMS round trip)."""

    def __init__(self) -> None:
        """No KMS client: nothing is sealed here."""

    def open(self, account_id: str, site_id: str, destination: str, ciphertext: bytes) -> dict[str, Any]:
        assert (account_id, site_id, destination, ciphertext) == ("a1", "s1", "notifications", b"sealed")
        return {"signing_secret": "retry-secret"}


EVENT = {
    "id": "event-1",
    "detail-type": "publication.failed",
    "time": "2026-12-01T09:00:00Z",
    "detail": {"site_id": "s1", "account_id": "a1", "error": "boom"},
}


@pytest.fixture
def flaky(aws) -> Iterator[tuple[LoopbackServer, Any]]:
    """A site of account a1 notifying a loopback webhook of its failed publications."""
    from publisher.services import notifier as notifications

    ready_store()
    with loopback_server() as server:
        SiteModel(
            site_id="s1",
            account_id="a1",
            name="Flaky",
            slug="flaky",
            created_at="2026-12-01T08:00:00Z",
            updated_at="2026-12-01T08:00:00Z",
            notifications={
                "webhook_url": f"{server.url}/notify",
                "emails": [],
                "events": ["publication.failed"],
                "allow_insecure_http": True,
            },
            notification_secret=b"sealed",
        ).save()
        yield server, notifications


def test_given_a_webhook_that_fails_twice_then_the_third_attempt_delivers_it(flaky):
    server, notifications = flaky
    answers = iter([Reply(503), Reply(502), ACCEPTED])
    server.route("POST", "/notify", lambda got: next(answers))
    pauses: list[float] = []

    result = notifications.deliver(EVENT, vault=_Vault(), sleep=pauses.append)

    assert result == {"event": "publication.failed", "webhook": True, "emails": 0}
    assert len(server.received) == 3 and pauses == list(notifications.WEBHOOK_BACKOFF_S)
    assert {got.headers["Idempotency-Key"] for got in server.received} == {"event-1"}
    assert all(
        verify_signature("retry-secret", got.headers[SIGNATURE_HEADER], got.body) for got in server.received
    )


def test_given_a_webhook_that_keeps_failing_then_delivery_raises_after_its_attempts(flaky):
    server, notifications = flaky
    server.route("POST", "/notify", Reply(500))

    with pytest.raises(notifications.NotificationUndelivered):
        notifications.deliver(EVENT, vault=_Vault(), sleep=lambda _: None)

    assert len(server.received) == notifications.WEBHOOK_ATTEMPTS


def test_given_a_webhook_that_refuses_then_delivery_raises_at_once(flaky):
    server, notifications = flaky
    server.route("POST", "/notify", Reply(410))

    with pytest.raises(notifications.NotificationUndelivered):
        notifications.deliver(EVENT, vault=_Vault(), sleep=lambda _: None)

    assert len(server.received) == 1


def test_given_an_event_the_site_did_not_ask_for_then_nothing_is_sent(flaky):
    server, notifications = flaky
    server.route("POST", "/notify", ACCEPTED)

    result = notifications.deliver({**EVENT, "detail-type": "deployment.completed"}, vault=_Vault())

    assert result["webhook"] is False and server.received == []


def test_given_an_event_naming_another_account_then_nothing_is_sent(flaky):
    server, notifications = flaky
    server.route("POST", "/notify", ACCEPTED)

    result = notifications.deliver({**EVENT, "detail": {"site_id": "s1", "account_id": "a2"}}, vault=_Vault())

    assert result["webhook"] is False and server.received == []
