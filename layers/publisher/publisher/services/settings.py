"""Publishing settings per site: read (defaults when none stored), replace, and `settings_for`, the
one way every other service loads them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from publisher.bootstrap import ready_store
from publisher.domain.limits import Id
from publisher.domain.publishing_settings import PublishingSettings
from publisher.errors import Invalid
from publisher.identity import Caller
from publisher.services.sites import load_site
from publisher.services.slot_claims import recount_counters
from publisher.services.views import settings_view
from publisher.store import settings as store
from publisher.store.models import PublishingSettingsModel
from publisher.timeutil import iso, utcnow


class SettingsPut(PublishingSettings):
    """Body of `PUT /sites/{id}/publishing-settings/`: the whole settings document (omitted fields
    take their defaults). `site_id` and `updated_at`, as GET returns them, are accepted so a client
    can send back what it read; they are not stored from the body."""

    site_id: Id | None = None
    updated_at: Annotated[str, Field(max_length=40)] | None = None


def settings_for(site_id: str) -> PublishingSettings:
    """The site's settings, or the defaults of the API contract when none are stored."""
    ready_store()
    stored = store.get_settings(site_id)
    return PublishingSettings.model_validate(stored.document) if stored else PublishingSettings()


def get_publishing_settings(caller: Caller, site_id: str) -> dict[str, Any]:
    load_site(caller, site_id)
    stored = store.get_settings(site_id)
    if stored is None:
        return settings_view(site_id, PublishingSettings(), None)
    return settings_view(site_id, PublishingSettings.model_validate(stored.document), stored.updated_at)


RECOUNTED_BY = ("timezone", "daily_publish_limit", "weekly_publish_limit", "monthly_publish_limit")
"""Settings whose change rewrites the site's counters from its calendar."""


def put_publishing_settings(caller: Caller, site_id: str, body: SettingsPut) -> dict[str, Any]:
    """Replace the settings. A new time zone or a changed cap recounts the site's counters (in the
    new local periods; unlimited periods are not counted, so a new cap starts from the calendar)."""
    caller.require_write()
    site = load_site(caller, site_id)
    if body.site_id not in (None, site_id):
        raise Invalid("the settings belong to the site in the path", {"site_id": ["must be this site's id"]})
    # The body was validated as a whole (defaults included), so this copy cannot fail.
    settings = PublishingSettings.model_validate(body.model_dump(exclude={"site_id", "updated_at"}))
    previous = store.get_settings(site_id)
    old = PublishingSettings.model_validate(previous.document if previous else {})
    now = utcnow()
    item = PublishingSettingsModel(
        site_id=site_id,
        account_id=site.account_id,
        document=settings.model_dump(mode="json"),
        updated_at=iso(now),
    )
    store.save_settings(item)
    if any(getattr(settings, name) != getattr(old, name) for name in RECOUNTED_BY):
        recount_counters(site_id, settings, now)
    return settings_view(site_id, settings, item.updated_at)
