"""DELETE /sites/{id}/: 202 at once, the site reads as gone and its slug is free; the units on
WorkQueue then remove everything under it in pages (content, records, history, claims, deployments,
integrations and their bucket claims, counters, settings, the site), with Query and GetItem only;
`?retract=true` first takes what is online down. Roles, tenancy, events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from publisher.services import deletion
from tests.integration.publishing_support import (
    BUCKET,
    PUBLIC_BASE_URL,
    create_site,
    drain,
    make_content,
    owner_token,
    put_integration,
    s3_site,
    tap_events,
)
from tests.integration.scheduling_support import create_content, put_settings
from tests.support.apigw import call
from tests.support.aws_calls import record_calls
from tests.support.fixtures import stored, token
from tests.support.snapshot import writes_nothing
from tests.support.work_queue import drain_work

TABLES = [
    "SitesTable",
    "UniqueKeysTable",
    "IntegrationsTable",
    "SettingsTable",
    "ContentTable",
    "RecordsTable",
    "DeploymentsTable",
    "UsageTable",
]


def delete_site(site_id: str, tok: str | None = None, **query: str):
    return call("DELETE", f"/api/v1/sites/{site_id}/", token=tok or owner_token(), query=query)


def mentions(aws, site_id: str) -> dict[str, list[str]]:
    """Per table, the stored items that name the site or one of its items (test-only Scans)."""
    found: dict[str, list[str]] = {}
    for table in TABLES:
        texts = [json.dumps(item, default=str) for item in stored(aws, table)]  # bodies are zlib bytes
        hits = [text for text in texts if site_id in text]
        if hits:
            found[table] = hits
    return found


def furnished(aws) -> tuple[dict, list[str]]:
    """An s3 site with content in every state (one published through the worker), a deployment,
    a webhook integration, settings with caps, a pause in its trail: its content ids."""
    site = s3_site(aws)
    hook = {"url": "https://hooks.example.com/publisher"}
    put_integration(
        site["id"],
        "webhook",
        {"config": hook, "credentials": {"signing_secret": "0123456789abcdef0123"}, "enabled": False},
    )
    put_settings(owner_token(), site["id"], daily_publish_limit=5)
    draft = create_content(owner_token(), site["id"], status="draft")
    scheduled = create_content(owner_token(), site["id"], status="approved")
    reply = call("POST", f"/api/v1/content/{scheduled['id']}/schedule/", token=owner_token(), body={})
    assert reply.status == 200, reply.body
    online = create_content(owner_token(), site["id"], status="approved")
    body = {"content_id": online["id"]}
    assert call("POST", "/api/v1/publisher/publish/", token=owner_token(), body=body).status == 202
    drain(aws)
    deployment = {"site_id": site["id"], "deployment_type": "full"}
    assert call("POST", "/api/v1/publisher/deployments/", token=owner_token(), body=deployment).status == 202
    drain_work(aws)  # the deployment's plan
    drain(aws)
    assert call("POST", f"/api/v1/sites/{site['id']}/pause/", token=owner_token()).status == 200
    return site, [draft["id"], scheduled["id"], online["id"]]


def posts(aws) -> list[str]:
    """The post pages in the site's bucket (not its home page nor Publisher's manifest)."""
    s3 = aws.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return [key for key in keys if key != "index.html" and not key.startswith("_publisher/")]


def test_given_a_furnished_site_when_deleted_then_everything_under_it_goes_in_pages_without_a_scan(
    aws, monkeypatch
):
    site, content_ids = furnished(aws)
    neighbour = create_site(name="Neighbour")
    kept = create_content(owner_token(), neighbour["id"], status="draft")
    online = posts(aws)
    assert len(online) == 1  # the published post
    monkeypatch.setattr(deletion, "PAGE", 2)
    events = tap_events(aws)

    reply = delete_site(site["id"], token("acct-1", "admin"))

    assert reply.status == 202, reply.body
    assert reply.json["data"]["id"] == site["id"] and reply.json["data"]["deleting"] is True
    assert call("GET", f"/api/v1/sites/{site['id']}/", token=owner_token()).status == 404
    listed = call("GET", "/api/v1/sites/", token=owner_token()).json["data"]
    assert [item["id"] for item in listed] == [neighbour["id"]]
    reused = create_site(name="Garden again", slug=site["slug"])  # the slug is free at once
    assert call("GET", f"/api/v1/content/{content_ids[0]}/", token=owner_token()).status == 200  # not yet

    sent = record_calls(monkeypatch, "dynamodb")
    units = drain_work(aws)

    assert units > 7  # one unit per page and phase: PAGE=2 makes the content phase take several
    assert "Scan" not in sent.operations
    assert mentions(aws, site["id"]) == {}
    for content_id in content_ids:
        assert mentions(aws, content_id) == {}
    assert call("GET", f"/api/v1/content/{kept['id']}/", token=owner_token()).status == 200
    assert posts(aws) == online  # without ?retract=true what is online stays online
    put_integration(reused["id"], "s3", {"config": {"bucket": BUCKET, "public_base_url": PUBLIC_BASE_URL}})
    kinds = [event["detail-type"] for event in events()]
    assert "site.deletion_started" in kinds and kinds.count("site.deleted") == 1
    assert kinds.count("content.deleted") == 3


def test_given_retract_then_what_is_online_comes_down_before_the_site_goes(aws):
    site, _ = furnished(aws)
    assert len(posts(aws)) == 1

    reply = delete_site(site["id"], retract="true")
    drain_work(aws)

    assert reply.status == 202 and reply.json["data"]["retract"] is True
    assert posts(aws) == []
    assert mentions(aws, site["id"]) == {}


@pytest.mark.parametrize(
    ("tok", "query", "status"),
    [
        (token("acct-1", "viewer"), {}, 403),
        (token("acct-1", "editor"), {}, 403),
        (token("acct-2", "owner"), {}, 404),
        (token("acct-1", "owner"), {"retract": "perhaps"}, 400),
    ],
)
def test_given_a_refused_delete_then_nothing_is_written_or_queued(aws, tok, query, status):
    site = s3_site(aws)

    with writes_nothing(aws):
        reply = delete_site(site["id"], tok, **query)

    assert reply.status == status, reply.body
    assert drain_work(aws) == 0


def test_given_a_site_being_deleted_then_a_second_delete_and_its_writes_are_404(aws):
    site = create_site()
    assert delete_site(site["id"]).status == 202

    assert delete_site(site["id"]).status == 404
    assert call("POST", f"/api/v1/sites/{site['id']}/pause/", token=owner_token()).status == 404
    body: dict[str, Any] = {"site_id": site["id"], "title": "Late"}
    assert call("POST", "/api/v1/content/", token=owner_token(), body=body).status == 404


def test_given_a_unit_for_a_live_site_then_it_deletes_nothing(aws):
    site = create_site()
    item = make_content(site)

    with pytest.raises(Exception, match="not being deleted"):
        deletion.delete_site_page(
            {"site_id": site["id"], "retract": False, "phase": "content", "cursor": None}
        )

    assert call("GET", f"/api/v1/content/{item.content_id}/", token=owner_token()).status == 200
