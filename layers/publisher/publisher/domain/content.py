"""What a content item may look like (request bodies of the Content API) and the editorial rules.

Decisions:
- `status` may be set to draft, review or approved by a user; `published` is set by publishing
  itself, so a body asking for it is refused (422).
- `html` is capped at 256 KiB of UTF-8 (and as many characters, the documented maxLength): a
  DynamoDB item holds at most 400 KB in all, and the other fields are bounded well below the rest.
- PATCH names only the fields it changes: a field that is not nullable has a non-null type there
  too (omitted: unchanged; `null`: 422), and each named field is validated as on create.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from publisher.domain.limits import HttpUrl, Id, Moment
from publisher.domain.publishing import DestinationName
from publisher.domain.sites import ContentTypeName, Slug
from publisher.domain.statuses import ContentStatus, SiteStatus

MAX_HTML_BYTES = 262_144
MAX_TERMS = 50

Title = Annotated[str, Field(min_length=1, max_length=300)]
Html = Annotated[
    str, Field(max_length=MAX_HTML_BYTES, description=f"at most {MAX_HTML_BYTES} bytes of UTF-8")
]
Excerpt = Annotated[str, Field(max_length=1000)]
Term = Annotated[str, Field(min_length=1, max_length=100)]
Terms = Annotated[list[Term], Field(max_length=MAX_TERMS)]
EditorialStatus = Literal["draft", "review", "approved"]
UNPUBLISH_AT = "a future time: then every published record of the content is retracted"


def _html_fits(value: str | None) -> str | None:
    if value is not None and len(value.encode()) > MAX_HTML_BYTES:
        raise ValueError(f"must be at most {MAX_HTML_BYTES} bytes of UTF-8")
    return value


class _ContentFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    @field_validator("html", check_fields=False)
    @classmethod
    def _html_size(cls, value: str | None) -> str | None:
        return _html_fits(value)

    @field_validator("status", mode="before", check_fields=False)
    @classmethod
    def _not_published(cls, value: object) -> object:
        if value == "published":
            raise ValueError("is set when the content is published; use draft, review or approved")
        return value


class ContentCreate(_ContentFields):
    """Body of `POST /content/`; the slug is generated from the title when absent."""

    site_id: Id
    title: Title
    html: Html = ""
    excerpt: Excerpt | None = None
    slug: Slug | None = None
    content_type: ContentTypeName = "post"
    categories: Terms = Field(default_factory=list)
    tags: Terms = Field(default_factory=list)
    featured_image_url: HttpUrl | None = None
    status: EditorialStatus = "draft"
    sector_id: Id | None = None
    unpublish_at: Moment | None = Field(default=None, description=UNPUBLISH_AT)


class ContentPatch(_ContentFields):
    """Body of `PATCH /content/{id}/`: only the fields given change (approve = status approved);
    `null` only where nullable (`excerpt`, `featured_image_url`, `sector_id`). The `= None`
    defaults are never validated: they mean "not given"."""

    title: Title = None  # type: ignore[assignment]
    html: Html = None  # type: ignore[assignment]
    excerpt: Excerpt | None = None
    slug: Slug = None  # type: ignore[assignment]
    content_type: ContentTypeName = None  # type: ignore[assignment]
    categories: Terms = None  # type: ignore[assignment]
    tags: Terms = None  # type: ignore[assignment]
    featured_image_url: HttpUrl | None = None
    status: EditorialStatus = None  # type: ignore[assignment]
    sector_id: Id | None = None
    unpublish_at: Moment | None = Field(default=None, description=UNPUBLISH_AT + "; null clears it")


class ScheduleRequest(BaseModel):
    """Body of `POST /content/{id}/schedule/`: a time, or nothing for the next free slot; the
    destinations it publishes to (each an enabled integration of the site), or none for all."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    scheduled_publish_at: Moment | None = None
    destinations: list[DestinationName] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="integrations the scheduled publication goes to; absent or null: every enabled one",
    )


# --- history (audit trail) -------------------------------------------------------------------

HISTORY_FIELDS = ("status", "site_status", "scheduled_publish_at", "unpublish_at")
"""The content fields whose every change is written to the content's history."""


def history_action(field: str, old: str | None, new: str | None) -> str:
    """The name a history entry gives a change of `field` from `old` to `new`."""
    if field == "status":
        return "approve" if new == ContentStatus.APPROVED else "status"
    if field == "scheduled_publish_at":
        return "reschedule"
    if field == "unpublish_at":
        return "schedule unpublish" if new else "clear unpublish"
    names = {
        SiteStatus.SCHEDULED: "reschedule" if old == SiteStatus.SCHEDULED else "schedule",
        SiteStatus.NOT_PUBLISHED: "unschedule" if old == SiteStatus.SCHEDULED else "retract",
        SiteStatus.PUBLISHING: "start publishing",
        SiteStatus.RETRYING: "retry later",
        SiteStatus.PUBLISHED: "published",
        SiteStatus.FAILED: "failed",
    }
    return names.get(SiteStatus(new), "status") if new else "status"


# --- bulk actions --------------------------------------------------------------------------------

MAX_BULK_IDS = 100
BulkAction = Literal["approve", "schedule", "unschedule", "publish", "delete"]


class BulkRequest(BaseModel):
    """Body of `POST /content/bulk/`: one action for up to 100 content ids, each done alone (as the
    single route would), in the order given; `scheduled_publish_at` only with `schedule`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    action: BulkAction
    ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_BULK_IDS)]
    scheduled_publish_at: Moment | None = None

    @field_validator("ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("must not name an id twice")
        return ids

    @model_validator(mode="after")
    def _time_only_to_schedule(self) -> BulkRequest:
        if self.scheduled_publish_at is not None and self.action != "schedule":
            raise ValueError("scheduled_publish_at goes only with the schedule action")
        return self
