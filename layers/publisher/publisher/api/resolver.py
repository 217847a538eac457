"""The one resolver factory every API function uses: envelope, request ids, domain errors
mapped to statuses in one place, validation errors with field-level detail, CORS, and
OpenAPI generated from the routes.

Cold start: the API functions build the resolver at their first request
(`publisher.api.entry`); even then nothing here loads the OpenAPI document's models
(`openapi.models`, `publisher.api.schemas`, Swagger UI): the document is built on the first request
for it (tests/unit/architecture/test_cold_start.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from publisher import errors
from publisher.api import responses
from publisher.config import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder, Route
    from aws_lambda_powertools.event_handler.openapi.models import Server
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

API_PREFIX = "/api/v1"
API_TITLE = "Publisher API"
API_VERSION = "1.0.0"

logger = Logger()

STATUS_OF: dict[type[errors.PublisherError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Invalid: 422,
}


MAX_BODY_BYTES = 1_048_576
"""The largest request body accepted (413 above): every field's own maximum fits well within it."""
MAX_JSON_DEPTH = 32
"""The deepest nesting of objects and arrays a body may have (400 deeper)."""


class BodyRejected(Exception):
    """A body refused before any route reads it: 400, 413 or 415 with one sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _too_deep(document: Any) -> bool:
    """Whether objects and arrays nest deeper than MAX_JSON_DEPTH (iterative: no recursion)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_body(text: str) -> Any:
    """The body as JSON, or BodyRejected(400): malformed, NaN/Infinity, an integer longer than
    Python converts (4,300 digits), or nested deeper than MAX_JSON_DEPTH."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise BodyRejected(400, f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels") from exc
    except ValueError as exc:  # JSONDecodeError, the int-from-string digit limit, NaN
        raise BodyRejected(400, "the request body is not valid JSON") from exc
    if _too_deep(document):
        raise BodyRejected(400, f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    return document


def check_body(event: BaseProxyEvent) -> None:
    """Every request's body, before any route or Powertools reads it: at most 1 MB (413), JSON
    by content type (415; none given counts as JSON), UTF-8 and well-formed JSON (400). The parsed
    document stays cached on the event, so the route's validation reads exactly this one."""
    raw = event.body
    if not raw:
        return
    if event.is_base64_encoded:
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BodyRejected(400, "the request body is not valid base64") from exc
    else:
        data = raw.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise BodyRejected(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    media_type, *parameters = (event.headers.get("content-type") or "").lower().split(";")
    charsets = {
        value.strip().strip('"')
        for key, _, value in (p.partition("=") for p in parameters)
        if key.strip() == "charset"
    }
    if media_type.strip() not in ("", "application/json") or not charsets <= {"utf-8"}:
        raise BodyRejected(415, "the request body must be application/json (UTF-8)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRejected(400, "the request body is not UTF-8") from exc
    _ = event.json_body  # parsed by parse_json_body and cached: the route reads this same document


class PublisherResolver(APIGatewayRestResolver):
    """Sets the request id for the envelope before routing; checks every body before its route."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        request_id = (event.get("requestContext") or {}).get("requestId") or getattr(
            context, "aws_request_id", ""
        )
        token = responses.request_id.set(request_id)
        try:
            return super().resolve(event, context)
        finally:
            responses.request_id.reset(token)

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder:
        # The one hook that runs for every matched (and unmatched) route before Powertools'
        # validation reads the body, and whose reply still gets the route's CORS headers.
        try:
            check_body(self.current_event)
        except BodyRejected as exc:
            reply = responses.error(exc.status, str(exc))
            return self._response_builder_class(response=reply, serializer=self._serializer, route=route)
        return super()._call_route(route, route_arguments)

    def get_openapi_schema(self, **options: Any) -> Any:
        """Powertools' document, completed: the response components of `publisher.api.schemas`
        (imported only here, never on a cold start), and no Powertools default 422
        (`HTTPValidationError`, not our envelope) on a route that does not declare a 422."""
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        from publisher.api.schemas import components

        document = (
            super().get_openapi_schema(**options).model_dump(by_alias=True, exclude_none=True, mode="json")
        )
        for operations in document["paths"].values():
            for operation in operations.values():
                declared = operation["responses"].get("422", {}).get("content", {}).get("application/json")
                if declared == {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}:
                    del operation["responses"]["422"]
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
            schemas.pop(unused, None)
        for name, schema in components().items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two schemas are named {name}: rename the response model")
        return OpenAPI.model_validate(document)


def status_of(exc: errors.PublisherError) -> int:
    """The HTTP status of a domain error (the one mapping, for replies and for bulk results)."""
    return next(code for kind, code in STATUS_OF.items() if isinstance(exc, kind))


def _on_publisher_error(exc: errors.PublisherError) -> Response:
    return responses.error(status_of(exc), str(exc), getattr(exc, "errors", None))


def _on_validation_error(exc: RequestValidationError) -> Response:
    problems = exc.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return responses.error(400, "the request body is not valid JSON")
    malformed = [
        problem
        for problem in problems
        if tuple(problem.get("loc", ()))[:1] == ("query",) and problem.get("type") != "missing"
    ]
    if malformed:  # API.md: a malformed or empty query value is a 400, still field by field
        return responses.error(400, "the query string is malformed", errors.field_errors(malformed))
    # a missing required query parameter is a missing field like any other: 422 naming it
    return responses.error(422, "the request has invalid fields", errors.field_errors(problems))


def _on_unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")
    return responses.error(500, "an internal error occurred; the request id identifies it")


def create_app(routers: Iterable[Router]) -> PublisherResolver:
    """An API resolver with our plumbing and the given routers."""
    settings = get_settings()
    app = PublisherResolver(
        strip_prefixes=[API_PREFIX],
        enable_validation=True,
        json_body_deserializer=parse_json_body,
        cors=CORSConfig(
            allow_origin=settings.cors_allow_origin,
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        ),
    )
    app.exception_handler(errors.PublisherError)(_on_publisher_error)
    app.exception_handler(RequestValidationError)(_on_validation_error)
    app.exception_handler(Exception)(_on_unexpected)
    app.not_found(lambda _exc: responses.error(404, "no such route"))
    for router in routers:
        app.include_router(router)
    return app


def openapi_servers() -> list[Server]:
    from aws_lambda_powertools.event_handler.openapi.models import Server

    return [Server(url=API_PREFIX)]


def openapi_options() -> dict[str, Any]:
    """What the document says about itself: title, version, servers, and bearer JWT security."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": API_TITLE,
        "version": API_VERSION,
        "servers": openapi_servers(),
        "security_schemes": {"bearerAuth": HTTPBearer(bearerFormat="JWT")},
        "security": [{"bearerAuth": []}],
    }


def enable_docs(app: PublisherResolver) -> None:
    """`/openapi.json` and Swagger UI at `/docs` (`?format=json`: the document), generated from the
    app's routes when asked for: the OpenAPI models are loaded by those requests only."""

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document():
        return Response(200, "application/json", app.get_openapi_json_schema(**openapi_options()))

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        from aws_lambda_powertools.event_handler.openapi import swagger_ui as assets_module
        from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

        # `</` escaped so the document cannot close the page's script tag
        spec = app.get_openapi_json_schema(**openapi_options()).replace("</", "<\\/")
        if (app.current_event.query_string_parameters or {}).get("format") == "json":
            return Response(200, "application/json", spec)
        assets = Path(assets_module.__file__).parent
        script = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
        style = (assets / "swagger-ui.min.css").read_text(encoding="utf-8")
        return Response(200, "text/html", generate_swagger_html(spec, script, style, "", None))


def not_implemented_app(feature: str) -> PublisherResolver:
    """An app answering 501 on every route, for a function whose code a later issue brings."""
    app = create_app([])
    app.not_found(lambda _exc: responses.error(501, f"{feature} is not implemented yet"))
    return app
