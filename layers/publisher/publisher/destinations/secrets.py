"""The text forms of an integration's secrets, and their removal from text.

The forms of a secret are the value itself, its base64 (standard and URL-safe, with and without
padding), its URL-encoded forms and its JSON-escaped form; with a `username`, also
`username:secret` (HTTP Basic auth) in the same forms. `secrets_in_scope` makes them known to
code that reads a peer's text (`http.peer_message`) without passing credentials down.
"""

from __future__ import annotations

import base64
import contextvars
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
NOT_SECRET = frozenset({"username"})
"""Credential fields that are not secret (redacting a user name would garble every message)."""
_MIN_LENGTH = 4

_in_scope: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "secret_forms", default=frozenset()
)


def _encodings(value: str) -> set[str]:
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    forms = {
        value,
        b64,
        b64.rstrip("="),
        urlsafe,
        urlsafe.rstrip("="),
        quote(value, safe=""),
        quote_plus(value),
    }
    forms.add(json.dumps(value)[1:-1])
    if " " in value:
        forms.add(value.replace(" ", ""))  # WordPress application passwords work without spaces too
    return forms


def secret_forms(credentials: Mapping[str, Any]) -> frozenset[str]:
    """Every text form in which the credentials' secret values could come back."""
    secrets = [
        str(value)
        for name, value in credentials.items()
        if name not in NOT_SECRET and isinstance(value, str) and len(value) >= _MIN_LENGTH
    ]
    username = credentials.get("username")
    bases = list(secrets)
    if isinstance(username, str) and username:
        bases += [f"{username}:{secret}" for secret in secrets]
    for secret in secrets:  # "id:secret" keys (Ghost): the secret half alone too
        bases += [part for part in secret.split(":") if len(part) >= _MIN_LENGTH and part != secret]
    forms = {form for base in bases for form in _encodings(base) if len(form) >= _MIN_LENGTH}
    return frozenset(forms)


def redact(text: str, forms: Iterable[str] | None = None) -> str:
    """`text` with every secret form (given, else those in scope) replaced, longest first."""
    for form in sorted(_in_scope.get() if forms is None else forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


@contextmanager
def secrets_in_scope(forms: frozenset[str]) -> Iterator[None]:
    token = _in_scope.set(_in_scope.get() | forms)
    try:
        yield
    finally:
        _in_scope.reset(token)
