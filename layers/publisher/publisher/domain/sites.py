"""What a site is allowed to look like (request bodies of the Sites API).

PATCH bodies name only the fields they change: a field that is not nullable has a non-null type
there too (omitted: unchanged; `null`: 422), and each named field is validated as on create."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from publisher.domain.limits import HttpUrl, Id
from publisher.domain.text import MAX_SLUG_LENGTH, SLUG_PATTERN

MAX_CONTENT_TYPES = 20
MAX_TERMS = 200
"""Categories or tags a site declares (each at most 100 characters)."""

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=MAX_SLUG_LENGTH)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ContentTypeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$", max_length=40)]
ContentTypes = Annotated[
    list[ContentTypeName],
    Field(min_length=1, max_length=MAX_CONTENT_TYPES, json_schema_extra={"uniqueItems": True}),
]
"""Distinct names (`_unique_types` refuses a repeat; the document says `uniqueItems`)."""
UrlStructure = Annotated[
    dict[ContentTypeName, Annotated[str, Field(max_length=200)]],
    # every key is a content type name: no other key (pydantic documents only patternProperties)
    Field(max_length=MAX_CONTENT_TYPES, json_schema_extra={"additionalProperties": False}),
]
SiteTerms = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=MAX_TERMS)]


class Taxonomies(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    categories: SiteTerms = []
    tags: SiteTerms = []


class _SiteFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    @field_validator("content_types", check_fields=False)
    @classmethod
    def _unique_types(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("content types must not repeat")
        return value


class SiteCreate(_SiteFields):
    """Body of `POST /sites/`. `account_id` only for system callers; slug from the name if absent."""

    name: Name
    slug: Slug | None = None
    url: HttpUrl | None = None
    sector_id: Id | None = None
    account_id: Id | None = None
    content_types: ContentTypes = Field(default_factory=lambda: ["post", "page"])
    taxonomies: Taxonomies = Field(default_factory=Taxonomies)
    url_structure: UrlStructure = Field(default_factory=lambda: {"post": "/{slug}/", "page": "/{slug}/"})


class SitePatch(_SiteFields):
    """Body of `PATCH /sites/{id}/`: only the fields given change; `null` only where nullable
    (`url`, `sector_id`). The `= None` defaults are never validated: they mean "not given"."""

    name: Name = None  # type: ignore[assignment]
    slug: Slug = None  # type: ignore[assignment]
    url: HttpUrl | None = None
    sector_id: Id | None = None
    content_types: ContentTypes = None  # type: ignore[assignment]
    taxonomies: Taxonomies = None  # type: ignore[assignment]
    url_structure: UrlStructure = None  # type: ignore[assignment]
