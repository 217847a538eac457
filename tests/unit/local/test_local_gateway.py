"""The local API Gateway's own logic: routes and authorizer read from template.yaml, route
precedence, IAM policy evaluation, the per-token cache, gateway responses, proxy replies,
compression."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest

from local.api import (
    Gateway,
    GatewayError,
    PolicyCache,
    RestApi,
    Route,
    TokenAuthorizer,
    _proxy_reply,
    accepts_gzip,
    evaluate_policy,
    load_rest_api,
)
from local.events import HttpRequest, method_arn
from local.functions import Functions
from local.template import Resolver, load_template, parameter_defaults


@pytest.fixture(scope="module")
def template_api() -> RestApi:
    template = load_template()
    return load_rest_api(template, Resolver(parameter_defaults(template)))


def test_every_api_event_of_the_template_is_a_route(template_api: RestApi) -> None:
    template = load_template()
    declared = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"], name)
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "Api"
    }

    assert {(route.method, route.resource, route.function) for route in template_api.routes} == declared


def test_public_routes_skip_the_authorizer_and_the_rest_use_the_default(template_api: RestApi) -> None:
    health, _ = template_api.route_for("GET", "/api/v1/health")
    sites, params = template_api.route_for("GET", "/api/v1/sites/s-1")

    assert health.authorizer is None
    assert sites.authorizer == "JwtAuthorizer"
    assert params == {"site_id": "s-1"}
    assert template_api.authorizers["JwtAuthorizer"] == TokenAuthorizer(
        name="JwtAuthorizer",
        function="AuthorizerFunction",
        header="Authorization",
        ttl_seconds=300,
        validation=None,
    )


def test_cors_and_gateway_responses_come_from_the_template(template_api: RestApi) -> None:
    assert template_api.cors == {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "Authorization,Content-Type",
        "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
        "Access-Control-Max-Age": "600",
    }
    assert set(template_api.gateway_responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    assert template_api.gateway_responses["DEFAULT_4XX"].headers == {"Access-Control-Allow-Origin": "*"}


def test_literal_segments_win_over_parameters_and_parameters_over_greedy_paths() -> None:
    api = RestApi(
        stage="dev",
        routes=[
            Route("Any", "ANY", "/files/{proxy+}", None),
            Route("ById", "GET", "/items/{item_id}", None),
            Route("Special", "GET", "/items/special", None),
            Route("Nested", "GET", "/files/{folder}/index", None),
        ],
    )

    assert api.route_for("GET", "/items/special")[0].function == "Special"
    assert api.route_for("GET", "/items/42") == (api.routes[1], {"item_id": "42"})
    assert api.route_for("GET", "/files/docs/index")[0].function == "Nested"
    assert api.route_for("DELETE", "/files/a/b/c") == (api.routes[0], {"proxy": "a/b/c"})
    assert api.route_for("GET", "/files") is None
    assert api.route_for("POST", "/items/42") is None
    assert api.route_for("GET", "/items/42/more") is None


ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": ["arn:aws:execute-api:us-east-1:123456789012:localapi00/dev/*/*"],
        },
    ],
}


def test_policy_evaluation_follows_iam() -> None:
    arn = method_arn("dev", "GET", "/api/v1/sites")
    deny_sites = {
        "Statement": [
            *ALLOW_ALL["Statement"],
            {
                "Action": ["execute-api:*"],
                "Effect": "Deny",
                "Resource": "arn:aws:execute-api:*:*:*/dev/GET/api/v1/sites",
            },
        ]
    }
    only_post = {
        "Statement": [
            {
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": "arn:aws:execute-api:*:*:*/dev/POST/*",
            }
        ]
    }

    assert evaluate_policy(ALLOW_ALL, arn) == "Allow"
    assert evaluate_policy(deny_sites, arn) == "Deny"
    assert evaluate_policy(only_post, arn) is None
    assert evaluate_policy({"Statement": []}, arn) is None


def test_the_policy_cache_keeps_a_result_for_reauthorize_every_seconds() -> None:
    now = [1000.0]
    cache = PolicyCache(clock=lambda: now[0])
    cache.put("Jwt", "Bearer a", {"principalId": "p"}, ttl_seconds=300)
    cache.put("Jwt", "Bearer b", {"principalId": "q"}, ttl_seconds=0)

    within = cache.get("Jwt", "Bearer a")
    now[0] += 300
    expired = cache.get("Jwt", "Bearer a")

    assert within == {"principalId": "p"}
    assert expired is None
    assert cache.get("Jwt", "Bearer b") is None
    assert cache.get("Other", "Bearer a") is None


def test_the_policy_cache_never_keeps_a_result_past_the_exp_in_its_context() -> None:
    now = [1000.0]
    cache = PolicyCache(clock=lambda: now[0])
    cache.put("Jwt", "Bearer soon", {"principalId": "p", "context": {"exp": "1060"}}, ttl_seconds=300)
    cache.put("Jwt", "Bearer gone", {"principalId": "p", "context": {"exp": 999}}, ttl_seconds=300)
    cache.put("Jwt", "Bearer odd", {"principalId": "p", "context": {"exp": "soon"}}, ttl_seconds=300)

    before_exp = cache.get("Jwt", "Bearer soon")
    now[0] = 1060.0
    at_exp = cache.get("Jwt", "Bearer soon")

    assert before_exp is not None
    assert at_exp is None
    assert cache.get("Jwt", "Bearer gone") is None
    assert cache.get("Jwt", "Bearer odd") is None


def test_a_proxy_reply_merges_headers_and_decodes_base64() -> None:
    reply = _proxy_reply(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "Set-Cookie": "ignored"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": "AAEC",
            "isBase64Encoded": True,
        }
    )

    assert reply.status == 201
    assert reply.headers == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "image/png")]
    assert reply.body == b"\x00\x01\x02"


@pytest.mark.parametrize("result", [None, {"body": "x"}, {"statusCode": "200"}, "text"])
def test_a_malformed_proxy_reply_is_refused(result: Any) -> None:
    with pytest.raises(ValueError, match="statusCode"):
        _proxy_reply(result)


class ScriptedFunctions(Functions):
    """Functions whose handlers are test scripts: (logical id → script), recording each event."""

    def __init__(self, scripts: dict[str, Callable[[Any], Any]]) -> None:
        self.scripts = scripts
        self.events: list[tuple[str, Any]] = []

    def invoke(self, logical_id: str, event: Any, trigger: str, outcome: Callable[[Any], str] = str) -> Any:
        self.events.append((logical_id, event))
        return self.scripts[logical_id](event)


def policy(effect: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {**ALLOW_ALL["Statement"][0], "Effect": effect}
    return {"principalId": "user-1", "policyDocument": {"Statement": [statement]}, "context": context or {}}


def gateway(authorizer: Callable[[Any], Any], route: Callable[[Any], Any] | None = None) -> Gateway:
    api = RestApi(
        stage="dev",
        routes=[Route("Route", "GET", "/things/{thing_id}", "Jwt")],
        authorizers={"Jwt": TokenAuthorizer("Jwt", "Authorizer", "Authorization", 300, None)},
        gateway_responses=load_rest_api(
            load_template(), Resolver(parameter_defaults(load_template()))
        ).gateway_responses,
    )
    ok = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}
    return Gateway(api, ScriptedFunctions({"Authorizer": authorizer, "Route": route or (lambda _e: ok)}))


def get(gw: Gateway, path: str = "/things/t-1", authorization: str | None = "Bearer t") -> tuple[int, dict]:
    headers = [("Authorization", authorization)] if authorization else []
    reply = gw.handle(HttpRequest("GET", path, headers=headers))
    return reply.status, json.loads(reply.body) if reply.body else {}


def test_an_allow_policy_hands_its_context_as_strings_to_the_route() -> None:
    gw = gateway(lambda _e: policy("Allow", {"account_id": "acct-1", "admin": True, "level": 3}))

    status, _ = get(gw)

    route_event = gw.functions.events[-1][1]
    assert status == 200
    assert route_event["requestContext"]["authorizer"] == {
        "principalId": "user-1",
        "account_id": "acct-1",
        "admin": "true",
        "level": "3",
    }
    assert route_event["pathParameters"] == {"thing_id": "t-1"}


def test_a_deny_policy_is_a_403_in_the_envelope() -> None:
    status, body = get(gateway(lambda _e: policy("Deny")))

    assert status == 403
    assert body["success"] is False
    assert "explicit deny" in body["error"]


def test_a_missing_header_is_401_without_running_the_authorizer() -> None:
    gw = gateway(lambda _e: policy("Allow"))

    status, body = get(gw, authorization=None)

    assert (status, body["error"]) == (401, "Unauthorized")
    assert gw.functions.events == []


def test_an_authorizer_that_fails_otherwise_than_unauthorized_is_a_500() -> None:
    def broken(_event: Any) -> Any:
        raise RuntimeError("boom")

    status, body = get(gateway(broken))

    assert status == 500
    assert body["error"] == "an internal error occurred"  # the template's Gateway5xxEnvelope


def test_a_route_that_raises_is_a_502_in_the_envelope() -> None:
    def crash(_event: Any) -> Any:
        raise RuntimeError("handler crashed")

    status, body = get(gateway(lambda _e: policy("Allow"), crash))

    assert status == 502
    assert body["success"] is False


def test_a_cached_policy_is_evaluated_against_each_new_request() -> None:
    gw = gateway(lambda _e: policy("Allow"))

    first, _ = get(gw, "/things/a")
    second, _ = get(gw, "/things/b")

    authorizer_runs = [event for name, event in gw.functions.events if name == "Authorizer"]
    assert (first, second) == (200, 200)
    assert len(authorizer_runs) == 1
    assert authorizer_runs[0] == {
        "type": "TOKEN",
        "authorizationToken": "Bearer t",
        "methodArn": method_arn("dev", "GET", "/things/a"),
    }


def test_a_gateway_error_without_a_configured_response_uses_api_gateways_default() -> None:
    gw = Gateway(RestApi(stage="dev", routes=[]), ScriptedFunctions({}))

    reply = gw.gateway_reply(GatewayError("RESOURCE_NOT_FOUND", 404, "no such route"), "req-1")

    assert (reply.status, json.loads(reply.body)) == (404, {"message": "no such route"})


def test_minimum_compression_size_is_read_from_the_templates_api() -> None:
    template = copy.deepcopy(load_template())
    (api,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api")
    api["Properties"]["MinimumCompressionSize"] = 1024
    without = {k: v for k, v in api["Properties"].items() if k != "MinimumCompressionSize"}

    assert load_rest_api(template, Resolver(parameter_defaults(template))).minimum_compression_size == 1024
    api["Properties"] = without
    assert load_rest_api(template, Resolver(parameter_defaults(template))).minimum_compression_size is None


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP", True),
        ("*", True),
        ("gzip;q=0", False),
        ("*;q=0", False),
        ("br, deflate", False),
        ("", False),
        (None, False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_admits_gzip_as_http_says(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def compressing_gateway(minimum: int | None, body: str, headers: dict[str, str] | None = None) -> Gateway:
    api = RestApi(
        stage="dev", routes=[Route("Route", "GET", "/things", None)], minimum_compression_size=minimum
    )
    reply = {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": body,
    }
    return Gateway(api, ScriptedFunctions({"Route": lambda _e: reply}))


def fetch(gw: Gateway, accept_encoding: str | None) -> Any:
    headers = [("Accept-Encoding", accept_encoding)] if accept_encoding else []
    return gw.handle(HttpRequest("GET", "/things", headers=headers))


def test_a_reply_at_least_minimum_compression_size_is_gzipped_when_the_client_accepts_it() -> None:
    body = json.dumps({"success": True, "data": "x" * 2000})

    reply = fetch(compressing_gateway(1024, body), "gzip, deflate")

    headers = dict(reply.headers)
    assert (headers["Content-Encoding"], headers["Vary"]) == ("gzip", "Accept-Encoding")
    assert gzip.decompress(reply.body).decode() == body


@pytest.mark.parametrize(
    ("minimum", "size", "accept_encoding", "function_headers"),
    [
        (1024, 1023, "gzip", {}),  # smaller than the minimum
        (None, 5000, "gzip", {}),  # the API does not compress
        (1024, 5000, None, {}),  # the client did not ask
        (1024, 5000, "gzip;q=0", {}),  # the client refused it
        (1024, 5000, "gzip", {"Content-Encoding": "br"}),  # the function encoded it itself
    ],
    ids=["below-minimum", "no-minimum", "no-accept-encoding", "gzip-refused", "already-encoded"],
)
def test_other_replies_are_sent_as_the_function_made_them(
    minimum: int | None, size: int, accept_encoding: str | None, function_headers: dict[str, str]
) -> None:
    body = "y" * size

    reply = fetch(compressing_gateway(minimum, body, function_headers), accept_encoding)

    assert reply.body == body.encode()
    assert "gzip" not in dict(reply.headers).values()


def test_a_request_the_http_server_refuses_gets_the_templates_error_envelope() -> None:
    gw = gateway(lambda _e: policy("Allow"))

    reply = gw.refusal(431, "the request's headers are too large or too many")

    body = json.loads(reply.body)
    assert reply.status == 431
    assert body == {
        "success": False,
        "error": "the request's headers are too large or too many",
        "request_id": dict(reply.headers)["x-amzn-RequestId"],
    }
