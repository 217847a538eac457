"""GET /content/{id}/preview/?destination=: exactly the Article a publication to that destination
sends (sanitised for it, links absolute to the site), built by the worker's own function, and
nothing sent anywhere."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from publisher.services.worker import PublishWorker
from tests.integration.publishing_support import (
    RemoteSite,
    drain,
    put_integration,
    receive,
    recording_factory,
)
from tests.integration.scheduling_support import create_content
from tests.support.apigw import call
from tests.support.fixtures import stored, token

RISKY_HTML = (
    '<p onclick="steal()">Hello <a href="/about">about</a></p>'
    '<script>alert(1)</script><img src="/media/a.png" alt="a"><img src="https://cdn.example.com/b.jpg">'
    '<iframe src="https://evil.example.com"></iframe><figure class="wp-block-image">x</figure>'
)


def preview(tok, content_id, **query):
    return call("GET", f"/api/v1/content/{content_id}/preview/", token=tok, query=query)


@pytest.fixture
def article(owner, webhook_site):
    return create_content(
        owner,
        webhook_site["id"],
        title="  Spring   planting ",
        html=RISKY_HTML,
        categories=["Garden", " Garden "],
        tags=["spring"],
        featured_image_url="https://cdn.example.com/hero.jpg",
        status="approved",
    )


def test_given_content_when_previewing_webhook_then_sanitised_article_with_absolute_links_and_images(
    aws, owner, article
):
    reply = preview(owner, article["id"], destination="webhook")

    assert reply.status == 200, reply.body
    data = reply.json["data"]
    assert data["destination"] == "webhook" and data["integration_enabled"] is True
    assert data["title"] == "Spring planting"
    assert data["slug"] == article["slug"]
    assert "script" not in data["html"] and "onclick" not in data["html"] and "iframe" not in data["html"]
    assert 'href="https://garden.example.com/about"' in data["html"]
    assert 'class="wp-block-image"' not in data["html"]  # webhook gets the conservative set
    assert data["excerpt"].startswith("Hello about")
    assert data["categories"] == ["Garden"] and data["tags"] == ["spring"]
    assert data["image_urls"] == [
        "https://cdn.example.com/hero.jpg",
        "https://garden.example.com/media/a.png",
        "https://cdn.example.com/b.jpg",
    ]


def test_given_two_destinations_when_previewing_then_each_gets_its_own_allowlist(aws, owner, article):
    put_integration(
        article["site_id"],
        "wordpress",
        {
            "config": {"base_url": "https://wp.example.com"},
            "credentials": {"username": "u", "application_password": "abcd efgh ijkl mnop"},
        },
    )

    wordpress = preview(owner, article["id"], destination="wordpress").json["data"]
    webhook = preview(owner, article["id"], destination="webhook").json["data"]

    assert 'class="wp-block-image"' in wordpress["html"]
    assert 'class="wp-block-image"' not in webhook["html"]


def test_given_preview_when_the_worker_publishes_then_it_sends_exactly_the_preview(aws, owner, article):
    shown = preview(owner, article["id"], destination="webhook").json["data"]
    remote = RemoteSite()
    published = call("POST", "/api/v1/publisher/publish/", token=owner, body={"content_id": article["id"]})
    assert published.status == 202, published.body

    drain(aws, PublishWorker(factory=recording_factory(remote)))

    (sent,) = remote.posts.values()
    fields = asdict(sent)
    for name in ("title", "slug", "html", "excerpt", "featured_image_url", "content_hash", "canonical_url"):
        assert shown[name] == fields[name], name
    assert shown["categories"] == list(sent.categories) and shown["tags"] == list(sent.tags)


def test_given_preview_then_nothing_is_written_or_queued_or_sent(aws, owner, article):
    before = {table: stored(aws, table) for table in ("ContentTable", "RecordsTable", "UsageTable")}

    assert preview(owner, article["id"], destination="webhook").status == 200

    assert {table: stored(aws, table) for table in before} == before
    assert receive(aws) == []


def test_given_viewer_when_previewing_then_allowed(aws, owner, article):
    viewer = token("acct-1", "viewer")
    assert preview(viewer, article["id"], destination="webhook").status == 200


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({}, 422, "destination"),  # missing
        ({"destination": "myspace"}, 400, "destination"),  # not a destination at all
        ({"destination": "ghost"}, 422, "destination"),  # a destination the site has no integration for
    ],
)
def test_given_missing_or_unknown_destination_then_field_error(aws, owner, article, query, status, field):
    reply = preview(owner, article["id"], **query)

    assert reply.status == status, reply.body
    assert field in reply.json["errors"]


def test_given_other_accounts_content_then_404(aws, article):
    stranger = token("acct-2", "owner")
    assert preview(stranger, article["id"], destination="webhook").status == 404


def test_given_unknown_content_then_404(aws, owner, webhook_site):
    assert preview(owner, "nope", destination="webhook").status == 404
