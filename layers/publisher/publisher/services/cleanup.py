"""CleanupFailedPublications (daily): everything the queue could not finish by itself.

It reads the sparse retry index (every unsettled record carries `next_retry_at`, the time by
which something should have happened to it), never a Scan: the job enqueues one unit of work per
shard (services/work.py), each attends a page and continues with a cursor. Per record:

- failed: retried (a new message) with exponential backoff, up to MAX_CLEANUP_RETRIES times;
  then left failed with the reason and out of the index;
- publishing for longer than STUCK_AFTER (the worker died and no redelivery took over): back
  to failed, then retried as above;
- pending past its deadline (its message was never sent or got lost): sent again, or deleted
  when the content has moved on (unscheduled, rescheduled, published otherwise).

Records of a site whose publishing is paused (or which is being deleted) wait, counted `paused`.

Old data goes by DynamoDB TTL (`expires_at` on settled records and finished deployments).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from publisher.bootstrap import ready_store
from publisher.domain.publishing import MAX_CLEANUP_RETRIES, STUCK_AFTER, latest_by_destination
from publisher.domain.statuses import (
    GIVE_UP_RETRYING,
    RECORD_FAILED,
    REPUBLISHABLE,
    RecordStatus,
    SiteStatus,
)
from publisher.errors import Conflict
from publisher.identity import act_as
from publisher.services import work
from publisher.services.handover import read_sites, site_is_held
from publisher.services.publishing import (
    Dispatch,
    Outbox,
    enabled_integrations,
    start_publishing,
    write_records,
)
from publisher.store import content as content_store
from publisher.store import records as store
from publisher.store.common import status_condition
from publisher.store.models import DUE_SHARDS, ContentModel, IntegrationModel, RecordModel
from publisher.store.publication import Change, as_read, update_content
from publisher.timeutil import iso, parse_iso

logger = Logger()
metrics = Metrics()

STUCK = "publishing did not finish within 30 minutes (the worker stopped)"
CLEAN_UP_SHARD = "clean-up-retry-shard"
PAGE = 100
"""Records one unit attends before it enqueues its continuation (a page of one retry shard)."""


@dataclass
class CleanupSummary:
    retried: int = 0
    resent: int = 0
    recovered: int = 0
    given_up: int = 0
    dropped: int = 0
    skipped: int = 0
    errors: int = 0
    paused: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def clean_up_failed_publications(now: datetime) -> dict[str, int]:
    """One run of the job: one unit per shard of the retry index (no Scan, nothing per record
    here); each unit attends a page of its shard and hands the rest to its continuation."""
    ready_store()
    payloads = [{"shard": shard, "now": iso(now)} for shard in range(DUE_SHARDS)]
    return {"units": work.enqueue_many(CLEAN_UP_SHARD, payloads)}


@work.unit(CLEAN_UP_SHARD)
def clean_up_shard_unit(payload: dict[str, Any]) -> dict[str, int]:
    now = parse_iso(payload["now"])
    summary, cursor = clean_up_page(int(payload["shard"]), now, payload.get("cursor"))
    if cursor:
        work.enqueue(CLEAN_UP_SHARD, {**payload, "cursor": cursor})
    return summary.as_dict()


def clean_up_page(
    shard: int, now: datetime, cursor: str | None = None, limit: int = PAGE
) -> tuple[CleanupSummary, str | None]:
    """Attend one page of a retry shard; the summary and the cursor of the rest (None: done).
    Every change is conditional on the state read, so a page attended twice changes nothing more."""
    ready_store()
    act_as("system:cleanup-failed-publications", "system")
    page = _Page(now=now, summary=CleanupSummary(), outbox=Outbox(lambda: now))
    held: dict[str, bool] = {}
    records, cursor = store.needing_attention_page(shard, iso(now), limit, cursor)
    read_sites((record.site_id for record in records), held, page.integrations)
    contents = content_store.contents_of(record.content_id for record in records)  # without bodies
    try:
        for record in records:
            if site_is_held(record.site_id, held):
                page.summary.paused += 1
                continue
            try:
                # as read with the page; read again for a second record of the same content (the
                # first may have moved it) or for one the page did not find
                content = contents.pop(record.content_id, None) or content_store.get_content(
                    record.content_id, with_body=False
                )
                _attend(record, content, page)
            except Exception:
                page.summary.errors += 1
                logger.exception(
                    "cleaning up a record failed; the next run tries again",
                    extra={"record_id": record.record_id},
                )
    finally:
        page.outbox.flush()
    summary = page.summary
    for name, value in summary.as_dict().items():
        metrics.add_metric(name=f"Cleanup{name.title().replace('_', '')}", unit=MetricUnit.Count, value=value)
    logger.info("cleanup done", extra={"shard": shard, **summary.as_dict()})
    return summary, cursor


@dataclass
class _Page:
    """What the records of one unit's page share: the run's time, its summary, each site's
    integrations (read with the page) and the outbox of its messages (10 to a call)."""

    now: datetime
    summary: CleanupSummary
    outbox: Outbox
    integrations: dict[str, list[IntegrationModel]] = field(default_factory=dict)


def _attend(record: RecordModel, content: ContentModel | None, page: _Page) -> None:
    """`content`: the record's, without its body (None: gone)."""
    now = page.now
    latest = latest_by_destination(store.records_of_content(record.content_id))
    current = latest.get(record.destination)
    if content is None or current is None or current.record_id != record.record_id:
        _settle(record, page, record.error or "replaced by a later publication")
        return
    if record.status == RecordStatus.PENDING or record.status in REPUBLISHABLE:
        _resend(record, content, latest, page)
        return
    if record.status == RecordStatus.PUBLISHING:
        if parse_iso(record.updated_at) > now - STUCK_AFTER:
            page.summary.skipped += 1  # a redelivery of its message will take the claim over
            return
        changes = {
            "status": RECORD_FAILED.target.value,
            "error": STUCK,
            "claimed_until": None,
            "updated_at": iso(now),
        }
        condition = status_condition(RecordModel.status, RECORD_FAILED, record.status) & (
            RecordModel.updated_at == record.updated_at
        )
        store.update_record(record, changes, condition, "changed meanwhile")
        latest[record.destination] = record  # as it is now (failed), for the retry to reuse
        page.summary.recovered += 1
    _retry(record, content, latest, page)


Latest = Mapping[str, RecordModel]
"""The content's latest record per destination, as `_attend` read them (the hand-over reuses them)."""


def _resend(record: RecordModel, content: ContentModel, latest: Latest, page: _Page) -> None:
    """A pending record whose message never arrived: send it again if the content still wants it."""
    waiting_for = content.scheduled_publish_at
    if content.site_status == SiteStatus.SCHEDULED and content.enqueued_for == waiting_for:
        outcome = _send(record, content, latest, page, scheduled_for=waiting_for, move=None)
    elif content.site_status == SiteStatus.PUBLISHING:
        outcome = _send(record, content, latest, page, scheduled_for=None, move=None)
    elif record.status in REPUBLISHABLE:
        _settle(record, page, "")  # a republish nobody waits for: the record stays as it is
        return
    else:
        _drop(record, page.summary)
        return
    if outcome == SENT:
        page.summary.resent += 1
    else:
        page.summary.skipped += 1  # changed meanwhile, or its integration is gone: the next run looks again


def _drop(record: RecordModel, summary: CleanupSummary) -> None:
    """Forget a pending record nobody waits for any more (unless it changed meanwhile)."""
    try:
        store.delete_record(record, store.unchanged(record))
    except Conflict:
        summary.skipped += 1
        return
    summary.dropped += 1


def _retry(record: RecordModel, content: ContentModel, latest: Latest, page: _Page) -> None:
    """A failed record: once more through the queue, with backoff, up to the limit."""
    retries_done = int((record.metadata or {}).get("cleanup_retries", 0))
    if retries_done >= MAX_CLEANUP_RETRIES:
        reason = f"{record.error}; gave up after {MAX_CLEANUP_RETRIES} automatic retries"
        _settle(record, page, reason)
        _stop_retrying(content, reason, page.now)
        return
    if content.site_status in (SiteStatus.FAILED, SiteStatus.RETRYING):
        move: Change | None = start_publishing(content, page.now)
    elif content.site_status == SiteStatus.PUBLISHING:
        move = None
    else:  # the content moved on (rescheduled, republished): nothing to retry
        _settle(record, page, record.error or "not retried: the content moved on")
        return
    note = {"cleanup_retries": retries_done + 1}
    outcome = _send(record, content, latest, page, scheduled_for=None, move=move, note=note)
    if outcome == NO_INTEGRATION:
        reason = f"{record.error}; not retried: the {record.destination} integration is disabled"
        _settle(record, page, reason)
        _stop_retrying(content, reason, page.now)
    elif outcome == SENT:
        page.summary.retried += 1
    else:
        page.summary.skipped += 1


def _stop_retrying(content: ContentModel, reason: str, now: datetime) -> None:
    """Content waiting for a retry that will not come is failed, with the reason."""
    if content.site_status != SiteStatus.RETRYING:
        return
    changes = {
        "site_status": GIVE_UP_RETRYING.target.value,
        "site_status_updated_at": iso(now),
        "next_attempt_at": None,
        "last_error": reason,
    }
    try:
        update_content(content, changes, as_read(content, GIVE_UP_RETRYING), "changed meanwhile")
    except Conflict:
        logger.info("changed meanwhile; left as it is", extra={"content_id": content.content_id})


SENT, CHANGED, NO_INTEGRATION = "sent", "changed", "no integration"
"""What `_send` did: handed over; nothing, as the content or record changed; nothing, no integration."""


def _send(
    record: RecordModel,
    content: ContentModel,
    latest: Latest,
    page: _Page,
    *,
    scheduled_for: str | None,
    move: Change | None,
    note: dict[str, Any] | None = None,
) -> str:
    """Write the record's hand-over (its content's `move` with it) and put its message in the
    page's outbox."""
    targets = enabled_integrations(
        content.site_id, [record.destination], read=page.integrations.get(content.site_id)
    )
    if not targets:
        return NO_INTEGRATION
    dispatch = Dispatch(scheduled_for=scheduled_for, deployment_id=record.deployment_id, note=note or {})
    try:
        written = write_records(content, targets, dispatch, move=move, now=page.now, current=latest)
    except Conflict:
        logger.info("changed meanwhile; left for the next run", extra={"record_id": record.record_id})
        return CHANGED
    page.outbox.add(written, dispatch, page.now)
    return SENT


def _settle(record: RecordModel, page: _Page, reason: str) -> None:
    """Leave the record as it is, out of the retry index, with the reason."""
    changes: dict[str, Any] = {"next_retry_at": None, "updated_at": iso(page.now)}
    if record.status == RecordStatus.FAILED:
        changes["error"] = reason
    try:
        store.update_record(record, changes, store.unchanged(record), "changed meanwhile")
    except Conflict:
        page.summary.skipped += 1
        return
    page.summary.given_up += 1
