"""Sites API through API Gateway events, the real authorizer and the real handler, on moto."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.apigw import call
from tests.support.fixtures import stored, token

SITE = {"name": "Daily Gardening", "url": "https://garden.example.com"}


def create_site(tok: str, **fields) -> dict:
    reply = call("POST", "/api/v1/sites/", token=tok, body={**SITE, **fields})
    assert reply.status == 201, reply.body
    return reply.json["data"]


def test_given_an_owner_when_creating_a_site_then_201_with_envelope_and_generated_slug(owner):
    reply = call("POST", "/api/v1/sites/", token=owner, body=SITE)

    assert reply.status == 201
    body = reply.json
    assert body["success"] is True and body["request_id"]
    site = body["data"]
    assert site["slug"] == "daily-gardening"
    assert site["account_id"] == "acct-1"
    assert site["content_types"] == ["post", "page"]
    assert site["created_at"].endswith("Z")


def test_given_a_site_when_read_with_or_without_trailing_slash_then_the_same(owner):
    site = create_site(owner)

    with_slash = call("GET", f"/api/v1/sites/{site['id']}/", token=owner)
    without = call("GET", f"/api/v1/sites/{site['id']}", token=owner)

    assert with_slash.status == without.status == 200
    assert with_slash.json["data"] == without.json["data"] == site


def test_given_a_taken_slug_when_creating_another_site_then_409_and_nothing_written(aws, owner):
    create_site(owner, slug="garden")
    before = stored(aws, "SitesTable"), stored(aws, "UniqueKeysTable")

    reply = call("POST", "/api/v1/sites/", token=token("acct-2"), body={**SITE, "slug": "garden"})

    assert reply.status == 409
    assert reply.json["success"] is False and "slug" in reply.json["error"]
    assert (stored(aws, "SitesTable"), stored(aws, "UniqueKeysTable")) == before


def test_given_concurrent_creates_with_one_slug_then_exactly_one_wins(aws):
    """Concurrency at the data layer (in Lambda, concurrent requests are separate processes)."""
    from concurrent.futures import ThreadPoolExecutor

    from publisher.domain.sites import SiteCreate
    from publisher.errors import Conflict
    from publisher.identity import Caller
    from publisher.services import sites

    caller = Caller("u", "acct-1", "owner")

    def create(i: int) -> str:
        try:
            sites.create_site(caller, SiteCreate(name=f"S{i}", slug="same"))
        except Conflict:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(create, range(6)))

    assert outcomes == ["conflict"] * 5 + ["created"]
    assert len(stored(aws, "SitesTable")) == 1


def test_given_malformed_json_then_400_and_nothing_written(aws, owner):
    reply = call("POST", "/api/v1/sites/", token=owner, raw_body='{"name": "x",')

    assert reply.status == 400
    assert reply.json == {
        "success": False,
        "error": "the request body is not valid JSON",
        "request_id": reply.json["request_id"],
    }
    assert stored(aws, "SitesTable") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "ok", "slug": "Not A Slug"}, "slug"),
        ({"name": "ok", "url": "not-a-url"}, "url"),
        ({"name": "ok", "content_types": []}, "content_types"),
        ({"name": "ok", "content_types": ["post", "post"]}, "content_types"),
        ({"name": "ok", "unknown": 1}, "unknown"),
        ({"name": "ok", "taxonomies": {"categories": "x"}}, "taxonomies.categories"),
    ],
)
def test_given_invalid_fields_then_422_with_field_errors_and_nothing_written(aws, owner, body, field):
    reply = call("POST", "/api/v1/sites/", token=owner, body=body)

    assert reply.status == 422
    assert field in reply.json["errors"], reply.json
    assert all(isinstance(reason, str) for reason in reply.json["errors"][field])
    assert stored(aws, "SitesTable") == [] and stored(aws, "UniqueKeysTable") == []


def test_given_another_accounts_site_then_404_not_403(owner):
    site = create_site(owner)
    stranger = token("acct-2", "owner")

    assert call("GET", f"/api/v1/sites/{site['id']}/", token=stranger).status == 404
    assert call("PATCH", f"/api/v1/sites/{site['id']}/", token=stranger, body={"name": "x"}).status == 404


@pytest.mark.parametrize(
    "bad_token",
    [
        None,
        "not-a-jwt",
        token("acct-1", "owner", ttl=timedelta(seconds=-5)),
        token("acct-1", "owner", secret="someone-elses-secret-of-at-least-32-bytes"),
    ],
    ids=["missing", "garbage", "expired", "forged"],
)
def test_given_no_or_bad_token_then_401_in_the_envelope(aws, bad_token):
    reply = call("GET", "/api/v1/sites/", token=bad_token)

    assert reply.status == 401
    assert reply.json["success"] is False


def test_given_a_viewer_when_writing_then_403_and_nothing_written(aws, owner):
    site = create_site(owner)
    viewer = token("acct-1", "viewer")

    created = call("POST", "/api/v1/sites/", token=viewer, body={"name": "Other"})
    patched = call("PATCH", f"/api/v1/sites/{site['id']}/", token=viewer, body={"name": "Renamed"})

    assert created.status == patched.status == 403
    assert len(stored(aws, "SitesTable")) == 1
    assert call("GET", f"/api/v1/sites/{site['id']}/", token=viewer).json["data"]["name"] == SITE["name"]


def test_given_a_system_token_then_it_acts_across_accounts_and_data_keeps_its_tenant(owner):
    system = token("platform", "system")

    created = call("POST", "/api/v1/sites/", token=system, body={**SITE, "account_id": "acct-9"})
    site = created.json["data"]
    other = create_site(owner, slug="owners-site")

    assert created.status == 201 and site["account_id"] == "acct-9"
    assert call("GET", f"/api/v1/sites/{other['id']}/", token=system).json["data"]["account_id"] == "acct-1"
    listed = call("GET", "/api/v1/sites/", token=system, query={"account_id": "acct-9"}).json["data"]
    assert [item["id"] for item in listed] == [site["id"]]


def test_given_a_system_token_without_account_then_422(aws):
    reply = call("POST", "/api/v1/sites/", token=token("platform", "system"), body=SITE)

    assert reply.status == 422 and "account_id" in reply.json["errors"]
    assert stored(aws, "SitesTable") == []


def test_given_many_sites_when_listing_then_cursor_pages_cover_all_once(owner):
    ids = [create_site(owner, name=f"Site {i}", slug=f"site-{i}")["id"] for i in range(5)]
    create_site(token("acct-2"), slug="not-mine")

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = call("GET", "/api/v1/sites/", token=owner, query=query).json
        seen += [site["id"] for site in body["data"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            break

    assert sorted(seen) == sorted(ids) and len(seen) == 5
    assert pages == 3


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"cursor": "%%%"}])
def test_given_a_malformed_page_query_then_400(owner, query):
    assert call("GET", "/api/v1/sites/", token=owner, query=query).status == 400


def test_given_a_patch_then_only_given_fields_change_and_slug_moves_atomically(aws, owner):
    site = create_site(owner, slug="old-slug")

    reply = call("PATCH", f"/api/v1/sites/{site['id']}/", token=owner, body={"slug": "new-slug"})

    assert reply.status == 200
    assert reply.json["data"]["slug"] == "new-slug" and reply.json["data"]["name"] == SITE["name"]
    keys = sorted(item["key"]["S"] for item in stored(aws, "UniqueKeysTable"))
    assert keys == ["site-slug#new-slug"]
    assert call("POST", "/api/v1/sites/", token=owner, body={**SITE, "slug": "old-slug"}).status == 201


def test_given_a_patch_to_a_taken_slug_then_409_and_nothing_changes(aws, owner):
    create_site(owner, slug="taken")
    site = create_site(owner, slug="mine")
    before = stored(aws, "SitesTable"), stored(aws, "UniqueKeysTable")

    reply = call("PATCH", f"/api/v1/sites/{site['id']}/", token=owner, body={"slug": "taken", "name": "N"})

    assert reply.status == 409
    assert (stored(aws, "SitesTable"), stored(aws, "UniqueKeysTable")) == before


def test_given_an_invalid_patch_then_422_and_nothing_changes(aws, owner):
    site = create_site(owner)
    before = stored(aws, "SitesTable")

    reply = call("PATCH", f"/api/v1/sites/{site['id']}/", token=owner, body={"url": "ftp:/x"})

    assert reply.status == 422 and "url" in reply.json["errors"]
    assert stored(aws, "SitesTable") == before


def test_given_an_unknown_route_then_404_envelope(owner):
    reply = call("GET", "/api/v1/nothing-here/", token=owner)

    assert reply.status == 404 and reply.json["success"] is False
