"""Batch deployments of a site's content, their live counters, and rollback.

A deployment is written in three steps so that no worker can finish an item before the total
is known: every content item moves to publishing with its records (one transaction each), the
deployment becomes `deploying` with `items_total` = the records written, and only then are the
messages sent. Workers count each item's final outcome atomically (ADD) and exactly one of them
moves the deployment on (conditional deploying → completed | failed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from publisher.bootstrap import ready_store
from publisher.destinations.base import DestinationError
from publisher.domain.publishing import (
    SYSTEM_METADATA_KEYS,
    DeploymentCreate,
    DeploymentPatch,
    Outcome,
    latest_by_destination,
    newness,
    patched_metadata,
)
from publisher.domain.statuses import (
    DEPLOYMENT_STATUS_ALIASES,
    FAIL_DEPLOYMENT,
    FINISH_DEPLOYMENT,
    FINISH_EMPTY_DEPLOYMENT,
    FINISHED_DEPLOYMENTS,
    ROLL_BACK,
    START_DEPLOYMENT,
    ContentStatus,
    DeploymentStatus,
    RecordStatus,
    SiteStatus,
)
from publisher.errors import Conflict, Invalid, NotFound
from publisher.identity import Caller
from publisher.ids import new_id
from publisher.paging import PageRequest
from publisher.services import events as bus
from publisher.services.adapters import DestinationFactory, refusal
from publisher.services.credentials import CredentialVault
from publisher.services.publishing import (
    Dispatch,
    claim_of_publication,
    enabled_integrations,
    may_override_limits,
    refuse_past_caps,
    refuse_while_paused,
    send_messages,
    start_publishing,
    write_records,
)
from publisher.services.records import require_admin, retract_record
from publisher.services.sites import load_site
from publisher.services.views import current_hash, deployment_view
from publisher.store import content as content_store
from publisher.store import deployments as store
from publisher.store import records as record_store
from publisher.store.common import status_condition
from publisher.store.models import ContentModel, DeploymentModel, IntegrationModel, RecordModel
from publisher.timeutil import iso, utcnow

logger = Logger()

KEEP_FINISHED = timedelta(days=400)
"""Finished deployments expire (DynamoDB TTL) this long after they finish."""
WAITING = frozenset({SiteStatus.PUBLISHING, SiteStatus.RETRYING, SiteStatus.SCHEDULED})
"""Content a deployment leaves alone: already on its way, or waiting for a time of its own."""


def load_deployment(caller: Caller, deployment_id: str) -> DeploymentModel:
    ready_store()
    deployment = store.get_deployment(deployment_id)
    if deployment is None or not caller.can_see(deployment.account_id):
        raise NotFound("no such deployment")
    return deployment


def get_deployment(caller: Caller, deployment_id: str) -> dict[str, Any]:
    return deployment_view(load_deployment(caller, deployment_id))


def list_deployments(
    caller: Caller,
    page: PageRequest,
    *,
    site_id: str | None = None,
    status: str | None = None,
    sector_id: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Deployments newest first, of a site or of the caller's account; `status` (`deployed` is
    the seed-002 alias of `completed`) and `sector_id` filter them."""
    ready_store()
    conditions = []
    if status is not None:
        wanted = DEPLOYMENT_STATUS_ALIASES.get(status) or DeploymentStatus(status)
        conditions.append(DeploymentModel.status == wanted.value)
    if sector_id is not None:
        conditions.append(DeploymentModel.sector_id == sector_id)
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    if site_id is not None:
        load_site(caller, site_id)
        items, cursor = store.page_by_site(site_id, page, filter_condition=combined)
    else:
        items, cursor = store.page_by_account(caller.account_id, page, filter_condition=combined)
    return [deployment_view(item) for item in items], cursor


def patch_deployment(caller: Caller, deployment_id: str, body: DeploymentPatch) -> dict[str, Any]:
    """Change the deployment's `metadata` (Publisher's own keys are kept and may not be set)."""
    caller.require_write()
    deployment = load_deployment(caller, deployment_id)
    if "metadata" in body.model_fields_set and body.metadata is None:
        raise Invalid("the change is invalid", {"metadata": ["may not be null"]})
    taken = SYSTEM_METADATA_KEYS & set(body.metadata or {})
    if taken:
        raise Invalid("the change is invalid", {"metadata": [f"may not set {', '.join(sorted(taken))}"]})
    if body.metadata is not None:
        changes = {
            "metadata": patched_metadata(deployment.metadata, dict(body.metadata)),
            "updated_at": iso(utcnow()),
        }
        condition = DeploymentModel.updated_at == deployment.updated_at
        store.update_deployment(
            deployment, changes, condition, "the deployment changed meanwhile; read it again"
        )
    return deployment_view(deployment)


def delete_deployment(caller: Caller, deployment_id: str) -> None:
    """Forget a finished deployment's record (admin/owner); its records and posts stay."""
    require_admin(caller)
    deployment = load_deployment(caller, deployment_id)
    if deployment.status not in FINISHED_DEPLOYMENTS:
        raise Conflict(f"only a finished deployment can be deleted; this one is {deployment.status}")
    store.delete_deployment(deployment)


# --- starting ------------------------------------------------------------------------------


def _next_version(site_id: str) -> int:
    """The site's next deployment number: its newest deployment's + 1 (1 for the first)."""
    latest = store.latest_of_site(site_id)
    return int(latest.version or 0) + 1 if latest is not None else 1


def start_deployment(
    caller: Caller, body: DeploymentCreate, *, now: datetime | None = None
) -> dict[str, Any]:
    """Hand every item of the deployment to the queue; 202 with the deployment."""
    caller.require_write()
    override = may_override_limits(caller, body.override_limits)
    site = load_site(caller, body.site_id)
    refuse_while_paused(site)
    integrations = enabled_integrations(site.site_id)
    if not integrations:
        raise Conflict("the site has no enabled integration to deploy to")
    reasons = [reason for item in integrations if (reason := refusal(item, item.destination))]
    if reasons:
        raise Invalid("some integrations cannot be deployed to", {"site_id": reasons})
    now = now or utcnow()
    plan, skipped = _plan(site.site_id, body.deployment_type, integrations)
    if not override:
        refuse_past_caps(site.site_id, [content for content, _ in plan], now)
    deployment = DeploymentModel(
        deployment_id=new_id(),
        account_id=site.account_id,
        site_id=site.site_id,
        sector_id=site.sector_id,
        deployment_type=body.deployment_type,
        status=DeploymentStatus.PENDING.value,
        error_log=[],
        metadata={},
        version=_next_version(site.site_id),
        url=site.url,
        created_at=iso(now),
        updated_at=iso(now),
    )
    store.create_deployment(deployment)
    handed: list[tuple[list[RecordModel], ContentModel]] = []
    dispatch = Dispatch(deployment_id=deployment.deployment_id, actor=caller.user_id)
    for content, targets in plan:
        try:
            written = write_records(
                content,
                targets,
                dispatch,
                move=start_publishing(content, now),
                now=now,
                claim=claim_of_publication(content, now, capped=not override),
            )
        except Conflict:  # changed meanwhile, or a cap filled meanwhile: nothing of it was written
            skipped["changed_meanwhile"] = skipped.get("changed_meanwhile", 0) + 1
            continue
        handed.append((written, content))
    total = sum(len(written) for written, _ in handed)
    _begin(deployment, total, skipped, now)
    for written, _ in handed:
        send_messages(written, dispatch, now=now)
    return deployment_view(deployment)


def _plan(
    site_id: str, deployment_type: str, integrations: list[IntegrationModel]
) -> tuple[list[tuple[ContentModel, list[IntegrationModel]]], dict[str, int]]:
    """Which content goes to which destinations: full = every approved or published item;
    incremental = only where the destination's published copy differs (content hash)."""
    plan: list[tuple[ContentModel, list[IntegrationModel]]] = []
    skipped: dict[str, int] = {}
    for content in _candidates(site_id):
        if content.site_status in WAITING:
            key = str(content.site_status)
            skipped[key] = skipped.get(key, 0) + 1
            continue
        targets = integrations
        if deployment_type == "incremental":
            targets = _changed_destinations(content, integrations)
            if not targets:
                skipped["unchanged"] = skipped.get("unchanged", 0) + 1
                continue
        plan.append((content, list(targets)))
    return plan, skipped


def _candidates(site_id: str) -> Iterable[ContentModel]:
    for status in (ContentStatus.APPROVED, ContentStatus.PUBLISHED):
        yield from content_store.with_status(site_id, status.value)


def _changed_destinations(
    content: ContentModel, integrations: list[IntegrationModel]
) -> list[IntegrationModel]:
    """The destinations whose published copy is missing or older than the content (by hash)."""
    current = current_hash(content)
    history = record_store.records_of_content(content.content_id)
    published = {
        destination: record.content_hash
        for destination, record in latest_by_destination(
            record for record in history if record.status == RecordStatus.PUBLISHED
        ).items()
    }
    return [item for item in integrations if published.get(item.destination) != current]


def _begin(deployment: DeploymentModel, total: int, skipped: dict[str, int], now: datetime) -> None:
    """pending → deploying with the total (or straight to completed when there is nothing to do)."""
    changes: dict[str, Any] = {
        "items_total": total,
        "started_at": iso(now),
        "updated_at": iso(now),
        "metadata": {"skipped": skipped},
    }
    move = START_DEPLOYMENT
    if total == 0:
        move = FINISH_EMPTY_DEPLOYMENT
        changes.update(completed_at=iso(now), expires_at=now + KEEP_FINISHED)
    changes["status"] = move.target.value
    condition = status_condition(DeploymentModel.status, move, deployment.status)
    store.update_deployment(deployment, changes, condition, "the deployment changed meanwhile")
    if total == 0:
        bus.EventBus().emit(bus.DEPLOYMENT_COMPLETED, deployment_view(deployment))


# --- counting (called by the worker) -------------------------------------------------------


def count_item(
    deployment_id: str, *, deployed: bool, error: str | None, now: datetime, events: bus.EventBus
) -> DeploymentModel | None:
    """Count one item's final outcome; the worker whose count completes the total finishes the
    deployment (completed, or failed when every item failed). Returns the deployment if finished."""
    deployment = store.count_item(deployment_id, deployed=deployed, error=error, now_iso=iso(now))
    if deployment is None:
        return None
    done = int(deployment.items_deployed or 0) + int(deployment.items_failed or 0)
    if done < int(deployment.items_total or 0):
        return None
    all_failed = not deployment.items_deployed and int(deployment.items_failed or 0) > 0
    move = FAIL_DEPLOYMENT if all_failed else FINISH_DEPLOYMENT
    changes = {
        "status": move.target.value,
        "completed_at": iso(now),
        "updated_at": iso(now),
        "expires_at": now + KEEP_FINISHED,
    }
    try:
        store.update_deployment(
            deployment,
            changes,
            status_condition(DeploymentModel.status, move, DeploymentStatus.DEPLOYING),
            "finished already",
        )
    except Conflict:
        return None  # another worker finished it
    events.emit(bus.DEPLOYMENT_COMPLETED, deployment_view(deployment))
    return deployment


# --- rollback ------------------------------------------------------------------------------


def rollback(
    caller: Caller,
    deployment_id: str,
    *,
    factory: DestinationFactory | None = None,
    vault: CredentialVault | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Retract every post the deployment published (and that no later publication replaced).

    The reply says what happened to each item (`rollback.items`: retracted, kept_newer or failed
    with the destination's reason). The deployment becomes rolled_back only when no item failed;
    otherwise it keeps its status, `metadata.last_rollback` names the failures, and calling again
    retries them (what was retracted stays retracted). 409 only when nothing was attempted: the
    deployment is not completed or failed."""
    caller.require_write()
    deployment = load_deployment(caller, deployment_id)
    if not ROLL_BACK.allows(deployment.status):
        raise Conflict(
            f"only a completed or failed deployment can be rolled back; this one is {deployment.status}"
        )
    now = now or utcnow()
    items = [
        _roll_back_one(record, factory=factory, vault=vault, now=now)
        for record in record_store.records_of_deployment(deployment_id)
        if record.status in (RecordStatus.PUBLISHED, RecordStatus.RETRACTED)
    ]
    tally = {outcome: sum(item["outcome"] == outcome for item in items) for outcome in ROLLBACK_OUTCOMES}
    metadata = {key: value for key, value in (deployment.metadata or {}).items() if key != "last_rollback"}
    changes: dict[str, Any] = {"updated_at": iso(now)}
    condition = DeploymentModel.status == deployment.status  # a partial rollback keeps the status
    if tally[Outcome.FAILED]:
        failures = [item for item in items if item["outcome"] == Outcome.FAILED][:MAX_ROLLBACK_FAILURES_KEPT]
        metadata["last_rollback"] = {**tally, "attempted_at": iso(now), "failures": failures}
    else:
        changes["status"] = ROLL_BACK.target.value
        condition = status_condition(DeploymentModel.status, ROLL_BACK, deployment.status)
        metadata["rollback"] = {
            "retracted": tally[Outcome.RETRACTED],
            "kept_newer": tally[Outcome.KEPT_NEWER],
            "rolled_back_at": iso(now),
        }
    changes["metadata"] = metadata
    store.update_deployment(deployment, changes, condition, "the deployment changed meanwhile")
    return {
        **deployment_view(deployment),
        "rollback": {"complete": not tally[Outcome.FAILED], **tally, "items": items},
    }


ROLLBACK_OUTCOMES = (Outcome.RETRACTED, Outcome.KEPT_NEWER, Outcome.FAILED)
MAX_ROLLBACK_FAILURES_KEPT = 20
"""Failures kept in the deployment's metadata (the reply lists them all): the item stays small."""


def _roll_back_one(
    record: RecordModel, *, factory: DestinationFactory | None, vault: CredentialVault | None, now: datetime
) -> dict[str, Any]:
    """One item of a rollback: `{record_id, content_id, destination, outcome, error}`."""
    outcome, error = Outcome.RETRACTED, None
    if record.status == RecordStatus.PUBLISHED:
        if _superseded(record):
            outcome = Outcome.KEPT_NEWER
        else:
            try:
                retract_record(record, factory=factory, vault=vault, now=now)
            except (DestinationError, Conflict) as problem:
                outcome, error = Outcome.FAILED, str(problem)
    return {
        "record_id": record.record_id,
        "content_id": record.content_id,
        "destination": record.destination,
        "outcome": outcome,
        "error": error,
    }


def _superseded(record: RecordModel) -> bool:
    """Whether a later publication of the same content to the same destination carries the post now."""
    return any(
        other.destination == record.destination
        and other.status == RecordStatus.PUBLISHED
        and newness(other) > newness(record)
        for other in record_store.records_of_content(record.content_id)
    )
