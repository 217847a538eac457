"""Handing content to the publish queue: one pending record and one SQS message per
(content, destination), and the publish-now use case of the API.

A record is created (or an open one reused) in the same transaction as the content's move, so
a content item is never `publishing` without its records; the messages are sent after. A
message that is never sent leaves its record pending with a deadline (`next_retry_at`), which
the cleanup job notices and re-sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from publisher.bootstrap import aws_client, ready_store
from publisher.destinations import DESTINATION_NAMES
from publisher.domain.publishing import (
    QUEUE_DEADLINE,
    SYSTEM_ACTOR,
    PublishMessage,
    PublishRequest,
    handover_delay,
    latest_by_destination,
    newness,
)
from publisher.domain.statuses import (
    PUBLISH_NOW_UNSCHEDULED,
    REPUBLISHABLE,
    START_PUBLISHING,
    ContentStatus,
    RecordStatus,
    SiteStatus,
)
from publisher.errors import Conflict, Forbidden, Invalid
from publisher.identity import Caller
from publisher.ids import new_id
from publisher.services.adapters import refusal
from publisher.services.content import load_content
from publisher.services.settings import settings_for
from publisher.services.slot_claims import PublicationClaim, give_back, publication_claim
from publisher.services.views import changed_since_publish, record_view
from publisher.store import content as content_store
from publisher.store import records, usage
from publisher.store import sites as site_store
from publisher.store.models import ContentModel, IntegrationModel, RecordModel, SiteModel
from publisher.store.publication import Change, as_read, first_records, write_together
from publisher.store.usage import CapFull
from publisher.timeutil import iso, parse_iso, utcnow

logger = Logger()

REUSABLE = frozenset({RecordStatus.PENDING, RecordStatus.FAILED, *REPUBLISHABLE})
"""One record per (content, destination): a later publication reuses it (an open one is sent
again; a published or retracted one keeps its status until the worker claims it)."""
PUBLISHABLE = frozenset({ContentStatus.APPROVED, ContentStatus.PUBLISHED})


def enabled_integrations(
    site_id: str,
    destinations: Sequence[str] | None = None,
    *,
    read: Sequence[IntegrationModel] | None = None,
) -> list[IntegrationModel]:
    """The site's enabled integrations, limited to `destinations` when given; from `read` (the
    site's integrations, read already) or read here."""
    wanted = set(destinations) if destinations is not None else None
    return [
        item
        for item in (read if read is not None else site_store.integrations_of(site_id))
        if item.enabled and (wanted is None or item.destination in wanted)
    ]


# --- handing content to the queue -----------------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    """What the messages of one hand-over carry: the slot they are for (None: publish now), how long
    SQS holds them back, the deployment they belong to, and a note merged into the records' metadata."""

    scheduled_for: str | None = None
    delay_seconds: int = 0
    deployment_id: str | None = None
    note: Mapping[str, Any] = field(default_factory=dict)
    actor: str | None = None
    """Who asked (a user's sub; None: the system), for the records' attempts logs."""


CHANGED = "the content changed meanwhile"


def hand_over(
    content: ContentModel,
    targets: Sequence[IntegrationModel],
    dispatch: Dispatch,
    *,
    move: Change | None = None,
    now: datetime,
    conflict: str = CHANGED,
    claim: PublicationClaim | None = None,
    current: Mapping[str, RecordModel] | None = None,
) -> list[RecordModel]:
    """Write the records (with the content's `move`), then send one message per record."""
    written = write_records(
        content, targets, dispatch, move=move, now=now, conflict=conflict, claim=claim, current=current
    )
    send_messages(written, dispatch, now=now)
    return written


def write_records(
    content: ContentModel,
    targets: Sequence[IntegrationModel],
    dispatch: Dispatch,
    *,
    move: Change | None = None,
    now: datetime,
    conflict: str = CHANGED,
    claim: PublicationClaim | None = None,
    current: Mapping[str, RecordModel] | None = None,
) -> list[RecordModel]:
    """In one transaction: the content's move (if any), a new pending record per target, the
    reuse of open ones, and the `claim` of a first publication on the caps' counters. Conflict when
    the content or a reused record changed since it was read, a 409 naming the cap when a counter
    is full (then nothing is written); after, the claim's old slot is given back. Returns the
    records the messages will name. `current`: the content's latest record per destination, when
    the caller has just read them (else they are read here); a reused record is written on the
    condition that it did not change since, so a stale map is a Conflict, never a double."""
    due = now + timedelta(seconds=dispatch.delay_seconds)
    created, reused = _plan_records(
        content,
        targets,
        deadline=iso(due + QUEUE_DEADLINE),
        now=iso(now),
        deployment_id=dispatch.deployment_id,
        metadata={**dispatch.note, "scheduled_for": dispatch.scheduled_for},
        current=current,
    )
    changes = ([move] if move else []) + reused
    if created:
        changes = first_records(content, changes)
    if changes or created:
        try:
            counters = claim.increments if claim else None
            write_together(changes=changes, new_records=created, counters=counters, conflict=conflict)
        except CapFull as full:
            period, moment = usage.period_name(full.counter_key), full.counter_key.split("#", 1)[1]
            raise Conflict(_past_cap(period, full.cap, f"{moment} is full")) from full
        if claim is not None:
            give_back(claim)
    return created + [change.item for change in reused]


def _plan_records(
    content: ContentModel,
    targets: Sequence[IntegrationModel],
    *,
    deadline: str,
    now: str,
    deployment_id: str | None,
    metadata: dict[str, Any],
    current: Mapping[str, RecordModel] | None,
) -> tuple[list[RecordModel], list[Change]]:
    if current is None and content.no_records:
        current = {}  # no Query: its first records are written on the condition that none came first
    if current is None:
        current = latest_by_destination(records.records_of_content(content.content_id))
    created: list[RecordModel] = []
    reused: list[Change] = []
    for integration in targets:
        record = current.get(integration.destination)
        if record is not None and record.status == RecordStatus.PUBLISHING:
            continue  # already on its way; its claim or the cleanup job will finish it
        if record is not None and record.status in REUSABLE:
            changes = {
                "deployment_id": deployment_id,
                "next_retry_at": deadline,
                "updated_at": now,
                "metadata": {**(record.metadata or {}), **metadata},
                "expires_at": None,
            }
            reused.append(Change(record, changes, records.unchanged(record)))
            continue
        created.append(
            RecordModel(
                record_id=new_id(),
                account_id=content.account_id,
                site_id=content.site_id,
                sector_id=content.sector_id,
                content_id=content.content_id,
                destination=integration.destination,
                status=RecordStatus.PENDING.value,
                attempts=0,
                metadata=dict(metadata),
                deployment_id=deployment_id,
                next_retry_at=deadline,
                created_at=now,
                updated_at=now,
            )
        )
    return created, reused


def send_messages(sent: Sequence[RecordModel], dispatch: Dispatch, *, now: datetime, sqs: Any = None) -> int:
    """One message per record (SendMessageBatch, 10 a call); the number the queue refused.

    A refused message is logged, not raised: its record stays pending with a deadline, and the
    cleanup job sends it again."""
    return _send([(record, dispatch, dispatch.delay_seconds) for record in sent], now=now, sqs=sqs)


BATCH = 10
"""SendMessageBatch's most entries."""


@dataclass
class Outbox:
    """The messages of several hand-overs, sent together, 10 to a SendMessageBatch call (a page of
    the 5-minute job makes 0.1 calls an item, not 1). Each message's DelaySeconds is counted when it
    is sent, from its own due time, so waiting for the rest of its batch never makes it late. Flush
    it before the work ends; a message never sent is sent again by the cleanup job once its
    record's deadline has passed, like one the queue refused."""

    clock: Callable[[], datetime]
    held: list[tuple[RecordModel, Dispatch, datetime]] = field(default_factory=list)

    def add(self, records: Sequence[RecordModel], dispatch: Dispatch, due: datetime) -> None:
        self.held += [(record, dispatch, due) for record in records]
        if len(self.held) >= BATCH:
            self.flush()

    def flush(self) -> int:
        """Send every message held; the number the queue refused (or that could not be sent: like
        refused ones they are logged, not raised, and left to the cleanup job)."""
        if not self.held:
            return 0
        held, self.held = self.held, []
        now = self.clock()
        try:
            return _send(
                [(record, dispatch, handover_delay(due, now)) for record, dispatch, due in held], now=now
            )
        except (BotoCoreError, ClientError):
            logger.exception(
                "messages not sent; the cleanup job will resend them",
                extra={"record_ids": [record.record_id for record, _, _ in held]},
            )
            return len(held)


def _send(messages: Sequence[tuple[RecordModel, Dispatch, int]], *, now: datetime, sqs: Any = None) -> int:
    """Each (record, dispatch, delay seconds) as a message, in batches; the number refused."""
    if not messages:
        return 0
    sqs = sqs or aws_client("sqs")
    queue_url = ready_store().publish_queue_url
    refused = 0
    for start in range(0, len(messages), BATCH):
        batch = messages[start : start + BATCH]
        entries = [
            {
                "Id": str(index),
                "MessageBody": PublishMessage(
                    record_id=record.record_id,
                    content_id=record.content_id,
                    site_id=record.site_id,
                    account_id=record.account_id,
                    destination=record.destination,
                    scheduled_for=dispatch.scheduled_for,
                    deployment_id=dispatch.deployment_id,
                    enqueued_at=iso(now),
                    actor=dispatch.actor,
                ).model_dump_json(),
                "DelaySeconds": delay,
            }
            for index, (record, dispatch, delay) in enumerate(batch)
        ]
        failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed") or []
        for failure in failed:
            refused += 1
            logger.error(
                "message not sent; the cleanup job will resend it",
                extra={"record_id": batch[int(failure["Id"])][0].record_id, "code": failure.get("Code")},
            )
    return refused


# --- publish now ---------------------------------------------------------------------------


def publishable_targets(content: ContentModel, destinations: Sequence[str] | None) -> list[IntegrationModel]:
    """The integrations a publication of this content goes to; 409/422 with the reason when none may."""
    if content.status not in PUBLISHABLE:
        raise Conflict(f"only approved or published content can be published; this one is {content.status}")
    if content.site_status == SiteStatus.PUBLISHING:
        raise Conflict("the content is being published already")
    if destinations is not None:
        unknown = [name for name in destinations if name not in DESTINATION_NAMES]
        if unknown:
            raise Invalid(
                "unknown destination",
                {
                    "destinations": [
                        f"{name} is not one of {', '.join(DESTINATION_NAMES)}" for name in unknown
                    ]
                },
            )
    integrations = {item.destination: item for item in site_store.integrations_of(content.site_id)}
    names = (
        list(dict.fromkeys(destinations))
        if destinations is not None
        else [name for name, item in integrations.items() if item.enabled]
    )
    if not names:
        raise Conflict("the site has no enabled integration to publish to")
    reasons = [reason for name in names if (reason := refusal(integrations.get(name), name))]
    if reasons:
        raise Invalid("some destinations cannot be published to", {"destinations": reasons})
    return [integrations[name] for name in names]


def publish_now(caller: Caller, body: PublishRequest, *, now: datetime | None = None) -> dict[str, Any]:
    """Move the content to publishing and hand one message per destination to the queue (202).
    A first publication counts toward the caps: 409 naming the cap it would exceed, unless the
    body says `override_limits` (admin/owner)."""
    caller.require_write()
    override = may_override_limits(caller, body.override_limits)
    content = load_content(caller, body.content_id, with_body=False)
    refuse_while_paused(site_store.get_site(content.site_id))
    targets = publishable_targets(content, body.destinations)
    now = now or utcnow()
    sent = hand_over(
        content,
        targets,
        Dispatch(actor=caller.user_id),
        move=start_publishing(content, now),
        now=now,
        conflict=f"{CHANGED}; read it again and retry",
        claim=claim_of_publication(content, now, capped=not override),
    )
    return {"content_id": content.content_id, "records": [record_view(record) for record in sent]}


def refuse_while_paused(site: SiteModel | None) -> None:
    """409 naming the pause while the site's publishing is paused (publish-now, deployments)."""
    if site is not None and site.publishing_paused:
        raise Conflict(
            f"publishing on this site is paused (since {site.paused_at}); "
            f"resume it with POST /sites/{site.site_id}/resume/ first"
        )


OVERRIDING_ROLES = frozenset({"admin", "owner"})


def may_override_limits(caller: Caller, asked: bool) -> bool:
    """Whether the caps are waived for this request: only when asked, and only by admin/owner."""
    if asked and caller.role not in OVERRIDING_ROLES:
        raise Forbidden("only an admin or owner may override the publishing limits")
    return asked


def refuse_past_caps(site_id: str, items: Sequence[ContentModel], now: datetime) -> None:
    """409 naming the cap when publishing these items now would exceed one. Only first
    publications count (published content is an update, failed content a retry); a scheduled
    item gives back its own slot as it moves to now."""
    counted = [item for item in items if item.site_status in TAKES_THE_SLOT_NOW]
    if not counted:
        return
    settings = settings_for(site_id)
    now_keys = usage.counter_keys(settings, now)
    counts = usage.current(site_id, [key for key, cap in now_keys if cap is not None])
    freed: dict[str, int] = {}
    for item in counted:
        if item.site_status == SiteStatus.SCHEDULED and item.scheduled_publish_at:
            for key, _ in usage.counter_keys(settings, parse_iso(item.scheduled_publish_at)):
                freed[key] = freed.get(key, 0) + 1
    for key, cap in now_keys:
        used = counts.get(key, 0) - freed.get(key, 0)
        if cap is not None and used + len(counted) > cap:
            detail = f"{used} counted, {len(counted)} more asked"
            raise Conflict(_past_cap(usage.period_name(key), cap, detail))


def _past_cap(period: str, cap: int | None, detail: str) -> str:
    return (
        f"the {period} cap of {cap} publications would be exceeded ({detail}); "
        'send "override_limits": true (admin or owner) to publish anyway'
    )


def republish_after_edit(content_id: str, *, now: datetime | None = None) -> bool:
    """With the site's `auto_republish_on_edit`, published content whose published fields changed
    since its last publication goes out again (as the system; an update counts toward no cap).
    False when nothing was queued (setting off, unchanged, or it cannot be published now)."""
    content = content_store.get_content(content_id, with_body=False)
    if content is None or content.site_status != SiteStatus.PUBLISHED or not changed_since_publish(content):
        return False
    if not settings_for(content.site_id).auto_republish_on_edit:
        return False
    now = now or utcnow()
    try:
        targets = publishable_targets(content, None)
        hand_over(
            content, targets, Dispatch(actor=SYSTEM_ACTOR), move=start_publishing(content, now), now=now
        )
    except (Conflict, Invalid) as problem:
        logger.warning(
            "not republished after the edit", extra={"content_id": content_id, "reason": str(problem)}
        )
        return False
    return True


TAKES_THE_SLOT_NOW = frozenset({SiteStatus.NOT_PUBLISHED, SiteStatus.SCHEDULED})
"""Content that is published now instead of at a slot of its own: it moves to now on the calendar
and in the caps. Failed content (a retry) and published content (an update) keep their time."""


def start_publishing(content: ContentModel, now: datetime) -> Change:
    """The content's move to publishing (from not_published: the composite move
    not_published → scheduled → publishing, made at once, scheduled for now)."""
    unscheduled = PUBLISH_NOW_UNSCHEDULED.allows(content.site_status)
    move = PUBLISH_NOW_UNSCHEDULED if unscheduled else START_PUBLISHING
    changes: dict[str, Any] = {
        "site_status": move.target.value,
        "enqueued_for": None,
        "site_status_updated_at": iso(now),
        "last_error": None,
        "next_attempt_at": None,
    }
    if content.site_status in TAKES_THE_SLOT_NOW:
        changes["scheduled_publish_at"] = iso(now)
    return Change(content, changes, as_read(content, move))


def claim_of_publication(content: ContentModel, now: datetime, *, capped: bool) -> PublicationClaim | None:
    """What publishing this content now claims on the caps (None: a retry or an update, which
    count toward no cap): a first publication counts in now's day/week/month, each within its cap
    unless not `capped`; a scheduled one gives back its slot (counters and minute) for it."""
    if content.site_status not in TAKES_THE_SLOT_NOW:
        return None
    return publication_claim(content, settings_for(content.site_id), now, capped=capped)


def publish_status(caller: Caller, content_id: str) -> dict[str, Any]:
    content = load_content(caller, content_id, with_body=False)
    found = sorted(records.records_of_content(content_id), key=newness, reverse=True)
    return {
        "content_id": content.content_id,
        "site_status": content.site_status,
        "scheduled_publish_at": content.scheduled_publish_at,
        "records": [record_view(record) for record in found],
    }
