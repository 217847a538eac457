"""What an adapter publishes (an `Article`) and what a destination holds (a `RemotePost`).

Plain values: the transform builds Articles, adapters take them, the worker records RemotePosts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """What an adapter publishes: one content item, transformed for the destination."""

    content_id: str
    slug: str
    title: str
    html: str
    excerpt: str = ""
    content_type: str = "post"
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    featured_image_url: str | None = None
    content_hash: str = ""
    canonical_url: str | None = None


@dataclass(frozen=True)
class RemotePost:
    """A post as it exists at the destination."""

    external_id: str
    external_url: str | None = None
    slug: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
