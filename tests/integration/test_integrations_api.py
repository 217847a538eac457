"""Integrations: config per destination, write-only credentials sealed with KMS."""

from __future__ import annotations

import base64
import logging

import pytest

from tests.integration.scheduling_support import create_site
from tests.support.apigw import call
from tests.support.fixtures import stored, token

WP_PASSWORD = "abcd EFGH ijkl MNOP qrst UVWX"
WORDPRESS = {
    "config": {"base_url": "https://blog.example.com", "post_type": "post"},
    "credentials": {"username": "editor", "application_password": WP_PASSWORD},
}

S3 = {"config": {"bucket": "publisher-site-a", "public_base_url": "https://site-a.example"}}


@pytest.fixture
def site(owner) -> dict:
    """A site with no integration yet: these tests set its first ones (the shared fixture's site
    has a webhook integration)."""
    return create_site(owner, url="https://garden.example.com")


def put(owner, site, destination, body):
    return call("PUT", f"/api/v1/sites/{site['id']}/integrations/{destination}/", token=owner, body=body)


def test_given_wordpress_credentials_then_they_are_sealed_and_never_returned(aws, owner, site, caplog):
    caplog.set_level(logging.DEBUG)

    reply = put(owner, site, "wordpress", WORDPRESS)
    listed = call("GET", f"/api/v1/sites/{site['id']}/integrations/", token=owner)

    assert reply.status == 200
    integration = reply.json["data"]
    assert integration["has_credentials"] is True
    assert integration["config"]["base_url"].startswith("https://blog.example.com")
    assert "credentials" not in integration
    assert listed.json["data"] == [integration]
    for text in (reply.body, listed.body, caplog.text, str(stored(aws, "IntegrationsTable"))):
        assert WP_PASSWORD not in text


def test_given_sealed_credentials_then_kms_opens_them_only_under_their_own_context(aws, owner, site):
    put(owner, site, "wordpress", WORDPRESS)
    item = stored(aws, "IntegrationsTable")[0]
    ciphertext = item["credentials_ciphertext"]["B"]
    blob = ciphertext if isinstance(ciphertext, bytes) else base64.b64decode(ciphertext)
    kms = aws.client("kms")
    context = {"account_id": "acct-1", "site_id": site["id"], "destination": "wordpress"}

    opened = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"]

    assert WP_PASSWORD.encode() in opened
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={**context, "site_id": "another-site"})


def test_given_no_new_credentials_then_the_stored_ones_are_kept(aws, owner, site):
    put(owner, site, "wordpress", WORDPRESS)
    before = stored(aws, "IntegrationsTable")[0]["credentials_ciphertext"]

    reply = put(owner, site, "wordpress", {"config": WORDPRESS["config"], "enabled": False})

    assert reply.status == 200 and reply.json["data"]["has_credentials"] is True
    assert reply.json["data"]["enabled"] is False
    assert stored(aws, "IntegrationsTable")[0]["credentials_ciphertext"] == before


def test_given_an_s3_integration_then_no_credentials_are_needed(owner, site):
    reply = put(
        owner,
        site,
        "s3",
        {"config": {"bucket": "publisher-site-demo", "public_base_url": "https://x.example"}},
    )

    assert reply.status == 200
    assert reply.json["data"]["has_credentials"] is False
    assert reply.json["data"]["config"]["prefix"] == ""


@pytest.mark.parametrize(
    ("destination", "body", "field"),
    [
        ("myspace", {"config": {}}, "destination"),
        ("wordpress", {"config": {}}, "config.base_url"),
        ("wordpress", {"config": {"base_url": "https://x.example"}}, "credentials"),
        (
            "wordpress",
            {"config": {"base_url": "https://x.example"}, "credentials": {"username": "u"}},
            "credentials.application_password",
        ),
        (
            "ghost",
            {"config": {"admin_url": "https://g.example"}, "credentials": {"admin_api_key": "nope"}},
            "credentials.admin_api_key",
        ),
        ("s3", {"config": {"bucket": "Bad_Bucket", "public_base_url": "https://x.example"}}, "config.bucket"),
        (
            "s3",
            {"config": {"bucket": "someone-elses-bucket", "public_base_url": "https://x.example"}},
            "config.bucket",
        ),
        ("s3", {"config": {"bucket": "publisher-site-a"}}, "config.public_base_url"),
        (
            "webhook",
            {"config": {"url": "https://h.example"}, "credentials": {"signing_secret": "short"}},
            "credentials.signing_secret",
        ),
        ("webflow", {"config": {"site_id": "s"}, "credentials": {"api_token": "t"}}, "config.collection_id"),
        ("wordpress", {"config": {"base_url": "https://x.example", "surprise": 1}}, "config.surprise"),
    ],
)
def test_given_invalid_integration_then_422_with_field_errors_and_nothing_written(
    aws, owner, site, destination, body, field
):
    reply = put(owner, site, destination, body)

    assert reply.status == 422, reply.body
    assert field in reply.json["errors"], reply.json
    assert stored(aws, "IntegrationsTable") == []
    assert "nope" not in reply.body and "short" not in reply.body


def test_given_insecure_http_when_the_deployment_forbids_it_then_422(aws, owner, site, monkeypatch):
    from publisher import bootstrap

    monkeypatch.setenv("ALLOW_INSECURE_HTTP", "false")
    bootstrap.reset()
    body = {
        "config": {"url": "http://127.0.0.1:9/hook", "allow_insecure_http": True},
        "credentials": {"signing_secret": "0123456789abcdef0123"},
    }

    reply = put(owner, site, "webhook", body)

    assert reply.status == 422 and "config.allow_insecure_http" in reply.json["errors"]
    assert stored(aws, "IntegrationsTable") == []


def test_given_a_viewer_or_a_stranger_then_integrations_cannot_be_set(aws, owner, site):
    viewer = put(token("acct-1", "viewer"), site, "s3", S3)
    stranger = put(token("acct-2", "owner"), site, "s3", S3)

    assert (viewer.status, stranger.status) == (403, 404)
    assert stored(aws, "IntegrationsTable") == []


def test_given_an_integration_when_deleted_then_gone_and_a_second_delete_is_404(aws, owner, site):
    assert put(owner, site, "s3", S3).status == 200
    path = f"/api/v1/sites/{site['id']}/integrations/s3/"

    assert call("DELETE", path, token=owner).status == 200
    assert stored(aws, "IntegrationsTable") == []
    assert call("DELETE", path, token=owner).status == 404


def test_given_a_webhook_when_tested_then_a_signed_ping_reaches_it_and_the_result_is_stored(aws, owner, site):
    from publisher.destinations.webhook import SIGNATURE_HEADER, verify_signature
    from tests.support.loopback import Reply, loopback_server

    secret = "a-signing-secret-0123456789"
    with loopback_server() as peer:
        peer.route("POST", "/hooks/publisher", Reply(204))
        body = {
            "config": {"url": f"{peer.url}/hooks/publisher", "allow_insecure_http": True},
            "credentials": {"signing_secret": secret},
        }
        assert put(owner, site, "webhook", body).status == 200

        reply = call("POST", f"/api/v1/sites/{site['id']}/integrations/webhook/test/", token=owner)

    assert reply.status == 200
    assert reply.json["data"]["ok"] is True
    (ping,) = peer.received
    signature = {key.lower(): value for key, value in ping.headers.items()}[SIGNATURE_HEADER.lower()]
    assert verify_signature(secret, signature, ping.body)
    listed = call("GET", f"/api/v1/sites/{site['id']}/integrations/", token=owner).json["data"]
    assert listed[0]["last_verification"]["ok"] is True and listed[0]["last_verified_at"]
    assert secret not in reply.body


def test_given_a_refusing_peer_when_tested_then_ok_false_with_a_readable_reason(aws, owner, site):
    from tests.support.loopback import Reply, loopback_server

    with loopback_server() as peer:
        peer.route("POST", "/hook", Reply(401, body=b'{"message": "bad signature"}'))
        body = {
            "config": {"url": f"{peer.url}/hook", "allow_insecure_http": True},
            "credentials": {"signing_secret": "a-signing-secret-0123456789"},
        }
        put(owner, site, "webhook", body)

        reply = call("POST", f"/api/v1/sites/{site['id']}/integrations/webhook/test/", token=owner)

    assert reply.status == 200
    assert reply.json["data"]["ok"] is False
    assert "401" in reply.json["data"]["message"] or "rejected" in reply.json["data"]["message"]


def test_given_a_private_address_when_tested_then_the_guard_refuses_before_connecting(aws, owner, site):
    body = {
        "config": {"url": "https://169.254.169.254/latest/meta-data"},
        "credentials": {"signing_secret": "a-signing-secret-0123456789"},
    }
    put(owner, site, "webhook", body)

    reply = call("POST", f"/api/v1/sites/{site['id']}/integrations/webhook/test/", token=owner)

    assert reply.status == 200 and reply.json["data"]["ok"] is False
    assert "link-local" in reply.json["data"]["message"]


def test_testing_a_missing_integration_is_404(owner, site):
    reply = call("POST", f"/api/v1/sites/{site['id']}/integrations/ghost/test/", token=owner)

    assert reply.status == 404


def test_given_a_wordpress_site_without_pretty_permalinks_then_its_rest_route_style_is_kept(aws, owner, site):
    query_style = {**WORDPRESS, "config": {**WORDPRESS["config"], "rest_route_style": "query"}}
    unknown_style = {**WORDPRESS, "config": {**WORDPRESS["config"], "rest_route_style": "sideways"}}

    kept = put(owner, site, "wordpress", query_style)
    refused = put(owner, site, "wordpress", unknown_style)

    assert kept.status == 200 and kept.json["data"]["config"]["rest_route_style"] == "query"
    assert refused.status == 422 and "config.rest_route_style" in refused.json["errors"]


def test_given_a_short_secret_then_the_reason_counts_characters_in_a_grammatical_sentence(aws, owner, site):
    body = {"config": {"url": "https://h.example"}, "credentials": {"signing_secret": "too-short"}}

    reply = put(owner, site, "webhook", body)

    assert reply.status == 422
    assert reply.json["error"] == "some fields of the credentials are invalid"
    assert reply.json["errors"] == {"credentials.signing_secret": ["should have at least 16 characters"]}
    assert stored(aws, "IntegrationsTable") == []


def test_given_an_s3_integration_without_its_public_address_then_422_on_that_field(aws, owner, site):
    reply = put(owner, site, "s3", {"config": {"bucket": "publisher-site-a", "prefix": "blog/"}})

    assert reply.status == 422
    assert reply.json["error"] == "some fields of the config are invalid"
    assert list(reply.json["errors"]) == ["config.public_base_url"]
    assert stored(aws, "IntegrationsTable") == []
    claims = [item["key"]["S"] for item in stored(aws, "UniqueKeysTable")]
    assert claims == ["site-slug#garden"]  # the site's slug, and no bucket claim
