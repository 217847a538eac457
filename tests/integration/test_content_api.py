"""Content API through API Gateway events, the real authorizer and the real handler, on moto."""

from __future__ import annotations

import pytest

from publisher.store.content import approved_unscheduled
from tests.integration.scheduling_support import (
    create_content,
    create_site,
    force_site_status,
    schedule,
    snapshot,
    stored_content,
    unique_keys,
)
from tests.support.apigw import call
from tests.support.fixtures import token


def patch(tok, content_id, body):
    return call("PATCH", f"/api/v1/content/{content_id}/", token=tok, body=body)


def listed(tok, **query) -> tuple[list[dict], str | None]:
    reply = call("GET", "/api/v1/content/", token=tok, query=query)
    assert reply.status == 200, reply.body
    return reply.json["data"], reply.json["next_cursor"]


# --- create -------------------------------------------------------------------------------


def test_given_an_owner_when_creating_content_then_201_with_defaults_and_a_generated_slug(aws, owner, site):
    reply = call(
        "POST", "/api/v1/content/", token=owner, body={"site_id": site["id"], "title": "  Héllo, World!  "}
    )

    assert reply.status == 201, reply.body
    item = reply.json["data"]
    assert item["title"] == "Héllo, World!" and item["slug"] == "hello-world"
    assert (item["status"], item["site_status"], item["content_type"]) == ("draft", "not_published", "post")
    assert (item["account_id"], item["site_id"], item["scheduled_publish_at"]) == ("acct-1", site["id"], None)
    assert item["created_at"].endswith("Z") and item["site_status_updated_at"] == item["created_at"]
    assert unique_keys(aws, "content-slug#") == {f"content-slug#{site['id']}#hello-world": item["id"]}
    assert stored_content(item["id"]).status_key == f"draft#{item['created_at']}"


def test_given_titles_that_slugify_alike_then_slugs_stay_unique_per_site_only(owner, site):
    other_site = create_site(owner, name="Other", slug="other")

    first = create_content(owner, site["id"], title="Spring plan")
    second = create_content(owner, site["id"], title="Spring plan!")
    third = create_content(owner, site["id"], title="spring PLAN")
    elsewhere = create_content(owner, other_site["id"], title="Spring plan")

    assert [first["slug"], second["slug"], third["slug"]] == ["spring-plan", "spring-plan-2", "spring-plan-3"]
    assert elsewhere["slug"] == "spring-plan"


def test_given_a_taken_slug_when_creating_then_409_and_nothing_written(aws, owner, site):
    create_content(owner, site["id"], slug="my-post")
    before = snapshot(aws)

    reply = call(
        "POST", "/api/v1/content/", token=owner, body={"site_id": site["id"], "title": "x", "slug": "my-post"}
    )

    assert reply.status == 409 and "slug" in reply.json["error"]
    assert snapshot(aws) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "slug": "Not A Slug"}, "slug"),
        ({"title": "x", "status": "published"}, "status"),
        ({"title": "x", "status": "live"}, "status"),
        ({"title": "x", "featured_image_url": "not-a-url"}, "featured_image_url"),
        ({"title": "x", "tags": [""]}, "tags.0"),
        ({"title": "x", "content_type": "recipe"}, "content_type"),
        ({"title": "x", "html": "é" * 150_001}, "html"),
        ({"title": "x", "site_status": "published"}, "site_status"),
    ],
)
def test_given_invalid_fields_then_422_with_field_errors_and_nothing_written(aws, owner, site, body, field):
    before = snapshot(aws)

    reply = call("POST", "/api/v1/content/", token=owner, body={"site_id": site["id"], **body})

    assert reply.status == 422, reply.body
    assert field in reply.json["errors"], reply.json
    assert snapshot(aws) == before


def test_given_malformed_json_then_400_and_nothing_written(aws, owner, site):
    before = snapshot(aws)

    reply = call("POST", "/api/v1/content/", token=owner, raw_body='{"site_id": ')

    assert reply.status == 400
    assert snapshot(aws) == before


def test_given_another_accounts_site_or_content_then_404_and_nothing_written(aws, owner, site):
    item = create_content(owner, site["id"])
    stranger = token("acct-2", "owner")
    before = snapshot(aws)

    created = call("POST", "/api/v1/content/", token=stranger, body={"site_id": site["id"], "title": "x"})
    read = call("GET", f"/api/v1/content/{item['id']}/", token=stranger)
    edited = patch(stranger, item["id"], {"title": "Mine now"})
    listed_there = call("GET", "/api/v1/content/", token=stranger, query={"site_id": site["id"]})

    assert (created.status, read.status, edited.status, listed_there.status) == (404, 404, 404, 404)
    assert snapshot(aws) == before
    assert listed(stranger) == ([], None)


def test_given_a_viewer_then_reads_work_and_writes_are_403_with_nothing_written(aws, owner, site):
    item = create_content(owner, site["id"])
    viewer = token("acct-1", "viewer")
    before = snapshot(aws)

    created = call("POST", "/api/v1/content/", token=viewer, body={"site_id": site["id"], "title": "x"})
    edited = patch(viewer, item["id"], {"status": "approved"})

    assert created.status == edited.status == 403
    assert snapshot(aws) == before
    assert call("GET", f"/api/v1/content/{item['id']}", token=viewer).json["data"] == item


def test_given_a_system_token_then_it_creates_in_the_sites_account(owner, site):
    reply = call(
        "POST",
        "/api/v1/content/",
        token=token("platform", "system"),
        body={"site_id": site["id"], "title": "x"},
    )

    assert reply.status == 201 and reply.json["data"]["account_id"] == "acct-1"


# --- list ---------------------------------------------------------------------------------


def test_given_content_in_several_states_then_filters_select_by_site_status_and_site_status(owner, site):
    other_site = create_site(owner, name="Other", slug="other")
    draft = create_content(owner, site["id"], title="Draft")
    approved = create_content(owner, site["id"], title="Approved", status="approved")
    scheduled = create_content(owner, site["id"], title="Scheduled", status="approved")
    assert schedule(owner, scheduled["id"], {}).status == 200
    elsewhere = create_content(owner, other_site["id"], title="Elsewhere", status="approved")

    def ids(**query):
        return {item["id"] for item in listed(owner, **query)[0]}

    assert ids(site_id=site["id"]) == {draft["id"], approved["id"], scheduled["id"]}
    assert ids(site_id=site["id"], status="approved") == {approved["id"], scheduled["id"]}
    assert ids(site_id=site["id"], site_status="scheduled") == {scheduled["id"]}
    assert ids(site_id=site["id"], status="approved", site_status="not_published") == {approved["id"]}
    assert ids(status="approved") == {approved["id"], scheduled["id"], elsewhere["id"]}
    assert ids(site_status="not_published", status="draft") == {draft["id"]}


def test_given_more_items_than_the_limit_then_cursor_pages_cover_all_once(owner, site):
    created = [create_content(owner, site["id"], title=f"Post {number}")["id"] for number in range(5)]

    seen, cursor, pages = [], None, 0
    while True:
        query = {"site_id": site["id"], "limit": "2", **({"cursor": cursor} if cursor else {})}
        items, cursor = listed(owner, **query)
        seen += [item["id"] for item in items]
        pages += 1
        if cursor is None:
            break

    assert sorted(seen) == sorted(created) and pages == 3
    created_at = [item["created_at"] for item in listed(owner)[0]]
    assert created_at == sorted(created_at, reverse=True)  # the account's list: newest first


def test_given_content_of_several_sectors_then_sector_id_keeps_one_sectors_items_on_every_page(owner, site):
    garden = [create_content(owner, site["id"], title=f"Garden {n}", sector_id="garden")["id"] for n in "abc"]
    kitchen = create_content(owner, site["id"], title="Kitchen", sector_id="kitchen", status="approved")
    create_content(owner, site["id"], title="No sector")

    def every_page(**query) -> list[str]:
        seen, cursor = [], None
        while True:
            items, cursor = listed(owner, limit="2", **query, **({"cursor": cursor} if cursor else {}))
            seen += [item["id"] for item in items]
            if cursor is None:
                return seen

    assert sorted(every_page(site_id=site["id"], sector_id="garden")) == sorted(garden)
    assert sorted(every_page(sector_id="garden")) == sorted(garden)  # the account's list
    assert every_page(site_id=site["id"], sector_id="kitchen", status="approved") == [kitchen["id"]]
    assert every_page(site_id=site["id"], sector_id="kitchen", site_status="not_published") == [kitchen["id"]]
    assert every_page(site_id=site["id"], sector_id="garden", status="approved") == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"sector_id": ""}, 400),
        ({"sector_id": "x" * 300}, 400),
        ({"status": "live"}, 400),  # API.md v1.1: a malformed query value is a 400
        ({"site_status": "done"}, 400),
        ({"limit": "0"}, 400),
        ({"cursor": "%%"}, 400),
    ],
)
def test_given_bad_list_filters_then_400_or_422(owner, site, query, status):
    reply = call("GET", "/api/v1/content/", token=owner, query={"site_id": site["id"], **query})

    assert reply.status == status


# --- edit ---------------------------------------------------------------------------------


def test_given_draft_content_when_approved_by_patch_then_it_waits_for_a_slot(owner, site):
    item = create_content(owner, site["id"])

    reply = patch(owner, item["id"], {"status": "approved"})

    assert reply.status == 200 and reply.json["data"]["status"] == "approved"
    assert reply.json["data"]["updated_at"] >= item["updated_at"]
    stored = stored_content(item["id"])
    assert [waiting.content_id for waiting in approved_unscheduled(site["id"])] == [item["id"]]
    assert stored.status_key == f"approved#{item['created_at']}"


def test_given_a_new_slug_then_the_claims_move_and_the_old_slug_is_free_again(aws, owner, site):
    item = create_content(owner, site["id"], slug="old-slug")

    reply = patch(owner, item["id"], {"slug": "new-slug", "excerpt": "Short."})

    assert reply.status == 200
    assert (reply.json["data"]["slug"], reply.json["data"]["excerpt"]) == ("new-slug", "Short.")
    assert unique_keys(aws, "content-slug#") == {f"content-slug#{site['id']}#new-slug": item["id"]}
    assert create_content(owner, site["id"], slug="old-slug")["slug"] == "old-slug"


def test_given_a_slug_of_another_item_when_patching_then_409_and_nothing_written(aws, owner, site):
    create_content(owner, site["id"], slug="taken")
    item = create_content(owner, site["id"], slug="mine")
    before = snapshot(aws)

    reply = patch(owner, item["id"], {"slug": "taken", "title": "Renamed"})

    assert reply.status == 409
    assert snapshot(aws) == before


def test_given_optional_fields_when_patched_to_null_then_cleared_and_required_ones_refused(aws, owner, site):
    item = create_content(
        owner, site["id"], excerpt="Short.", featured_image_url="https://img.example.com/a.png"
    )

    cleared = patch(owner, item["id"], {"excerpt": None, "featured_image_url": None})
    before = snapshot(aws)
    refused = patch(owner, item["id"], {"title": None})

    assert cleared.status == 200
    assert (cleared.json["data"]["excerpt"], cleared.json["data"]["featured_image_url"]) == (None, None)
    assert refused.status == 422 and "title" in refused.json["errors"]
    assert snapshot(aws) == before


def test_given_content_being_published_then_any_edit_is_409_and_nothing_written(aws, owner, site):
    item = create_content(owner, site["id"], status="approved")
    force_site_status(item["id"], "publishing")
    before = snapshot(aws)

    reply = patch(owner, item["id"], {"title": "Too late"})

    assert reply.status == 409 and "being published" in reply.json["error"]
    assert snapshot(aws) == before


def test_given_published_content_then_its_body_may_change_but_not_its_status(aws, owner, site):
    item = create_content(owner, site["id"], status="approved")
    force_site_status(item["id"], "published", status="published", published_at="2026-01-05T10:00:00Z")

    edited = patch(owner, item["id"], {"html": "<p>Updated.</p>"})
    before = snapshot(aws)
    demoted = patch(owner, item["id"], {"status": "draft"})

    assert edited.status == 200 and edited.json["data"]["html"] == "<p>Updated.</p>"
    assert edited.json["data"]["site_status"] == "published"
    assert demoted.status == 409
    assert snapshot(aws) == before


def test_given_scheduled_content_then_status_changes_need_an_unschedule_first(aws, owner, site):
    item = create_content(owner, site["id"], status="approved")
    assert schedule(owner, item["id"], {}).status == 200
    before = snapshot(aws)

    reply = patch(owner, item["id"], {"status": "draft"})

    assert reply.status == 409 and "unschedule" in reply.json["error"]
    assert snapshot(aws) == before
    retitled = patch(owner, item["id"], {"title": "Still scheduled"})
    assert retitled.status == 200 and retitled.json["data"]["site_status"] == "scheduled"
