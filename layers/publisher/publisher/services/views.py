"""Stored items → the API.md resource shapes: the only place that decides what the API, the events
and the worker's transform see of a stored item."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from publisher.domain.statuses import ContentStatus, SiteStatus
from publisher.domain.transform import HASHED_FIELDS, content_hash
from publisher.timeutil import parse_iso


def site_view(site: Any) -> dict[str, Any]:
    return {
        "id": site.site_id,
        "account_id": site.account_id,
        "sector_id": site.sector_id,
        "name": site.name,
        "slug": site.slug,
        "url": site.url,
        "content_types": list(site.content_types or []),
        "taxonomies": site.taxonomies or {"categories": [], "tags": []},
        "url_structure": site.url_structure or {},
        "publishing_paused": bool(site.publishing_paused),
        "paused_at": site.paused_at,
        "created_at": site.created_at,
        "updated_at": site.updated_at,
    }


def site_definition_view(site: Any) -> dict[str, Any]:
    """The public, unauthenticated view: structure only, no tenant ids."""
    return {
        "name": site.name,
        "slug": site.slug,
        "url": site.url,
        "content_types": list(site.content_types or []),
        "taxonomies": site.taxonomies or {"categories": [], "tags": []},
        "url_structure": site.url_structure or {},
    }


def integration_view(integration: Any) -> dict[str, Any]:
    return {
        "site_id": integration.site_id,
        "destination": integration.destination,
        "enabled": integration.enabled,
        "config": integration.config or {},
        "has_credentials": integration.credentials_ciphertext is not None,
        "last_verified_at": integration.last_verified_at,
        "last_verification": integration.last_verification,
        "created_at": integration.created_at,
        "updated_at": integration.updated_at,
    }


def changed_since_publish(item: Any) -> bool:
    """Whether a published field (title, html, excerpt, slug, content type, taxonomy, featured
    image) was edited after the content's last successful publication."""
    if not item.published_hash:
        return False
    return current_hash(item) != item.published_hash


def current_hash(item: Any) -> str:
    """The hash of a content's published fields as stored now: kept on the item when its body is
    stored apart (no body read needed), else computed from the fields."""
    stored = getattr(item, "content_hash", None)
    if stored:
        return stored
    return content_hash({name: getattr(item, name, None) for name in HASHED_FIELDS})


def with_local_time(view: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """The view plus `timezone` (the site's IANA zone) and `local_time`: every UTC time of the view
    (each `*_at` field that is set) as ISO 8601 in the site's zone, with its UTC offset at that
    instant (so a time after a DST change carries the new offset)."""
    local = {
        name: parse_iso(value).astimezone(zone).isoformat()
        for name, value in view.items()
        if name.endswith("_at") and isinstance(value, str)
    }
    return {**view, "timezone": str(zone), "local_time": local}


def waiting_view(item: Any) -> dict[str, Any]:
    """What a content item waits for: why the scheduler left it without a slot (approved, not
    published), and when the queue tries a failed attempt again (retrying)."""
    waiting = item.status == ContentStatus.APPROVED and item.site_status == SiteStatus.NOT_PUBLISHED
    return {
        "unscheduled_reason": item.unscheduled_reason if waiting else None,
        "next_attempt_at": item.next_attempt_at if item.site_status == SiteStatus.RETRYING else None,
    }


def content_view(item: Any, zone: tzinfo | None = None) -> dict[str, Any]:
    """The API.md Content resource (plus published_at, last_error and changed_since_publish, read-only);
    with the site's `zone`, as the API shows it: with `timezone` and `local_time` (with_local_time)."""
    view = {
        "id": item.content_id,
        "account_id": item.account_id,
        "site_id": item.site_id,
        "sector_id": item.sector_id,
        "title": item.title,
        "html": item.html or "",
        "excerpt": item.excerpt,
        "slug": item.slug,
        "content_type": item.content_type,
        "categories": list(item.categories or []),
        "tags": list(item.tags or []),
        "featured_image_url": item.featured_image_url,
        "status": item.status,
        "site_status": item.site_status,
        "scheduled_publish_at": item.scheduled_publish_at,
        "destinations": list(item.schedule_destinations) if item.schedule_destinations else None,
        "unpublish_at": item.unpublish_at,
        "published_at": item.published_at,
        "last_error": item.last_error,
        "changed_since_publish": changed_since_publish(item),
        **waiting_view(item),
        "site_status_updated_at": item.site_status_updated_at,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }
    return view if zone is None else with_local_time(view, zone)


def preview_view(article: Any, destination: str, *, enabled: bool, images: list[str]) -> dict[str, Any]:
    """`GET /content/{id}/preview/`: the Article a publication to `destination` sends, and the
    images the destination would be given (the featured image first, then each `<img>` of the body)."""
    return {
        "content_id": article.content_id,
        "destination": destination,
        "integration_enabled": enabled,
        "title": article.title,
        "slug": article.slug,
        "html": article.html,
        "excerpt": article.excerpt,
        "content_type": article.content_type,
        "categories": list(article.categories),
        "tags": list(article.tags),
        "featured_image_url": article.featured_image_url,
        "image_urls": images,
        "canonical_url": article.canonical_url,
        "content_hash": article.content_hash,
    }


def record_view(record: Any) -> dict[str, Any]:
    """A PublishingRecord as API.md shows it."""
    return {
        "id": record.record_id,
        "account_id": record.account_id,
        "site_id": record.site_id,
        "sector_id": record.sector_id,
        "content_id": record.content_id,
        "destination": record.destination,
        "external_id": record.external_id,
        "external_url": record.external_url,
        "status": record.status,
        "published_at": record.published_at,
        "error": record.error,
        "attempts": int(record.attempts or 0),
        "metadata": record.metadata or {},
        "deployment_id": record.deployment_id,
        "next_retry_at": record.next_retry_at,
        "next_attempt_at": record.next_attempt_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def attempts_view(record: Any) -> list[dict[str, Any]]:
    """A record's attempts log as API.md shows it: `{at, outcome, error, actor, deployment_id}`."""
    return [
        {
            "at": entry.get("at"),
            "outcome": entry.get("outcome"),
            "error": entry.get("error"),
            "actor": entry.get("actor"),
            "deployment_id": entry.get("deployment_id"),
        }
        for entry in record.attempt_log or []
    ]


def deployment_view(deployment: Any) -> dict[str, Any]:
    """A DeploymentRecord as API.md shows it."""
    return {
        "id": deployment.deployment_id,
        "account_id": deployment.account_id,
        "site_id": deployment.site_id,
        "sector_id": deployment.sector_id,
        "deployment_type": deployment.deployment_type,
        "status": deployment.status,
        "version": int(deployment.version) if deployment.version is not None else None,
        "url": deployment.url,
        "items_total": int(deployment.items_total or 0),
        "items_deployed": int(deployment.items_deployed or 0),
        "items_failed": int(deployment.items_failed or 0),
        "started_at": deployment.started_at,
        "completed_at": deployment.completed_at,
        "error_log": list(deployment.error_log or []),
        "metadata": deployment.metadata or {},
        "created_at": deployment.created_at,
        "updated_at": deployment.updated_at,
    }


def settings_view(site_id: str, settings: Any, updated_at: str | None) -> dict[str, Any]:
    """PublishingSettings as API.md shows them (the validated document plus its ids and time)."""
    return {"site_id": site_id, **settings.model_dump(mode="json"), "updated_at": updated_at}


def calendar_entry(item: Any, zone: tzinfo) -> dict[str, Any]:
    """A calendar or queue line: what a planner shows, without the body; its times also in the
    site's `zone` (with_local_time)."""
    view = {
        "id": item.content_id,
        "site_id": item.site_id,
        "title": item.title,
        "slug": item.slug,
        "content_type": item.content_type,
        "status": item.status,
        "site_status": item.site_status,
        "scheduled_publish_at": item.scheduled_publish_at,
        "published_at": item.published_at,
        "calendar_at": item.calendar_at,
        "site_status_updated_at": item.site_status_updated_at,
        "last_error": item.last_error,
        "changed_since_publish": changed_since_publish(item),
        **waiting_view(item),
    }
    return with_local_time(view, zone)


def history_view(entry: Any) -> dict[str, Any]:
    """One entry of a content's history (its audit trail)."""
    return {
        "at": entry.at,
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "from": entry.from_state,
        "to": entry.to_state,
        "detail": dict(entry.detail or {}),
    }


def notifications_view(
    site_id: str, document: dict[str, Any] | None, *, has_secret: bool, signing_secret: str | None = None
) -> dict[str, Any]:
    """A site's notification settings; `signing_secret` only in the reply that made it (shown once)."""
    document = document or {}
    return {
        "site_id": site_id,
        "webhook_url": document.get("webhook_url"),
        "emails": list(document.get("emails") or []),
        "events": list(document.get("events") or []),
        "allow_insecure_http": bool(document.get("allow_insecure_http")),
        "has_signing_secret": has_secret,
        "signing_secret": signing_secret,
        "updated_at": document.get("updated_at"),
    }


def bulk_result_view(
    content_id: str, status: int, data: Any = None, error: str | None = None
) -> dict[str, Any]:
    """One item of `POST /content/bulk/`: `status` is what the single route would have answered."""
    return {"id": content_id, "ok": error is None, "status": status, "error": error, "data": data}
