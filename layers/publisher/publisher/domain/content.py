"""What a content item may look like (request bodies of the Content API) and the editorial rules.

Decisions:
- `status` may be set to draft, review or approved by a user; `published` is set by publishing
  itself, so a body asking for it is refused (422).
- `html` is capped at 300 kB of UTF-8: a DynamoDB item holds at most 400 KB in all.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from publisher.domain.sites import ContentTypeName, Slug

MAX_HTML_BYTES = 300_000

Title = Annotated[str, Field(min_length=1, max_length=300)]
Term = Annotated[str, Field(min_length=1, max_length=100)]
Terms = Annotated[list[Term], Field(max_length=50)]
EditorialStatus = Literal["draft", "review", "approved"]


def _html_fits(value: str | None) -> str | None:
    if value is not None and len(value.encode()) > MAX_HTML_BYTES:
        raise ValueError(f"must be at most {MAX_HTML_BYTES} bytes of UTF-8")
    return value


class _ContentFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

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

    site_id: Annotated[str, Field(min_length=1, max_length=64)]
    title: Title
    html: str = ""
    excerpt: Annotated[str, Field(max_length=1000)] | None = None
    slug: Slug | None = None
    content_type: ContentTypeName = "post"
    categories: Terms = Field(default_factory=list)
    tags: Terms = Field(default_factory=list)
    featured_image_url: AnyHttpUrl | None = None
    status: EditorialStatus = "draft"
    sector_id: str | None = None


NOT_NULL = ("title", "html", "slug", "content_type", "categories", "tags", "status")


class ContentPatch(_ContentFields):
    """Body of `PATCH /content/{id}/`: only the fields given change (approve = status approved)."""

    title: Title | None = None
    html: str | None = None
    excerpt: Annotated[str, Field(max_length=1000)] | None = None
    slug: Slug | None = None
    content_type: ContentTypeName | None = None
    categories: Terms | None = None
    tags: Terms | None = None
    featured_image_url: AnyHttpUrl | None = None
    status: EditorialStatus | None = None
    sector_id: str | None = None

    @field_validator(*NOT_NULL, mode="before")
    @classmethod
    def _present(cls, value: object) -> object:
        # Only an explicit null reaches here (defaults are not validated).
        if value is None:
            raise ValueError("may not be null")
        return value


class ScheduleRequest(BaseModel):
    """Body of `POST /content/{id}/schedule/`: a time, or nothing for the next free slot."""

    model_config = ConfigDict(extra="forbid")

    scheduled_publish_at: AwareDatetime | None = None
