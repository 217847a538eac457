"""Sites, their globally unique slugs, and integrations."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from publisher.paging import PageRequest
from publisher.store.common import conditional_save, conditional_update, query_page, transact
from publisher.store.models import IntegrationModel, SiteModel, UniqueKeyModel

SLUG_TAKEN = "that slug is already used by another site"


def get_site(site_id: str) -> SiteModel | None:
    try:
        return SiteModel.get(site_id, consistent_read=True)
    except DoesNotExist:
        return None


def create_site(site: SiteModel) -> None:
    """Insert the site and claim its slug in one transaction (Conflict if the slug is taken)."""
    claim = UniqueKeyModel(key=UniqueKeyModel.site_slug(site.slug), owner_id=site.site_id)

    def write(tx: Any) -> None:
        tx.save(claim, condition=UniqueKeyModel.key.does_not_exist())
        tx.save(site, condition=SiteModel.site_id.does_not_exist())

    transact(write, SLUG_TAKEN)


def update_site(site: SiteModel, changes: dict[str, Any], updated_at: str) -> None:
    """Apply field changes; a new slug swaps the slug claims in the same transaction."""
    new_slug = changes.get("slug")
    actions = [getattr(SiteModel, name).set(value) for name, value in changes.items()]
    actions.append(SiteModel.updated_at.set(updated_at))
    if new_slug is None or new_slug == site.slug:
        conditional_update(site, actions, SiteModel.site_id.exists(), "the site no longer exists")
        return
    old_claim = UniqueKeyModel(key=UniqueKeyModel.site_slug(site.slug), owner_id=site.site_id)
    new_claim = UniqueKeyModel(key=UniqueKeyModel.site_slug(new_slug), owner_id=site.site_id)

    def write(tx: Any) -> None:
        tx.save(new_claim, condition=UniqueKeyModel.key.does_not_exist())
        tx.delete(old_claim, condition=UniqueKeyModel.owner_id == site.site_id)
        tx.update(site, actions=actions, condition=SiteModel.slug == site.slug)

    transact(write, SLUG_TAKEN)
    site.refresh(consistent_read=True)


def site_by_slug(slug: str) -> SiteModel | None:
    try:
        claim = UniqueKeyModel.get(UniqueKeyModel.site_slug(slug))
    except DoesNotExist:
        return None
    return get_site(claim.owner_id)


def sites_by_account(account_id: str, page: PageRequest) -> tuple[list[SiteModel], str | None]:
    return query_page(SiteModel.account_index.query, account_id, page=page)


def integrations_of(site_id: str) -> list[IntegrationModel]:
    return list(IntegrationModel.query(site_id, consistent_read=True))


def get_integration(site_id: str, destination: str) -> IntegrationModel | None:
    try:
        return IntegrationModel.get(site_id, destination, consistent_read=True)
    except DoesNotExist:
        return None


def save_integration(integration: IntegrationModel) -> None:
    conditional_save(integration, None, "the integration changed meanwhile")


def delete_integration(integration: IntegrationModel) -> None:
    integration.delete()


def record_verification(integration: IntegrationModel, checked_at: str, outcome: dict[str, Any]) -> None:
    actions = [
        IntegrationModel.last_verified_at.set(checked_at),
        IntegrationModel.last_verification.set(outcome),
    ]
    conditional_update(integration, actions, IntegrationModel.site_id.exists(), "the integration was removed")
