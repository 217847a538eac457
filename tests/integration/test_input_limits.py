"""API.md v1.1 "Errors and input limits" through the API: every bad input is a 4xx in the
envelope and writes nothing (issue 12's root causes, one test or table each)."""

from __future__ import annotations

import json

import pytest

from tests.integration.scheduling_support import create_content
from tests.support.apigw import Reply, call
from tests.support.snapshot import writes_nothing


def assert_refused(reply: Reply, status: int, *fields: str) -> None:
    """The status, the error envelope, and the named fields among its `errors`."""
    assert reply.status == status, reply.body
    body = reply.json
    assert body["success"] is False and body["error"] and body["request_id"], body
    assert set(fields) <= set(body.get("errors", {})), body


# --- 3. bodies that are not (acceptable) JSON ---------------------------------------------------

NESTED = "[" * 100_000 + "]" * 100_000
TOO_DEEP = json.dumps({"title": "x", "site_id": "s"})[:-1] + ', "tags": ' + "[" * 33 + "]" * 33 + "}"
HUGE_INT = '{"site_id": "s", "title": "t", "excerpt": ' + "9" * 5000 + "}"


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        ('{"title": "x"}', "text/plain", 415),
        ("<content><title>x</title></content>", "application/xml", 415),
        ("--x\r\n\r\n--x--", "multipart/form-data", 415),
        ('{"title": "x"}', "application/json; charset=latin-1", 415),
        ("title=x", "application/x-www-form-urlencoded", 415),
        ('{"title": "x"', "application/json", 400),
        (b'{"title": "\xff\xfe"}', "application/json", 400),
        (NESTED, "application/json", 400),
        (TOO_DEEP, "application/json", 400),
        (HUGE_INT, "application/json", 400),
        ('{"title": NaN}', "application/json", 400),
        ('{"title": "' + "x" * 1_100_000 + '"}', "application/json", 413),
    ],
    ids=[
        "text",
        "xml",
        "multipart-no-boundary",
        "latin-1",
        "form",
        "malformed",
        "not-utf8",
        "nested-100000",
        "nested-33",
        "5000-digits",
        "nan",
        "over-1mb",
    ],
)
def test_given_a_body_that_is_not_acceptable_json_then_400_413_or_415_and_nothing_written(
    aws, owner, site, raw, content_type, status
):
    targets = [
        ("POST", "/api/v1/content/"),
        ("PATCH", f"/api/v1/sites/{site['id']}/"),
        ("POST", f"/api/v1/sites/{site['id']}/calendar-feed-token/"),  # a route that reads no body
    ]
    with writes_nothing(aws):
        replies = [
            call(method, path, token=owner, raw_body=raw, content_type=content_type)
            for method, path in targets
        ]

    for reply in replies:
        assert_refused(reply, status)


def test_given_json_nested_exactly_32_deep_then_it_reaches_validation():
    from publisher.api.resolver import MAX_JSON_DEPTH, parse_json_body

    assert MAX_JSON_DEPTH == 32
    assert parse_json_body("[" * 32 + "]" * 32) is not None


def test_given_json_with_a_charset_or_no_content_type_then_accepted(aws, owner, site):
    with_charset = call(
        "POST",
        "/api/v1/content/",
        token=owner,
        body={"site_id": site["id"], "title": "One"},
        content_type="application/json; charset=UTF-8",
    )
    without = call(
        "POST",
        "/api/v1/content/",
        token=owner,
        raw_body=json.dumps({"site_id": site["id"], "title": "Two"}),
        content_type=None,
    )

    assert (with_charset.status, without.status) == (201, 201), (with_charset.body, without.body)


# --- 1. PATCH changes only the fields it names; null for a non-nullable field is a 422 ----------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": None, "slug": None, "content_types": None}, ("name", "slug", "content_types")),
        ({"taxonomies": None, "url_structure": None}, ("taxonomies", "url_structure")),
        ({"content_types": []}, ("content_types",)),
        ({"name": "x" * 201}, ("name",)),
    ],
)
def test_given_a_site_patch_with_null_or_invalid_fields_then_422_and_nothing_written(
    aws, owner, site, body, fields
):
    with writes_nothing(aws):
        reply = call("PATCH", f"/api/v1/sites/{site['id']}/", token=owner, body=body)

    assert_refused(reply, 422, *fields)
    assert call("GET", f"/api/v1/sites/{site['id']}/", token=owner).json["data"] == site


def test_given_a_site_patch_naming_nullable_fields_then_only_those_change(aws, owner, site):
    reply = call("PATCH", f"/api/v1/sites/{site['id']}/", token=owner, body={"url": None, "sector_id": "s-1"})

    assert reply.status == 200, reply.body
    changed = reply.json["data"]
    assert (changed["url"], changed["sector_id"]) == (None, "s-1")
    assert {
        key: changed[key] for key in ("name", "slug", "content_types", "taxonomies", "url_structure")
    } == {key: site[key] for key in ("name", "slug", "content_types", "taxonomies", "url_structure")}


@pytest.mark.parametrize(
    "body",
    [
        {"title": None},
        {"html": None},
        {"slug": None},
        {"content_type": None},
        {"tags": None},
        {"status": None},
    ],
)
def test_given_a_content_patch_with_null_for_a_non_nullable_field_then_422_and_nothing_written(
    aws, owner, site, body
):
    item = create_content(owner, site["id"], title="Kept")
    with writes_nothing(aws):
        reply = call("PATCH", f"/api/v1/content/{item['id']}/", token=owner, body=body)

    assert_refused(reply, 422, *body)


# --- 2. settings that break a rule through a default -----------------------------------------


def test_given_a_daily_limit_above_the_default_weekly_one_then_422_and_nothing_written(aws, owner, site):
    with writes_nothing(aws):
        reply = call(
            "PUT",
            f"/api/v1/sites/{site['id']}/publishing-settings/",
            token=owner,
            body={"daily_publish_limit": 104},
        )

    assert_refused(reply, 422, "weekly_publish_limit", "monthly_publish_limit")


# --- 4. times outside the years 2000-2100 ------------------------------------------------------

EXTREMES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "1999-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
]


@pytest.mark.parametrize("moment", EXTREMES)
def test_given_a_schedule_time_outside_2000_2100_then_422_and_nothing_written(aws, owner, site, moment):
    item = create_content(owner, site["id"], title="When", status="approved")
    with writes_nothing(aws):
        reply = call(
            "POST",
            f"/api/v1/content/{item['id']}/schedule/",
            token=owner,
            body={"scheduled_publish_at": moment},
        )

    assert_refused(reply, 422, "scheduled_publish_at")


@pytest.mark.parametrize("moment", [*EXTREMES, "0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("bound", ["start", "end"])
def test_given_a_calendar_bound_outside_2000_2100_then_422(owner, site, moment, bound):
    query = {"site_id": site["id"], "start": "2026-01-01", "end": "2026-02-01", bound: moment}
    reply = call("GET", "/api/v1/publisher/calendar/", token=owner, query=query)

    assert_refused(reply, 422, bound)


def test_given_the_first_and_last_supported_times_then_accepted():
    from publisher.domain.content import ScheduleRequest

    first = ScheduleRequest(scheduled_publish_at="1999-12-31T23:30:00-01:00").scheduled_publish_at
    last = ScheduleRequest(scheduled_publish_at="2100-12-31T23:59:59Z").scheduled_publish_at

    assert (first.isoformat(), last.isoformat()) == ("2000-01-01T00:30:00+00:00", "2100-12-31T23:59:59+00:00")


# --- 5. every string and list is bounded ---------------------------------------------------------

LONG_URL = "https://example.com/" + "a" * 2000


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/sites/", {"name": "S", "sector_id": "x" * 65}, "sector_id"),
        (
            "POST",
            "/api/v1/sites/",
            {"name": "S", "content_types": [f"t{i}" for i in range(21)]},
            "content_types",
        ),
        ("POST", "/api/v1/sites/", {"name": "S", "taxonomies": {"tags": ["t"] * 201}}, "taxonomies.tags"),
        (
            "POST",
            "/api/v1/sites/",
            {"name": "S", "url_structure": {f"t{i}": "/" for i in range(21)}},
            "url_structure",
        ),
        ("POST", "/api/v1/sites/", {"name": "S", "url": LONG_URL}, "url"),
        ("POST", "/api/v1/content/", {"site_id": "SITE", "title": "T", "html": "x" * 262_145}, "html"),
        ("POST", "/api/v1/content/", {"site_id": "SITE", "title": "T", "html": "é" * 131_073}, "html"),
        ("POST", "/api/v1/content/", {"site_id": "SITE", "title": "x" * 301}, "title"),
        ("POST", "/api/v1/content/", {"site_id": "SITE", "title": "T", "excerpt": "x" * 1001}, "excerpt"),
        ("POST", "/api/v1/content/", {"site_id": "SITE", "title": "T", "tags": ["t"] * 51}, "tags"),
        (
            "POST",
            "/api/v1/content/",
            {"site_id": "SITE", "title": "T", "categories": ["x" * 101]},
            "categories.0",
        ),
        (
            "POST",
            "/api/v1/content/",
            {"site_id": "SITE", "title": "T", "featured_image_url": LONG_URL},
            "featured_image_url",
        ),
        ("PUT", "/api/v1/sites/SITE/integrations/webhook/", {"config": {"url": LONG_URL}}, "config.url"),
        (
            "PUT",
            "/api/v1/sites/SITE/integrations/webhook/",
            {"config": {"url": "https://h.example.com/"}, "credentials": {"signing_secret": "s" * 1025}},
            "credentials.signing_secret",
        ),
        (
            "PUT",
            "/api/v1/sites/SITE/integrations/wordpress/",
            {
                "config": {"base_url": "https://wp.example.com"},
                "credentials": {"username": "u", "application_password": "\u00e9" * 800},
            },
            "credentials",
        ),
        ("PUT", "/api/v1/sites/SITE/publishing-settings/", {"timezone": "x" * 65}, "timezone"),
        (
            "POST",
            "/api/v1/publisher/records/",
            {"content_id": "c", "destination": "s3", "metadata": {"k": "v" * 17_000}},
            "metadata",
        ),
        (
            "POST",
            "/api/v1/publisher/records/",
            {"content_id": "c", "destination": "s3", "metadata": {f"k{i}": 1 for i in range(51)}},
            "metadata",
        ),
        (
            "POST",
            "/api/v1/publisher/publish/",
            {"content_id": "c", "destinations": ["s3"] * 11},
            "destinations",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_given_a_value_past_its_maximum_then_422_naming_the_field_and_nothing_written(
    aws, owner, site, method, path, body, field
):
    body = json.loads(json.dumps(body).replace("SITE", site["id"]))
    with writes_nothing(aws):
        reply = call(method, path.replace("SITE", site["id"]), token=owner, body=body)

    assert_refused(reply, 422, field)


def test_given_the_openapi_document_then_request_fields_show_their_maximums(aws):
    schemas = call("GET", "/api/v1/openapi.json").json["components"]["schemas"]

    assert schemas["SiteCreate"]["properties"]["content_types"]["maxItems"] == 20
    assert schemas["ContentCreate"]["properties"]["html"]["maxLength"] == 262_144
    assert schemas["SettingsPut"]["properties"]["timezone"]["maxLength"] == 64


# --- 6. malformed or empty query values ----------------------------------------------------------

LISTS = [
    "/api/v1/publisher/records/",
    "/api/v1/publisher/deployments/",
    "/api/v1/content/",
    "/api/v1/publisher/calendar/",
    "/api/v1/publisher/queue/",
    "/api/v1/sites/",
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"site_id": ""}, "site_id"),
        ({"limit": "\u00b2"}, "limit"),  # superscript two: str.isdigit() is True for it
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"cursor": ""}, "cursor"),
    ],
)
def test_given_a_malformed_or_empty_query_value_then_400_naming_it(owner, site, path, query, field):
    if path.startswith("/api/v1/sites") and "site_id" in query:
        query = {"account_id": ""}
        field = "account_id"
    reply = call("GET", path, token=owner, query=query)

    assert_refused(reply, 400, field)


@pytest.mark.parametrize("path", LISTS)
def test_given_a_hand_made_cursor_then_400(owner, site, path):
    query = (
        {"cursor": "eyJhIjoxfQ"}
        if path.startswith("/api/v1/sites")
        else {"site_id": site["id"], "cursor": "eyJhIjoxfQ"}
    )
    if "calendar" in path:
        query |= {"start": "2026-01-01", "end": "2026-02-01"}
    reply = call("GET", path, token=owner, query=query)

    assert_refused(reply, 400)


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/publisher/publish/status/", {"content_id": ""}, "content_id"),
        ("/api/v1/publisher/records/", {"content_id": ""}, "content_id"),
        ("/api/v1/publisher/records/", {"status": "lost"}, "status"),
        ("/api/v1/content/", {"site_status": "done"}, "site_status"),
        ("/api/v1/publisher/site-definition/", {"site": ""}, "site"),
        ("/api/v1/publisher/calendar/", {"site_id": "x" * 65}, "site_id"),
    ],
)
def test_given_other_malformed_query_values_then_400_naming_them(owner, path, query, field):
    assert_refused(call("GET", path, token=owner, query=query), 400, field)


def test_given_the_openapi_document_then_query_parameters_are_typed(aws):
    operation = call("GET", "/api/v1/openapi.json").json["paths"]["/publisher/records"]["get"]
    schemas = {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}

    limit = next(option for option in schemas["limit"]["anyOf"] if option.get("type") == "integer")
    assert (limit["minimum"], limit["maximum"]) == (1, 200)
    site_id = next(option for option in schemas["site_id"]["anyOf"] if option.get("type") == "string")
    assert (site_id["minLength"], site_id["maxLength"]) == (1, 64)


# --- 7. HH:MM with ASCII digits only -------------------------------------------------------------


@pytest.mark.parametrize("value", ["0\u0661:00", "\uff10\uff19:00", "09:0\u0660"])
def test_given_a_time_slot_with_non_ascii_digits_then_422_and_nothing_written(aws, owner, site, value):
    body = {"publish_time_slots": [{"start": value, "end": "17:00"}]}
    with writes_nothing(aws):
        reply = call("PUT", f"/api/v1/sites/{site['id']}/publishing-settings/", token=owner, body=body)

    assert_refused(reply, 422, "publish_time_slots.0.start")


# --- 9. concurrent creates of one title without a slug -------------------------------------------


def test_given_concurrent_creates_of_one_title_without_a_slug_then_every_one_gets_a_free_slug(aws, site):
    """Concurrency at the service (in Lambda, concurrent requests are separate processes)."""
    from concurrent.futures import ThreadPoolExecutor

    from publisher.domain.content import ContentCreate
    from publisher.identity import Caller
    from publisher.services import content

    caller = Caller("u", "acct-1", "owner")

    def create(_: int) -> str:
        return content.create_content(caller, ContentCreate(site_id=site["id"], title="Same Title"))["slug"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        slugs = list(pool.map(create, range(18)))

    assert len(set(slugs)) == 18 and all(slug.startswith("same-title") for slug in slugs)


def test_given_a_chosen_slug_that_is_taken_then_409_and_nothing_written(aws, owner, site):
    create_content(owner, site["id"], title="First", slug="taken")
    with writes_nothing(aws):
        reply = call(
            "POST",
            "/api/v1/content/",
            token=owner,
            body={"site_id": site["id"], "title": "B", "slug": "taken"},
        )

    assert_refused(reply, 409)
