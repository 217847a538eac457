"""API Gateway in-process for tests: the template's routes, the real authorizer function,
REST v1 proxy events, and the handler's reply."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from local.template import load_template
from tests.support.handlers import FakeLambdaContext, load_handler_module


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    function: str
    public: bool


def _routes() -> list[Route]:
    routes = []
    for logical, resource in load_template()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] != "Api":
                continue
            props = event["Properties"]
            path = props["Path"]
            regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
            public = (props.get("Auth") or {}).get("Authorizer") == "NONE"
            routes.append(Route(props["Method"].upper(), path, re.compile(f"^{regex}/?$"), logical, public))
    return routes


ROUTES = _routes()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def _envelope_error(status: int, message: str, request_id: str) -> Reply:
    body = json.dumps({"success": False, "error": message, "request_id": request_id})
    return Reply(status, {"Content-Type": "application/json"}, body)


def call(
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
) -> Reply:
    """One request through routing, the authorizer and the route's function."""
    request_id = str(uuid.uuid4())
    for route in ROUTES:
        match = route.pattern.match(path)
        if route.method == method.upper() and match:
            break
    else:
        return _envelope_error(404, "Missing Authentication Token", request_id)
    headers = {"Content-Type": "application/json"}
    authorizer_context = None
    if not route.public:
        if token is None:
            return _envelope_error(401, "Unauthorized", request_id)
        headers["Authorization"] = f"Bearer {token}"
        authorizer = load_handler_module("AuthorizerFunction").lambda_handler
        token_event = {
            "type": "TOKEN",
            "authorizationToken": headers["Authorization"],
            "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:testapi/dev/{method.upper()}{path}",
        }
        try:
            policy = authorizer(token_event, FakeLambdaContext())
        except Exception:
            return _envelope_error(401, "Unauthorized", request_id)
        if policy["policyDocument"]["Statement"][0]["Effect"] != "Allow":
            return _envelope_error(403, "User is not authorized to access this resource", request_id)
        authorizer_context = {**policy.get("context", {}), "principalId": policy["principalId"]}
    if body is not None:
        raw_body = json.dumps(body)
    event = {
        "resource": route.template,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": match.groupdict() or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.template,
            "httpMethod": method.upper(),
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": request_id,
            "accountId": "123456789012",
            "apiId": "testapi",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": authorizer_context,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }
    reply = load_handler_module(route.function).lambda_handler(event, FakeLambdaContext())
    return Reply(reply["statusCode"], reply.get("headers") or {}, reply.get("body") or "")
