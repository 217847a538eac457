"""Public routes need no token; everything else does."""

from __future__ import annotations

from tests.support.apigw import call
from tests.support.fixtures import token


def test_health_answers_without_a_token(aws):
    reply = call("GET", "/api/v1/health/")

    assert reply.status == 200 and reply.json["data"] == {"status": "ok"}


def test_site_definition_by_slug_shows_structure_but_no_tenant_ids(aws):
    owner = token("acct-1")
    call(
        "POST",
        "/api/v1/sites/",
        token=owner,
        body={
            "name": "Recipes",
            "slug": "recipes",
            "url": "https://recipes.example",
            "taxonomies": {"categories": ["Soup"], "tags": ["quick"]},
        },
    )

    reply = call("GET", "/api/v1/publisher/site-definition/", query={"site": "recipes"})

    assert reply.status == 200
    definition = reply.json["data"]
    assert definition["taxonomies"] == {"categories": ["Soup"], "tags": ["quick"]}
    assert definition["url_structure"] == {"post": "/{slug}/", "page": "/{slug}/"}
    assert "account_id" not in definition and "id" not in definition


def test_site_definition_for_an_unknown_or_missing_slug(aws):
    assert call("GET", "/api/v1/publisher/site-definition/", query={"site": "nope"}).status == 404
    missing = call("GET", "/api/v1/publisher/site-definition/")
    assert missing.status == 422 and "site" in missing.json["errors"]


def test_openapi_document_is_generated_from_the_routes(aws):
    reply = call("GET", "/api/v1/openapi.json")

    assert reply.status == 200
    document = reply.json
    assert document["servers"] == [{"url": "/api/v1"}]
    assert {"/sites", "/sites/{site_id}", "/sites/{site_id}/integrations/{destination}", "/health"} <= set(
        document["paths"]
    )
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "SiteCreate" in document["components"]["schemas"]


def test_swagger_ui_is_served(aws):
    reply = call("GET", "/api/v1/docs")

    assert reply.status == 200 and "swagger" in reply.body.lower()


def test_every_template_route_is_a_route_of_its_function_or_an_honest_501(aws):
    """No template route may fall through to "no such route" in its function."""
    from tests.support.apigw import routes

    owner = token("acct-1")
    for method, template in routes():
        path = template.replace("{proxy+}", "index.html")
        for name in ("site_id", "destination", "content_id", "record_id", "deployment_id"):
            path = path.replace("{" + name + "}", "s3" if name == "destination" else "x")
        body = {} if method in {"POST", "PUT", "PATCH"} else None
        reply = call(method, path, token=owner, body=body)
        assert not (reply.status == 404 and "no such route" in reply.body), f"{method} {template}"
