"""Domain errors. Services raise these; the API maps each type to one HTTP status, once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class PublisherError(Exception):
    """Base class: `str(error)` is one readable sentence safe to show a user."""


class BadRequest(PublisherError):
    """Malformed request (JSON, query string, cursor)."""


class Unauthorized(PublisherError):
    """No, expired or forged credentials."""


class Forbidden(PublisherError):
    """Authenticated, but the role may not do this."""


class NotFound(PublisherError):
    """No such resource in the caller's account (other accounts' ids look the same)."""


class Conflict(PublisherError):
    """State conflict: an illegal transition or a duplicate."""


class Invalid(PublisherError):
    """Validation failed; `errors` maps each field to its reasons."""

    def __init__(self, message: str, errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = {field: list(reasons) for field, reasons in (errors or {}).items()}


def field_errors(problems: Sequence[Mapping], prefix: str = "") -> dict[str, list[str]]:
    """pydantic-style problems → `{"field.path": ["why", ...]}`.

    The request-part head of a location (`body`, `query`, `path`) is dropped; `prefix`
    names where a nested document sits (e.g. "config")."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        loc = [str(part) for part in problem.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path"}:
            loc = loc[1:]
        field = ".".join([prefix, *loc] if prefix else loc) or prefix or "body"
        fields.setdefault(field, []).append(_reason(problem))
    return fields


LENGTH_BOUNDS = {"too_short": ("at least", "min_length"), "too_long": ("at most", "max_length")}
"""pydantic's length problems of a value it does not see as a string (a secret), which it words
in items ("should have at least 16 items after validation")."""


def _reason(problem: Mapping) -> str:
    """One problem's reason: pydantic's message, except that a length bound of text (a string or
    a secret) counts characters, and no reason repeats the value or its length."""
    bound = LENGTH_BOUNDS.get(str(problem.get("type")))
    value = problem.get("input")
    if bound is not None and (isinstance(value, str) or hasattr(value, "get_secret_value")):
        words, key = bound
        limit = (problem.get("ctx") or {}).get(key)
        return f"should have {words} {limit} character{'' if limit == 1 else 's'}"
    return str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
