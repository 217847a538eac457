"""`/sites/{site_id}/notifications/` through the gateway on moto: roles, validation that writes
nothing, the signing secret shown once, e-mail subscriptions on the deployment's topic."""

from __future__ import annotations

import json

import pytest

from publisher import bootstrap
from tests.support.apigw import call
from tests.support.fixtures import stored, token

HOOK = "https://hooks.example.com/publisher"


def notifications(method: str, site_id: str, tok: str, body=None):
    return call(method, f"/api/v1/sites/{site_id}/notifications/", token=tok, body=body)


def sites_table(aws) -> list[str]:
    return sorted(map(repr, stored(aws, "SitesTable")))


def topic_subscriptions(aws) -> dict[str, dict]:
    """Endpoint → attributes of every subscription of the notification topic."""
    sns = aws.client("sns")
    topic = aws.resolver.physical["NotificationTopic"]
    found = {}
    for subscription in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
        found[subscription["Endpoint"]] = attributes["Attributes"]
    return found


def test_given_no_settings_then_get_answers_them_empty(owner, site):
    reply = notifications("GET", site["id"], owner)

    assert reply.status == 200, reply.body
    assert reply.json["data"] == {
        "site_id": site["id"],
        "webhook_url": None,
        "emails": [],
        "events": [],
        "allow_insecure_http": False,
        "has_signing_secret": False,
        "signing_secret": None,
        "updated_at": None,
    }


def test_given_a_webhook_then_its_signing_secret_is_shown_once_and_kept_until_rotated(aws, owner, site):
    body = {"webhook_url": HOOK, "events": ["publication.failed", "deployment.completed"]}

    first = notifications("PUT", site["id"], owner, body)
    read = notifications("GET", site["id"], owner)
    again = notifications("PUT", site["id"], owner, {**body, "events": ["publication.published"]})
    sealed_before = [item["notification_secret"] for item in stored(aws, "SitesTable")]
    rotated = notifications("PUT", site["id"], owner, {**body, "rotate_secret": True})
    sealed_after = [item["notification_secret"] for item in stored(aws, "SitesTable")]

    assert first.status == 200, first.body
    secret = first.json["data"]["signing_secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert first.json["data"]["has_signing_secret"] is True
    assert read.json["data"]["signing_secret"] is None
    assert read.json["data"]["events"] == ["publication.failed", "deployment.completed"]
    assert again.json["data"]["signing_secret"] is None  # the stored secret is kept
    assert again.json["data"]["events"] == ["publication.published"]
    assert rotated.json["data"]["signing_secret"] not in (None, secret)
    assert sealed_before != sealed_after
    assert secret not in repr(stored(aws, "SitesTable"))  # sealed, never stored as is


def test_given_emails_then_each_is_subscribed_to_the_topic_filtered_to_its_own_address(aws, owner, site):
    body = {"emails": ["ops@example.com", "Editor@Example.com"], "events": ["publication.failed"]}

    reply = notifications("PUT", site["id"], owner, body)

    assert reply.status == 200, reply.body
    assert reply.json["data"]["emails"] == ["ops@example.com", "editor@example.com"]
    assert reply.json["data"]["has_signing_secret"] is False
    subscriptions = topic_subscriptions(aws)
    assert set(subscriptions) == {"ops@example.com", "editor@example.com"}
    assert json.loads(subscriptions["ops@example.com"]["FilterPolicy"]) == {"recipients": ["ops@example.com"]}
    assert subscriptions["ops@example.com"]["Protocol"] == "email"


def test_given_delete_then_the_settings_and_the_secret_are_gone(aws, owner, site):
    notifications("PUT", site["id"], owner, {"webhook_url": HOOK, "events": ["publication.failed"]})

    deleted = notifications("DELETE", site["id"], owner)
    read = notifications("GET", site["id"], owner)

    assert deleted.status == 200, deleted.body
    assert deleted.json["data"]["events"] == [] and deleted.json["data"]["webhook_url"] is None
    assert read.json["data"]["has_signing_secret"] is False
    assert all("notification_secret" not in item for item in stored(aws, "SitesTable"))


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_given_a_role_below_admin_then_changes_are_refused_and_nothing_is_written(aws, site, role):
    caller = token("acct-1", role)
    before = sites_table(aws)

    put = notifications("PUT", site["id"], caller, {"webhook_url": HOOK, "events": ["publication.failed"]})
    delete = notifications("DELETE", site["id"], caller)
    read = notifications("GET", site["id"], caller)

    assert (put.status, delete.status, read.status) == (403, 403, 200)
    assert sites_table(aws) == before


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_given_another_accounts_site_then_404_and_nothing_is_written(aws, site, role):
    stranger = token("acct-2", role)
    before = sites_table(aws)

    replies = [
        notifications("GET", site["id"], stranger),
        notifications("PUT", site["id"], stranger, {"webhook_url": HOOK, "events": ["publication.failed"]}),
        notifications("DELETE", site["id"], stranger),
    ]

    assert [reply.status for reply in replies] == [404, 404, 404]
    assert sites_table(aws) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"webhook_url": "https://10.0.0.7/hook", "events": ["publication.failed"]}, "webhook_url"),
        ({"webhook_url": "https://169.254.169.254/latest", "events": ["publication.failed"]}, "webhook_url"),
        ({"webhook_url": "http://hooks.example.com/x", "events": ["publication.failed"]}, "webhook_url"),
        ({"webhook_url": "https://127.0.0.1/x", "events": ["publication.failed"]}, "webhook_url"),
        ({"webhook_url": "ftp://hooks.example.com/x", "events": ["publication.failed"]}, "webhook_url"),
        ({"webhook_url": HOOK, "events": ["publication.exploded"]}, "events.0"),
        ({"webhook_url": HOOK, "events": []}, "events"),
        ({"emails": ["not-an-address"], "events": ["publication.failed"]}, "emails.0"),
        ({"emails": [f"u{n}@example.com" for n in range(11)], "events": ["publication.failed"]}, "emails"),
        ({"events": ["publication.failed"]}, "webhook_url"),
        ({"webhook_url": HOOK, "events": ["publication.failed"], "secret": "mine"}, "secret"),
    ],
)
def test_given_bad_settings_then_422_naming_the_field_and_nothing_is_written(aws, owner, site, body, field):
    before = sites_table(aws)

    reply = notifications("PUT", site["id"], owner, body)

    assert reply.status == 422, reply.body
    assert field in reply.json["errors"], reply.json["errors"]
    assert sites_table(aws) == before
    assert topic_subscriptions(aws) == {}


def test_given_a_deployment_without_insecure_http_then_allow_insecure_http_is_refused(
    aws, owner, site, monkeypatch
):
    monkeypatch.setenv("ALLOW_INSECURE_HTTP", "false")
    bootstrap.reset()
    body = {
        "webhook_url": "http://127.0.0.1:9/hook",
        "allow_insecure_http": True,
        "events": ["publication.failed"],
    }

    reply = notifications("PUT", site["id"], owner, body)

    assert reply.status == 422, reply.body
    assert "allow_insecure_http" in reply.json["errors"]


def test_given_loopback_with_allow_insecure_http_in_a_local_deployment_then_it_is_accepted(owner, site):
    body = {
        "webhook_url": "http://127.0.0.1:9/hook",
        "allow_insecure_http": True,
        "events": ["publication.failed"],
    }

    reply = notifications("PUT", site["id"], owner, body)

    assert reply.status == 200, reply.body
    assert reply.json["data"]["allow_insecure_http"] is True
