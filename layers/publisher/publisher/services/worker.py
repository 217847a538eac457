"""The publish worker: one queue message = one (content, destination), published exactly once.

1. Claim, in one transaction: the record (pending | failed, or publishing with an expired claim)
   → publishing, attempts + 1; and the content: scheduled → publishing only while it is still
   scheduled for the time the message carries (an unschedule or reschedule in between makes the
   message a no-op); a publish-now message needs content already publishing. A lost claim reads
   both again: another destination's worker may just have moved the content to publishing (our
   record is still ours to claim); otherwise another delivery of the same message holds it, or
   the work is done, and the message is a no-op.
2. Publish through `Destination.publish(article, known_external_id)`: update the post the
   record names (one record per content and destination: a republish reuses it; a retracted
   one is restored where the destination can; records of the older shape are folded by
   scripts/migrate_records.py), else the post the destination has under the deterministic
   slug, else create one. When the published fields hash as at the record's last
   success, nothing is sent at all (outcome `unchanged`). Images uploaded by earlier
   publications are reused (the record's `metadata.media`). A crash after the destination
   accepted the post and before the record was written is therefore healed by the redelivery,
   which finds the post by its slug.
3. Record the outcome under the claim (status publishing and our `attempts`), then settle the
   content: published once every current destination is, failed when one failed.

Errors are typed: a retryable one sends the message back with exponential backoff (or the
peer's Retry-After), until its 5th delivery, when the record says it gave up and the message
goes to the dead-letter queue; a permanent one fails the record at once with its reason.

DynamoDB calls per message with one destination: one BatchGetItem (record and content strongly
consistent; site and the site's integrations by key, eventually consistent), the claim, the
record's outcome, the content's settle and its history entry: five. A scheduled message's claim
also moves the content; that move's history entry is held back and written with the settle's in
one BatchWriteItem (five too), or on its own when the message ends without a settle. The other
records of the content are queried only when another destination is enabled (to settle the
content once all have an outcome).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from publisher.bootstrap import aws_client, ready_store
from publisher.destinations import DESTINATION_NAMES
from publisher.destinations.base import (
    DestinationError,
    RemotePost,
    RetryableDestinationError,
)
from publisher.domain.publishing import (
    CLAIM_LEASE,
    MAX_CLEANUP_RETRIES,
    MAX_RECEIVES,
    QUEUE_DEADLINE,
    SYSTEM_ACTOR,
    Outcome,
    PublishMessage,
    UnpublishMessage,
    attempt_entry,
    bounded_media,
    cleanup_retry_at,
    lateness_seconds,
    latest_by_destination,
    retry_delay,
    settled_outcome,
    with_attempt,
)
from publisher.domain.statuses import (
    CLAIM_RECORD,
    CLAIM_REPUBLISH,
    RECORD_FAILED,
    RECORD_PUBLISHED,
    REPUBLISHABLE,
    RETRY_LATER,
    SETTLE_FAILED,
    SETTLE_PUBLISHED,
    START_PUBLISHING,
    ContentStatus,
    Move,
    RecordStatus,
    SiteStatus,
)
from publisher.errors import Conflict
from publisher.identity import act_as
from publisher.services import deployments
from publisher.services.adapters import DestinationFactory, open_destination
from publisher.services.credentials import CredentialVault
from publisher.services.events import CONTENT_UNPUBLISHED, PUBLICATION_FAILED, PUBLICATION_SUCCEEDED, EventBus
from publisher.services.preview import article_for
from publisher.services.records import retract_record
from publisher.store import content as content_store
from publisher.store import records as record_store
from publisher.store.common import read_together, status_condition
from publisher.store.history import record_all as record_history
from publisher.store.models import (
    ContentBodyModel,
    ContentModel,
    HistoryEntryModel,
    IntegrationModel,
    RecordModel,
    SiteModel,
)
from publisher.store.publication import Change, Check, as_read, update_content, write_together
from publisher.timeutil import iso, parse_iso, utcnow

logger = Logger()
metrics = Metrics()

CLAIM_READS = 3
"""Reads of a message's record and content its claim may act on (see `PublishWorker._claim`)."""
UNPUBLISH_WAIT_SECONDS = 60
"""An unpublish message that finds a publication on its way comes back this much later."""
KEEP_FAILED = timedelta(days=90)
"""A record that failed for good expires (DynamoDB TTL) this long after, unless retried."""


PUBLISHED, FAILED, SKIPPED = Outcome.PUBLISHED, Outcome.FAILED, Outcome.SKIPPED
"""What `process` answers for one delivery (counted by the handler)."""


class Deferred(Exception):
    """The message must come back later: the batch reports it as failed (its visibility is set)."""


@dataclass(frozen=True)
class Delivery:
    """One received message: its body, how often SQS has delivered it, and its receipt."""

    message: PublishMessage | UnpublishMessage
    receive_count: int = 1
    receipt_handle: str | None = None


@dataclass
class _Work:
    """What one delivery works on, once claimed."""

    message: PublishMessage
    record: RecordModel
    content: ContentModel
    site: SiteModel | None
    integrations: dict[str, IntegrationModel]
    attempt: int
    started: datetime
    previous: str
    """The record's status before our claim (published: an update; retracted: a restore)."""
    content_hash: str | None = None
    media: dict[str, Any] | None = None
    held_history: list[HistoryEntryModel] = field(default_factory=list)
    """The claim's history entry (the content's move to publishing), written with the settle's."""


class PublishWorker:
    """Processes deliveries; every collaborator can be handed in (tests, benchmarks)."""

    def __init__(
        self,
        *,
        factory: DestinationFactory | None = None,
        vault: CredentialVault | None = None,
        events: EventBus | None = None,
        sqs: Any = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.vault = vault or CredentialVault()  # one per warm container: opened credentials are reused
        self.events = events or EventBus()
        self._sqs = sqs
        self.clock = clock

    # --- the steps -------------------------------------------------------------------------

    def process(self, delivery: Delivery) -> str:
        """Publish one message; returns the outcome ("published", "failed", "skipped") or raises
        Deferred for a message that must come back."""
        ready_store()
        act_as("system:publish-worker", "system")  # the history's actor for this message's changes
        if isinstance(delivery.message, UnpublishMessage):
            return self.unpublish(delivery, delivery.message)
        message = delivery.message
        now = self.clock()
        record, content, body, site, *integrations = read_together(
            [
                (RecordModel, message.record_id),
                (ContentModel, message.content_id),
                (ContentBodyModel, ContentBodyModel.key_of(message.content_id)),
                (SiteModel, message.site_id),
                *((IntegrationModel, message.site_id, name) for name in DESTINATION_NAMES),
            ],
            # what the site's owner configured rarely changes: a second-old copy will do
            eventually_consistent=(SiteModel, IntegrationModel),
        )
        if (
            record is None
            or content is None
            or record.content_id != content.content_id
            or content.site_id != message.site_id
        ):
            logger.warning("nothing to publish for this message", extra={"record_id": message.record_id})
            return self._skipped()
        content_store.attach_body(content, body)
        found = {"record_id": record.record_id, "status": record.status, "site_status": content.site_status}
        claimed = self._claim(record, content, message, now)
        if claimed is None:
            logger.info("message is a no-op", extra=found)
            return self._skipped()
        record, content, previous, held = claimed
        content_store.attach_body(content, body)
        work = _Work(
            message=message,
            record=record,
            content=content,
            site=site,
            integrations={item.destination: item for item in integrations if item is not None},
            attempt=int(record.attempts),
            started=now,
            previous=previous,
            held_history=held,
        )
        try:
            try:
                post = self._publish(work)
            except RetryableDestinationError as error:
                return self._retry_later(work, delivery, error)
            except DestinationError as error:  # refused credentials among them: decrypt them again next time
                self.vault.forget(content.account_id, content.site_id, message.destination)
                return self._fail(work, str(error), type(error).__name__)
            return self._succeed(work, post)
        finally:
            record_history(work.held_history)  # the claim's entry, when no settle wrote it

    def _claim(
        self, record: RecordModel, content: ContentModel, message: PublishMessage, now: datetime
    ) -> tuple[RecordModel, ContentModel, str, list[HistoryEntryModel]] | None:
        """Claim the record and the content's part as read; None when the message is a no-op.

        A claim that loses reads both again (strongly consistent) and tries again while the message
        still applies, CLAIM_READS reads in all: another destination's worker may have moved the
        same content from scheduled to publishing between our read and our claim, which leaves our
        record to us.
        Returns the record and content claimed (with the claim's changes), the record's status
        before the claim and the history entry of the content's move, held back to be written with
        the settle's entry (one call for both)."""
        for reads in range(1, CLAIM_READS + 1):
            if reads > 1:
                record, content = read_together(
                    [(RecordModel, message.record_id), (ContentModel, message.content_id)]
                )
                if record is None or content is None:
                    return None
            previous = str(record.status)
            change = _record_claim(record, now)
            content_part = _content_claim(content, message.scheduled_for, now)
            if change is None or content_part is None:
                return None
            moved = isinstance(content_part, Change)
            changes, checks = ([change, content_part], []) if moved else ([change], [content_part])
            try:
                held = write_together(
                    changes=changes, checks=checks, conflict="claimed elsewhere", hold_history=True
                )
            except Conflict:
                continue
            return record, content, previous, held
        return None

    def _publish(self, work: _Work) -> RemotePost | None:
        """Send the article; None when it is what the record's last success sent (nothing sent)."""
        message = work.message
        article = article_for(work.content, message.destination, work.site)
        work.content_hash = article.content_hash
        record = work.record
        if (
            work.previous == RecordStatus.PUBLISHED
            and record.external_id
            and record.content_hash == article.content_hash
        ):
            return None
        adapter = open_destination(
            work.integrations.get(message.destination),
            message.destination,
            account_id=work.content.account_id,
            factory=self.factory,
            vault=self.vault,
        )
        work.media = dict((record.metadata or {}).get("media") or {})
        if work.previous == RecordStatus.RETRACTED and record.external_id:
            return adapter.publish(article, media=work.media, retracted_external_id=record.external_id)
        return adapter.publish(article, record.external_id, media=work.media)

    def unpublish(self, delivery: Delivery, message: UnpublishMessage) -> str:
        """At the content's `unpublish_at`: retract every published record (the current one per
        destination), then clear `unpublish_at`. A message for a time that changed or was cleared
        meanwhile does nothing; a publication on its way is waited for; a retryable refusal of a
        destination sends the message back (records already retracted stay so)."""
        content = content_store.get_content(message.content_id)
        if content is None or content.unpublish_at != message.unpublish_at:
            logger.info("unpublish message is a no-op", extra={"content_id": message.content_id})
            return self._skipped()
        if content.site_status == SiteStatus.PUBLISHING:
            self._set_visibility(delivery, UNPUBLISH_WAIT_SECONDS)
            raise Deferred("the content is being published; it is unpublished once that has settled")
        now = self.clock()
        retracted: list[str] = []
        failed: list[dict[str, str]] = []
        current = latest_by_destination(record_store.records_of_content(content.content_id))
        for record in current.values():
            if record.status != RecordStatus.PUBLISHED:
                continue
            try:
                retract_record(record, factory=self.factory, vault=self.vault, now=now, actor=SYSTEM_ACTOR)
            except (DestinationError, Conflict) as error:
                if isinstance(error, RetryableDestinationError) and delivery.receive_count < MAX_RECEIVES:
                    self._set_visibility(delivery, retry_delay(delivery.receive_count, error.retry_after))
                    raise Deferred(f"unpublishing retries {record.destination}: {error}") from error
                failed.append(
                    {"record_id": record.record_id, "destination": record.destination, "error": str(error)}
                )
            else:
                retracted.append(record.record_id)
        with contextlib.suppress(Conflict):  # changed meanwhile: the newer time stands
            update_content(
                content,
                {"unpublish_at": None, "updated_at": iso(now)},
                ContentModel.unpublish_at == message.unpublish_at,
                "the unpublish time changed meanwhile",
            )
        metrics.add_metric(name="ContentUnpublished", unit=MetricUnit.Count, value=1)
        logger.info(
            "unpublished", extra={"content_id": content.content_id, "retracted": retracted, "failed": failed}
        )
        self.events.emit(
            CONTENT_UNPUBLISHED,
            {
                "content_id": content.content_id,
                "site_id": content.site_id,
                "account_id": content.account_id,
                "unpublish_at": message.unpublish_at,
                "retracted": retracted,
                "failed": failed,
            },
        )
        return Outcome.RETRACTED.value

    # --- outcomes --------------------------------------------------------------------------

    def _succeed(self, work: _Work, post: RemotePost | None) -> str:
        now = self.clock()
        scheduled = work.message.scheduled_for
        lateness = lateness_seconds(parse_iso(scheduled) if scheduled else None, work.started)
        metadata = {**(work.record.metadata or {}), "lateness_seconds": lateness}
        changes: dict[str, Any] = {
            "error": None,
            "next_retry_at": None,
            "next_attempt_at": None,
            "claimed_until": None,
            "updated_at": iso(now),
        }
        if post is None:
            outcome = Outcome.UNCHANGED
        else:
            outcome = Outcome.UPDATED if work.previous == RecordStatus.PUBLISHED else Outcome.PUBLISHED
            metadata["remote"] = post.metadata
            if work.media:
                metadata["media"] = bounded_media(work.media)
            changes.update(
                external_id=post.external_id,
                external_url=post.external_url,
                published_at=iso(now),
                content_hash=work.content_hash,
            )
        changes["metadata"] = metadata
        changes["attempt_log"] = self._logged(work, outcome, now)
        if not self._record(work, RECORD_PUBLISHED, changes):
            return self._skipped()
        self._settle(work, now)
        self._count_deployment(work, deployed=True, error=None, now=now)
        metrics.add_metric(name="PublicationsSucceeded", unit=MetricUnit.Count, value=1)
        if lateness is not None:
            metrics.add_metric(name="PublicationLateness", unit=MetricUnit.Seconds, value=max(lateness, 0))
        logger.info(
            "published at the destination",
            extra={
                "record_id": work.record.record_id,
                "destination": work.record.destination,
                "external_id": work.record.external_id,
                "lateness_seconds": lateness,
                "outcome": outcome.value,
            },
        )
        self.events.emit(
            PUBLICATION_SUCCEEDED, self._event(work, lateness_seconds=lateness, outcome=outcome.value)
        )
        return PUBLISHED

    def _retry_later(self, work: _Work, delivery: Delivery, error: RetryableDestinationError) -> str:
        """Back to the queue with backoff; on the last delivery, give up (the DLQ keeps the message)."""
        if delivery.receive_count >= MAX_RECEIVES:
            reason = f"gave up after {MAX_RECEIVES} attempts; in the dead-letter queue: {error}"
            self._fail(work, reason, type(error).__name__, next_retry_at=self._cleanup_retry_at(work))
            self._set_visibility(delivery, 0)  # on to the dead-letter queue at the next receive
            raise Deferred(reason)
        delay = retry_delay(delivery.receive_count, error.retry_after)
        # The queue brings it back; the cleanup job steps in only if that message is lost.
        back_at = self.clock() + timedelta(seconds=delay)
        self._fail(
            work,
            str(error),
            type(error).__name__,
            next_retry_at=back_at + QUEUE_DEADLINE,
            next_attempt_at=back_at,
        )
        self._set_visibility(delivery, delay)
        raise Deferred(f"retry in {delay} s: {error}")

    def _cleanup_retry_at(self, work: _Work) -> datetime | None:
        """When the daily cleanup should retry a record the queue gave up on (None: no more)."""
        retries_done = int((work.record.metadata or {}).get("cleanup_retries", 0))
        if retries_done >= MAX_CLEANUP_RETRIES:
            return None
        return cleanup_retry_at(self.clock(), retries_done)

    def _fail(
        self,
        work: _Work,
        reason: str,
        error_class: str,
        *,
        next_retry_at: datetime | None = None,
        next_attempt_at: datetime | None = None,
    ) -> str:
        """Record the failure; `next_retry_at` is when a retry is due (None: failed for good),
        `next_attempt_at` when the queue itself brings the message back (None: it does not)."""
        now = self.clock()
        queue_retries = next_attempt_at is not None
        changes = {
            "error": reason,
            "next_retry_at": iso(next_retry_at) if next_retry_at else None,
            "next_attempt_at": iso(next_attempt_at) if next_attempt_at else None,
            "claimed_until": None,
            "updated_at": iso(now),
            "expires_at": None if queue_retries else now + KEEP_FAILED,
            "metadata": {**(work.record.metadata or {}), "error_class": error_class},
            "attempt_log": self._logged(work, Outcome.FAILED, now, error=reason),
        }
        if not self._record(work, RECORD_FAILED, changes):
            return self._skipped()
        self._settle(work, now, reason)
        if not queue_retries:
            failure = f"{work.record.content_id} on {work.record.destination}: {reason}"
            self._count_deployment(work, deployed=False, error=failure, now=now)
        metrics.add_metric(name="PublicationsFailed", unit=MetricUnit.Count, value=1)
        logger.warning(
            "publication failed",
            extra={"record_id": work.record.record_id, "reason": reason, "will_retry": queue_retries},
        )
        retry = next_retry_at is not None
        self.events.emit(
            PUBLICATION_FAILED, self._event(work, error=reason, error_class=error_class, will_retry=retry)
        )
        return FAILED

    @staticmethod
    def _logged(work: _Work, outcome: Outcome, now: datetime, *, error: str | None = None) -> list[Any]:
        """The record's attempts log with this attempt added."""
        entry = attempt_entry(
            iso(now),
            outcome,
            error=error,
            actor=work.message.actor,
            deployment_id=work.message.deployment_id or work.record.deployment_id,
        )
        return with_attempt(work.record.attempt_log, entry)

    def _record(self, work: _Work, move: Move, changes: dict[str, Any]) -> bool:
        """Write the outcome under our claim; False when a later claim took the record over."""
        condition = status_condition(RecordModel.status, move, RecordStatus.PUBLISHING) & (
            RecordModel.attempts == work.attempt
        )
        try:
            record_store.update_record(
                work.record, {"status": move.target.value, **changes}, condition, "claim taken over"
            )
        except Conflict:
            logger.warning(
                "our claim was taken over; its holder records the outcome",
                extra={"record_id": work.record.record_id},
            )
            return False
        return True

    def _settle(self, work: _Work, now: datetime, reason: str | None = None) -> None:
        """Move the content to published / retrying / failed once every current destination has an
        outcome (retrying: each failure is one the queue brings back, the soonest at next_attempt_at)."""
        current = self._current_records(work)
        retried = sorted(
            record.next_attempt_at
            for record in current
            if record.status == RecordStatus.FAILED and record.next_attempt_at
        )
        outcome = settled_outcome((record.status for record in current), retried=len(retried))
        if outcome is None:
            return
        if outcome == SiteStatus.PUBLISHED:
            move, changes = (
                SETTLE_PUBLISHED,
                {
                    "status": ContentStatus.PUBLISHED.value,
                    "published_at": iso(now),
                    "published_hash": work.content_hash,
                    "last_error": None,
                },
            )
        else:
            failed = next((record.error for record in current if record.status == RecordStatus.FAILED), None)
            move, changes = SETTLE_FAILED, {"last_error": reason or failed}
            if outcome == SiteStatus.RETRYING:
                move = RETRY_LATER
                changes["next_attempt_at"] = retried[0]
        changes.update(site_status=move.target.value, site_status_updated_at=iso(now), enqueued_for=None)
        changes.setdefault("next_attempt_at", None)
        condition = status_condition(ContentModel.site_status, move, SiteStatus.PUBLISHING)
        held, work.held_history = work.held_history, []
        try:
            update_content(work.content, changes, condition, "settled elsewhere", earlier=held)
        except Conflict:
            work.held_history = held
            logger.info("content settled by another worker", extra={"content_id": work.content.content_id})

    def _current_records(self, work: _Work) -> list[RecordModel]:
        """The newest record of each destination with an enabled integration (of those its schedule
        named, for a scheduled publication), as stored now.

        A pending record someone made by hand, without a deadline, is nobody's work and does not
        count. The other destinations' records are read again, strongly consistent, so of two
        workers finishing at once at least the later one sees both outcomes. With no other
        enabled destination there is nothing else to read."""
        enabled = {name for name, item in work.integrations.items() if item.enabled}
        if work.message.scheduled_for and work.content.schedule_destinations:
            enabled &= set(work.content.schedule_destinations)  # a schedule that named its destinations
        if enabled <= {work.record.destination}:
            return [work.record]
        history = record_store.records_of_content(work.content.content_id)
        latest = latest_by_destination(
            [*(record for record in history if record.record_id != work.record.record_id), work.record]
        )
        wanted = [record for name, record in latest.items() if name in enabled or record is work.record]
        fresh = record_store.fresh_records(record.record_id for record in wanted if record is not work.record)
        current = [fresh.get(record.record_id, record) for record in wanted]
        return [
            record
            for record in current
            if not (record.status == RecordStatus.PENDING and not record.next_retry_at)
        ]

    def _count_deployment(self, work: _Work, *, deployed: bool, error: str | None, now: datetime) -> None:
        deployment_id = work.message.deployment_id or work.record.deployment_id
        if deployment_id:
            deployments.count_item(deployment_id, deployed=deployed, error=error, now=now, events=self.events)

    @staticmethod
    def _skipped() -> str:
        """A message with nothing (left) to do: consumed, and counted."""
        metrics.add_metric(name="PublicationsSkipped", unit=MetricUnit.Count, value=1)
        return SKIPPED

    # --- plumbing --------------------------------------------------------------------------

    def _set_visibility(self, delivery: Delivery, seconds: int) -> None:
        if delivery.receipt_handle is None:
            return
        sqs = self._sqs or aws_client("sqs")
        sqs.change_message_visibility(
            QueueUrl=ready_store().publish_queue_url,
            ReceiptHandle=delivery.receipt_handle,
            VisibilityTimeout=seconds,
        )

    @staticmethod
    def _event(work: _Work, **extra: Any) -> dict[str, Any]:
        record = work.record
        return {
            "record_id": record.record_id,
            "content_id": record.content_id,
            "site_id": record.site_id,
            "account_id": record.account_id,
            "destination": record.destination,
            "status": record.status,
            "external_id": record.external_id,
            "external_url": record.external_url,
            "attempts": int(record.attempts or 0),
            "scheduled_for": work.message.scheduled_for,
            "deployment_id": work.message.deployment_id,
            **extra,
        }


def _record_claim(record: RecordModel, now: datetime) -> Change | None:
    """The record's part of a claim, or None when it is not ours to take: pending or failed, or
    publishing with an expired claim, or settled with a publication handed over for it (a stale
    duplicate has no deadline)."""
    leased_until = record.claimed_until or record.next_retry_at or ""
    claimable = (
        record.status in (RecordStatus.PENDING, RecordStatus.FAILED)
        or (record.status == RecordStatus.PUBLISHING and leased_until <= iso(now))
        or (record.status in REPUBLISHABLE and bool(record.next_retry_at))
    )
    if not claimable:
        return None
    move = CLAIM_REPUBLISH if record.status in REPUBLISHABLE else CLAIM_RECORD
    lease = iso(now + CLAIM_LEASE)
    return Change(
        record,
        {
            "status": move.target.value,
            "attempts": int(record.attempts or 0) + 1,
            "claimed_until": lease,
            # when the cleanup job looks at the record if the worker stops: its deadline stays (a
            # claim moves no retry-index key); one without any gets the lease's end
            "next_retry_at": record.next_retry_at or lease,
            "next_attempt_at": None,
            "updated_at": iso(now),
            "expires_at": None,
        },
        status_condition(RecordModel.status, move, record.status) & (RecordModel.attempts == record.attempts),
    )


def _content_claim(content: ContentModel, scheduled_for: str | None, now: datetime) -> Change | Check | None:
    """The content's part of a claim, or None when the message no longer applies to it.

    Scheduled message: the content must still be scheduled for that time (or already publishing
    for it, or failed or retrying at it and being retried). Publish-now message: already publishing
    (or failed or retrying, and being retried)."""
    if scheduled_for is not None and content.scheduled_publish_at != scheduled_for:
        return None
    status = content.site_status
    if status == SiteStatus.PUBLISHING:
        condition = ContentModel.site_status == START_PUBLISHING.target.value
        if scheduled_for is not None:
            condition &= ContentModel.scheduled_publish_at == scheduled_for
        return Check(ContentModel, content.content_id, condition)
    retried = status in (SiteStatus.FAILED, SiteStatus.RETRYING)
    if retried or (status == SiteStatus.SCHEDULED and scheduled_for is not None):
        changes = {
            "site_status": START_PUBLISHING.target.value,
            "site_status_updated_at": iso(now),
            "enqueued_for": None,
            "next_attempt_at": None,
        }
        return Change(content, changes, as_read(content, START_PUBLISHING))
    return None
