"""Publishing settings (one document per site) and the site's calendar feed token hash."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import DoesNotExist

from publisher.store.common import conditional_update
from publisher.store.models import AUTO_SHARDS, PublishingSettingsModel, SiteModel


def get_settings(site_id: str) -> PublishingSettingsModel | None:
    try:
        return PublishingSettingsModel.get(site_id, consistent_read=True)
    except DoesNotExist:
        return None


def save_settings(item: PublishingSettingsModel) -> None:
    """Replace the site's settings (PUT semantics); the sparse auto-index key follows the flags."""
    item.refresh_index_keys()
    item.save()


def sites_with_automation() -> Iterator[PublishingSettingsModel]:
    """Settings of every site with auto-approval or auto-publish on, shard by shard (no Scan)."""
    for shard in range(AUTO_SHARDS):
        yield from PublishingSettingsModel.auto_index.query(str(shard))


def set_feed_token_hash(site: SiteModel, token_hash: str) -> None:
    conditional_update(
        site,
        [SiteModel.feed_token_hash.set(token_hash)],
        SiteModel.site_id.exists(),
        "the site no longer exists",
    )
