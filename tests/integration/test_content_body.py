"""The body of a content item in its own item (`body#<id>` in the Content table), on moto: written at
create and by edits that name a body field, never by status moves; read by the content view and the
lists; items of the older shape (body inline) read alike and move over with scripts/migrate_bodies.py."""

from __future__ import annotations

import importlib.util
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from publisher.store.models import ContentModel
from tests.integration.publishing_support import make_content
from tests.integration.scheduling_support import create_content
from tests.support.apigw import call
from tests.support.aws_calls import AwsCalls, record_calls

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "migrate_bodies.py"
HTML = "<p>" + "Sun, water and patience make tomatoes. " * 60 + "</p>"
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def raw_item(aws, key: str) -> dict[str, Any] | None:
    table = aws.resolver.physical["ContentTable"]
    return aws.client("dynamodb").get_item(TableName=table, Key={"content_id": {"S": key}}).get("Item")


def stored_html(body: dict[str, Any]) -> str:
    """The html of a raw body item: zlib-compressed bytes."""
    return zlib.decompress(body["html"]["B"]).decode()


@pytest.fixture
def dynamodb_calls(monkeypatch) -> AwsCalls:
    return record_calls(monkeypatch, "dynamodb")


def written_keys(sent: AwsCalls) -> list[str]:
    """The Content-table keys of every item the calls wrote (a transaction: each of its items)."""
    keys: list[str] = []
    for params in sent.of(*WRITES):
        bodies = [next(iter(entry.values())) for entry in params.get("TransactItems", [])] or [params]
        for body in bodies:
            key = body.get("Key") or body.get("Item") or {}
            if "content_id" in key:
                keys.append(key["content_id"]["S"])
    return keys


def view(owner, content_id: str) -> dict:
    reply = call("GET", f"/api/v1/content/{content_id}/", token=owner)
    assert reply.status == 200, reply.body
    return reply.json["data"]


def test_given_a_new_article_then_its_body_is_an_item_of_its_own_and_the_views_show_it(aws, owner, site):
    created = create_content(owner, site["id"], html=HTML, excerpt="Tomatoes.", tags=["garden"])

    small = raw_item(aws, created["id"])
    body = raw_item(aws, f"body#{created['id']}")
    assert not {"html", "excerpt", "tags", "categories"} & set(small)
    assert small["content_hash"]["S"] == ContentModel.get(created["id"]).content_hash
    assert (stored_html(body), body["excerpt"]["S"], body["tags"]["L"]) == (
        HTML,
        "Tomatoes.",
        [{"S": "garden"}],
    )
    assert view(owner, created["id"]) == created
    listed = call("GET", "/api/v1/content/", token=owner, query={"site_id": site["id"]}).json["data"]
    assert [(item["id"], item["html"], item["tags"]) for item in listed] == [
        (created["id"], HTML, ["garden"])
    ]
    by_account = call("GET", "/api/v1/content/", token=owner, query={"status": "draft"}).json["data"]
    assert [(item["id"], item["html"]) for item in by_account] == [(created["id"], HTML)]


def test_given_a_body_then_its_html_is_stored_compressed_at_a_fraction_of_its_size(aws, owner, site):
    created = create_content(owner, site["id"], html=HTML)

    stored = raw_item(aws, f"body#{created['id']}")["html"]["B"]
    assert len(stored) * 3 < len(HTML.encode())
    assert view(owner, created["id"])["html"] == HTML


def test_given_a_body_stored_uncompressed_before_then_it_reads_alike_and_an_edit_compresses_it(
    aws, owner, site
):
    created = create_content(owner, site["id"], html=HTML)
    table = aws.resolver.physical["ContentTable"]
    key = {"content_id": {"S": f"body#{created['id']}"}}
    aws.client("dynamodb").update_item(  # the body as written before compression: a string
        TableName=table,
        Key=key,
        UpdateExpression="SET html = :html",
        ExpressionAttributeValues={":html": {"S": HTML}},
    )

    assert view(owner, created["id"]) == created
    reply = call("PATCH", f"/api/v1/content/{created['id']}/", token=owner, body={"html": "<p>New.</p>"})

    assert reply.status == 200 and reply.json["data"]["html"] == "<p>New.</p>"
    assert stored_html(raw_item(aws, f"body#{created['id']}")) == "<p>New.</p>"


def test_given_status_moves_then_only_the_small_item_is_written(aws, owner, site, dynamodb_calls):
    created = create_content(owner, site["id"], html=HTML)
    dynamodb_calls.clear()

    for status in ("review", "approved"):
        reply = call("PATCH", f"/api/v1/content/{created['id']}/", token=owner, body={"status": status})
        assert reply.status == 200, reply.body
        assert reply.json["data"]["html"] == HTML

    assert written_keys(dynamodb_calls) == [created["id"], created["id"]]


def test_given_an_edit_of_the_body_then_body_and_hash_change_together(aws, owner, site, dynamodb_calls):
    created = create_content(owner, site["id"], html=HTML)
    hash_before = raw_item(aws, created["id"])["content_hash"]["S"]
    dynamodb_calls.clear()

    reply = call("PATCH", f"/api/v1/content/{created['id']}/", token=owner, body={"html": "<p>New.</p>"})

    assert reply.status == 200 and reply.json["data"]["html"] == "<p>New.</p>"
    assert sorted(written_keys(dynamodb_calls)) == sorted([created["id"], f"body#{created['id']}"])
    assert stored_html(raw_item(aws, f"body#{created['id']}")) == "<p>New.</p>"
    stored = ContentModel.get(created["id"], consistent_read=True)
    assert stored.content_hash != hash_before
    stored.html, stored.tags, stored.categories = "<p>New.</p>", [], []
    assert stored.content_hash == stored.fields_hash()
    assert view(owner, created["id"])["html"] == "<p>New.</p>"


def test_given_a_taken_slug_then_no_body_is_written(aws, owner, site, dynamodb_calls):
    """The slug is claimed before the body is put (store.content.create_content)."""
    create_content(owner, site["id"], slug="my-post")
    dynamodb_calls.clear()

    reply = call(
        "POST", "/api/v1/content/", token=owner, body={"site_id": site["id"], "title": "x", "slug": "my-post"}
    )

    assert reply.status == 409
    assert written_keys(dynamodb_calls) == []


def test_given_a_body_key_as_content_id_then_404(aws, owner, site):
    created = create_content(owner, site["id"])

    assert call("GET", f"/api/v1/content/body%23{created['id']}/", token=owner).status == 404


def test_given_items_of_the_older_shape_when_migrated_then_views_are_unchanged_and_a_rerun_does_nothing(
    aws, owner, site, monkeypatch
):
    old = make_content(
        site, html=HTML, excerpt="Old.", categories=["Veg"], status="published", site_status="published"
    )
    old.published_hash = old.fields_hash()
    old.save()
    before = view(owner, old.content_id)
    assert before["html"] == HTML and before["changed_since_publish"] is False

    spec = importlib.util.spec_from_file_location("migrate_bodies", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "migrate_bodies", script)  # its dataclass looks itself up
    spec.loader.exec_module(script)
    summary = script.main(["--account-id", site["account_id"]])

    assert (summary.moved, summary.already, summary.changed) == (1, 0, 0)
    assert "html" not in raw_item(aws, old.content_id)
    assert stored_html(raw_item(aws, f"body#{old.content_id}")) == HTML
    assert view(owner, old.content_id) == before
    again = script.main(["--site-id", site["id"]])
    assert (again.moved, again.already, again.changed) == (0, 1, 0)


def test_given_an_edit_between_read_and_migration_then_the_item_is_left_for_the_next_run(aws, owner, site):
    from publisher.store import content as store

    old = make_content(site, html=HTML)
    read = ContentModel.get(old.content_id, consistent_read=True)
    retitled = make_content(site, html=HTML)
    read_retitled = ContentModel.get(retitled.content_id, consistent_read=True)
    for content_id, body in (
        (old.content_id, {"html": "<p>Edited.</p>"}),
        (retitled.content_id, {"title": "New"}),
    ):
        assert call("PATCH", f"/api/v1/content/{content_id}/", token=owner, body=body).status == 200

    assert "html" not in raw_item(aws, old.content_id)  # the edit of the body moved it out itself
    assert stored_html(raw_item(aws, f"body#{old.content_id}")) == "<p>Edited.</p>"
    assert store.move_body_apart(read) is False
    assert view(owner, old.content_id)["html"] == "<p>Edited.</p>"
    assert store.move_body_apart(read_retitled) is False  # its hash would be the old title's
    fresh = ContentModel.get(retitled.content_id, consistent_read=True)
    assert store.move_body_apart(fresh) is True
    assert raw_item(aws, retitled.content_id)["content_hash"]["S"] == fresh.fields_hash()
    assert view(owner, retitled.content_id)["title"] == "New"
