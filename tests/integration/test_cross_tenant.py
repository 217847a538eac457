"""Tenancy, route by route: account A calls every route of the API with account B's ids.

Routes come from the gateway (template.yaml) and from the OpenAPI document the code generates,
so a new route without a case here fails `test_every_route_has_a_case`. For each case: the
answer is 404 (never 403, never 200 with B's data), no table item changed, nothing was queued,
and B's destination (a loopback webhook) received nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.template import load_template
from tests.integration.publishing_support import drain
from tests.support.apigw import call, routes
from tests.support.fixtures import stored, token
from tests.support.loopback import LoopbackServer, Reply, loopback_server
from tests.support.work_queue import drain_work

PREFIX = "/api/v1"
A, B = "acct-a", "acct-b"
SECRET = "0123456789abcdef0123"


@dataclass(frozen=True)
class Case:
    """What A sends (placeholders `{site_id}` … are B's ids) and what must come back."""

    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    status: int = 404
    check: Callable[[Any], bool] | None = None  # for a 200: the reply holds none of B's data
    echoes_ids: bool = False  # the reply repeats the ids A sent (and nothing else of B's)


def _no_items(reply: Any) -> bool:
    return reply["data"] == []


def _all_404(reply: Any) -> bool:
    """Every item refused as not found, and no item carries data of B's."""
    return all(
        not item["ok"] and item["status"] == 404 and item.get("data") is None
        for item in reply["data"]["results"]
    )


SITE_BODY = {"name": "Taken", "account_id": B}
HOOK_BODY = {
    "config": {"url": "{peer}/elsewhere", "allow_insecure_http": True},
    "credentials": {"signing_secret": SECRET},
}
CASES: dict[tuple[str, str], Case] = {
    # sites: a site is created in the caller's own account; B's account lists nothing to A
    ("POST", "/sites"): Case(body=SITE_BODY, status=422),
    ("GET", "/sites"): Case(query={"account_id": B}, status=200, check=_no_items),
    ("GET", "/sites/{site_id}"): Case(),
    ("PATCH", "/sites/{site_id}"): Case(body={"name": "Defaced"}),
    ("DELETE", "/sites/{site_id}"): Case(),
    ("POST", "/sites/{site_id}/pause"): Case(),
    ("POST", "/sites/{site_id}/resume"): Case(),
    ("GET", "/sites/{site_id}/integrations"): Case(),
    ("PUT", "/sites/{site_id}/integrations/{destination}"): Case(body=HOOK_BODY),
    ("DELETE", "/sites/{site_id}/integrations/{destination}"): Case(),
    ("POST", "/sites/{site_id}/integrations/{destination}/test"): Case(),
    ("GET", "/sites/{site_id}/publishing-settings"): Case(),
    ("PUT", "/sites/{site_id}/publishing-settings"): Case(body={"auto_publish_enabled": True}),
    ("GET", "/sites/{site_id}/publishing-settings/preview"): Case(query={"count": "3"}),
    ("POST", "/sites/{site_id}/calendar-feed-token"): Case(),
    ("GET", "/sites/{site_id}/notifications"): Case(),
    ("PUT", "/sites/{site_id}/notifications"): Case(body={"events": ["publication.failed"]}),
    ("DELETE", "/sites/{site_id}/notifications"): Case(),
    # content
    ("POST", "/content"): Case(body={"site_id": "{site_id}", "title": "Planted", "html": "<p>x</p>"}),
    ("GET", "/content"): Case(query={"site_id": "{site_id}"}),
    ("GET", "/content/{content_id}"): Case(),
    ("PATCH", "/content/{content_id}"): Case(body={"title": "Defaced"}),
    ("DELETE", "/content/{content_id}"): Case(),
    ("POST", "/content/{content_id}/schedule"): Case(body={}),
    ("POST", "/content/{content_id}/unschedule"): Case(),
    ("GET", "/content/{content_id}/history"): Case(),
    ("GET", "/content/{content_id}/preview"): Case(query={"destination": "webhook"}),
    ("POST", "/content/bulk"): Case(
        body={"action": "publish", "ids": ["{content_id}"]}, status=200, check=_all_404, echoes_ids=True
    ),
    # publishing
    ("POST", "/publisher/publish"): Case(body={"content_id": "{content_id}"}),
    ("GET", "/publisher/publish/status"): Case(query={"content_id": "{content_id}"}),
    ("GET", "/publisher/calendar"): Case(
        query={"site_id": "{site_id}", "start": "2026-12-01", "end": "2026-12-31"}
    ),
    ("GET", "/publisher/queue"): Case(query={"site_id": "{site_id}"}),
    ("GET", "/publisher/calendar.ics"): Case(query={"site_id": "{site_id}", "token": "a-guess"}),
    ("GET", "/publisher/deployments"): Case(query={"site_id": "{site_id}"}),
    ("POST", "/publisher/deployments"): Case(body={"site_id": "{site_id}", "deployment_type": "full"}),
    ("GET", "/publisher/deployments/{deployment_id}"): Case(),
    ("PATCH", "/publisher/deployments/{deployment_id}"): Case(body={"metadata": {"x": "y"}}),
    ("DELETE", "/publisher/deployments/{deployment_id}"): Case(),
    ("POST", "/publisher/deployments/{deployment_id}/rollback"): Case(),
}
for _records in ("/publisher/records", "/publisher/publishing-records"):
    CASES |= {
        ("GET", _records): Case(query={"site_id": "{site_id}"}),
        ("POST", _records): Case(
            body={
                "content_id": "{content_id}",
                "destination": "webhook",
                "status": "published",
                "external_id": "planted",
            }
        ),
        ("GET", f"{_records}/{{record_id}}"): Case(),
        ("PATCH", f"{_records}/{{record_id}}"): Case(body={"metadata": {"x": "y"}}),
        ("DELETE", f"{_records}/{{record_id}}"): Case(),
        ("POST", f"{_records}/{{record_id}}/retract"): Case(),
        ("GET", f"{_records}/{{record_id}}/attempts"): Case(),
    }

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/publisher/site-definition"),  # public by design: a site's structure, by slug
}


def _normal(path: str) -> str:
    path = path.removeprefix(PREFIX).rstrip("/") or "/"
    return re.sub(r"<(\w+)>", r"{\1}", path)


def gateway_routes() -> set[tuple[str, str]]:
    return {(method, _normal(path)) for method, path in routes() if path.startswith(PREFIX)}


def document_routes() -> set[tuple[str, str]]:
    """The operations of the OpenAPI document the API serves (generated from the routers)."""
    reply = call("GET", f"{PREFIX}/openapi.json")
    assert reply.status == 200, reply.body
    return {
        (method.upper(), _normal(path))
        for path, operations in reply.json["paths"].items()
        for method in operations
        if method in ("get", "put", "post", "delete", "patch")
    }


def test_every_route_has_a_case(aws):
    found = gateway_routes() | document_routes()

    assert {("GET", "/sites/{site_id}"), ("POST", "/publisher/records/{record_id}/retract")} <= found
    missing = sorted(found - set(CASES) - PUBLIC)
    assert missing == [], f"add a cross-tenant case for {missing}"


@dataclass
class World:
    tenant_b: dict[str, str]
    peer: LoopbackServer


@pytest.fixture
def world(aws) -> Iterator[World]:
    """Account B with a site, a webhook integration, content published there, a deployment."""
    owner_b = token(B, "owner", sub="bob")
    with loopback_server() as peer:
        peer.route("POST", "/hook", Reply(200, {"Content-Type": "application/json"}, b'{"id": "remote-1"}'))
        site = call("POST", "/api/v1/sites/", token=owner_b, body={"name": "Bob's"}).json["data"]
        hook = {"config": {"url": f"{peer.url}/hook", "allow_insecure_http": True}}
        integration = call(
            "PUT",
            f"/api/v1/sites/{site['id']}/integrations/webhook/",
            token=owner_b,
            body={**hook, "credentials": {"signing_secret": SECRET}},
        )
        assert integration.status == 200, integration.body
        content = call(
            "POST",
            "/api/v1/content/",
            token=owner_b,
            body={"site_id": site["id"], "title": "Bob's post", "html": "<p>hi</p>"},
        ).json["data"]
        approved = call(
            "PATCH", f"/api/v1/content/{content['id']}/", token=owner_b, body={"status": "approved"}
        )
        assert approved.status == 200, approved.body
        published = call(
            "POST", "/api/v1/publisher/publish/", token=owner_b, body={"content_id": content["id"]}
        )
        assert published.status == 202, published.body
        drain(aws)
        deployment = call(
            "POST",
            "/api/v1/publisher/deployments/",
            token=owner_b,
            body={"site_id": site["id"], "deployment_type": "full"},
        )
        assert deployment.status == 202, deployment.body
        drain_work(aws)  # the deployment's plan
        drain(aws)
        record = published.json["data"]["records"][0]
        assert peer.received, "B's destination was reached during the setup"
        peer.received.clear()
        yield World(
            tenant_b={
                "site_id": site["id"],
                "content_id": content["id"],
                "record_id": record["id"],
                "deployment_id": deployment.json["data"]["id"],
                "destination": "webhook",
                "peer": peer.url,
            },
            peer=peer,
        )


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


TABLES = [
    name
    for name, resource in load_template()["Resources"].items()
    if resource.get("Type") == "AWS::DynamoDB::Table"
]


def snapshot(aws) -> dict[str, Any]:
    sqs = aws.client("sqs")
    queued = {
        name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        for name, url in aws.queue_urls.items()
    }
    return {
        "tables": {table: sorted(map(str, stored(aws, table))) for table in TABLES},
        "queued": {name: reply["Attributes"] for name, reply in queued.items()},
    }


def test_given_account_bs_ids_then_account_a_reads_writes_and_reaches_nothing(aws, world):
    """One world for every case (its setup publishes through the real worker); every problem of
    every case is reported at once."""
    ids = world.tenant_b
    present = gateway_routes()
    problems: list[str] = []
    checked = 0
    before = snapshot(aws)
    for (method, path), case in sorted(CASES.items()):
        if (method, path) not in present:
            continue  # a route of a later version; test_every_route_has_a_case keeps this honest
        for role in ("owner", "admin"):
            reply = call(
                method,
                PREFIX + _fill(path, ids) + "/",
                token=token(A, role, sub="alice"),
                body=_fill(case.body, ids),
                query=_fill(case.query, ids),
            )
            checked += 1
            where = f"{role} {method} {path}"
            if reply.status != case.status:
                problems.append(f"{where}: {reply.status} instead of {case.status}: {reply.body[:200]}")
            elif case.check is not None and not case.check(reply.json):
                problems.append(f"{where}: the reply shows B's data: {reply.body[:200]}")
            named = [ids[key] for key in ("site_id", "content_id", "record_id", "deployment_id")]
            if not case.echoes_ids and any(value in reply.body for value in named):
                problems.append(f"{where}: the reply names one of B's ids")
            after = snapshot(aws)
            if after != before:
                problems.append(f"{where}: something was written or queued")
                before = after
            if world.peer.received:
                problems.append(f"{where}: B's destination received {len(world.peer.received)} request(s)")
                world.peer.received.clear()

    assert problems == []
    assert checked >= 60  # both roles on each of today's 30+ routes
