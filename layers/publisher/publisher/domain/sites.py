"""What a site is allowed to look like (request bodies of the Sites API)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from publisher.domain.text import MAX_SLUG_LENGTH, SLUG_PATTERN

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=MAX_SLUG_LENGTH)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ContentTypeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]


class Taxonomies(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[Annotated[str, Field(min_length=1, max_length=100)]] = []
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = []


class _SiteFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

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
    url: AnyHttpUrl | None = None
    sector_id: str | None = None
    account_id: str | None = None
    content_types: list[ContentTypeName] = Field(default_factory=lambda: ["post", "page"], min_length=1)
    taxonomies: Taxonomies = Field(default_factory=Taxonomies)
    url_structure: dict[ContentTypeName, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=lambda: {"post": "/{slug}/", "page": "/{slug}/"}
    )


class SitePatch(_SiteFields):
    """Body of `PATCH /sites/{id}/`: only the fields given change."""

    name: Name | None = None
    slug: Slug | None = None
    url: AnyHttpUrl | None = None
    sector_id: str | None = None
    content_types: list[ContentTypeName] | None = Field(default=None, min_length=1)
    taxonomies: Taxonomies | None = None
    url_structure: dict[ContentTypeName, Annotated[str, Field(max_length=200)]] | None = None
