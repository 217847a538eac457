"""API Gateway in-process for tests: the local runner's gateway (template routes, the real
authorizer function, REST v1 proxy events) without its HTTP server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from local.api import Gateway, load_rest_api
from local.aws import Stack, local_parameters
from local.events import HttpRequest
from local.functions import Functions
from local.template import Resolver, load_template


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@cache
def gateway() -> Gateway:
    """One gateway per test session; handlers read the environment the `aws` fixture sets."""
    template = load_template()
    resolver = Resolver(local_parameters(template), conditions=template.get("Conditions", {}))
    stack = Stack(template=template, endpoint_url="", resolver=resolver)
    return Gateway(load_rest_api(template, resolver), Functions(stack))


def call(
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    raw_body: str | bytes | None = None,
    query: dict[str, str] | None = None,
    content_type: str | None = "application/json",
) -> Reply:
    """One request through routing, the authorizer and the route's function."""
    headers = [("Content-Type", content_type)] if content_type is not None else []
    if token is not None:
        headers.append(("Authorization", f"Bearer {token}"))
    if body is not None:
        raw_body = json.dumps(body)
    request = HttpRequest(
        method=method.upper(),
        path=path,
        query=urlencode(query or {}),
        headers=tuple(headers),
        body=raw_body if isinstance(raw_body, bytes) else (raw_body or "").encode(),
    )
    reply = gateway().handle(request)
    return Reply(reply.status, dict(reply.headers), reply.body.decode())


def routes() -> list[tuple[str, str]]:
    """(method, path template) of every route of the template."""
    return [(route.method, route.resource) for route in gateway().api.routes]
