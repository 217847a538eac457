"""The typed errors every adapter raises; the worker decides retry or failure by type alone."""

from __future__ import annotations


class DestinationError(Exception):
    """Base of the typed adapter errors. `str(error)` is a readable reason for users."""


class RetryableDestinationError(DestinationError):
    """Timeouts, connection errors, 5xx, 429. `retry_after` (seconds) when the peer said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDestinationError(DestinationError):
    """401/403, 404 on the site, 4xx validation, bad configuration: retrying cannot help."""
