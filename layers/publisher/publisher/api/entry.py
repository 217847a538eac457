"""The API functions' Lambda entry point, light enough for a cold start (issue 16).

A handler module names its routers in a function and hands it to `lambda_handler_for`. The cold
start (the import of the handler module) loads what the first AWS call of a request needs:
Powertools' logger, the settings (a missing variable still fails at the cold start) and the
table models (pynamodb, botocore). The first request builds the resolver: Powertools' event
handler with request validation (pydantic), the routers and the services they import; later
requests reuse it. `make bench` measures the import; README "Cost and cold starts" says what the
first request adds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

import publisher.store.models  # noqa: F401 (the tables every request's first AWS call uses)
from publisher.config import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router

    from publisher.api.resolver import PublisherResolver

logger = Logger()


def lambda_handler_for(
    routers: Callable[[], Iterable[Router]], *, docs: bool = False
) -> Callable[[dict, LambdaContext], dict]:
    """The Lambda entry point of an API function serving `routers()` (and, with `docs`, the
    OpenAPI document and Swagger UI): structured logs with the request's correlation id; with
    TRACE_AWS_CALLS also the X-Ray SDK's subsegments (Powertools Tracer, loaded only then)."""

    @cache
    def app() -> PublisherResolver:
        from publisher.api.resolver import create_app, enable_docs

        built = create_app(routers())
        if docs:
            enable_docs(built)
        return built

    def resolve(event: dict, context: LambdaContext) -> dict:
        return app().resolve(event, context)

    if get_settings().trace_aws_calls:
        from aws_lambda_powertools import Tracer

        resolve = Tracer(service="publisher").capture_lambda_handler(resolve)
    handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(resolve)
    handler.load = app  # type: ignore[attr-defined]  # builds it without a request (scripts/bench_imports.py --first)
    return handler
