"""Batch deployments of a site's content, their live counters, and rollback, as queued work.

`POST /publisher/deployments/` checks what is cheap (and, under a finite cap, at most the cap + 1
items), writes the deployment `pending` and queues `deployment.plan`. Each plan unit takes a page
of candidates: every item moves to publishing with its records (one transaction each), the page
is added to `items_total` once (conditional on `plan_page`), then its messages are sent. Workers
count each item's final outcome atomically (ADD); the deployment finishes when the plan is done
and every item is counted — the last of the plan and the workers moves it on, conditionally
(deploying → completed | failed). Rollback is queued the same way (`deployment.rollback`).
"""

from __future__ import annotations

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
    FINISHED_DEPLOYMENTS,
    ROLL_BACK,
    START_DEPLOYMENT,
    ContentStatus,
    DeploymentStatus,
    RecordStatus,
    SiteStatus,
)
from publisher.errors import Conflict, Invalid, NotFound
from publisher.identity import Caller, act_as
from publisher.ids import new_id
from publisher.paging import PageRequest
from publisher.services import events as bus
from publisher.services import work
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
from publisher.services.settings import settings_for
from publisher.services.sites import load_site
from publisher.services.views import current_hash, deployment_view
from publisher.store import deployments as store
from publisher.store import records as record_store
from publisher.store import sites as sites_store
from publisher.store import usage
from publisher.store.common import status_condition
from publisher.store.models import ContentModel, DeploymentModel, IntegrationModel, RecordModel
from publisher.store.usage import CapFull
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


DEPLOYMENT_PLAN = "deployment.plan"
DEPLOYMENT_ROLLBACK = "deployment.rollback"
"""Kinds of the queued units (publisher.services.work)."""
PAGE = 25
"""Items one unit handles before it enqueues its continuation."""
PHASES = (ContentStatus.PUBLISHED.value, ContentStatus.APPROVED.value)
"""The plan pages the site's published content, then its approved content: an approved item that
this deployment publishes moves to `published`, a phase already behind, so it is not met twice."""
CAP_SKIP = "cap_reached"
"""`metadata.skipped` key of items a cap refused when their turn came (the caps filled meanwhile)."""
CHANGED_SKIP = "changed_meanwhile"


def _next_version(site_id: str) -> int:
    """The site's next deployment number: its newest deployment's + 1 (1 for the first)."""
    latest = store.latest_of_site(site_id)
    return int(latest.version or 0) + 1 if latest is not None else 1


def start_deployment(
    caller: Caller, body: DeploymentCreate, *, now: datetime | None = None
) -> dict[str, Any]:
    """Check what is cheap to check, write the deployment `pending` and queue its plan; 202 with
    the deployment. The request reads no candidate except, under a finite cap, at most the
    smallest cap + 1 of the items that would count toward it (so a 409 is exact and bounded by
    the cap, never by the site)."""
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
    if not override:
        _refuse_past_caps(site.site_id, now)
    deployment = DeploymentModel(
        deployment_id=new_id(),
        account_id=site.account_id,
        site_id=site.site_id,
        sector_id=site.sector_id,
        deployment_type=body.deployment_type,
        status=DeploymentStatus.PENDING.value,
        error_log=[],
        metadata={"skipped": {}},
        version=_next_version(site.site_id),
        url=site.url,
        planned=False,
        plan_page=0,
        created_at=iso(now),
        updated_at=iso(now),
    )
    store.create_deployment(deployment)
    work.enqueue(
        DEPLOYMENT_PLAN,
        {
            "deployment_id": deployment.deployment_id,
            "actor": caller.user_id,
            "override": override,
            "phase": PHASES[0],
            "cursor": None,
            "page": 0,
        },
    )
    return deployment_view(deployment)


def _refuse_past_caps(site_id: str, now: datetime) -> None:
    """409 naming the cap when the site's first publications would exceed a finite cap now."""
    caps = [cap for _, cap in usage.counter_keys(settings_for(site_id), now) if cap is not None]
    if caps:
        refuse_past_caps(site_id, store.first_publications(site_id, min(caps) + 1), now)


PAUSED_WAIT_SECONDS = work.MAX_DELAY_SECONDS
"""How long a plan waits before it looks again at a site paused since the deployment started."""


@work.unit(DEPLOYMENT_PLAN)
def plan_unit(payload: dict[str, Any]) -> None:
    following = plan_page(payload)
    if following is not None:  # the same payload back: the site is paused, the page waits
        work.enqueue(
            DEPLOYMENT_PLAN, following, delay_seconds=PAUSED_WAIT_SECONDS if following is payload else 0
        )


def plan_page(payload: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any] | None:
    """One page of a deployment's plan: write the records of a page of candidates, count them on
    the deployment (once per page), send their messages; the continuation's payload, or None.

    Payload `{deployment_id, actor, override, phase, cursor, page}`. A redelivered page that was
    counted writes and sends nothing; one that began writing but was not counted counts the
    records this deployment already holds for its items (their messages are not sent again: a
    pending record past its deadline is sent by the cleanup job). While the site is paused nothing
    is handed over: the same payload comes back, to be run again later."""
    ready_store()
    actor = payload.get("actor")
    act_as(str(actor or "system:deployment"), "system")
    deployment = store.get_deployment(str(payload["deployment_id"]))
    number = int(payload["page"])
    if deployment is None or deployment.planned is not False or deployment.status not in PLANNING:
        return None  # deleted, or planned already (a redelivered last page)
    site = sites_store.get_site(deployment.site_id)
    if site is None or site.deleting_at is not None:
        return None  # the site's deletion removes the deployment too
    if site.publishing_paused:
        return payload
    phase = str(payload["phase"])
    items, cursor = store.candidates_page(deployment.site_id, phase, payload.get("cursor"), PAGE)
    following = _following(payload, phase, cursor)
    counted = int(deployment.plan_page or 0)
    if counted > number:  # counted already: only its continuation may be missing
        return following if counted == number + 1 else None
    now = now or utcnow()
    again = not _begin_page(deployment, number)
    dispatch = Dispatch(deployment_id=deployment.deployment_id, actor=actor)
    integrations = enabled_integrations(deployment.site_id)
    override = bool(payload.get("override"))
    total, skipped, to_send = 0, dict((deployment.metadata or {}).get("skipped") or {}), []
    for content in items:
        if again and (ours := _records_of(content, deployment.deployment_id)):
            total += len(ours)
            continue
        reason, written = _deploy_one(
            content, deployment.deployment_type, integrations, dispatch, override, now
        )
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
        total += len(written)
        to_send.extend(written)
    last = following is None
    if not _count_page(deployment, number, total, skipped, last, now):
        return None  # another delivery counted this page meanwhile: it sends and goes on
    send_messages(to_send, dispatch, now=now)
    if last:
        _finish_if_done(deployment, now, bus.EventBus())
    return following


PLANNING = frozenset({DeploymentStatus.PENDING, DeploymentStatus.DEPLOYING})


def _following(payload: dict[str, Any], phase: str, cursor: Any) -> dict[str, Any] | None:
    """The next page's payload: on in this phase, the next phase, or None after the last."""
    following = {**payload, "page": int(payload["page"]) + 1}
    if cursor is not None:
        return {**following, "cursor": cursor}
    index = PHASES.index(phase)
    if index + 1 == len(PHASES):
        return None
    return {**following, "phase": PHASES[index + 1], "cursor": None}


def _begin_page(deployment: DeploymentModel, number: int) -> bool:
    """Mark page `number` as being written; False when a delivery of it began before (a redelivery)."""
    if deployment.plan_writing is not None and int(deployment.plan_writing) >= number:
        return False
    condition = (DeploymentModel.plan_page == number) & (
        DeploymentModel.plan_writing.does_not_exist() | (DeploymentModel.plan_writing < number)
    )
    try:
        store.update_deployment(deployment, {"plan_writing": number}, condition, "page begun")
    except Conflict:
        return False
    return True


def _records_of(content: ContentModel, deployment_id: str) -> list[RecordModel]:
    return [
        record
        for record in record_store.records_of_content(content.content_id)
        if record.deployment_id == deployment_id
    ]


def _deploy_one(
    content: ContentModel,
    deployment_type: str,
    integrations: list[IntegrationModel],
    dispatch: Dispatch,
    override: bool,
    now: datetime,
) -> tuple[str | None, list[RecordModel]]:
    """Write one candidate's records (its move, its claim on the caps): (why it was skipped, or
    None; the records written)."""
    if content.site_status in WAITING:
        return str(content.site_status), []
    targets = integrations
    if deployment_type == "incremental":
        targets = _changed_destinations(content, integrations)
        if not targets:
            return "unchanged", []
    try:
        written = write_records(
            content,
            list(targets),
            dispatch,
            move=start_publishing(content, now),
            now=now,
            claim=claim_of_publication(content, now, capped=not override),
        )
    except Conflict as refused:  # nothing of it was written
        return (CAP_SKIP if isinstance(refused.__cause__, CapFull) else CHANGED_SKIP), []
    return None, written


def _count_page(
    deployment: DeploymentModel, number: int, total: int, skipped: dict[str, int], last: bool, now: datetime
) -> bool:
    """Add the page to the counters, once: on the condition that the counters have reached the page
    before it. The first page moves pending → deploying; the last marks the plan done. False when
    another delivery counted it."""
    changes: dict[str, Any] = {
        "items_total": int(deployment.items_total or 0) + total,
        "plan_page": number + 1,
        "metadata": {**(deployment.metadata or {}), "skipped": skipped},
        "updated_at": iso(now),
    }
    condition = DeploymentModel.plan_page == number
    if deployment.status == DeploymentStatus.PENDING:
        changes.update(status=START_DEPLOYMENT.target.value, started_at=iso(now))
        condition &= status_condition(DeploymentModel.status, START_DEPLOYMENT, deployment.status)
    else:
        condition &= DeploymentModel.status == DeploymentStatus.DEPLOYING.value
    if last:
        changes["planned"] = True
    try:
        store.update_deployment(deployment, changes, condition, "counted already")
    except Conflict:
        return False
    return True


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


# --- counting and finishing ----------------------------------------------------------------


def count_item(
    deployment_id: str, *, deployed: bool, error: str | None, now: datetime, events: bus.EventBus
) -> DeploymentModel | None:
    """Count one item's final outcome (the worker); the deployment finishes when this count
    completes the total of a finished plan. Returns the deployment if this call finished it."""
    deployment = store.count_item(deployment_id, deployed=deployed, error=error, now_iso=iso(now))
    if deployment is None:
        return None
    return deployment if _finish_if_done(deployment, now, events) else None


def _finish_if_done(deployment: DeploymentModel, now: datetime, events: bus.EventBus) -> bool:
    """deploying → completed (failed when every item failed) once the plan is done and every item
    counted, as read right after the caller's own atomic write: the worker's count and the plan's
    last page each see the other's, so whichever comes last finishes it; the conditional move
    lets exactly one of them through (and emits `deployment.completed`)."""
    done = int(deployment.items_deployed or 0) + int(deployment.items_failed or 0)
    if deployment.planned is False or done < int(deployment.items_total or 0):
        return False
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
        return False  # another worker (or the plan) finished it
    events.emit(bus.DEPLOYMENT_COMPLETED, deployment_view(deployment))
    return True


# --- rollback ------------------------------------------------------------------------------

RUNNING, DONE = "running", "done"
ROLLBACK_OUTCOMES = (Outcome.RETRACTED, Outcome.KEPT_NEWER, Outcome.FAILED)
MAX_ROLLBACK_FAILURES_KEPT = 20
"""Failures kept in `metadata.rollback.failures` (the counters count them all): the item stays small."""


def rollback(caller: Caller, deployment_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Queue the retraction of every post the deployment published (and that no later publication
    replaced); 202 with the deployment and `rollback: {state: running, retracted, kept_newer,
    failed, failures, complete, started_at, finished_at}`, which the `deployment.rollback` unit
    keeps counting page by page (`GET` shows it in `metadata.rollback`). The deployment becomes
    rolled_back when every item is down; otherwise it keeps its status and calling again retries
    what failed (what was retracted stays retracted). 409 when the deployment is not completed or
    failed, or while a rollback of it runs."""
    caller.require_write()
    deployment = load_deployment(caller, deployment_id)
    if not ROLL_BACK.allows(deployment.status):
        raise Conflict(
            f"only a completed or failed deployment can be rolled back; this one is {deployment.status}"
        )
    if _rollback_state(deployment).get("state") == RUNNING:
        raise Conflict("a rollback of this deployment is running; poll the deployment until it is done")
    now = now or utcnow()
    state = {
        "state": RUNNING,
        "complete": False,
        **{str(outcome): 0 for outcome in ROLLBACK_OUTCOMES},
        "failures": [],
        "started_at": iso(now),
        "finished_at": None,
    }
    changes = {
        "metadata": {**(deployment.metadata or {}), "rollback": state},
        "rollback_page": 0,
        "updated_at": iso(now),
    }
    condition = (DeploymentModel.status == deployment.status) & (
        DeploymentModel.updated_at == deployment.updated_at
    )
    store.update_deployment(deployment, changes, condition, "the deployment changed meanwhile; try again")
    work.enqueue(
        DEPLOYMENT_ROLLBACK,
        {"deployment_id": deployment.deployment_id, "actor": caller.user_id, "cursor": None, "page": 0},
    )
    return rollback_view(deployment)


def rollback_view(deployment: DeploymentModel) -> dict[str, Any]:
    return {**deployment_view(deployment), "rollback": _rollback_state(deployment)}


def _rollback_state(deployment: DeploymentModel) -> dict[str, Any]:
    return dict((deployment.metadata or {}).get("rollback") or {})


@work.unit(DEPLOYMENT_ROLLBACK)
def rollback_unit(payload: dict[str, Any]) -> None:
    following = rollback_page(payload)
    if following is not None:
        work.enqueue(DEPLOYMENT_ROLLBACK, following)


def rollback_page(
    payload: dict[str, Any],
    *,
    factory: DestinationFactory | None = None,
    vault: CredentialVault | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """One page of a rollback: retract the page's posts, add the outcomes to the counters (once
    per page, conditionally); the continuation's payload, or None after the last page (which
    moves the deployment to rolled_back when nothing failed). Payload `{deployment_id, actor,
    cursor, page}`. Retracting again is harmless: a retracted record counts as retracted."""
    ready_store()
    act_as(str(payload.get("actor") or "system:rollback"), "system")
    deployment = store.get_deployment(str(payload["deployment_id"]))
    if deployment is None or _rollback_state(deployment).get("state") != RUNNING:
        return None
    number = int(payload["page"])
    page, cursor = store.records_page(deployment.deployment_id, payload.get("cursor"), PAGE)
    following = {**payload, "page": number + 1, "cursor": cursor} if cursor is not None else None
    counted = int(deployment.rollback_page or 0)
    if counted > number:  # counted already: only its continuation may be missing
        return following if counted == number + 1 else None
    now = now or utcnow()
    items = [
        _roll_back_one(record, factory=factory, vault=vault, now=now)
        for record in page
        if record.deployment_id == deployment.deployment_id
        and record.status in (RecordStatus.PUBLISHED, RecordStatus.RETRACTED)
    ]
    state = _rollback_state(deployment)
    for outcome in ROLLBACK_OUTCOMES:
        state[outcome] = int(state.get(outcome) or 0) + sum(item["outcome"] == outcome for item in items)
    failures = [item for item in items if item["outcome"] == Outcome.FAILED]
    state["failures"] = (list(state.get("failures") or []) + failures)[:MAX_ROLLBACK_FAILURES_KEPT]
    changes: dict[str, Any] = {"rollback_page": number + 1, "updated_at": iso(now)}
    condition = (DeploymentModel.rollback_page == number) & (DeploymentModel.status == deployment.status)
    if following is None:
        state.update(state=DONE, complete=not state[Outcome.FAILED], finished_at=iso(now))
        if state["complete"]:
            changes["status"] = ROLL_BACK.target.value
            condition = (DeploymentModel.rollback_page == number) & status_condition(
                DeploymentModel.status, ROLL_BACK, deployment.status
            )
    changes["metadata"] = {**(deployment.metadata or {}), "rollback": state}
    try:
        store.update_deployment(deployment, changes, condition, "counted already")
    except Conflict:
        return None  # another delivery counted this page meanwhile, and goes on
    return following


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
