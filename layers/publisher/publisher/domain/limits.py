"""The bounded types every request model is built from (API.md v1.1 "Errors and input limits").

Each string and list has a documented maximum (OpenAPI maxLength / maxItems / maxProperties), so
no request can reach DynamoDB's 400 KB item limit or KMS's 4 KB plaintext limit; a value past
one is a 422 naming its field. Times are bounded to the years 2000-2100 so that no arithmetic
on them (UTC conversion, local calendars, slot search) can overflow.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AnyHttpUrl, AwareDatetime, Field, UrlConstraints

MAX_ID_LENGTH = 64
MAX_URL_LENGTH = 2000
MAX_METADATA_KEYS = 50
MAX_METADATA_BYTES = 16_384
"""A metadata document as compact JSON (UTF-8): far below an item's 400 KB."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)
"""Accepted times are in [EARLIEST, LATEST): the years 2000 to 2100."""

Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
HttpUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=MAX_URL_LENGTH)]


def in_supported_range(moment: datetime) -> datetime:
    """The instant in UTC if it lies in the years 2000-2100; ValueError otherwise.

    The local year is checked before converting, so that `0001-01-01T00:00+01:00` or
    `9999-12-31T23:59-01:00` are refused instead of overflowing."""
    if not EARLIEST.year - 1 <= moment.year <= LATEST.year or not EARLIEST <= moment.astimezone(UTC) < LATEST:
        raise ValueError("must be a time in the years 2000 to 2100")
    return moment.astimezone(UTC)


Moment = Annotated[
    AwareDatetime,
    AfterValidator(in_supported_range),
    Field(description="ISO 8601 with an offset, in the years 2000 to 2100"),
]
"""The one type for a time a client sends (bodies and, through `in_supported_range`, queries)."""


def small_json(value: dict[str, Any]) -> dict[str, Any]:
    """A free-form document of at most MAX_METADATA_KEYS keys and MAX_METADATA_BYTES as JSON."""
    if len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"must be at most {MAX_METADATA_BYTES} bytes as JSON")
    return value


Metadata = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=100)], Any],
    Field(max_length=MAX_METADATA_KEYS, description=f"at most {MAX_METADATA_BYTES} bytes as JSON"),
    AfterValidator(small_json),
]
