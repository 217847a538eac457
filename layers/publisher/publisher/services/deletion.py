"""Deleting content (`DELETE /content/{id}/`, bulk `delete`) and sites (`DELETE /sites/{id}/`).

Content. Refused (409) while publishing, and while a record is `published` unless `?retract=true`.
The content and its slug claim go in one transaction conditioned on the state read (a publication
that starts meanwhile wins); then its records, its history, its minute claim and — when it held a
future slot — its places in the caps. With `?retract=true` and something online, the retraction
and the deletion run later, as a queued unit (`content.delete`): retract every published record
through the retract path, then delete as above.

Sites. The site is marked `deleting` and its slug freed in one transaction (from then on every read
of it answers 404 and the slug may be reused); everything under it is then removed one page at a
time by the queued unit `site.delete`, which re-enqueues itself with a cursor: (retract what is
online, with `?retract=true`), content with its records, history and claims, the remaining records,
deployments, integrations (which hold the sealed credentials; s3 bucket claims are freed with them),
usage counters and the site's own history, settings, and last the site item. Every read is a Query
on the site's key or index, or a GetItem: no Scan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from publisher.bootstrap import ready_store
from publisher.destinations.base import DestinationError
from publisher.domain.statuses import RecordStatus, SiteStatus
from publisher.errors import Conflict, NotFound
from publisher.identity import Caller, act_as
from publisher.services import events as bus
from publisher.services import work
from publisher.services.content import load_content
from publisher.services.records import require_admin, retract_record
from publisher.services.settings import settings_for
from publisher.services.sites import load_site
from publisher.services.slot_claims import held_time
from publisher.store import content as content_store
from publisher.store import history, records, usage
from publisher.store import sites as sites_store
from publisher.store.common import delete_items
from publisher.store.models import (
    ContentModel,
    DeploymentModel,
    PublishingSettingsModel,
    RecordModel,
    SiteModel,
    UsageCounterModel,
)
from publisher.timeutil import iso, utcnow

logger = Logger()

CONTENT_DELETE = "content.delete"
SITE_DELETE = "site.delete"
"""Kinds of the queued units (publisher.services.work)."""
PAGE = 25
"""Items one `site.delete` unit handles before it enqueues its continuation."""

PUBLISHING = "the content is being published; delete it once publishing has finished"


# --- content ------------------------------------------------------------------------------


def online_records(content_id: str) -> list[RecordModel]:
    """The content's records that are published now (read again consistently: the index may lag)."""
    listed = [record.record_id for record in records.records_of_content(content_id)]
    fresh = records.fresh_records(listed).values()
    return [record for record in fresh if record.status == RecordStatus.PUBLISHED]


def _refuse_while_publishing(item: ContentModel) -> None:
    if item.site_status == SiteStatus.PUBLISHING:
        raise Conflict(PUBLISHING)


def delete_content(caller: Caller, content_id: str, *, retract: bool = False) -> tuple[bool, dict[str, Any]]:
    """Delete now (True, `{id, deleted: true}`), or — with `retract` and something online —
    queue the retraction and the deletion (False, `{id, deleted: false, retracting: [...]}`)."""
    caller.require_write()
    item = load_content(caller, content_id)
    _refuse_while_publishing(item)
    online = online_records(item.content_id)
    if online and not retract:
        where = ", ".join(sorted(record.destination for record in online))
        raise Conflict(f"the content is online ({where}); retract it first, or delete with ?retract=true")
    if online:
        work.enqueue(
            CONTENT_DELETE, {"content_id": item.content_id, "actor": caller.user_id, "role": caller.role}
        )
        retracting = [record.record_id for record in online]
        return False, {"id": item.content_id, "deleted": False, "retracting": retracting}
    remove_content(item, utcnow())
    return True, {"id": item.content_id, "deleted": True}


def remove_content(item: ContentModel, now: datetime, *, as_read: bool = True) -> None:
    """Delete the content (on the state read, unless not `as_read`) and then everything that is
    its own: records, history, its minute claim, and its places in the caps when it held a future
    slot (a past one was used, or is history)."""
    held = held_time(item)
    content_store.delete_content(item, as_read=as_read)
    delete_items(RecordModel, records.records_of_content(item.content_id))
    history.delete_trail(item.content_id)
    if held is not None:
        content_store.release_minute(content_store.minute_key(item.site_id, held), item.content_id)
        if held > now:
            usage.release(item.site_id, settings_for(item.site_id), held)
    bus.EventBus().emit(
        bus.CONTENT_DELETED,
        {"content_id": item.content_id, "site_id": item.site_id, "account_id": item.account_id},
    )


@work.unit(CONTENT_DELETE)
def content_delete_unit(payload: dict[str, Any]) -> None:
    retract_and_delete(payload)


def retract_and_delete(payload: dict[str, Any], *, factory: Any = None, vault: Any = None) -> None:
    """The `content.delete` unit: retract every published record, then delete the content. A
    destination that refuses, or content publishing meanwhile, raises (the queue retries)."""
    ready_store()
    act_as(str(payload.get("actor") or "system:content-delete"), str(payload.get("role") or "system"))
    item = content_store.get_content(str(payload["content_id"]))
    if item is None:
        return  # deleted already
    _refuse_while_publishing(item)
    now = utcnow()
    for record in online_records(item.content_id):
        retract_record(record, factory=factory, vault=vault, now=now, actor=payload.get("actor"))
    item = content_store.get_content(item.content_id)  # retracting moved it to not_published
    if item is not None:
        remove_content(item, now)


# --- sites --------------------------------------------------------------------------------


def delete_site(caller: Caller, site_id: str, *, retract: bool = False) -> dict[str, Any]:
    """Mark the site deleting (its slug freed at once) and queue the removal of everything under
    it; admin/owner only. 202 with `{id, deleting: true, deleting_at, retract}`."""
    require_admin(caller)
    site = load_site(caller, site_id)
    now = iso(utcnow())
    sites_store.mark_deleting(site, now)
    history.record_site_change(site, "delete", "active", "deleting", now, {"retract": retract})
    work.enqueue(SITE_DELETE, {"site_id": site_id, "retract": retract, "phase": PHASES[0][0], "cursor": None})
    bus.EventBus().emit(
        bus.SITE_DELETION_STARTED,
        {"site_id": site_id, "account_id": site.account_id, "retract": retract, "actor": caller.user_id},
    )
    return {"id": site_id, "deleting": True, "deleting_at": now, "retract": retract}


Cursor = dict[str, Any] | None
"""A Query's last evaluated key (JSON as DynamoDB gives it), or None for the first page."""


def _page(query: Callable[..., Any], cursor: Cursor) -> tuple[list[Any], Cursor]:
    results = query(limit=PAGE, last_evaluated_key=cursor)
    items = list(results)
    return items, results.last_evaluated_key if len(items) >= PAGE else None


def _retract_page(site: SiteModel, cursor: Cursor) -> Cursor:
    """Retract a page of the site's published records (a refusal is logged; the post stays up)."""
    page, following = _page(lambda **kw: RecordModel.site_index.query(site.site_id, **kw), cursor)
    now = utcnow()
    fresh = records.fresh_records(record.record_id for record in page)
    for record in fresh.values():
        if record.status != RecordStatus.PUBLISHED:
            continue
        try:
            retract_record(record, factory=None, vault=None, now=now, actor="system:site-delete")
        except (DestinationError, Conflict):
            logger.exception("retracting during site deletion failed", extra={"record_id": record.record_id})
    return following


def _content_page(site: SiteModel, cursor: Cursor) -> Cursor:
    page, following = _page(lambda **kw: ContentModel.site_status_index.query(site.site_id, **kw), cursor)
    now = utcnow()
    for item in page:
        remove_content(item, now, as_read=False)
    return following


def _keyed_page(model: Any, query: Callable[..., Any]) -> Callable[[SiteModel, Cursor], Cursor]:
    """A phase that deletes a page of `query(site_id)` items and goes on after it."""

    def phase(site: SiteModel, cursor: Cursor) -> Cursor:
        page, following = _page(lambda **kw: query(site.site_id, **kw), cursor)
        delete_items(model, page)
        return following

    return phase


def _integrations(site: SiteModel, cursor: Cursor) -> Cursor:
    """Every integration (one per destination: a handful), each freeing its s3 bucket claim."""
    for integration in sites_store.integrations_of(site.site_id):
        sites_store.delete_integration(integration)
    return None


def _last_items(site: SiteModel, cursor: Cursor) -> Cursor:
    """The site's own trail, its settings, and last the site item itself."""
    history.delete_trail(site.site_id)
    delete_items(PublishingSettingsModel, [PublishingSettingsModel(site_id=site.site_id)])
    sites_store.delete_site_item(site)
    return None


PHASES: list[tuple[str, Callable[[SiteModel, Cursor], Cursor]]] = [
    ("retract", _retract_page),
    ("content", _content_page),
    ("records", _keyed_page(RecordModel, RecordModel.site_index.query)),
    ("deployments", _keyed_page(DeploymentModel, DeploymentModel.site_index.query)),
    ("integrations", _integrations),
    ("usage", _keyed_page(UsageCounterModel, UsageCounterModel.query)),
    ("site", _last_items),
]
"""In order: what is online comes down while the integrations exist; the site item goes last, so
a unit that fails part-way is retried on a site that still says `deleting`."""
_NAMES = [name for name, _ in PHASES]


@work.unit(SITE_DELETE)
def site_delete_unit(payload: dict[str, Any]) -> None:
    """One page of the deletion, then its continuation (a cursor, or the next phase) on the queue."""
    following = delete_site_page(payload)
    if following is not None:
        work.enqueue(SITE_DELETE, following)


def delete_site_page(payload: dict[str, Any]) -> dict[str, Any] | None:
    """One page of one phase of a site's deletion: the payload of the continuation, or None when
    the site is gone. Payload: `{site_id, retract, phase, cursor}`."""
    ready_store()
    act_as("system:site-delete", "system")
    site = sites_store.get_site(str(payload["site_id"]))
    if site is None:
        return None  # done already (a redelivered last unit)
    if site.deleting_at is None:
        raise NotFound("the site is not being deleted")  # never delete a live site
    phase = str(payload.get("phase") or _NAMES[0])
    if phase == "retract" and not payload.get("retract"):
        phase = "content"
    step = dict(PHASES)[phase]
    following = step(site, payload.get("cursor"))
    if following is not None:
        return {**payload, "phase": phase, "cursor": following}
    index = _NAMES.index(phase)
    if index + 1 == len(_NAMES):
        bus.EventBus().emit(bus.SITE_DELETED, {"site_id": site.site_id, "account_id": site.account_id})
        logger.info("site deleted", extra={"site_id": site.site_id})
        return None
    return {**payload, "phase": _NAMES[index + 1], "cursor": None}
