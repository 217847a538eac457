"""Sites, their globally unique slugs, and integrations."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from publisher.paging import PageRequest
from publisher.store.common import (
    conditional_delete,
    conditional_save,
    conditional_update,
    query_page,
    transact,
)
from publisher.store.models import IntegrationModel, SiteModel, UniqueKeyModel

SLUG_TAKEN = "that slug is already used by another site"
BUCKET_TAKEN = "that bucket belongs to another site"


def bucket_key(bucket: str) -> str:
    """The unique key of an s3 bucket: the first site that configures a bucket owns it."""
    return f"s3-bucket#{bucket}"


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


def _bucket_of(integration: IntegrationModel | None) -> str | None:
    if integration is None or integration.destination != "s3":
        return None
    return str((integration.config or {}).get("bucket") or "") or None


def bucket_owner(bucket: str) -> str | None:
    """The site that holds the bucket's claim, or None when no site does."""
    try:
        return UniqueKeyModel.get(bucket_key(bucket), consistent_read=True).owner_id
    except DoesNotExist:
        return None


def save_integration(integration: IntegrationModel, previous: IntegrationModel | None = None) -> None:
    """Save the integration; for s3, claim its bucket for the site in the same transaction
    (Conflict when another site holds it) and free the bucket it used before."""
    bucket, old_bucket = _bucket_of(integration), _bucket_of(previous)
    if bucket is None and old_bucket is None:
        conditional_save(integration, None, "the integration changed meanwhile")
        return
    site_id = integration.site_id
    mine = UniqueKeyModel.owner_id == site_id
    free_old = old_bucket is not None and old_bucket != bucket and bucket_owner(old_bucket) == site_id

    def write(tx: Any) -> None:
        if bucket is not None:
            claim = UniqueKeyModel(key=bucket_key(bucket), owner_id=site_id)
            tx.save(claim, condition=UniqueKeyModel.key.does_not_exist() | mine)
        if free_old:
            tx.delete(UniqueKeyModel(key=bucket_key(str(old_bucket)), owner_id=site_id), condition=mine)
        tx.save(integration)

    transact(write, BUCKET_TAKEN)


def delete_integration(integration: IntegrationModel) -> None:
    """Remove the integration and, for s3, free its bucket if the site holds it (one transaction)."""
    bucket = _bucket_of(integration)
    if bucket is None or bucket_owner(bucket) != integration.site_id:
        integration.delete()
        return

    def write(tx: Any) -> None:
        tx.delete(
            UniqueKeyModel(key=bucket_key(bucket), owner_id=integration.site_id),
            condition=UniqueKeyModel.owner_id == integration.site_id,
        )
        tx.delete(integration)

    transact(write, "the bucket changed hands meanwhile")


def record_verification(integration: IntegrationModel, checked_at: str, outcome: dict[str, Any]) -> None:
    actions = [
        IntegrationModel.last_verified_at.set(checked_at),
        IntegrationModel.last_verification.set(outcome),
    ]
    conditional_update(integration, actions, IntegrationModel.site_id.exists(), "the integration was removed")


# --- pause and deletion -------------------------------------------------------------------


def set_paused(site: SiteModel, paused: bool, at: str) -> None:
    """Pause or resume publishing, on the condition that the site is in the other state and is not
    being deleted (Conflict otherwise: two pauses, or a resume of a running site, change nothing)."""
    actions = [
        SiteModel.publishing_paused.set(paused),
        SiteModel.paused_at.set(at) if paused else SiteModel.paused_at.remove(),
        SiteModel.updated_at.set(at),
    ]
    running = SiteModel.publishing_paused.does_not_exist() | (SiteModel.publishing_paused == False)  # noqa: E712
    was = running if paused else (SiteModel.publishing_paused == True)  # noqa: E712
    condition = was & SiteModel.deleting_at.does_not_exist()
    verb = "paused" if paused else "running"
    conditional_update(site, actions, condition, f"publishing on this site is already {verb}")


def mark_deleting(site: SiteModel, at: str) -> None:
    """Mark the site deleting and free its slug, in one transaction (Conflict when it is being
    deleted already): from now on it reads as gone and its slug may be taken by a new site."""
    slug_claim = UniqueKeyModel(key=UniqueKeyModel.site_slug(site.slug), owner_id=site.site_id)

    def write(tx: Any) -> None:
        tx.delete(slug_claim, condition=UniqueKeyModel.owner_id == site.site_id)
        tx.update(
            site,
            actions=[SiteModel.deleting_at.set(at), SiteModel.updated_at.set(at)],
            condition=SiteModel.deleting_at.does_not_exist() & (SiteModel.slug == site.slug),
        )

    transact(write, "the site is being deleted already")
    site.deleting_at = at


def delete_site_item(site: SiteModel) -> None:
    """The site's own item, last of all (only once it is marked deleting)."""
    conditional_delete(site, SiteModel.deleting_at.exists(), "the site is not being deleted")
