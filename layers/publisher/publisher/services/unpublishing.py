"""Scheduled unpublishing (`unpublish_at`): at that time every published record of the content is
retracted, as exactly as a scheduled publication goes out.

The 5-minute job (and an edit that sets a time minutes ahead) hands each content whose
`unpublish_at` falls before the job's next run to the publish queue, as ONE message delayed until
that time (DelaySeconds, rounded up), after marking the content `unpublish_enqueued_for =
<unpublish_at>` on the condition that it still unpublishes then and is not marked yet: two runs
never hand it over twice, and the sparse unpublish index drops it. A changed `unpublish_at` is
indexed again; the message of the old one finds it changed and does nothing. The worker retracts
(`PublishWorker` → `unpublish`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from publisher.bootstrap import aws_client, ready_store
from publisher.domain.publishing import LOOKAHEAD, UnpublishMessage, handover_delay
from publisher.errors import Conflict
from publisher.store import history
from publisher.store.models import ContentModel
from publisher.store.publication import mark_unpublish, unpublish_due_page
from publisher.timeutil import iso, parse_iso, utcnow

logger = Logger()

QUEUED = "unpublish queued"
"""The history action of the hand-over."""


def hand_over_unpublish(content: ContentModel, clock: Callable[[], datetime]) -> bool:
    """Mark the content and send its unpublish message, delayed until its `unpublish_at`; False
    when another run (or a change) got there first, or the queue refused (the mark is taken back,
    so the next run tries again)."""
    moment = content.unpublish_at
    if not moment:
        return False
    try:
        mark_unpublish(content, moment)
    except Conflict:
        return False
    now = clock()
    delay = handover_delay(parse_iso(moment), now)
    message = UnpublishMessage(
        action="unpublish",
        content_id=content.content_id,
        site_id=content.site_id,
        account_id=content.account_id,
        unpublish_at=moment,
        enqueued_at=iso(now),
    )
    try:
        aws_client("sqs").send_message(
            QueueUrl=ready_store().publish_queue_url,
            MessageBody=message.model_dump_json(),
            DelaySeconds=delay,
        )
    except (BotoCoreError, ClientError):
        logger.exception(
            "unpublish not queued; the next run tries again", extra={"content_id": content.content_id}
        )
        mark_unpublish(content, None)
        return False
    history.record_note(content, QUEUED, {"unpublish_at": moment, "delay_seconds": delay})
    logger.info("unpublish handed over", extra={"content_id": content.content_id, "unpublish_at": moment})
    return True


def hand_over_due_unpublishing(
    shard: int, until: str, clock: Callable[[], datetime], cursor: str | None, limit: int
) -> tuple[int, str | None]:
    """One page of one shard of the unpublish index (content due to unpublish at or before
    `until`, no Scan): the number handed over and the cursor of the rest (None when done). A
    failure of one item is logged, the rest go on."""
    handed = 0
    items, cursor = unpublish_due_page(shard, until, limit, cursor)
    for content in items:
        try:
            handed += hand_over_unpublish(content, clock)
        except Exception:
            logger.exception(
                "unpublish hand-over failed; the next run tries again",
                extra={"content_id": content.content_id},
            )
    return handed, cursor


def hand_over_unpublish_if_soon(content: ContentModel, now: datetime) -> bool:
    """After an edit: an `unpublish_at` due before the job's next run could see it in time is
    handed over at once (the mark keeps the job from doing it again)."""
    if not content.unpublish_at or content.unpublish_enqueued_for == content.unpublish_at:
        return False
    if parse_iso(content.unpublish_at) > now + LOOKAHEAD:
        return False
    return hand_over_unpublish(content, utcnow)
