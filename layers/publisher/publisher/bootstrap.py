"""The one wiring point: AWS clients and table bindings, built once per cold start, lazily.

Tests reset these caches (or pass their own clients to services) to use moto or fakes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

from publisher.aws import aws_client
from publisher.config import Settings, get_settings


@cache
def ready_store() -> Settings:
    """Bind every model to its table from settings; returns the settings."""
    from publisher.store.models import bind_tables

    settings = get_settings()
    bind_tables(settings)
    return settings


def deferred(module: str, name: str, *, registered_by: tuple[str, ...] = ()) -> Callable[..., Any]:
    """`module.name`, imported by its first call: a handler module binds its use case with it so
    that the services, the domain's models and pydantic load with the first invocation, not at
    the cold start (issue 16; `make bench` measures the import of each handler module).
    `registered_by`: modules imported first because importing them registers what `name` runs.
    `.load()` imports it all without calling (`scripts/bench_imports.py --first`)."""

    def load() -> Callable[..., Any]:
        for registering in registered_by:
            importlib.import_module(registering)
        return getattr(importlib.import_module(module), name)

    def call(*args: Any, **kwargs: Any) -> Any:
        return load()(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.load = load  # type: ignore[attr-defined]
    return call


def reset() -> None:
    """Forget cached clients and settings (tests that change the environment)."""
    from publisher.store.common import shared_connection

    aws_client.cache_clear()
    ready_store.cache_clear()
    shared_connection.cache_clear()
    get_settings.cache_clear()


def jwt_secret() -> str:
    """The HS256 secret: JWT_SECRET locally, Secrets Manager (cached 5 min) in AWS."""
    settings = get_settings()
    if settings.jwt_secret:
        return settings.jwt_secret
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(settings.jwt_secret_arn, max_age=300)
