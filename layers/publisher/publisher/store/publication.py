"""Content on its way out: the moves scheduled|failed|published → publishing → published|failed,
the due index, enqueued marks, and the transactions that move content and records together.

Each move is conditional on what was read (status and last status change), so two workers,
a retried message or an edit racing a publication can never both win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from publisher.domain.statuses import Move, SiteStatus
from publisher.errors import Conflict
from publisher.paging import PageRequest, decode_cursor
from publisher.store import history
from publisher.store.changes import actions_for
from publisher.store.common import BUSY, conditional_update, query_page, run_transaction, status_condition
from publisher.store.models import ContentModel, HistoryEntryModel, RecordModel
from publisher.store.usage import CapFull, Increments, add_increments

BUSY_RETRIES = 5
"""Tries of a transaction with counters that lost to a concurrent one on the same counter."""


def as_read(content: ContentModel, move: Move) -> Any:
    """The condition of `move` on content whose place on its site must still be what was read."""
    return status_condition(ContentModel.site_status, move, content.site_status) & (
        ContentModel.site_status_updated_at == content.site_status_updated_at
    )


def scheduled_for(moment: str) -> Any:
    """The condition that the content still waits for this scheduled time (no unschedule or
    reschedule happened in between)."""
    return (ContentModel.site_status == SiteStatus.SCHEDULED.value) & (
        ContentModel.scheduled_publish_at == moment
    )


def update_content(
    content: ContentModel,
    changes: Mapping[str, Any],
    condition: Any,
    conflict: str,
    *,
    earlier: Sequence[HistoryEntryModel] = (),
) -> None:
    """A conditional update of the content, then its history entry, written in one call with the
    `earlier` entries a caller held back (see `write_together`)."""
    entry = history.entry_for(content, changes)
    conditional_update(content, actions_for(content, changes), condition, conflict)
    history.record_all([*earlier, entry])


@dataclass
class Change:
    """One item's field changes under a condition, for a transaction."""

    item: ContentModel | RecordModel
    changes: Mapping[str, Any]
    condition: Any


def first_records(content: ContentModel, changes: Sequence[Change]) -> list[Change]:
    """`changes` for a transaction that writes records of `content`: when the content was read
    without any (`no_records`), its change also removes the mark, on the condition that the mark is
    still there, so a record written meanwhile by another writer makes this one a Conflict, never a
    second record for a destination."""
    if not content.no_records:
        return list(changes)
    first = ContentModel.no_records.exists()

    def own(change: Change) -> bool:
        return isinstance(change.item, ContentModel) and change.item.content_id == content.content_id

    if not any(own(change) for change in changes):
        return [Change(content, {"no_records": None}, first), *changes]
    return [
        Change(
            change.item,
            {**change.changes, "no_records": None},
            first if change.condition is None else change.condition & first,
        )
        if own(change)
        else change
        for change in changes
    ]


@dataclass
class Check:
    """A condition on an item that the transaction does not change."""

    model: type[ContentModel] | type[RecordModel]
    key: str
    condition: Any


def write_together(
    *,
    changes: Sequence[Change] = (),
    checks: Sequence[Check] = (),
    new_records: Sequence[RecordModel] = (),
    counters: Increments | None = None,
    conflict: str,
    hold_history: bool = False,
) -> list[HistoryEntryModel]:
    """One transaction: every change and new record is written, and every counter of `counters`
    gets its +1 within its cap, or nothing is (CapFull naming the counter that was full, else
    Conflict). The content's history entries are written after the commit, or, `hold_history`,
    returned for the caller to write with its next entry (one call for both)."""
    entries = [
        history.entry_for(change.item, change.changes)
        for change in changes
        if isinstance(change.item, ContentModel)
    ]
    planned = [(change, actions_for(change.item, change.changes)) for change in changes]
    for record in new_records:
        record.refresh_index_keys()

    def write(tx: Any) -> None:
        for change, actions in planned:
            tx.update(change.item, actions=actions, condition=change.condition)
        for check in checks:
            tx.condition_check(check.model, check.key, condition=check.condition)
        for record in new_records:
            tx.save(record, condition=RecordModel.record_id.does_not_exist())
        if counters is not None:
            add_increments(tx, counters.site_id, counters.reservations, counters.moment)

    outcome = run_transaction(write)
    for _ in range(BUSY_RETRIES if counters is not None else 0):
        if outcome != BUSY:
            break
        outcome = run_transaction(write)  # lost to another writer of a counter: nothing was written
    if outcome is None:
        written = [entry for entry in entries if entry is not None]
        if not hold_history:
            history.record_all(written)  # after the commit, not in it: a transaction bills every item twice
        return written if hold_history else []
    caps = dict(counters.reservations) if counters is not None else {}
    if outcome in caps:
        raise CapFull(outcome, caps[outcome])
    raise Conflict(conflict)


def unpublish_due_page(
    shard: int, until_iso: str, limit: int, cursor: str | None = None
) -> tuple[list[ContentModel], str | None]:
    """One page of one shard of the unpublish index: content whose `unpublish_at` is at or before
    `until_iso` and not yet handed to the queue; and the next page's cursor."""
    return query_page(
        ContentModel.unpublish_index.query,
        str(shard),
        ContentModel.unpublish_due <= until_iso,
        page=PageRequest(limit=limit, start_key=decode_cursor(cursor)),
    )


def mark_unpublish(content: ContentModel, moment: str | None) -> None:
    """`unpublish_enqueued_for = moment` (None: take the mark back) while the content still
    unpublishes at the time read; Conflict otherwise (another run got there, or it changed)."""
    condition = ContentModel.unpublish_at == content.unpublish_at
    if moment is not None:
        condition &= ContentModel.unpublish_enqueued_for.does_not_exist() | (
            ContentModel.unpublish_enqueued_for != moment
        )
    update_content(content, {"unpublish_enqueued_for": moment}, condition, "changed meanwhile")


def due_page(
    shard: int, until_iso: str, limit: int, cursor: str | None = None
) -> tuple[list[ContentModel], str | None]:
    """One page (at most `limit` items, from `cursor`) of one shard of the due index: scheduled
    content not yet handed to the queue, due at or before `until_iso`; and the next page's cursor."""
    return query_page(
        ContentModel.due_index.query,
        str(shard),
        ContentModel.due_at <= until_iso,
        page=PageRequest(limit=limit, start_key=decode_cursor(cursor)),
    )
