"""Publishing settings (one document per site) and the site's calendar feed token hash."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from publisher.paging import PageRequest
from publisher.store.common import conditional_update, query_page
from publisher.store.models import PublishingSettingsModel, SiteModel


def get_settings(site_id: str) -> PublishingSettingsModel | None:
    try:
        return PublishingSettingsModel.get(site_id, consistent_read=True)
    except DoesNotExist:
        return None


def save_settings(item: PublishingSettingsModel) -> None:
    """Replace the site's settings (PUT semantics); the sparse auto-index key follows the flags."""
    item.refresh_index_keys()
    item.save()


def sites_with_automation_page(shard: int, page: PageRequest) -> tuple[list[str], str | None]:
    """One page of the ids of the sites with auto-approval or auto-publish on, in one shard of
    the auto-index (no Scan), and the next page's cursor."""
    items, cursor = query_page(PublishingSettingsModel.auto_index.query, str(shard), page=page)
    return [item.site_id for item in items], cursor


def set_feed_token_hash(site: SiteModel, token_hash: str) -> None:
    conditional_update(
        site,
        [SiteModel.feed_token_hash.set(token_hash)],
        SiteModel.site_id.exists(),
        "the site no longer exists",
    )
