"""Stored items → the API.md resource shapes (the only place that decides what is shown)."""

from __future__ import annotations

from typing import Any


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
