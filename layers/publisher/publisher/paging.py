"""Cursor pagination over DynamoDB queries: `?limit=` and an opaque `?cursor=`.

Shared vocabulary: the store pages with it, the API parses it from the query string."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from publisher.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    start_key: dict[str, Any] | None = None


def encode_cursor(last_evaluated_key: Mapping[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The start key a cursor stands for; BadRequest when it does not decode to a JSON object (a
    key that does not belong to the list is refused where it is used: store.common.query_page)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise BadRequest("cursor is not one this API handed out") from exc
    if not isinstance(key, dict) or not key:
        raise BadRequest("cursor is not one this API handed out")
    return key


def page_request(limit: int | None = None, cursor: str | None = None) -> PageRequest:
    """The page a list asks for: `limit` (1..MAX_LIMIT, default 50; the API's typed query
    parameter enforces the range) and the start key of `cursor` (400 when malformed)."""
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return PageRequest(limit=limit or DEFAULT_LIMIT, start_key=decode_cursor(cursor))
