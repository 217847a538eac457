"""Settings parsed once per cold start from the environment the template gives each function.

A missing variable fails loudly at cold start; nothing silently defaults to a production name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is required")
    return value


def _positive_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ConfigurationError(f"environment variable {name} must be a number") from None
    if not value > 0:
        raise ConfigurationError(f"environment variable {name} must be positive")
    return value


def max_token_lifetime() -> timedelta:
    """MAX_TOKEN_LIFETIME_HOURS (the template's MaxTokenLifetimeHours), 24 hours when unset."""
    return timedelta(hours=_positive_number("MAX_TOKEN_LIFETIME_HOURS", 24))


def work_queue_url() -> str:
    """WORK_QUEUE_URL: the queue of bounded units of work (services/work.py)."""
    return _required("WORK_QUEUE_URL")


def _flag(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class Settings:
    stage: str
    sites_table: str
    unique_keys_table: str
    integrations_table: str
    settings_table: str
    content_table: str
    records_table: str
    deployments_table: str
    usage_table: str
    publish_queue_url: str
    credentials_key_id: str
    event_bus_name: str
    jwt_secret_arn: str | None
    jwt_secret: str | None
    max_token_lifetime: timedelta
    jwt_issuer: str | None
    jwt_audience: str | None
    allow_insecure_http: bool
    cors_allow_origin: str
    static_site_bucket_prefix: str

    @classmethod
    def from_env(cls) -> Settings:
        jwt_secret_arn = os.environ.get("JWT_SECRET_ARN") or None
        jwt_secret = os.environ.get("JWT_SECRET") or None
        if not (jwt_secret_arn or jwt_secret):
            raise ConfigurationError("JWT_SECRET_ARN (AWS) or JWT_SECRET (local) is required")
        return cls(
            stage=_required("STAGE"),
            sites_table=_required("SITES_TABLE"),
            unique_keys_table=_required("UNIQUE_KEYS_TABLE"),
            integrations_table=_required("INTEGRATIONS_TABLE"),
            settings_table=_required("SETTINGS_TABLE"),
            content_table=_required("CONTENT_TABLE"),
            records_table=_required("RECORDS_TABLE"),
            deployments_table=_required("DEPLOYMENTS_TABLE"),
            usage_table=_required("USAGE_TABLE"),
            publish_queue_url=_required("PUBLISH_QUEUE_URL"),
            credentials_key_id=_required("CREDENTIALS_KEY_ID"),
            event_bus_name=_required("EVENT_BUS_NAME"),
            jwt_secret_arn=jwt_secret_arn,
            jwt_secret=jwt_secret,
            max_token_lifetime=max_token_lifetime(),
            jwt_issuer=os.environ.get("JWT_ISSUER", "").strip() or None,
            jwt_audience=os.environ.get("JWT_AUDIENCE", "").strip() or None,
            allow_insecure_http=_flag("ALLOW_INSECURE_HTTP"),
            cors_allow_origin=os.environ.get("CORS_ALLOW_ORIGIN", "*"),
            static_site_bucket_prefix=_required("STATIC_SITE_BUCKET_PREFIX"),
        )


@cache
def get_settings() -> Settings:
    """The settings of this process (cached: once per cold start)."""
    return Settings.from_env()
