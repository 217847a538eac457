"""Config and credentials each destination accepts (API.md "Integration config and
credentials per destination"). Config is returned to callers; credentials never are."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from publisher.domain.limits import HttpUrl

NonEmpty = Annotated[str, Field(min_length=1, max_length=500)]
MAX_SECRET_LENGTH = 1024
MAX_SEALED_BYTES = 4096
"""KMS encrypts at most 4 KB of plaintext: the credentials as the vault seals them (compact JSON)."""
Secret = Annotated[SecretStr, Field(max_length=MAX_SECRET_LENGTH)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class _Config(_Strict):
    allow_insecure_http: bool = False


class WordPressConfig(_Config):
    base_url: HttpUrl
    post_type: NonEmpty = "post"
    publish_status: Annotated[str, Field(pattern=r"^(publish|draft|pending|private)$")] = "publish"
    rest_route_style: Literal["pretty", "query"] | None = None
    """How the site's REST API is addressed: /wp-json/… ("pretty") or ?rest_route=… ("query", for
    sites without pretty permalinks); found by the adapter when not given."""


class WordPressCredentials(_Strict):
    username: NonEmpty
    application_password: Secret


class GhostConfig(_Config):
    admin_url: HttpUrl


class GhostCredentials(_Strict):
    admin_api_key: Secret

    @field_validator("admin_api_key")
    @classmethod
    def _id_and_hex_secret(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"[0-9a-f]{6,}:[0-9a-f]{16,}", value.get_secret_value()):
            raise ValueError("must be the Admin API key, 'id:secret' with a hex secret")
        return value


class WebflowFieldMap(_Strict):
    name: NonEmpty = "name"
    slug: NonEmpty = "slug"
    body: NonEmpty = "post-body"
    image: NonEmpty | None = "main-image"
    summary: NonEmpty | None = "post-summary"


class WebflowConfig(_Config):
    site_id: NonEmpty
    collection_id: NonEmpty
    field_map: WebflowFieldMap = Field(default_factory=WebflowFieldMap)
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=120)] = 60
    item_url_base: HttpUrl | None = None  # public URL of items: <item_url_base>/<slug>
    api_base_url: HttpUrl | None = None  # local runs and tests only


class WebflowCredentials(_Strict):
    api_token: Secret


class S3Config(_Config):
    bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    prefix: Annotated[str, Field(max_length=200, pattern=r"^([A-Za-z0-9._-]+/)*$")] = ""
    public_base_url: HttpUrl
    """Where `prefix` is served (a website endpoint or CloudFront): each page's `external_url` is
    `<public_base_url>/<slug>/`, so without it a record could only hold a relative address."""


class NoCredentials(_Strict):
    pass


class WebhookConfig(_Config):
    url: HttpUrl


class WebhookCredentials(_Strict):
    signing_secret: Annotated[SecretStr, Field(min_length=16, max_length=MAX_SECRET_LENGTH)]


SCHEMAS: dict[str, tuple[type[_Config], type[_Strict]]] = {
    "wordpress": (WordPressConfig, WordPressCredentials),
    "ghost": (GhostConfig, GhostCredentials),
    "webflow": (WebflowConfig, WebflowCredentials),
    "s3": (S3Config, NoCredentials),
    "webhook": (WebhookConfig, WebhookCredentials),
}


class IntegrationPut(_Strict):
    """Body of `PUT /sites/{id}/integrations/{destination}/` (checked per destination after)."""

    enabled: bool = True
    config: dict[Annotated[str, Field(max_length=64)], Any] = Field(default_factory=dict, max_length=20)
    # SecretStr so that no repr (debug logs of the route's arguments) ever shows a value.
    credentials: Annotated[dict[Annotated[str, Field(max_length=64)], Secret], Field(max_length=4)] | None = (
        None
    )

    @field_validator("credentials")
    @classmethod
    def _sealable(cls, value: dict[str, SecretStr] | None) -> dict[str, SecretStr] | None:
        if (
            value is not None
            and len(json.dumps(reveal(value), separators=(",", ":")).encode()) > MAX_SEALED_BYTES
        ):
            raise ValueError(f"must be at most {MAX_SEALED_BYTES} bytes as JSON")
        return value


ADDRESS_FIELDS: tuple[str, ...] = (
    "base_url",
    "admin_url",
    "url",
    "api_base_url",
    "site_id",
    "collection_id",
    "bucket",
)
"""Config fields that say where credentials are sent: changing one needs the credentials again."""


def moved_address_fields(old_config: dict[str, Any], new_config: dict[str, Any]) -> list[str]:
    """The address fields whose value differs between two (validated, JSON-ready) configs."""
    return [name for name in ADDRESS_FIELDS if old_config.get(name) != new_config.get(name)]


def needs_credentials(destination: str) -> bool:
    return SCHEMAS[destination][1] is not NoCredentials


def reveal(secrets: Any) -> dict[str, Any]:
    """Credentials (a model or a dict) with secret values revealed, for validation and sealing."""
    items = secrets.items() if isinstance(secrets, dict) else secrets
    return {key: value.get_secret_value() if isinstance(value, SecretStr) else value for key, value in items}
