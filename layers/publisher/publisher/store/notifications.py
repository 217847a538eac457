"""A site's notification settings, kept on the site's own item (so they go with the site): one
UpdateItem to set or clear them, and the site's GetItem to read them."""

from __future__ import annotations

from typing import Any

from publisher.store.common import conditional_update
from publisher.store.models import SiteModel

GONE = "the site no longer exists"


def set_notifications(site: SiteModel, settings: dict[str, Any], sealed_secret: bytes | None) -> None:
    """Replace the settings and the sealed signing secret (None: the site has no webhook)."""
    secret_action = (
        SiteModel.notification_secret.remove()
        if sealed_secret is None
        else SiteModel.notification_secret.set(sealed_secret)
    )
    actions = [SiteModel.notifications.set(settings), secret_action]
    conditional_update(site, actions, SiteModel.site_id.exists(), GONE)


def clear_notifications(site: SiteModel) -> None:
    actions = [SiteModel.notifications.remove(), SiteModel.notification_secret.remove()]
    conditional_update(site, actions, SiteModel.site_id.exists(), GONE)
