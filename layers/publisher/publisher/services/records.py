"""Publishing records through the API: list, read, record a publication made elsewhere (seed),
and retract a post at its destination."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from publisher.bootstrap import ready_store
from publisher.destinations import DESTINATION_NAMES
from publisher.destinations.base import DestinationError
from publisher.domain.publishing import (
    SYSTEM_METADATA_KEYS,
    Outcome,
    RecordCreate,
    RecordPatch,
    attempt_entry,
    latest_by_destination,
    patched_metadata,
    with_attempt,
)
from publisher.domain.statuses import RETRACT, UNPUBLISH, RecordStatus
from publisher.errors import Conflict, Forbidden, Invalid, NotFound
from publisher.identity import Caller
from publisher.ids import new_id
from publisher.paging import PageRequest
from publisher.services.adapters import DestinationFactory, open_destination
from publisher.services.content import load_content
from publisher.services.credentials import CredentialVault
from publisher.services.sites import load_site
from publisher.services.views import attempts_view, record_view
from publisher.store import content as content_store
from publisher.store import records as store
from publisher.store import sites as site_store
from publisher.store.common import status_condition
from publisher.store.models import RecordModel
from publisher.store.publication import as_read, first_records, update_content, write_together
from publisher.timeutil import iso, utcnow

KEEP_RETRACTED = timedelta(days=90)
"""Retracted records expire (DynamoDB TTL) this long after the retraction."""
EXTERNAL_SOURCE = "external"
"""`metadata.source` of records made by `POST /publisher/records/`."""


def load_record(caller: Caller, record_id: str) -> RecordModel:
    ready_store()
    record = store.get_record(record_id)
    if record is None or not caller.can_see(record.account_id):
        raise NotFound("no such record")
    return record


def get_record(caller: Caller, record_id: str) -> dict[str, Any]:
    return record_view(load_record(caller, record_id))


def attempts(caller: Caller, record_id: str) -> list[dict[str, Any]]:
    """The record's attempts log (`{at, outcome, error, actor, deployment_id}`), oldest first."""
    return attempts_view(load_record(caller, record_id))


def list_records(
    caller: Caller,
    page: PageRequest,
    *,
    site_id: str | None = None,
    content_id: str | None = None,
    status: str | None = None,
    destination: str | None = None,
    account_id: str | None = None,
    sector_id: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Records newest first, by content, site or account (in that order of precedence)."""
    ready_store()
    _check_filters(status, destination)
    scope = _scope(caller, content_id=content_id, site_id=site_id, account_id=account_id)
    if scope is None:
        return [], None
    items, cursor = store.page_of(*scope, page, status=status, destination=destination, sector_id=sector_id)
    return [record_view(item) for item in items], cursor


def _check_filters(status: str | None, destination: str | None) -> None:
    problems: dict[str, list[str]] = {}
    if status is not None and status not in set(RecordStatus):
        problems["status"] = [f"must be one of {', '.join(RecordStatus)}"]
    if destination is not None and destination not in DESTINATION_NAMES:
        problems["destination"] = [f"must be one of {', '.join(DESTINATION_NAMES)}"]
    if problems:
        raise Invalid("the filters are invalid", problems)


def _scope(
    caller: Caller, *, content_id: str | None, site_id: str | None, account_id: str | None
) -> tuple[str, str] | None:
    """Which records to page through, once the caller may see them (None: nothing to show)."""
    if content_id is not None:
        load_content(caller, content_id, with_body=False)
        return "content", content_id
    if site_id is not None:
        load_site(caller, site_id)
        return "site", site_id
    if account_id is not None and not caller.can_see(account_id):
        return None
    return "account", account_id or caller.account_id


def create_record(caller: Caller, body: RecordCreate, *, now: datetime | None = None) -> dict[str, Any]:
    """Record a publication made outside Publisher (the seed's POST): pending, or published with
    the post's external id, so later publications update that post instead of creating one."""
    caller.require_write()
    content = load_content(caller, body.content_id, with_body=False)
    problems: dict[str, list[str]] = {}
    if body.destination not in DESTINATION_NAMES:
        problems["destination"] = [f"must be one of {', '.join(DESTINATION_NAMES)}"]
    if body.status == RecordStatus.PUBLISHED and not body.external_id:
        problems["external_id"] = ["is required for a published record"]
    if problems:
        raise Invalid("the record is invalid", problems)
    if any(item.destination == body.destination for item in store.records_of_content(content.content_id)):
        raise Conflict(
            f"the content has a {body.destination} record already; a content has one record per destination"
        )
    now_iso = iso(now or utcnow())
    record = RecordModel(
        record_id=new_id(),
        account_id=content.account_id,
        site_id=content.site_id,
        sector_id=content.sector_id,
        content_id=content.content_id,
        destination=body.destination,
        status=body.status,
        external_id=body.external_id,
        external_url=body.external_url,
        published_at=now_iso if body.status == RecordStatus.PUBLISHED else None,
        attempts=0,
        metadata={**body.metadata, "source": EXTERNAL_SOURCE},
        created_at=now_iso,
        updated_at=now_iso,
    )
    if content.no_records:  # its first record: the mark goes in the same transaction
        conflict = "the content changed meanwhile; read it again and retry"
        write_together(changes=first_records(content, []), new_records=[record], conflict=conflict)
    else:
        store.create_record(record)
    return record_view(record)


def retract(
    caller: Caller,
    record_id: str,
    *,
    factory: DestinationFactory | None = None,
    vault: CredentialVault | None = None,
) -> dict[str, Any]:
    """Take a published post down at its destination; the record becomes retracted."""
    caller.require_write()
    record = load_record(caller, record_id)
    if record.status != RecordStatus.PUBLISHED:
        raise Conflict(f"only a published record can be retracted; this one is {record.status}")
    current = latest_by_destination(store.records_of_content(record.content_id)).get(record.destination)
    if current is not None and current.record_id != record.record_id:
        raise Conflict(
            "only the current publication can be retracted; "
            f"record {current.record_id} is the current one for {record.destination}"
        )
    try:
        retract_record(record, factory=factory, vault=vault, now=utcnow(), actor=caller.user_id)
    except DestinationError as error:
        raise Conflict(f"the destination did not retract the post: {error}") from error
    return record_view(record)


def patch_record(
    caller: Caller, record_id: str, body: RecordPatch, *, now: datetime | None = None
) -> dict[str, Any]:
    """`metadata` (Publisher's own keys, `source` among them, are kept and may not be set) and the
    `external_url` of a record made by `POST` (Publisher's own records take it from the destination)."""
    caller.require_write()
    record = load_record(caller, record_id)
    named = body.model_fields_set
    problems: dict[str, list[str]] = {}
    for name in named:
        if getattr(body, name) is None:
            problems[name] = ["may not be null"]
    if body.metadata and SYSTEM_METADATA_KEYS & set(body.metadata):
        problems["metadata"] = [f"may not set {', '.join(sorted(SYSTEM_METADATA_KEYS & set(body.metadata)))}"]
    if "external_url" in named and not made_elsewhere(record):
        problems["external_url"] = ["only a record made by POST /publisher/records/ takes an external_url"]
    if problems:
        raise Invalid("the change is invalid", problems)
    changes: dict[str, Any] = {"updated_at": iso(now or utcnow())}
    if "metadata" in named:
        changes["metadata"] = patched_metadata(record.metadata, dict(body.metadata or {}))
    if "external_url" in named:
        changes["external_url"] = body.external_url
    store.update_record(
        record, changes, store.unchanged(record), "the record changed meanwhile; read it again"
    )
    return record_view(record)


ADMIN_ROLES = frozenset({"admin", "owner"})


def require_admin(caller: Caller) -> None:
    """403 unless the caller is an admin or owner (deleting records and deployments)."""
    if caller.role not in ADMIN_ROLES:
        raise Forbidden(f"only an admin or owner may delete this; the {caller.role} role may not")


def delete_record(caller: Caller, record_id: str) -> None:
    """Forget a record (admin/owner) that is not publishing; the destination is untouched."""
    require_admin(caller)
    record = load_record(caller, record_id)
    if record.status == RecordStatus.PUBLISHING:
        raise Conflict("the record is being published; delete it once publishing has finished")
    store.delete_record(record, store.unchanged(record))


def made_elsewhere(record: RecordModel) -> bool:
    """Whether the record was made by `POST /publisher/records/` (a publication outside Publisher)."""
    return (record.metadata or {}).get("source") == EXTERNAL_SOURCE


def retract_record(
    record: RecordModel,
    *,
    factory: DestinationFactory | None,
    vault: CredentialVault | None,
    now: datetime,
    actor: str | None = None,
) -> None:
    """Retract at the destination (DestinationError when it refuses), then published → retracted;
    the content becomes not_published when none of its records is published any more.

    A record made by `POST /publisher/records/` names a post Publisher did not write: retracting
    it only changes the record (`retracted_at_destination: false`), never deletes at the destination.
    """
    at_destination = bool(record.external_id) and not made_elsewhere(record)
    if at_destination:
        integration = site_store.get_integration(record.site_id, record.destination)
        adapter = open_destination(
            integration, record.destination, account_id=record.account_id, factory=factory, vault=vault
        )
        adapter.retract(record.external_id)
    changes = {
        "status": RETRACT.target.value,
        "updated_at": iso(now),
        "expires_at": now + KEEP_RETRACTED,
        "metadata": {
            **(record.metadata or {}),
            "retracted_at": iso(now),
            "retracted_at_destination": at_destination,
        },
        "attempt_log": with_attempt(
            record.attempt_log,
            attempt_entry(iso(now), Outcome.RETRACTED, actor=actor, deployment_id=record.deployment_id),
        ),
    }
    condition = status_condition(RecordModel.status, RETRACT, record.status)
    store.update_record(record, changes, condition, "the record changed meanwhile")
    settle_unpublished(record.content_id, now)


def settle_unpublished(content_id: str, now: datetime) -> bool:
    """published → not_published when no record of the content is published any more (after a
    retract or a rollback), so the calendar, the queue and the publish status tell the truth.
    False when the content stays as it is (something is still online, or it moved on)."""
    content = content_store.get_content(content_id)
    if content is None or not UNPUBLISH.allows(content.site_status):
        return False
    for listed in store.records_of_content(content_id):
        # the index may lag: a record it shows published is read again (GetItem, consistent)
        if listed.status == RecordStatus.PUBLISHED:
            record = store.get_record(listed.record_id)
            if record is not None and record.status == RecordStatus.PUBLISHED:
                return False
    changes = {
        "site_status": UNPUBLISH.target.value,
        "site_status_updated_at": iso(now),
        "scheduled_publish_at": None,
        "enqueued_for": None,
    }
    try:
        update_content(content, changes, as_read(content, UNPUBLISH), "the content changed meanwhile")
    except Conflict:
        return False
    return True
