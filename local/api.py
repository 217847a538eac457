"""The template's REST API on 127.0.0.1: routes from the functions' Api events, the TOKEN
authorizer run and cached as API Gateway does, CORS preflight, gateway errors in the
template's GatewayResponse envelope (also for requests the HTTP server itself refuses), each
request handed to its function as a proxy event, and replies gzipped as the API's
MinimumCompressionSize asks."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from local.events import ApiTarget, HttpRequest, api_gateway_event, method_arn, token_authorizer_event
from local.functions import Functions
from local.template import Resolver, resources_of_type

log = logging.getLogger("local")

HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}


def _unquoted(value: str) -> str:
    """API Gateway header values in SAM are quoted: "'*'" → "*"."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


@dataclass(frozen=True)
class Route:
    function: str
    method: str  # upper case, or ANY
    resource: str  # the template's path, "/api/v1/sites/{site_id}"
    authorizer: str | None

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if `path` (no trailing slash) fits this resource."""
        pattern = self.resource.rstrip("/") or "/"
        parts, segments = pattern.split("/"), path.split("/")
        parameters: dict[str, str] = {}
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                rest = segments[index:]
                if not rest or not "".join(rest):
                    return None
                parameters[part[1:-2]] = "/".join(rest)
                return parameters
            if index >= len(segments):
                return None
            if part.startswith("{") and part.endswith("}"):
                if not segments[index]:
                    return None
                parameters[part[1:-1]] = segments[index]
            elif part != segments[index]:
                return None
        return parameters if len(parts) == len(segments) else None

    @property
    def specificity(self) -> tuple[int, ...]:
        """API Gateway prefers literal segments over `{param}` over `{proxy+}`."""
        return tuple(
            2 if p.endswith("+}") else 1 if p.startswith("{") else 0 for p in self.resource.split("/")
        )


@dataclass(frozen=True)
class TokenAuthorizer:
    name: str
    function: str
    header: str
    ttl_seconds: int
    validation: str | None


@dataclass(frozen=True)
class GatewayResponse:
    status: int | None
    headers: dict[str, str]
    template: str | None


@dataclass
class RestApi:
    """What the local server needs to know about the template's AWS::Serverless::Api."""

    stage: str
    routes: list[Route]
    authorizers: dict[str, TokenAuthorizer] = field(default_factory=dict)
    cors: dict[str, str] | None = None  # Access-Control-* header → value
    preflight_authorizer: str | None = None
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    stage_variables: dict[str, str] | None = None
    minimum_compression_size: int | None = None  # bytes; None: never compress

    def route_for(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        candidates = [
            (route, params)
            for route in self.routes
            if route.method in {method, "ANY"} and (params := route.match(path)) is not None
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda item: (item[0].specificity, item[0].method == "ANY"))

    def path_exists(self, path: str) -> bool:
        return any(route.match(path) is not None for route in self.routes)

    def is_binary(self, content_type: str | None) -> bool:
        kind = (content_type or "").split(";")[0].strip().lower()
        return any(fnmatchcase(kind, pattern.lower()) for pattern in self.binary_media_types)


def load_rest_api(template: dict[str, Any], resolver: Resolver) -> RestApi:
    """Routes, authorizers, CORS and gateway responses of the template's one REST API."""
    apis = resources_of_type(template, "AWS::Serverless::Api")
    if len(apis) > 1:
        raise ValueError(f"the local runner serves one API; the template declares {', '.join(apis)}")
    api_id, api = next(iter(apis.items())) if apis else ("", {"Properties": {}})
    props = api["Properties"]
    auth = props.get("Auth", {})
    authorizers = {
        name: _token_authorizer(name, spec, resolver) for name, spec in auth.get("Authorizers", {}).items()
    }
    default_authorizer = auth.get("DefaultAuthorizer")
    routes = []
    for function, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        for event_name, event in (resource["Properties"].get("Events") or {}).items():
            if event["Type"] != "Api":
                continue
            event_props = event["Properties"]
            if event_props.get("RestApiId", {"Ref": api_id}) != {"Ref": api_id}:
                raise ValueError(f"{function}.{event_name}: the local runner serves only {api_id}")
            chosen = event_props.get("Auth", {}).get("Authorizer", default_authorizer)
            if chosen not in (None, "NONE") and chosen not in authorizers:
                raise ValueError(f"{function}.{event_name}: authorizer {chosen} is not a TOKEN authorizer")
            routes.append(
                Route(
                    function=function,
                    method=str(resolver.resolve(event_props["Method"])).upper(),
                    resource=str(resolver.resolve(event_props["Path"])),
                    authorizer=None if chosen in (None, "NONE") else chosen,
                )
            )
    cors = _cors_headers(props.get("Cors"), resolver)
    return RestApi(
        stage=str(resolver.resolve(props.get("StageName", "dev"))),
        routes=routes,
        authorizers=authorizers,
        cors=cors,
        preflight_authorizer=default_authorizer if auth.get("AddDefaultAuthorizerToCorsPreflight") else None,
        gateway_responses=_gateway_responses(template, api_id, resolver),
        binary_media_types=tuple(
            t.replace("~1", "/") for t in resolver.resolve(props.get("BinaryMediaTypes", []))
        ),
        stage_variables=resolver.resolve(props.get("Variables")) or None,
        minimum_compression_size=_optional_int(resolver.resolve(props.get("MinimumCompressionSize"))),
    )


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _token_authorizer(name: str, spec: dict[str, Any], resolver: Resolver) -> TokenAuthorizer:
    arn = spec.get("FunctionArn", {})
    if spec.get("FunctionPayloadType", "TOKEN") != "TOKEN" or "Fn::GetAtt" not in arn:
        raise ValueError(
            f"authorizer {name}: the local runner supports TOKEN authorizers of this template's functions"
        )
    identity = resolver.resolve(spec.get("Identity", {}))
    return TokenAuthorizer(
        name=name,
        function=arn["Fn::GetAtt"][0],
        header=identity.get("Header", "Authorization"),
        ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
        validation=identity.get("ValidationExpression"),
    )


def _cors_headers(cors: Any, resolver: Resolver) -> dict[str, str] | None:
    if not cors:
        return None
    cors = resolver.resolve(cors)
    if isinstance(cors, str):
        cors = {"AllowOrigin": cors}
    names = {
        "AllowOrigin": "Access-Control-Allow-Origin",
        "AllowHeaders": "Access-Control-Allow-Headers",
        "AllowMethods": "Access-Control-Allow-Methods",
        "MaxAge": "Access-Control-Max-Age",
    }
    headers = {header: _unquoted(str(cors[key])) for key, header in names.items() if key in cors}
    if cors.get("AllowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


def _gateway_responses(
    template: dict[str, Any], api_id: str, resolver: Resolver
) -> dict[str, GatewayResponse]:
    responses = {}
    for resource in resources_of_type(template, "AWS::ApiGateway::GatewayResponse").values():
        props = resource["Properties"]
        if props.get("RestApiId") != {"Ref": api_id}:
            continue
        props = {key: value for key, value in props.items() if key != "RestApiId"}
        props = resolver.resolve(props)
        templates = props.get("ResponseTemplates") or {}
        responses[props["ResponseType"]] = GatewayResponse(
            status=int(props["StatusCode"]) if props.get("StatusCode") else None,
            headers={
                key.removeprefix("gatewayresponse.header."): _unquoted(str(value))
                for key, value in (props.get("ResponseParameters") or {}).items()
                if key.startswith("gatewayresponse.header.")
            },
            template=templates.get("application/json") or next(iter(templates.values()), None),
        )
    return responses


def evaluate_policy(policy: Mapping[str, Any], arn: str) -> str | None:
    """ "Deny" if a statement denies `execute-api:Invoke` on `arn`, else "Allow" if one allows
    it, else None (IAM: an explicit deny wins, nothing allowed is a deny)."""
    effects = set()
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatchcase("execute-api:Invoke", action) for action in actions) and any(
            fnmatchcase(arn, resource) for resource in resources
        ):
            effects.add(statement.get("Effect"))
    return "Deny" if "Deny" in effects else "Allow" if "Allow" in effects else None


class PolicyCache:
    """Authorizer results per token for ReauthorizeEvery seconds, as API Gateway caches them, but
    never past the `exp` (epoch seconds) the authorizer puts in its context: a cached decision
    does not outlive the token. (API Gateway keeps it the full ReauthorizeEvery; there the
    routes refuse an expired context, publisher.identity.)"""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, authorizer: str, token: str) -> dict[str, Any] | None:
        with self._lock:
            expires, result = self._entries.get((authorizer, token), (0.0, None))
            return result if result is not None and self._clock() < expires else None

    def put(self, authorizer: str, token: str, result: dict[str, Any], ttl_seconds: int) -> None:
        now = self._clock()
        until = now + ttl_seconds
        exp = (result.get("context") or {}).get("exp")
        if exp is not None:
            try:
                until = min(until, float(exp))
            except (TypeError, ValueError):
                return  # an exp we cannot read: not cached
        if until > now:
            with self._lock:
                self._entries[(authorizer, token)] = (until, result)


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class GatewayError(Exception):
    """API Gateway answers the request itself (RESPONSE_TYPE, status, message)."""

    def __init__(self, response_type: str, status: int, message: str) -> None:
        super().__init__(message)
        self.response_type, self.status, self.message = response_type, status, message


class Gateway:
    """Turns HTTP requests into function invocations as API Gateway would."""

    def __init__(self, api: RestApi, functions: Functions, cache: PolicyCache | None = None) -> None:
        self.api = api
        self.functions = functions
        self.cache = cache or PolicyCache()

    def handle(self, request: HttpRequest) -> HttpReply:
        return self._compressed(request, self._reply(request))

    def _compressed(self, request: HttpRequest, reply: HttpReply) -> HttpReply:
        """gzip, as API Gateway does, when the API sets MinimumCompressionSize, the body is at
        least that large, the client accepts gzip and the function did not encode it itself."""
        minimum = self.api.minimum_compression_size
        if minimum is None or len(reply.body) < minimum:
            return reply
        encoded = any(name.lower() == "content-encoding" for name, _ in reply.headers)
        if encoded or not accepts_gzip(request.header("Accept-Encoding")):
            return reply
        headers = [*reply.headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        return HttpReply(reply.status, headers, gzip.compress(reply.body))

    def refusal(self, status: int, message: str) -> HttpReply:
        """The envelope for a request refused before it could be routed (by the HTTP server)."""
        log.info("gateway refused a request -> %d %s", status, message)
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        return self.gateway_reply(GatewayError(family, status, message), str(uuid.uuid4()))

    def _reply(self, request: HttpRequest) -> HttpReply:
        request_id = str(uuid.uuid4())
        path = request.path.rstrip("/") or "/"
        try:
            if request.method == "OPTIONS" and self.api.cors and not self.api.route_for("OPTIONS", path):
                return self._preflight(request, path, request_id)
            found = self.api.route_for(request.method, path)
            if found is None:
                raise GatewayError("RESOURCE_NOT_FOUND", 404, "no such route")
            route, parameters = found
            authorizer_context = self._authorize(route.authorizer, request) if route.authorizer else None
            return self._integrate(request, route, parameters, authorizer_context, request_id)
        except GatewayError as error:
            log.info("gateway %s %s -> %d %s", request.method, request.path, error.status, error.message)
            return self.gateway_reply(error, request_id)

    def _preflight(self, request: HttpRequest, path: str, request_id: str) -> HttpReply:
        if not self.api.path_exists(path):
            raise GatewayError("RESOURCE_NOT_FOUND", 404, "no such route")
        if self.api.preflight_authorizer:
            self._authorize(self.api.preflight_authorizer, request)
        headers = [(name, value) for name, value in (self.api.cors or {}).items()]
        return HttpReply(200, [*headers, ("x-amzn-RequestId", request_id)], b"")

    def _authorize(self, name: str, request: HttpRequest) -> dict[str, Any]:
        """The `requestContext.authorizer` for the request, or the gateway's 401/403/500."""
        authorizer = self.api.authorizers[name]
        token = request.header(authorizer.header)
        if not token or (authorizer.validation and not re.fullmatch(authorizer.validation, token)):
            raise GatewayError("UNAUTHORIZED", 401, "Unauthorized")
        arn = method_arn(self.api.stage, request.method, request.path)
        result = self.cache.get(name, token)
        if result is None:
            result = self._run_authorizer(authorizer, token, arn, request)
            self.cache.put(name, token, result, authorizer.ttl_seconds)
        effect = evaluate_policy(result["policyDocument"], arn)
        if effect == "Deny":
            raise GatewayError(
                "ACCESS_DENIED", 403, "User is not authorized to access this resource with an explicit deny"
            )
        if effect is None:
            raise GatewayError("ACCESS_DENIED", 403, "User is not authorized to access this resource")
        context = {key: _context_value(value) for key, value in (result.get("context") or {}).items()}
        return {**context, "principalId": result["principalId"]}

    def _run_authorizer(
        self, authorizer: TokenAuthorizer, token: str, arn: str, request: HttpRequest
    ) -> dict:
        def outcome(result: Any) -> str:
            policy = result.get("policyDocument", {}) if isinstance(result, dict) else {}
            return evaluate_policy(policy, arn) or "no matching statement"

        try:
            result = self.functions.invoke(
                authorizer.function,
                token_authorizer_event(token, arn),
                f"authorizer {request.method} {request.path}",
                outcome,
            )
        except Exception as exc:
            if str(exc) == "Unauthorized":
                raise GatewayError("UNAUTHORIZED", 401, "Unauthorized") from None
            raise GatewayError("AUTHORIZER_FAILURE", 500, "Internal server error") from None
        if not isinstance(result, dict) or "principalId" not in result or "policyDocument" not in result:
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR", 500, "Internal server error")
        return result

    def _integrate(
        self,
        request: HttpRequest,
        route: Route,
        parameters: dict[str, str],
        authorizer: dict[str, Any] | None,
        request_id: str,
    ) -> HttpReply:
        target = ApiTarget(
            resource=route.resource,
            path_parameters=parameters,
            stage=self.api.stage,
            stage_variables=self.api.stage_variables,
            binary_body=bool(request.body)
            and (self.api.is_binary(request.header("Content-Type")) or not _is_text(request.body)),
        )
        event = api_gateway_event(request, target, request_id=request_id, authorizer=authorizer)
        trigger = f"api {request.method} {request.path}"
        try:
            result = self.functions.invoke(route.function, event, trigger, _status_of)
            reply = _proxy_reply(result)
        except Exception:
            raise GatewayError("DEFAULT_5XX", 502, "Internal server error") from None
        return HttpReply(reply.status, [*reply.headers, ("x-amzn-RequestId", request_id)], reply.body)

    def gateway_reply(self, error: GatewayError, request_id: str) -> HttpReply:
        """The template's GatewayResponse for the error's type (or its DEFAULT_4XX/5XX)."""
        family = "DEFAULT_4XX" if error.status < 500 else "DEFAULT_5XX"
        configured = self.api.gateway_responses.get(error.response_type) or self.api.gateway_responses.get(
            family
        )
        if configured is None or configured.template is None:
            body = json.dumps({"message": error.message})
        else:
            values = {
                "$context.error.messageString": json.dumps(error.message),
                "$context.error.message": error.message,
                "$context.requestId": request_id,
            }
            body = re.sub(r"\$context\.[A-Za-z.]+", lambda m: values.get(m[0], ""), configured.template)
        headers = [
            ("Content-Type", "application/json"),
            *(configured.headers.items() if configured else ()),
            ("x-amzn-RequestId", request_id),
        ]
        status = configured.status if configured and configured.status else error.status
        return HttpReply(status, headers, body.encode())


def _context_value(value: Any) -> str:
    """API Gateway hands the authorizer's context to the integration as strings."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _is_text(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header admits gzip (`gzip`, or `*`, with a q above 0)."""
    weights: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def _status_of(result: Any) -> str:
    return str(result.get("statusCode")) if isinstance(result, dict) else "malformed reply"


def _proxy_reply(result: Any) -> HttpReply:
    """A Lambda proxy result → the HTTP reply (ValueError when it is malformed, as API Gateway's 502)."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError("a proxy integration must return a dict with an int statusCode")
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers.extend((name, str(value)) for value in values)
    seen = {name.lower() for name in multi}
    headers.extend(
        (name, str(value))
        for name, value in (result.get("headers") or {}).items()
        if name.lower() not in seen
    )
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return HttpReply(result["statusCode"], [(n, v) for n, v in headers if n.lower() not in HOP_HEADERS], raw)


REFUSALS = {  # http.server's refusals (BaseHTTPRequestHandler.send_error) → status, sentence
    HTTPStatus.BAD_REQUEST: (400, "the request is malformed"),
    HTTPStatus.REQUEST_URI_TOO_LONG: (414, "the request line is too long"),
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: (431, "the request's headers are too large or too many"),
    HTTPStatus.NOT_IMPLEMENTED: (404, "no such route"),  # a method no route has, as the gateway answers it
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: (505, "the request's HTTP version is not supported"),
}


class ApiServer:
    """A ThreadingHTTPServer on `host:port` in front of the gateway."""

    def __init__(self, gateway: Gateway, host: str = "127.0.0.1", port: int = 3000) -> None:
        handler = type("BoundHandler", (_RequestHandler,), {"gateway": gateway})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.2,), name="api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    server_version = "publisher-local"
    gateway: Gateway

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            path=unquote(url.path),
            query=url.query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
        )
        self._send(self.gateway.handle(request))

    def _send(self, reply: HttpReply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a request line or header too large, a malformed request,
        an unknown method) in the API's error envelope instead of its HTML page."""
        self.close_connection = True
        self.request_version = self.protocol_version  # a status line and headers even for "HTTP/0.9"
        self._send(self.gateway.refusal(*REFUSALS.get(code, (code, HTTPStatus(code).phrase))))
        self._drain()

    def _drain(self) -> None:
        """Read what is left of the refused request for a moment before the connection closes:
        closing with unread bytes resets it, and the client could lose the reply."""
        deadline = time.monotonic() + 2
        try:
            self.connection.settimeout(0.2)
            while time.monotonic() < deadline and self.rfile.read1(65536):
                pass
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: every request is already logged once, by the gateway or the invocation."""
