"""Response models of the OpenAPI document: every resource and list the API returns, in the
success envelope, and the error envelope of every 4xx/5xx.

They describe exactly what the views return (`services/views.py`, `content_view`,
`record_view`, `deployment_view`, `calendar_entry`, the settings and preview views): the same
field names, types and nullability. Nothing validates responses against them at run time; the
fuzz test (tests/integration/test_fuzz_openapi.py) checks every reply against them.

Only the document needs them, so only `components()` imports this module, when the document is
generated: defining these models costs more than a cold start should pay for (routes refer to
them by name through `publisher.api.openapi`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import models_json_schema

from publisher.api.openapi import REF_PREFIX
from publisher.domain.notifications import NotificationEvent
from publisher.domain.publishing import Outcome
from publisher.domain.publishing_settings import Day, TimeSlot
from publisher.domain.statuses import ContentStatus, DeploymentStatus, RecordStatus, SiteStatus

Time = str
"""An ISO 8601 instant in UTC (`2026-11-21T14:00:00Z`); documented with `format: date-time`."""


def _time(description: str = "ISO 8601, UTC") -> Any:
    return Field(description=description, json_schema_extra={"format": "date-time"})


UNSCHEDULED_REASON = "approved content the scheduler left without a slot: why, and after when it could go"
NEXT_ATTEMPT = "retrying: when the queue tries the failed attempt again (ISO 8601, UTC)"


class _Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _timezone() -> Any:
    return Field(max_length=64, description="the site's time zone (IANA name)")


def _local_time() -> Any:
    return Field(
        description="each UTC time of the item (every `*_at` field that is set), by field name, as "
        "ISO 8601 in the site's time zone with its UTC offset at that instant"
    )


# --- resources ----------------------------------------------------------------------------


class SiteTaxonomies(_Resource):
    categories: list[str]
    tags: list[str]


class Site(_Resource):
    id: str
    account_id: str
    sector_id: str | None
    name: str
    slug: str
    url: str | None
    content_types: list[str]
    taxonomies: SiteTaxonomies
    url_structure: dict[str, str]
    publishing_paused: bool = Field(description="while true nothing of the site is handed to the queue")
    paused_at: Time | None = _time("when publishing was paused (null while it runs)")
    created_at: Time = _time()
    updated_at: Time = _time()


class SiteDefinition(_Resource):
    """The public view of a site: structure only, no tenant ids."""

    name: str
    slug: str
    url: str | None
    content_types: list[str]
    taxonomies: SiteTaxonomies
    url_structure: dict[str, str]


class Verification(_Resource):
    ok: bool
    message: str
    checked_at: Time = _time()


class Integration(_Resource):
    site_id: str
    destination: str
    enabled: bool
    config: dict[str, Any] = Field(description="non-secret settings; credentials are never returned")
    has_credentials: bool
    last_verified_at: Time | None = _time()
    last_verification: Verification | None
    created_at: Time = _time()
    updated_at: Time = _time()


class IntegrationDeleted(_Resource):
    site_id: str
    destination: str
    deleted: Literal[True]


class VerificationResult(Verification):
    """`POST …/integrations/{destination}/test/`: the outcome, also stored on the integration."""

    site_id: str
    destination: str


class PublishingSettingsView(_Resource):
    site_id: str
    auto_approval_enabled: bool
    auto_publish_enabled: bool
    daily_publish_limit: int | None = Field(ge=0, description="null: unlimited")
    weekly_publish_limit: int | None = Field(ge=0, description="null: unlimited")
    monthly_publish_limit: int | None = Field(ge=0, description="null: unlimited")
    publish_days: list[Day]
    publish_time_slots: list[TimeSlot]
    timezone: str = Field(description="IANA time zone name")
    missed_schedule_policy: Literal["publish_late", "next_slot", "hold"]
    blackout_dates: list[date]
    auto_republish_on_edit: bool = Field(description="an edit of published content queues a republish")
    updated_at: Time | None = _time("null until the settings are first saved")


class PreviewSlot(_Resource):
    scheduled_publish_at: Time = _time()
    local_time: str = _time("the same instant in the site's time zone, with its offset")
    weekday: Day


class SettingsPreview(_Resource):
    site_id: str
    timezone: str
    generated_at: Time = _time()
    slots: list[PreviewSlot]


class FeedToken(_Resource):
    site_id: str
    token: str = Field(description="shown once; only its hash is stored")
    feed_path: str


class NotificationSettings(_Resource):
    site_id: str
    webhook_url: str | None
    emails: list[str]
    events: list[NotificationEvent]
    allow_insecure_http: bool
    has_signing_secret: bool
    signing_secret: str | None = Field(
        description="the webhook's signing secret: only in the reply that created or rotated it"
    )
    updated_at: Time | None = _time()


class Content(_Resource):
    id: str
    account_id: str
    site_id: str
    sector_id: str | None
    title: str
    html: str
    excerpt: str | None
    slug: str
    content_type: str
    categories: list[str]
    tags: list[str]
    featured_image_url: str | None
    status: ContentStatus
    site_status: SiteStatus
    scheduled_publish_at: Time | None = _time()
    destinations: list[str] | None = Field(
        description="the destinations the schedule publishes to; null: every enabled integration"
    )
    unpublish_at: Time | None = _time("then every published record is retracted; null: never")
    published_at: Time | None = _time()
    last_error: str | None
    changed_since_publish: bool = Field(description="a published field was edited after the last publication")
    unscheduled_reason: str | None = Field(description=UNSCHEDULED_REASON)
    next_attempt_at: Time | None = _time(NEXT_ATTEMPT)
    site_status_updated_at: Time = _time()
    created_at: Time = _time()
    updated_at: Time = _time()
    timezone: str = _timezone()
    local_time: dict[str, str] = _local_time()


class ContentPreview(_Resource):
    """What a publication to one destination sends (GET /content/{id}/preview/)."""

    content_id: str
    destination: str
    integration_enabled: bool = Field(description="false: the site's integration is switched off")
    title: str
    slug: str
    html: str = Field(description="sanitised for the destination, links absolute to the site's URL")
    excerpt: str
    content_type: str
    categories: list[str]
    tags: list[str]
    featured_image_url: str | None
    image_urls: list[str] = Field(description="the featured image, then each <img> of the body")
    canonical_url: str | None
    content_hash: str = Field(description="equal to the last publication's: a republish sends nothing")


class CalendarEntry(_Resource):
    """A calendar or queue line: what a planner shows, without the body."""

    id: str
    site_id: str
    title: str
    slug: str
    content_type: str
    status: ContentStatus
    site_status: SiteStatus
    scheduled_publish_at: Time | None = _time()
    published_at: Time | None = _time()
    calendar_at: Time | None = _time("the time the item stands at on the calendar")
    site_status_updated_at: Time = _time()
    last_error: str | None
    changed_since_publish: bool
    timezone: str = _timezone()
    local_time: dict[str, str] = _local_time()
    paused: bool | None = Field(
        default=None, description="queue only: the site's publishing is paused, so nothing is handed over"
    )
    unscheduled_reason: str | None = Field(description=UNSCHEDULED_REASON)
    next_attempt_at: Time | None = _time(NEXT_ATTEMPT)


class PublishingRecord(_Resource):
    id: str
    account_id: str
    site_id: str
    sector_id: str | None
    content_id: str
    destination: str
    external_id: str | None
    external_url: str | None
    status: RecordStatus
    published_at: Time | None = _time()
    error: str | None
    attempts: int = Field(ge=0)
    metadata: dict[str, Any]
    deployment_id: str | None
    next_retry_at: Time | None = _time()
    next_attempt_at: Time | None = _time("failed, and the queue tries it again at this time")
    created_at: Time = _time()
    updated_at: Time = _time()


class PublishAccepted(_Resource):
    """`POST /publisher/publish/` (202): the records handed to the queue."""

    content_id: str
    records: list[PublishingRecord]


class PublishStatus(_Resource):
    content_id: str
    site_status: SiteStatus
    scheduled_publish_at: Time | None = _time()
    records: list[PublishingRecord]


class DeploymentRecord(_Resource):
    id: str
    account_id: str
    site_id: str
    sector_id: str | None
    deployment_type: Literal["full", "incremental"]
    status: DeploymentStatus
    version: int | None = Field(ge=1, description="1, 2, … per site")
    url: str | None = Field(description="the site's public URL")
    items_total: int = Field(ge=0)
    items_deployed: int = Field(ge=0)
    items_failed: int = Field(ge=0)
    started_at: Time | None = _time()
    completed_at: Time | None = _time()
    error_log: list[str]
    metadata: dict[str, Any]
    created_at: Time = _time()
    updated_at: Time = _time()


class RollbackItem(_Resource):
    """A record of the deployment whose retraction failed."""

    record_id: str
    content_id: str
    destination: str
    outcome: Literal[Outcome.RETRACTED, Outcome.KEPT_NEWER, Outcome.FAILED] = Field(
        description="kept_newer: a later publication carries the post now, so it stays"
    )
    error: str | None = Field(description="the destination's reason when the outcome is failed")


class Rollback(_Resource):
    """A rollback's live counters (also in the deployment's `metadata.rollback`)."""

    state: Literal["running", "done"] = Field(description="running: the queued units are retracting")
    complete: bool = Field(description="done and no item failed: the deployment is rolled_back")
    retracted: int = Field(ge=0)
    kept_newer: int = Field(ge=0)
    failed: int = Field(ge=0)
    failures: list[RollbackItem] = Field(
        max_length=20, description="the first failures (call again to retry)"
    )
    started_at: Time
    finished_at: Time | None


class DeploymentRollback(DeploymentRecord):
    """`POST /publisher/deployments/{id}/rollback/` (202): the deployment with its rollback
    running; poll `GET /publisher/deployments/{id}/` (`metadata.rollback`) until `done`."""

    rollback: Rollback


class Health(_Resource):
    status: Literal["ok"]


class Deleted(_Resource):
    id: str
    deleted: Literal[True]


class ContentDeletion(_Resource):
    """`DELETE /content/{id}/?retract=true` while online: retracted, then deleted, in the background."""

    id: str
    deleted: Literal[False]
    retracting: list[str] = Field(description="the ids of the records being retracted first")


class SiteDeletion(_Resource):
    """`DELETE /sites/{id}/`: the site reads as gone at once; what is under it goes in the background."""

    id: str
    deleting: Literal[True]
    deleting_at: Time = _time()
    retract: bool = Field(description="what is online is retracted first")


class Attempt(_Resource):
    """One attempt of a record (services/views.attempts_view)."""

    at: str | None = _time()
    outcome: (
        Literal[Outcome.PUBLISHED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.FAILED, Outcome.RETRACTED]
        | None
    )
    error: str | None
    actor: str | None
    deployment_id: str | None


class HistoryEntry(_Resource):
    """One change of a content's status or schedule (services/views.history_view)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    at: str = _time()
    actor: str = Field(description="the caller's `sub`, or `system:<job>` for the timed jobs and the worker")
    role: str | None
    action: str
    from_: str | None = Field(alias="from")
    to: str | None
    detail: dict[str, Any]


class BulkResult(_Resource):
    id: str
    ok: bool
    status: int = Field(description="the status the single route would have answered for this item")
    error: str | None
    data: dict[str, Any] | None = Field(description="the single route's reply for this item")


class BulkResults(_Resource):
    results: list[BulkResult]


SINGLE: tuple[type[BaseModel], ...] = (
    Site,
    SiteDefinition,
    Integration,
    IntegrationDeleted,
    VerificationResult,
    PublishingSettingsView,
    SettingsPreview,
    FeedToken,
    Content,
    ContentPreview,
    PublishingRecord,
    PublishAccepted,
    PublishStatus,
    DeploymentRecord,
    DeploymentRollback,
    Health,
    BulkResults,
    Deleted,
    NotificationSettings,
    ContentDeletion,
    SiteDeletion,
)
LISTED: tuple[type[BaseModel], ...] = (
    Site,
    Integration,
    Content,
    CalendarEntry,
    PublishingRecord,
    DeploymentRecord,
    HistoryEntry,
    Attempt,
)
"""Resources that come as a list (`data: [...]` with `next_cursor`)."""


# --- envelopes ----------------------------------------------------------------------------


class ErrorEnvelope(_Resource):
    """Every 4xx/5xx, from a function or from API Gateway itself."""

    success: Literal[False]
    error: str = Field(description="one readable sentence")
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="validation failures: field → reasons (absent otherwise)"
    )
    request_id: str


def _envelope(name: str, data: Any, *, listed: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {"success": (Literal[True], ...), "data": (data, ...)}
    if listed:
        fields["next_cursor"] = (str | None, Field(description="pass as ?cursor= for the next page"))
    fields["request_id"] = (str, ...)
    return create_model(name, __base__=_Resource, **fields)


def envelopes() -> list[type[BaseModel]]:
    """`<Resource>Envelope` for each resource, `<Resource>ListEnvelope` for each listed one,
    and the ErrorEnvelope (the names `publisher.api.openapi` refers to)."""
    models = [_envelope(f"{model.__name__}Envelope", model, listed=False) for model in SINGLE]
    models += [_envelope(f"{model.__name__}ListEnvelope", list[model], listed=True) for model in LISTED]
    return [*models, ErrorEnvelope]


def components() -> dict[str, Any]:
    """JSON schemas of every envelope and what it refers to, keyed by component name."""
    _, document = models_json_schema(
        [(model, "serialization") for model in envelopes()], ref_template=REF_PREFIX + "{model}"
    )
    return document["$defs"]
