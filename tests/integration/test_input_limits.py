"""API.md v1.1 "Errors and input limits" through the API: every bad input is a 4xx in the
envelope and writes nothing (issue 12's root causes, one test or table each)."""

from __future__ import annotations

import json

import pytest

from tests.integration.scheduling_support import create_content, create_site
from tests.support.apigw import Reply, call
from tests.support.fixtures import token
from tests.support.snapshot import writes_nothing


@pytest.fixture
def owner(aws):
    return token("acct-1", "owner")


@pytest.fixture
def site(owner):
    return create_site(owner)


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
        replies = [call(method, path, token=owner, raw_body=raw, content_type=content_type) for method, path in targets]

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
        "POST", "/api/v1/content/", token=owner, raw_body=json.dumps({"site_id": site["id"], "title": "Two"}), content_type=None
    )

    assert (with_charset.status, without.status) == (201, 201), (with_charset.body, without.body)
