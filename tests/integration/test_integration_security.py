"""Integrations across trust boundaries (API.md v1.1 "Security rules"):

- an `s3` bucket belongs to the first site that configures it (another site → 409, freed when the
  integration is removed or moves to another bucket); `/test/` never probes a bucket that is not
  the site's own; a record made by `POST /publisher/records/` never makes Publisher delete a
  post it did not write;
- stored credentials are never sent to an address they were not entered for;
- a destination that echoes a credential back never gets it stored or shown.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from publisher import bootstrap
from publisher.aws import aws_client
from publisher.store.models import IntegrationModel
from tests.support.apigw import call
from tests.support.fixtures import stored, token
from tests.support.loopback import Received, Reply, loopback_server

BUCKET_A = "publisher-site-alpha"
BUCKET_B = "publisher-site-beta"


@pytest.fixture
def alice(aws):
    return token("acct-a", "owner", sub="alice")


@pytest.fixture
def bob(aws):
    return token("acct-b", "owner", sub="bob")


def new_site(tok: str, name: str) -> dict:
    reply = call("POST", "/api/v1/sites/", token=tok, body={"name": name})
    assert reply.status == 201, reply.body
    return reply.json["data"]


def put(tok: str, site: dict, destination: str, body: dict):
    return call("PUT", f"/api/v1/sites/{site['id']}/integrations/{destination}/", token=tok, body=body)


def s3_body(bucket: str) -> dict:
    return {"config": {"bucket": bucket, "public_base_url": "https://pages.example.com"}}


def claims(aws) -> dict[str, str]:
    return {
        item["key"]["S"]: item["owner_id"]["S"]
        for item in stored(aws, "UniqueKeysTable")
        if item["key"]["S"].startswith("s3-bucket#")
    }


@pytest.fixture
def head_bucket_calls() -> Iterator[list[str]]:
    """Every HeadBucket the process's S3 client makes (the adapter's probe)."""
    seen: list[str] = []

    def record(params, **_):
        seen.append(params["Bucket"])

    events = aws_client("s3").meta.events
    events.register("provide-client-params.s3.HeadBucket", record)
    yield seen
    events.unregister("provide-client-params.s3.HeadBucket", record)


# --- 1. one bucket, one site -----------------------------------------------------------------


def test_given_a_bucket_of_another_account_then_naming_it_is_409_and_nothing_is_written(aws, alice, bob):
    a, b = new_site(alice, "A"), new_site(bob, "B")
    assert put(alice, a, "s3", s3_body(BUCKET_A)).status == 200
    before = stored(aws, "IntegrationsTable"), stored(aws, "UniqueKeysTable")

    reply = put(bob, b, "s3", s3_body(BUCKET_A))

    assert reply.status == 409, reply.body
    assert reply.json["success"] is False
    assert (stored(aws, "IntegrationsTable"), stored(aws, "UniqueKeysTable")) == before
    assert claims(aws) == {f"s3-bucket#{BUCKET_A}": a["id"]}


def test_given_a_bucket_of_another_site_of_the_same_account_then_it_is_409_too(aws, alice):
    first, second = new_site(alice, "First"), new_site(alice, "Second")
    assert put(alice, first, "s3", s3_body(BUCKET_A)).status == 200

    assert put(alice, second, "s3", s3_body(BUCKET_A)).status == 409


def test_given_the_owning_site_saves_its_bucket_again_then_it_keeps_it(aws, alice):
    a = new_site(alice, "A")
    assert put(alice, a, "s3", s3_body(BUCKET_A)).status == 200

    assert put(alice, a, "s3", {**s3_body(BUCKET_A), "enabled": False}).status == 200
    assert claims(aws) == {f"s3-bucket#{BUCKET_A}": a["id"]}


def test_given_the_integration_is_removed_then_its_bucket_is_free_for_another_site(aws, alice, bob):
    a, b = new_site(alice, "A"), new_site(bob, "B")
    put(alice, a, "s3", s3_body(BUCKET_A))

    assert call("DELETE", f"/api/v1/sites/{a['id']}/integrations/s3/", token=alice).status == 200

    assert claims(aws) == {}
    assert put(bob, b, "s3", s3_body(BUCKET_A)).status == 200
    assert claims(aws) == {f"s3-bucket#{BUCKET_A}": b["id"]}


def test_given_the_integration_moves_to_another_bucket_then_the_old_one_is_freed(aws, alice, bob):
    a, b = new_site(alice, "A"), new_site(bob, "B")
    put(alice, a, "s3", s3_body(BUCKET_A))

    assert put(alice, a, "s3", s3_body(BUCKET_B)).status == 200

    assert claims(aws) == {f"s3-bucket#{BUCKET_B}": a["id"]}
    assert put(bob, b, "s3", s3_body(BUCKET_B)).status == 409
    assert put(bob, b, "s3", s3_body(BUCKET_A)).status == 200


def legacy_integration(site: dict, bucket: str) -> None:
    """An s3 integration saved before buckets were claimed (written straight into the table)."""
    bootstrap.ready_store()
    IntegrationModel(
        site_id=site["id"],
        destination="s3",
        account_id=site["account_id"],
        config={"bucket": bucket, "prefix": "", "public_base_url": "https://x.example"},
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    ).save()


def test_given_a_bucket_the_site_does_not_hold_then_test_is_409_without_probing_it(
    aws, alice, bob, head_bucket_calls
):
    aws.client("s3").create_bucket(Bucket=BUCKET_A)
    a, b = new_site(alice, "A"), new_site(bob, "B")
    put(alice, a, "s3", s3_body(BUCKET_A))
    legacy_integration(b, BUCKET_A)

    reply = call("POST", f"/api/v1/sites/{b['id']}/integrations/s3/test/", token=bob)

    assert reply.status == 409, reply.body
    assert "exist" not in reply.json["error"] and "reachable" not in reply.json["error"]
    assert head_bucket_calls == []


def test_given_a_bucket_the_site_does_not_hold_then_the_worker_refuses_to_publish_there(aws, alice, bob):
    from publisher.destinations.base import PermanentDestinationError
    from publisher.services.adapters import open_destination
    from publisher.store.sites import get_integration

    a, b = new_site(alice, "A"), new_site(bob, "B")
    put(alice, a, "s3", s3_body(BUCKET_A))
    legacy_integration(b, BUCKET_A)

    with pytest.raises(PermanentDestinationError, match="not claimed by this site"):
        open_destination(get_integration(b["id"], "s3"), "s3", account_id="acct-b")


def test_given_the_own_bucket_then_test_probes_it_and_answers(aws, alice, head_bucket_calls):
    a = new_site(alice, "A")
    put(alice, a, "s3", s3_body(BUCKET_A))

    reply = call("POST", f"/api/v1/sites/{a['id']}/integrations/s3/test/", token=alice)

    assert reply.status == 200 and reply.json["data"]["ok"] is False  # no such bucket on moto
    assert head_bucket_calls == [BUCKET_A]


def test_given_a_record_made_by_post_when_retracted_then_the_destination_is_untouched(aws, alice):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET_A)
    s3.put_object(Bucket=BUCKET_A, Key="handmade/index.html", Body=b"<p>not Publisher's</p>")
    a = new_site(alice, "A")
    put(alice, a, "s3", s3_body(BUCKET_A))
    content = call(
        "POST", "/api/v1/content/", token=alice, body={"site_id": a["id"], "title": "T", "html": "<p>x</p>"}
    ).json["data"]
    record = call(
        "POST",
        "/api/v1/publisher/records/",
        token=alice,
        body={
            "content_id": content["id"],
            "destination": "s3",
            "status": "published",
            "external_id": "handmade/index.html",
        },
    ).json["data"]

    reply = call("POST", f"/api/v1/publisher/records/{record['id']}/retract/", token=alice)

    assert reply.status == 200, reply.body
    assert reply.json["data"]["status"] == "retracted"
    assert reply.json["data"]["metadata"]["retracted_at_destination"] is False
    assert (
        s3.get_object(Bucket=BUCKET_A, Key="handmade/index.html")["Body"].read() == b"<p>not Publisher's</p>"
    )


# --- 2. credentials go only where they were entered for ---------------------------------------

WP_CREDS = {"username": "editor", "application_password": "abcd EFGH ijkl MNOP"}
ADDRESS_CASES = [
    ("wordpress", {"base_url": "https://blog.example.com"}, WP_CREDS, {"base_url": "https://evil.example"}),
    (
        "ghost",
        {"admin_url": "https://ghost.example.com"},
        {"admin_api_key": "abcdef123456:" + "0123456789abcdef" * 2},
        {"admin_url": "https://evil.example"},
    ),
    (
        "webhook",
        {"url": "https://hooks.example.com/in"},
        {"signing_secret": "0123456789abcdef0123"},
        {"url": "https://evil.example/in"},
    ),
    ("webflow", {"site_id": "s1", "collection_id": "c1"}, {"api_token": "wf-token-123"}, {"site_id": "s2"}),
    (
        "webflow",
        {"site_id": "s1", "collection_id": "c1"},
        {"api_token": "wf-token-123"},
        {"collection_id": "c2"},
    ),
]


@pytest.mark.parametrize(("destination", "config", "credentials", "change"), ADDRESS_CASES)
def test_given_a_new_address_without_credentials_then_422_and_nothing_changes(
    aws, alice, destination, config, credentials, change
):
    a = new_site(alice, "A")
    assert put(alice, a, destination, {"config": config, "credentials": credentials}).status == 200
    before = stored(aws, "IntegrationsTable")

    reply = put(alice, a, destination, {"config": {**config, **change}})

    assert reply.status == 422, reply.body
    assert "credentials" in reply.json["errors"]
    assert next(iter(change)) in " ".join(reply.json["errors"]["credentials"])
    assert stored(aws, "IntegrationsTable") == before


@pytest.mark.parametrize(("destination", "config", "credentials", "change"), ADDRESS_CASES)
def test_given_a_new_address_with_credentials_or_the_same_address_without_then_200(
    aws, alice, destination, config, credentials, change
):
    a = new_site(alice, "A")
    put(alice, a, destination, {"config": config, "credentials": credentials})

    same = put(alice, a, destination, {"config": config, "enabled": False})
    moved = put(alice, a, destination, {"config": {**config, **change}, "credentials": credentials})

    assert (same.status, moved.status) == (200, 200), (same.body, moved.body)
    assert moved.json["data"]["has_credentials"] is True


def test_given_api_base_url_where_insecure_http_is_not_allowed_then_422(aws, alice, monkeypatch):
    monkeypatch.setenv("ALLOW_INSECURE_HTTP", "false")
    bootstrap.reset()
    a = new_site(alice, "A")
    body = {
        "config": {"site_id": "s1", "collection_id": "c1", "api_base_url": "https://api.evil.example/v2"},
        "credentials": {"api_token": "wf-token-123"},
    }

    reply = put(alice, a, "webflow", body)

    assert reply.status == 422 and "config.api_base_url" in reply.json["errors"], reply.body
    assert stored(aws, "IntegrationsTable") == []


def test_given_api_base_url_where_insecure_http_is_allowed_then_it_is_accepted(aws, alice, monkeypatch):
    monkeypatch.setenv("ALLOW_INSECURE_HTTP", "true")
    bootstrap.reset()
    a = new_site(alice, "A")
    body = {
        "config": {"site_id": "s1", "collection_id": "c1", "api_base_url": "http://127.0.0.1:9/v2"},
        "credentials": {"api_token": "wf-token-123"},
    }

    assert put(alice, a, "webflow", body).status == 200


# --- 3. an echoing destination never gets a secret stored or shown ------------------------------


def echo_everything(secret_forms: list[str]):
    """A peer that refuses every request and repeats what it got, plus the forms it was told."""

    def answer(received: Received) -> Reply:
        said = " | ".join(
            [received.headers.get("Authorization", ""), received.body.decode(errors="replace"), *secret_forms]
        )
        body = {"code": said, "message": said, "errors": [{"message": said}]}
        return Reply(401, {"Content-Type": "application/json"}, json.dumps(body).encode())

    return answer


def forms_of(*values: str) -> list[str]:
    found = []
    for value in values:
        found += [value, base64.b64encode(value.encode()).decode(), quote(value, safe=""), quote_plus(value)]
    return found


ECHO_CASES = [
    (
        "wordpress",
        lambda url: {"base_url": url},
        {"username": "editor", "application_password": "Abcd EFGH ijkl MNOP qrst"},
        ["Abcd EFGH ijkl MNOP qrst", "editor:Abcd EFGH ijkl MNOP qrst"],
    ),
    (
        "webflow",
        lambda url: {"site_id": "s1", "collection_id": "c1", "api_base_url": url},
        {"api_token": "wf-secret-token-0123456789"},
        ["wf-secret-token-0123456789"],
    ),
    (
        "webhook",
        lambda url: {"url": f"{url}/hook"},
        {"signing_secret": "whsec-secret-0123456789abcdef"},
        ["whsec-secret-0123456789abcdef"],
    ),
]


@pytest.mark.parametrize(("destination", "config_for", "credentials", "secrets"), ECHO_CASES)
def test_given_a_peer_that_echoes_credentials_then_no_form_of_them_is_stored_shown_or_logged(
    aws, alice, caplog, destination, config_for, credentials, secrets
):
    # INFO, the functions' level: botocore's DEBUG lines carry KMS request bodies (base64 of the
    # sealed JSON), which no deployed function may enable.
    caplog.set_level(logging.INFO)
    forms = forms_of(*secrets)
    a = new_site(alice, "A")
    with loopback_server() as peer:
        peer.fallback = echo_everything(forms)
        config = {**config_for(peer.url), "allow_insecure_http": True}
        assert put(alice, a, destination, {"config": config, "credentials": credentials}).status == 200

        reply = call("POST", f"/api/v1/sites/{a['id']}/integrations/{destination}/test/", token=alice)
        listed = call("GET", f"/api/v1/sites/{a['id']}/integrations/", token=alice)

    assert peer.received, "the peer was reached"
    assert reply.status == 200 and reply.json["data"]["ok"] is False
    assert "[redacted]" in reply.json["data"]["message"]
    shown = [reply.body, listed.body, str(stored(aws, "IntegrationsTable")), caplog.text]
    for form in forms:
        for text in shown:
            assert form not in text
