"""The one small interface every destination adapter implements.

An adapter pushes an `Article` (content already transformed for publishing) to one
external system and answers with a `RemotePost`. Errors are typed: a
`RetryableDestinationError` sends the work back to the queue with backoff, a
`PermanentDestinationError` fails the record at once with a readable reason.

`publish()` is the exactly-once algorithm shared by all adapters: update the post we
already know about, else look it up by its deterministic slug, else create it. A
redelivered message or a crash between "destination accepted" and "record written"
therefore updates instead of posting twice.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from publisher.destinations.errors import (  # noqa: F401 - re-exported: the interface's vocabulary
    DestinationError,
    PermanentDestinationError,
    RetryableDestinationError,
)
from publisher.domain.article import Article, RemotePost


@dataclass(frozen=True)
class Verification:
    """Result of `verify()`: ok plus a sentence a user can act on."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class Destination(ABC):
    """One external publishing target, built from an integration's config and credentials.

    Subclasses set `name` (the integration's `destination`) and implement the abstract
    methods; `session` is the guarded HTTP session (publisher.destinations.http) for HTTP
    adapters, injected so tests can pass their own.
    """

    name: ClassVar[str]
    uses_http: ClassVar[bool] = True
    """HTTP adapters get the guarded session when none is given (S3 talks through botocore)."""

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = dict(config)
        self.credentials = dict(credentials or {})
        self._clock = clock  # epoch seconds: token lifetimes, signatures (tests hand in their own)
        if session is None and self.uses_http:
            from publisher.destinations.http import build_session  # requests: not on a cold start

            session = build_session(allow_insecure_http=bool(self.config.get("allow_insecure_http")))
        self.session = session
        self.media: dict[str, Any] = {}
        """Source image URL → this destination's copy of it (a value the adapter defines), from
        earlier publications of the same content: adapters consult it before uploading an image and
        add what they upload. `publish()` takes it from the caller, who stores it afterwards."""

    @abstractmethod
    def verify(self) -> Verification:
        """Check that the credentials work and the target exists."""

    @abstractmethod
    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        """The post with this slug in any status (drafts and trash included), or None."""

    @abstractmethod
    def create(self, article: Article) -> RemotePost:
        """Create and publish the article."""

    @abstractmethod
    def update(self, external_id: str, article: Article) -> RemotePost:
        """Replace the post's content with the article and make sure it is published."""

    @abstractmethod
    def retract(self, external_id: str) -> None:
        """Take the post down (trash, draft or delete, as the destination allows)."""

    def upload_media(self, url: str) -> str:
        """Copy an image into the destination's media store; returns its new URL.

        Destinations without a media library keep the original URL.
        """
        return url

    def ensure_terms(self, taxonomy: str, names: tuple[str, ...]) -> list[Any]:
        """Find or create the taxonomy terms; returns the destination's term references."""
        return list(names)

    def publish(
        self,
        article: Article,
        known_external_id: str | None = None,
        *,
        media: dict[str, Any] | None = None,
        retracted_external_id: str | None = None,
    ) -> RemotePost:
        """Create the post once: update a known or found post, create only when none exists.

        `media` (updated in place) is the image map of earlier publications. A post this
        destination was told to retract (`retracted_external_id`) is restored by an update when
        the destination still has it; when it refuses, the slug lookup takes over."""
        if media is not None:
            self.media = media
        if known_external_id:
            return self.update(known_external_id, article)
        if retracted_external_id:
            try:
                return self.update(retracted_external_id, article)
            except PermanentDestinationError:
                pass  # gone for good at the destination: find it by its slug, or create it again
        existing = self.find_by_slug(article.slug, article.content_type)
        if existing is not None:
            return self.update(existing.external_id, article)
        return self.create(article)
