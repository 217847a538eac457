"""The publishing pipeline's pure rules: request bodies, retry timing, which record is current,
and when a content item counts as published or failed. No AWS, no HTTP.

Records are read through a small protocol (status, destination, created_at, external_id), so
these rules apply to stored records and to test doubles alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from publisher.domain.limits import MAX_URL_LENGTH, Id, Metadata
from publisher.domain.statuses import RecordStatus, SiteStatus


class Outcome(StrEnum):
    """What one attempt on one (content, destination) came to: the worker's answer for a delivery,
    a rollback's per-item result, an attempt in a record's log."""

    PUBLISHED = "published"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    RETRACTED = "retracted"
    KEPT_NEWER = "kept_newer"
    SKIPPED = "skipped"


DestinationName = Annotated[str, Field(min_length=1, max_length=40)]

MAX_RECEIVES = 5
"""The queue's maxReceiveCount: the 5th delivery of a message is its last before the DLQ."""
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 900
MAX_VISIBILITY_SECONDS = 43_200
"""SQS's longest visibility timeout (12 h): the most a Retry-After can postpone a retry."""
MAX_DELAY_SECONDS = 900
"""SQS's longest DelaySeconds: how far ahead of its time an item can be handed to the queue."""

CLAIM_LEASE = timedelta(seconds=120)
"""How long a worker's claim on a record holds: twice the worker's 60 s timeout, and less than
the queue's 360 s visibility timeout, so a redelivery after a crash finds the claim expired
while a duplicate delivered during the work finds it held."""
QUEUE_DEADLINE = timedelta(hours=1)
"""A pending record not picked up this long after its message was due is re-sent by cleanup."""
STUCK_AFTER = timedelta(minutes=30)
"""A record still publishing this long after its claim is recovered by cleanup (failed + retry)."""
CLEANUP_RETRY_BASE = timedelta(hours=6)
MAX_CLEANUP_RETRIES = 5
"""Automatic retries of a failed record by the daily cleanup, after the queue's own retries."""

IN_FLIGHT = frozenset({RecordStatus.PENDING, RecordStatus.PUBLISHING})


class RecordLike(Protocol):
    record_id: str
    status: str
    destination: str
    created_at: str
    external_id: str | None


# --- request bodies ------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class PublishRequest(_Body):
    """Body of `POST /publisher/publish/`: no destinations → every enabled integration."""

    content_id: Id
    destinations: list[DestinationName] | None = Field(default=None, min_length=1, max_length=10)
    override_limits: bool = False
    """Publish even past a daily/weekly/monthly cap (admin and owner only)."""


class RecordCreate(_Body):
    """Body of `POST /publisher/records/`: a publication made outside Publisher (seed)."""

    content_id: Id
    destination: DestinationName
    status: Literal["pending", "published"] = "pending"
    external_id: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    external_url: Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)] | None = None
    metadata: Metadata = Field(default_factory=dict)


class RecordPatch(_Body):
    """Body of `PATCH /publisher/records/{id}`: only the fields it names change."""

    metadata: Metadata | None = None
    external_url: Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)] | None = None


class DeploymentPatch(_Body):
    """Body of `PATCH /publisher/deployments/{id}`. `metadata` is not nullable (`null`: 422, as the
    document says); the `= None` default is never validated: it means "not given"."""

    metadata: Metadata = None  # type: ignore[assignment]


SYSTEM_METADATA_KEYS = frozenset(
    {
        "source",
        "media",
        "folded_record_ids",
        "cleanup_retries",
        "error_class",
        "remote",
        "lateness_seconds",
        "scheduled_for",
        "retracted_at",
        "retracted_at_destination",
        "rollback",
        "skipped",
    }
)
"""Metadata keys Publisher writes itself: a PATCH keeps them and may not set them."""


def patched_metadata(current: dict[str, Any] | None, patch: dict[str, Any]) -> dict[str, Any]:
    """The metadata a PATCH leaves: the caller's document, with Publisher's own keys kept."""
    kept = {key: value for key, value in (current or {}).items() if key in SYSTEM_METADATA_KEYS}
    return {**patch, **kept}


class DeploymentCreate(_Body):
    """Body of `POST /publisher/deployments/`."""

    site_id: Id
    deployment_type: Literal["full", "incremental"]
    override_limits: bool = False
    """Deploy even past a daily/weekly/monthly cap (admin and owner only)."""


class PublishMessage(BaseModel):
    """The body of one PublishQueue message: one (content, destination) to publish."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    record_id: Id
    content_id: Id
    site_id: Id
    account_id: str
    destination: DestinationName
    scheduled_for: str | None = None
    """The scheduled time the message was sent for; None for publish-now, deployments, retries."""
    deployment_id: str | None = None
    enqueued_at: str
    actor: str | None = None
    """Who asked for the publication (a user's sub, or "system" for the jobs); for the attempts log."""


class UnpublishMessage(BaseModel):
    """The body of a PublishQueue message that retracts every published record of a content at
    its `unpublish_at` (the message is delayed until then)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    action: Literal["unpublish"]
    content_id: Id
    site_id: Id
    account_id: str
    unpublish_at: str
    """The content's `unpublish_at` it was sent for: a changed or cleared one makes it a no-op."""
    enqueued_at: str


# --- timing --------------------------------------------------------------------------------


def retry_delay(receive_count: int, retry_after: float | None = None) -> int:
    """Seconds until a message comes back: what the peer asked for (Retry-After), else
    30 s x 2^(receive count - 1), capped at 15 minutes."""
    if retry_after is not None and retry_after > 0:
        return min(int(retry_after + 0.999), MAX_VISIBILITY_SECONDS)
    exponent = max(receive_count, 1) - 1
    return min(BACKOFF_BASE_SECONDS * 2**exponent, BACKOFF_CAP_SECONDS)


RUN_EVERY = timedelta(minutes=5)
"""How often ProcessScheduledPublications runs."""
LOOKAHEAD = RUN_EVERY + timedelta(minutes=1)
"""It hands over what is due before its next run, with a minute's margin for a late or slow run."""


def handover_delay(due: datetime, now: datetime) -> int:
    """DelaySeconds for an item due at `due`: the seconds until then rounded UP, 0..900 (SQS
    counts whole seconds; a message visible a fraction of a second early would publish early)."""
    seconds = math.ceil((due - now).total_seconds())
    return min(max(seconds, 0), MAX_DELAY_SECONDS)


def cleanup_retry_at(now: datetime, retries_done: int) -> datetime:
    """When the daily cleanup may retry a failed record again: 6 h x 2^retries done."""
    return now + CLEANUP_RETRY_BASE * 2**retries_done


def lateness_seconds(scheduled_for: datetime | None, started: datetime) -> float | None:
    """How late a publication started against its schedule (negative: early); None if unscheduled."""
    if scheduled_for is None:
        return None
    return round((started - scheduled_for).total_seconds(), 3)


# --- records -------------------------------------------------------------------------------


def newness(record: RecordLike) -> tuple[str, str]:
    """Sort key, oldest first: creation time, then the id (ULIDs order by the millisecond, where
    `created_at` stops at the second)."""
    return record.created_at, record.record_id


def latest_by_destination[R: RecordLike](records: Iterable[R]) -> dict[str, R]:
    """The current record of each destination: its newest one."""
    latest: dict[str, R] = {}
    for record in records:
        current = latest.get(record.destination)
        if current is None or newness(record) > newness(current):
            latest[record.destination] = record
    return latest


MAX_ATTEMPT_LOG = 50
"""A record keeps its last 50 attempts (the item stays far below DynamoDB's 400 KB)."""
MAX_MEDIA_MAP = 200
"""A record remembers at most this many uploaded images (source URL → destination copy)."""
SYSTEM_ACTOR = "system"


def attempt_entry(
    at: str,
    outcome: Outcome,
    *,
    error: str | None = None,
    actor: str | None = None,
    deployment_id: str | None = None,
) -> dict[str, Any]:
    """One line of a record's attempts log, as `GET /publisher/records/{id}/attempts/` shows it."""
    return {
        "at": at,
        "outcome": outcome.value,
        "error": error,
        "actor": actor or SYSTEM_ACTOR,
        "deployment_id": deployment_id,
    }


def with_attempt(log: Iterable[dict[str, Any]] | None, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The log with `entry` appended, bounded to the last MAX_ATTEMPT_LOG, in time order."""
    entries = sorted([*(log or []), entry], key=lambda item: str(item.get("at") or ""))
    return entries[-MAX_ATTEMPT_LOG:]


def bounded_media(media: dict[str, Any]) -> dict[str, Any]:
    """The media map as stored: its last MAX_MEDIA_MAP entries."""
    return dict(list(media.items())[-MAX_MEDIA_MAP:])


def settled_outcome(statuses: Iterable[str], *, retried: int = 0) -> SiteStatus | None:
    """What the content is once every current record has an outcome: published when all are,
    retrying when the failed ones are all `retried` by the queue, failed when one failed for good;
    None while one is still pending or publishing (or there is none)."""
    current = [status for status in statuses if status != RecordStatus.RETRACTED]
    if not current or any(status in IN_FLIGHT for status in current):
        return None
    failed = sum(status != RecordStatus.PUBLISHED for status in current)
    if not failed:
        return SiteStatus.PUBLISHED
    return SiteStatus.RETRYING if failed <= retried else SiteStatus.FAILED
