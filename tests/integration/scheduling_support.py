"""Helpers shared by the scheduling tests (content API, settings, schedule, calendar, job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from local.aws import Stack
from local.moto_atomic import atomic_moto_writes  # noqa: F401 - re-exported for the tests
from publisher.bootstrap import ready_store
from publisher.store.models import ContentModel
from tests.support.apigw import call
from tests.support.fixtures import stored


def create_site(tok: str, **fields: Any) -> dict:
    reply = call("POST", "/api/v1/sites/", token=tok, body={"name": "Garden", **fields})
    assert reply.status == 201, reply.body
    return reply.json["data"]


def put_settings(tok: str, site_id: str, **settings: Any) -> dict:
    reply = call("PUT", f"/api/v1/sites/{site_id}/publishing-settings/", token=tok, body=settings)
    assert reply.status == 200, reply.body
    return reply.json["data"]


def create_content(tok: str, site_id: str, **fields: Any) -> dict:
    body = {"site_id": site_id, "title": "Growing tomatoes", "html": "<p>Sun.</p>", **fields}
    reply = call("POST", "/api/v1/content/", token=tok, body=body)
    assert reply.status == 201, reply.body
    return reply.json["data"]


def schedule(tok: str, content_id: str, body: Any = None):
    return call("POST", f"/api/v1/content/{content_id}/schedule/", token=tok, body=body)


def stored_content(content_id: str) -> ContentModel:
    ready_store()
    return ContentModel.get(content_id, consistent_read=True)


def force_site_status(content_id: str, site_status: str, **fields: Any) -> None:
    """Put an item into a state only the publishing side reaches (publishing, published, failed)."""
    item = stored_content(content_id)
    item.site_status = site_status
    for name, value in fields.items():
        setattr(item, name, value)
    item.refresh_index_keys()
    item.save()


def counters(stack: Stack) -> dict[tuple[str, str], int]:
    """(site_id, period) → count, straight from the usage table."""
    return {
        (item["site_id"]["S"], item["period"]["S"]): int(item["count"]["N"])
        for item in stored(stack, "UsageTable")
        if "count" in item  # the table also keeps the content history (history#<content_id>)
    }


def unique_keys(stack: Stack, prefix: str) -> dict[str, str]:
    """key → owner of the claims starting with `prefix` ("slot#", "content-slug#")."""
    return {
        item["key"]["S"]: item["owner_id"]["S"]
        for item in stored(stack, "UniqueKeysTable")
        if item["key"]["S"].startswith(prefix)
    }


def snapshot(stack: Stack) -> tuple:
    """Everything the scheduling side writes, to prove a refused request wrote nothing."""
    tables = ("ContentTable", "UsageTable", "UniqueKeysTable", "SettingsTable", "SitesTable")
    return tuple(sorted(map(repr, stored(stack, table))) for table in tables)


def next_weekday(weekday: int, *, weeks_ahead: int = 2) -> datetime:
    """Midnight UTC of a given weekday (0 = Monday) at least `weeks_ahead` weeks from today."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today + timedelta(weeks=weeks_ahead)
    return start + timedelta(days=(weekday - start.weekday()) % 7)
