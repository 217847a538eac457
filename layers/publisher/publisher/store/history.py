"""The audit trail of content: one item per change of status, site_status or schedule, written
by the store functions that make those changes, right after the committed write (never inside a
transaction, which would bill the entry twice), with the actor that `identity.act_as` named for
this context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from publisher.domain.content import HISTORY_FIELDS, history_action
from publisher.identity import acting
from publisher.ids import new_id
from publisher.paging import PageRequest
from publisher.store.common import delete_items, query_page
from publisher.store.models import ContentModel, HistoryEntryModel, SiteModel
from publisher.timeutil import iso, utcnow


def entry_for(
    item: ContentModel, changes: Mapping[str, Any], *, action: str | None = None, detail: dict | None = None
) -> HistoryEntryModel | None:
    """The history entry of writing `changes` to `item` (as read, before the write), or None when
    they change no field the history follows. Call it before `actions_for` applies the changes."""
    moved = {
        field: (getattr(item, field), changes[field])
        for field in HISTORY_FIELDS
        if field in changes and changes[field] != getattr(item, field)
    }
    if not moved:
        return None
    field = next(
        name for name in ("site_status", "status", "scheduled_publish_at", "unpublish_at") if name in moved
    )
    old, new = moved[field]
    at = changes.get("site_status_updated_at") or changes.get("updated_at") or iso(utcnow())
    actor, role = acting()
    return HistoryEntryModel(
        key=HistoryEntryModel.key_of(item.content_id),
        position=f"{at}#{new_id()}",
        account_id=item.account_id,
        at=at,
        actor=actor,
        role=role,
        action=action or history_action(field, old, new),
        from_state=old,
        to_state=new,
        detail={
            **{name: {"from": a, "to": b} for name, (a, b) in moved.items() if name != field},
            **(detail or {}),
        },
    )


def record(entry: HistoryEntryModel | None) -> None:
    """Write an entry made by `entry_for` (nothing when there is none)."""
    if entry is not None:
        entry.save()


def record_all(entries: Sequence[HistoryEntryModel | None]) -> None:
    """Write entries made by `entry_for`: one PutItem for one, one BatchWriteItem for more
    (unprocessed items retried by pynamodb)."""
    wanted = [entry for entry in entries if entry is not None]
    if len(wanted) <= 1:
        for entry in wanted:
            entry.save()
        return
    with HistoryEntryModel.batch_write() as batch:
        for entry in wanted:
            batch.save(entry)


def record_event(item: ContentModel, action: str, detail: dict | None = None) -> None:
    """An entry for a change that is not a field move (e.g. deletion)."""
    record(entry_for(item, {"site_status": None}, action=action, detail=detail))


def record_site_change(
    site: SiteModel, action: str, old: str | None, new: str | None, at: str, detail: dict | None = None
) -> None:
    """An entry in the site's own trail (`history#<site_id>`: pause, resume, deletion)."""
    actor, role = acting()
    HistoryEntryModel(
        key=HistoryEntryModel.key_of(site.site_id),
        position=f"{at}#{new_id()}",
        account_id=site.account_id,
        at=at,
        actor=actor,
        role=role,
        action=action,
        from_state=old,
        to_state=new,
        detail=detail or {},
    ).save()


def delete_trail(owner_id: str, *, page_size: int = 100) -> int:
    """Delete a content's or site's trail, a Query page (keys only) and a BatchWriteItem at a time;
    the number of entries deleted."""
    deleted = 0
    while True:
        results = HistoryEntryModel.query(
            HistoryEntryModel.key_of(owner_id), limit=page_size, attributes_to_get=["site_id", "period"]
        )
        entries = list(results)
        delete_items(HistoryEntryModel, entries)
        deleted += len(entries)
        if len(entries) < page_size:
            return deleted


def record_note(item: ContentModel, action: str, detail: dict | None = None) -> None:
    """An entry for a step that moves no field the history follows (e.g. a hand-over to the
    queue): from and to are the item's site_status."""
    entry = entry_for(item, {"site_status": None}, action=action, detail=detail)
    if entry is not None:
        entry.to_state = entry.from_state
        entry.save()


def history_page(content_id: str, page: PageRequest) -> tuple[list[HistoryEntryModel], str | None]:
    """A content's history, newest first."""
    return query_page(
        HistoryEntryModel.query, HistoryEntryModel.key_of(content_id), page=page, newest_first=True
    )
