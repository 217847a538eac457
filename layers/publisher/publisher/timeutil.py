"""One format for instants: ISO 8601 UTC with a `Z` (sortable as strings in DynamoDB)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`2026-11-21T14:00:00Z` — seconds precision, always UTC."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: an instant needs a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """An aware datetime from ISO 8601 with an offset or `Z`; ValueError without one."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if moment.tzinfo is None:
        raise ValueError("time needs an offset, e.g. 2026-11-21T14:00:00Z")
    return moment.astimezone(UTC)
