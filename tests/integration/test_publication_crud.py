"""Seed-002 pieces of API.md v1.1 "Publications": the publishing-records alias of one record,
deployment `version` and `url`, `?status=` on deployments (with the `deployed` alias) and
`?sector_id=` on records and deployments."""

from __future__ import annotations

from tests.integration.publishing_support import (
    create_site,
    drain,
    make_content,
    owner_token,
    record_now,
    s3_site,
    webhook_integration,
)
from tests.support.apigw import call
from tests.support.fixtures import token
from tests.support.work_queue import drain_work


def get(path: str, **query: str):
    reply = call("GET", f"/api/v1{path}", token=owner_token(), query=query or None)
    assert reply.status == 200, reply.body
    return reply.json["data"]


def deploy(site_id: str) -> dict:
    reply = call(
        "POST",
        "/api/v1/publisher/deployments/",
        token=owner_token(),
        body={"site_id": site_id, "deployment_type": "full"},
    )
    assert reply.status == 202, reply.body
    return reply.json["data"]


def test_deployments_are_numbered_per_site_carry_its_url_and_filter_by_status(aws):
    site = s3_site(aws)
    make_content(site)
    first = deploy(site["id"])
    drain_work(aws)  # the deployment's plan
    drain(aws)
    second = deploy(site["id"])

    assert (first["version"], second["version"]) == (1, 2)
    assert first["url"] == site["url"]
    assert [item["id"] for item in get("/publisher/deployments/", site_id=site["id"], status="deployed")] == [
        first["id"]
    ]
    assert [
        item["id"] for item in get("/publisher/deployments/", site_id=site["id"], status="completed")
    ] == [first["id"]]
    bad = call("GET", "/api/v1/publisher/deployments/", token=owner_token(), query={"status": "shipped"})
    assert bad.status in (400, 422), bad.body


def test_a_record_reads_through_the_publishing_records_alias_and_lists_filter_by_sector(aws):
    site = create_site(sector_id="garden")
    content = make_content(site, sector_id="garden")
    made = call(
        "POST",
        "/api/v1/publisher/records/",
        token=owner_token(),
        body={"content_id": content.content_id, "destination": "webhook"},
    )
    assert made.status == 201, made.body
    record_id = made.json["data"]["id"]

    assert get(f"/publisher/publishing-records/{record_id}/")["id"] == record_id
    assert [item["id"] for item in get("/publisher/records/", site_id=site["id"], sector_id="garden")] == [
        record_id
    ]
    assert get("/publisher/records/", site_id=site["id"], sector_id="kitchen") == []


def test_patch_changes_a_records_metadata_and_external_url_but_never_its_source(aws):
    site = create_site()
    content = make_content(site)
    made = call(
        "POST",
        "/api/v1/publisher/records/",
        token=owner_token(),
        body={"content_id": content.content_id, "destination": "webhook", "metadata": {"note": "a"}},
    )
    record_id = made.json["data"]["id"]

    def patch(body: dict):
        return call("PATCH", f"/api/v1/publisher/records/{record_id}/", token=owner_token(), body=body)

    changed = patch({"metadata": {"note": "b"}, "external_url": "https://hooks.example.com/p"})
    refused = patch({"metadata": {"source": "mine"}})
    nulled = patch({"external_url": None})

    assert changed.status == 200, changed.body
    assert changed.json["data"]["metadata"] == {"note": "b", "source": "external"}
    assert changed.json["data"]["external_url"] == "https://hooks.example.com/p"
    assert refused.status == 422 and nulled.status == 422
    assert get(f"/publisher/records/{record_id}/")["metadata"] == {"note": "b", "source": "external"}


def test_patch_changes_a_deployments_metadata(aws):
    site = s3_site(aws)
    started = deploy(site["id"])

    reply = call(
        "PATCH",
        f"/api/v1/publisher/deployments/{started['id']}/",
        token=owner_token(),
        body={"metadata": {"ticket": "OPS-1"}},
    )

    assert reply.status == 200, reply.body
    assert get(f"/publisher/deployments/{started['id']}/")["metadata"]["ticket"] == "OPS-1"


def test_delete_forgets_a_record_for_an_owner_only_and_never_while_publishing(aws):
    site = create_site()
    webhook_integration(site["id"])
    content = make_content(site)
    made = call(
        "POST",
        "/api/v1/publisher/records/",
        token=owner_token(),
        body={"content_id": content.content_id, "destination": "webhook"},
    )
    record_id = made.json["data"]["id"]
    path = f"/api/v1/publisher/records/{record_id}/"

    by_editor = call("DELETE", path, token=token("acct-1", "editor"))
    assert by_editor.status == 403, by_editor.body
    force_status(record_id, "publishing")
    while_publishing = call("DELETE", path, token=owner_token())
    assert while_publishing.status == 409, while_publishing.body
    force_status(record_id, "failed")
    deleted = call("DELETE", path, token=owner_token())

    assert deleted.status == 200, deleted.body
    assert call("GET", path, token=owner_token()).status == 404


def test_delete_forgets_only_a_finished_deployment(aws):
    site = s3_site(aws)
    make_content(site)
    started = deploy(site["id"])
    path = f"/api/v1/publisher/deployments/{started['id']}/"

    running = call("DELETE", path, token=owner_token())
    drain_work(aws)
    drain(aws)
    finished = call("DELETE", path, token=owner_token())

    assert running.status == 409, running.body
    assert finished.status == 200, finished.body
    assert call("GET", path, token=owner_token()).status == 404


def force_status(record_id: str, status: str) -> None:
    record = record_now(record_id)
    record.status = status
    record.save()
