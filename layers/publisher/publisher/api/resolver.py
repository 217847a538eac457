"""The one resolver factory every API function uses: envelope, request ids, domain errors
mapped to statuses in one place, validation errors with field-level detail, CORS, and
OpenAPI generated from the routes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import Server
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from publisher import errors
from publisher.api import responses
from publisher.config import get_settings

API_PREFIX = "/api/v1"
API_TITLE = "Publisher API"
API_VERSION = "1.0.0"

logger = Logger()
tracer = Tracer()

STATUS_OF: dict[type[errors.PublisherError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Invalid: 422,
}


class PublisherResolver(APIGatewayRestResolver):
    """Sets the request id for the envelope before routing."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        request_id = (event.get("requestContext") or {}).get("requestId") or getattr(
            context, "aws_request_id", ""
        )
        token = responses.request_id.set(request_id)
        try:
            return super().resolve(event, context)
        finally:
            responses.request_id.reset(token)

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


def _on_publisher_error(exc: errors.PublisherError) -> Response:
    status = next(code for kind, code in STATUS_OF.items() if isinstance(exc, kind))
    return responses.error(status, str(exc), getattr(exc, "errors", None))


def _on_validation_error(exc: RequestValidationError) -> Response:
    problems = exc.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return responses.error(400, "the request body is not valid JSON")
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
    return [Server(url=API_PREFIX)]


def lambda_handler_for(app: PublisherResolver) -> Callable[[dict, LambdaContext], dict]:
    """The Lambda entry point: structured logs with the request's correlation id, traced."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler
    def handler(event: dict, context: LambdaContext) -> dict:
        return app.resolve(event, context)

    return handler


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
    """`/openapi.json` and Swagger UI at `/docs`, generated from the app's routes."""
    options = openapi_options()
    app.enable_swagger(path="/docs", **options)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document():
        return Response(200, "application/json", app.get_openapi_json_schema(**options))


def not_implemented_app(feature: str) -> PublisherResolver:
    """An app answering 501 on every route, for a function whose code a later issue brings."""
    app = create_app([])
    app.not_found(lambda _exc: responses.error(501, f"{feature} is not implemented yet"))
    return app
