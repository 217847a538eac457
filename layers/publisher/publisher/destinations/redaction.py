"""No credential leaves an adapter in text: the one place destination text is cleaned.

A destination may echo what we sent it (the Authorization header, the body, a token) in an
error. Every adapter built by `build_destination` is wrapped in `Redacting`: each call runs with
the integration's secret forms in scope (so `peer_message` cleans a peer's text before it
shortens it), and every error message and verification it lets out has each form (see
`publisher.destinations.secrets`) replaced by `[redacted]`. Records' errors, verification
messages and log lines all take their text from these errors and verifications.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from publisher.destinations.base import Article, Destination, DestinationError, RemotePost, Verification
from publisher.destinations.secrets import redact, secret_forms, secrets_in_scope


def _clean(value: Any, forms: frozenset[str]) -> Any:
    if isinstance(value, str):
        return redact(value, forms)
    if isinstance(value, dict):
        return {key: _clean(item, forms) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item, forms) for item in value]
    return value


def _clean_error(error: BaseException, forms: frozenset[str]) -> None:
    """Redact the error's message and those of the exceptions chained to it, in place (the type
    and attributes such as `retry_after` stay, so retry decisions are unchanged)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(_clean(arg, forms) for arg in current.args)
        current = current.__cause__ or current.__context__


class Redacting(Destination):
    """The adapter, with every message it lets out cleaned of the integration's secrets."""

    def __init__(self, inner: Destination) -> None:
        # Not Destination.__init__: the inner adapter owns config, credentials and session.
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.config = inner.config
        self.credentials = inner.credentials
        self.session = inner.session
        self._forms = secret_forms(inner.credentials)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            with secrets_in_scope(self._forms):
                yield
        except DestinationError as error:
            _clean_error(error, self._forms)
            raise

    def verify(self) -> Verification:
        with self._guard():
            result = self.inner.verify()
        return Verification(
            ok=result.ok,
            message=redact(result.message, self._forms),
            details=_clean(result.details, self._forms),
        )

    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        with self._guard():
            return self.inner.find_by_slug(slug, content_type)

    def create(self, article: Article) -> RemotePost:
        with self._guard():
            return self.inner.create(article)

    def update(self, external_id: str, article: Article) -> RemotePost:
        with self._guard():
            return self.inner.update(external_id, article)

    def retract(self, external_id: str) -> None:
        with self._guard():
            self.inner.retract(external_id)

    def upload_media(self, url: str) -> str:
        with self._guard():
            return self.inner.upload_media(url)

    def ensure_terms(self, taxonomy: str, names: tuple[str, ...]) -> list[Any]:
        with self._guard():
            return self.inner.ensure_terms(taxonomy, names)

    def publish(
        self,
        article: Article,
        known_external_id: str | None = None,
        *,
        media: dict[str, Any] | None = None,
        retracted_external_id: str | None = None,
    ) -> RemotePost:
        with self._guard():
            return self.inner.publish(
                article, known_external_id, media=media, retracted_external_id=retracted_external_id
            )
