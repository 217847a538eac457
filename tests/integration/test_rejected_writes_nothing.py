"""A rejected request writes nothing: every write operation of the API (taken from the OpenAPI
document the code generates, so a new route is probed too), called by the owner of the data with
bodies that must be refused — not JSON, malformed, nested too deep, not UTF-8, too large, the wrong
JSON type — and by a viewer. Each answer is the expected 4xx in the error envelope; no table item,
queue or destination changes."""

from __future__ import annotations

from typing import Any

from tests.integration.test_cross_tenant import (  # noqa: F401 - `world`: the fixture (account B, published)
    PREFIX,
    B,
    World,
    _fill,
    document_routes,
    snapshot,
    world,
)
from tests.support.apigw import call
from tests.support.fixtures import token

WRITES = ("POST", "PUT", "PATCH", "DELETE")
BAD_BODIES: list[tuple[str, dict[str, Any], set[int]]] = [
    ("malformed JSON", {"raw_body": '{"title": '}, {400}),
    ("nested 40 deep", {"raw_body": "[" * 40 + "]" * 40}, {400}),
    ("not UTF-8", {"raw_body": b'{"title": "\xff\xfe"}'}, {400}),
    ("a 5,000-digit number", {"raw_body": '{"n": ' + "9" * 5000 + "}"}, {400}),
    ("text/plain", {"raw_body": "hello", "content_type": "text/plain"}, {415}),
    ("over 1 MB", {"raw_body": '{"html": "' + "x" * (1024 * 1024 + 1) + '"}'}, {413}),
]


def _envelope(reply: Any) -> bool:
    body = reply.json
    return body.get("success") is False and bool(body.get("error")) and bool(body.get("request_id"))


def test_given_every_write_operation_when_the_body_is_refused_then_a_4xx_and_nothing_changes(
    aws,
    world: World,  # noqa: F811 - the imported fixture
):
    ids = {**world.tenant_b}
    owner, viewer = token(B, "owner", sub="bob"), token(B, "viewer", sub="vic")
    operations = sorted((method, path) for method, path in document_routes() if method in WRITES)
    assert len(operations) >= 15
    problems: list[str] = []
    before = snapshot(aws)
    for method, path in operations:
        url = PREFIX + _fill(path, ids) + "/"
        probes = [(name, owner, kwargs, status) for name, kwargs, status in BAD_BODIES]
        probes.append(("a viewer", viewer, {"body": {}}, {403, 422}))  # 422 when the body is checked first
        for name, tok, kwargs, status in probes:
            reply = call(method, url, token=tok, **kwargs)
            if reply.status not in status or not _envelope(reply):
                problems.append(
                    f"{method} {path} ({name}): {reply.status} not in {status}: {reply.body[:150]}"
                )
        after = snapshot(aws)
        if after != before:
            problems.append(f"{method} {path}: a refused request wrote or queued something")
            before = after
        if world.peer.received:
            problems.append(
                f"{method} {path}: the destination received {len(world.peer.received)} request(s)"
            )
            world.peer.received.clear()

    assert problems == []
