"""Pausing and resuming a site's publishing (`POST /sites/{id}/pause/`, `/resume/`).

While paused, the timed jobs hand nothing of the site over (handover.site_is_held), publish-now and
deployments answer 409 naming the pause, and the queue marks the site's items `paused`. Resuming
hands over at once what is due before the job's next run; what fell due meanwhile follows the
site's missed_schedule_policy (handover.catch_up, the hand-over's own missed-slot code).
"""

from __future__ import annotations

from typing import Any

from publisher.identity import Caller
from publisher.services import events as bus
from publisher.services import handover
from publisher.services.sites import load_site
from publisher.services.views import site_view
from publisher.store import history
from publisher.store import sites as store
from publisher.timeutil import iso, utcnow

RUNNING, PAUSED = "running", "paused"


def pause(caller: Caller, site_id: str) -> dict[str, Any]:
    """Pause the site's publishing (409 when it is paused already)."""
    caller.require_write()
    site = load_site(caller, site_id)
    at = iso(utcnow())
    store.set_paused(site, True, at)
    site.publishing_paused, site.paused_at, site.updated_at = True, at, at
    history.record_site_change(site, "pause", RUNNING, PAUSED, at)
    bus.EventBus().emit(
        bus.SITE_PAUSED,
        {"site_id": site_id, "account_id": site.account_id, "paused_at": at, "actor": caller.user_id},
    )
    return site_view(site)


def resume(caller: Caller, site_id: str) -> dict[str, Any]:
    """Resume the site's publishing (409 when it is running) and catch up on what fell due."""
    caller.require_write()
    site = load_site(caller, site_id)
    now = utcnow()
    at = iso(now)
    paused_since = site.paused_at
    store.set_paused(site, False, at)
    site.publishing_paused, site.paused_at, site.updated_at = False, None, at
    caught_up = handover.catch_up(site_id, now).as_dict()
    detail = {"paused_at": paused_since, "caught_up": caught_up}
    history.record_site_change(site, "resume", PAUSED, RUNNING, at, detail)
    bus.EventBus().emit(
        bus.SITE_RESUMED,
        {"site_id": site_id, "account_id": site.account_id, "actor": caller.user_id, **detail},
    )
    return site_view(site)
