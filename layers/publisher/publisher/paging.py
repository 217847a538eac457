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
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("cursor is not one this API handed out") from exc
    if not isinstance(key, dict):
        raise BadRequest("cursor is not one this API handed out")
    return key


def page_request(query: Mapping[str, str | None] | None) -> PageRequest:
    """`limit` (1..200, default 50) and `cursor` from a query string; 400 when malformed."""
    query = query or {}
    raw_limit = query.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
        limit = int(raw_limit)
    return PageRequest(limit=limit, start_key=decode_cursor(query.get("cursor")))
