"""Content items: CRUD with per-site unique slugs, editorial and scheduling moves, and the queries
behind lists, the calendar, the queue and the scheduler (every one a Query on a key or index).

Every write recomputes the derived index keys (`refresh_index_keys`) and writes them with the
attributes they derive from, so no index can go stale.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from publisher.domain.statuses import SCHEDULE, UNSCHEDULE, ContentStatus
from publisher.errors import Conflict
from publisher.paging import PageRequest
from publisher.store import history
from publisher.store.changes import actions_for
from publisher.store.common import (
    LabelledTransaction,
    conditional_delete,
    conditional_update,
    query_page,
    run_transaction,
    status_condition,
    transact,
)
from publisher.store.models import ContentModel, UniqueKeyModel
from publisher.store.usage import Reservation, add_increments
from publisher.timeutil import parse_iso

SLUG_TAKEN = "that slug is already used by another content item of this site"
CHANGED = "the content changed meanwhile; reload it and try again"

CONTENT = "content"
MINUTE = "minute"
"""Labels of the scheduling transaction's items (counter items are labelled by their keys)."""


def get_content(content_id: str) -> ContentModel | None:
    try:
        return ContentModel.get(content_id, consistent_read=True)
    except DoesNotExist:
        return None


def _claim(site_id: str, slug: str, content_id: str) -> UniqueKeyModel:
    return UniqueKeyModel(key=UniqueKeyModel.content_slug(site_id, slug), owner_id=content_id)


def unclaimed_slugs(site_id: str, candidates: list[str]) -> list[str]:
    """The candidates no content of the site holds yet, in the given order (one BatchGetItem)."""
    keys = [UniqueKeyModel.content_slug(site_id, slug) for slug in candidates]
    held = {claim.key for claim in UniqueKeyModel.batch_get(keys)}
    return [slug for slug, key in zip(candidates, keys, strict=True) if key not in held]


def create_content(item: ContentModel) -> None:
    """Insert the item and claim its slug within its site in one transaction (Conflict if taken)."""
    item.refresh_index_keys()
    claim = _claim(item.site_id, item.slug, item.content_id)

    def write(tx: Any) -> None:
        tx.save(claim, condition=UniqueKeyModel.key.does_not_exist())
        tx.save(item, condition=ContentModel.content_id.does_not_exist())

    transact(write, SLUG_TAKEN)


def _unchanged(item: ContentModel) -> Condition:
    """The item is still in the editorial and site state it was read in."""
    return (ContentModel.status == item.status) & (ContentModel.site_status == item.site_status)


def _same_schedule(item: ContentModel) -> Condition:
    if item.scheduled_publish_at is None:
        return ContentModel.scheduled_publish_at.does_not_exist()
    return ContentModel.scheduled_publish_at == item.scheduled_publish_at


def edit_content(item: ContentModel, changes: dict[str, Any]) -> None:
    """Edit fields under the condition that status and site_status are still those read (Conflict
    otherwise); a new slug swaps the slug claims in the same transaction."""
    condition = _unchanged(item)
    old_slug = item.slug
    new_slug = changes.get("slug", old_slug)
    entry = history.entry_for(item, changes)
    actions = actions_for(item, changes)
    if new_slug == old_slug:
        conditional_update(item, actions, condition, CHANGED)
        history.record(entry)
        return
    old_claim = _claim(item.site_id, old_slug, item.content_id)
    new_claim = _claim(item.site_id, new_slug, item.content_id)

    def write(tx: Any) -> None:
        tx.save(new_claim, condition=UniqueKeyModel.key.does_not_exist())
        tx.delete(old_claim, condition=UniqueKeyModel.owner_id == item.content_id)
        tx.update(item, actions=actions, condition=condition & (ContentModel.slug == old_slug))
        if entry is not None:
            tx.save(entry)

    transact(write, SLUG_TAKEN)


# --- scheduling moves ---------------------------------------------------------------------


MINUTE_CLAIM_KEPT = timedelta(days=1)
"""A minute claim expires (TTL) this long after its minute: no item is ever scheduled into a past
minute, so it guards nothing by then; the margin covers late hand-overs and TTL's own lag."""


def minute_key(site_id: str, when: datetime) -> str:
    """The unique key that gives one site's UTC minute to one item."""
    return f"slot#{site_id}#{when.strftime('%Y-%m-%dT%H:%M')}"


def schedule_move(
    item: ContentModel,
    when: str,
    minute: str | None,
    reservations: list[Reservation],
    moment: datetime,
    changed_at: str,
) -> str | None:
    """Move approved content to `scheduled` at `when`, in ONE transaction with the claim of its minute
    (`minute`, None when it keeps its own) and +1 on the counters of its new periods.

    The content's condition is the state it was read in (site_status, scheduled_publish_at).
    Returns None when committed, else what stood in the way: CONTENT (it changed), MINUTE (another
    item holds that minute), a counter key (that cap is full) or usage.BUSY."""
    condition = (
        status_condition(ContentModel.site_status, SCHEDULE, item.site_status)
        & _same_schedule(item)
        & (ContentModel.status == item.status)
        & (ContentModel.status == ContentStatus.APPROVED.value)
    )
    changes = {
        "site_status": SCHEDULE.target.value,
        "scheduled_publish_at": when,
        "site_status_updated_at": changed_at,
        "enqueued_for": None,
        "unscheduled_reason": None,
    }
    probe = ContentModel(item.content_id, **_state(item))
    entry = history.entry_for(item, changes)
    actions = actions_for(probe, changes)

    def write(tx: LabelledTransaction) -> None:
        if minute is not None:
            claim = UniqueKeyModel(
                key=minute, owner_id=item.content_id, expires_at=parse_iso(when) + MINUTE_CLAIM_KEPT
            )
            tx.save(claim, condition=UniqueKeyModel.key.does_not_exist(), label=MINUTE)
        tx.update(item, actions, condition=condition, label=CONTENT)
        add_increments(tx, item.site_id, reservations, moment)
        if entry is not None:
            tx.save(entry, label="history")

    outcome = run_transaction(write)
    if outcome is None:
        actions_for(item, changes)  # the item in memory now says what was written
    return outcome


def unschedule_move(item: ContentModel, changed_at: str) -> None:
    """scheduled → not_published, only if still scheduled for the time read (Conflict otherwise)."""
    moving = status_condition(ContentModel.site_status, UNSCHEDULE, item.site_status)
    condition = moving & _same_schedule(item)
    changes = {
        "site_status": UNSCHEDULE.target.value,
        "scheduled_publish_at": None,
        "site_status_updated_at": changed_at,
        "enqueued_for": None,
    }
    entry = history.entry_for(item, changes)
    conditional_update(item, actions_for(item, changes), condition, CHANGED)
    history.record(entry)


def note_unscheduled(item: ContentModel, reason: str) -> bool:
    """Store why approved content was left without a slot, while it is still waiting as read
    (False when it changed meanwhile)."""
    if item.unscheduled_reason == reason:
        return True
    condition = _unchanged(item) & ContentModel.scheduled_publish_at.does_not_exist()
    try:
        conditional_update(item, actions_for(item, {"unscheduled_reason": reason}), condition, CHANGED)
    except Conflict:
        return False
    return True


def release_minute(key: str, content_id: str) -> None:
    """Give a minute back, if this item still holds it (best effort, after the move committed)."""
    claim = UniqueKeyModel(key=key, owner_id=content_id)
    with contextlib.suppress(Conflict):
        conditional_delete(claim, UniqueKeyModel.owner_id == content_id, "held by another item")


def _state(item: ContentModel) -> dict[str, Any]:
    """The item's attributes (to work on a copy without touching the original)."""
    return {name: getattr(item, name) for name in ContentModel.get_attributes() if name != "content_id"}


# --- queries ------------------------------------------------------------------------------


def _in_sector(sector_id: str | None) -> Any:
    """Keeps the items of one sector (the content indexes hold keys only, not `sector_id`)."""
    return None if sector_id is None else lambda item: item.sector_id == sector_id


def by_site(
    site_id: str,
    page: PageRequest,
    *,
    status: str | None = None,
    site_status: str | None = None,
    sector_id: str | None = None,
) -> tuple[list[ContentModel], str | None]:
    """A site's content, grouped by the filtered status and oldest first within it."""
    keep = _in_sector(sector_id)
    if site_status is not None:
        filter_condition = ContentModel.status == status if status else None
        return query_page(
            ContentModel.site_site_status_index.query,
            site_id,
            ContentModel.site_status_key.startswith(f"{site_status}#"),
            page=page,
            filter_condition=filter_condition,
            keep=keep,
        )
    prefix = ContentModel.status_key.startswith(f"{status}#") if status else None
    return query_page(ContentModel.site_status_index.query, site_id, prefix, page=page, keep=keep)


def by_account(
    account_id: str,
    page: PageRequest,
    *,
    status: str | None = None,
    site_status: str | None = None,
    sector_id: str | None = None,
) -> tuple[list[ContentModel], str | None]:
    """An account's content, newest first, optionally filtered."""
    conditions = []
    if status:
        conditions.append(ContentModel.status == status)
    if site_status:
        conditions.append(ContentModel.site_status == site_status)
    filter_condition = None
    for condition in conditions:
        filter_condition = condition if filter_condition is None else filter_condition & condition
    return query_page(
        ContentModel.account_index.query,
        account_id,
        page=page,
        newest_first=True,
        filter_condition=filter_condition,
        keep=_in_sector(sector_id),
    )


def calendar_page(
    site_id: str, start: str, last: str, page: PageRequest
) -> tuple[list[ContentModel], str | None]:
    """Items on the calendar (scheduled, publishing, published, failed) at times `start`..`last`."""
    return query_page(
        ContentModel.calendar_index.query, site_id, ContentModel.calendar_at.between(start, last), page=page
    )


def calendar_from(site_id: str, start: str, end: str | None = None) -> Iterator[ContentModel]:
    """Every calendar item from `start` (through `end`, inclusive, when given), soonest first."""
    if end is None:
        condition = ContentModel.calendar_at >= start
    else:
        condition = ContentModel.calendar_at.between(start, end)
    return ContentModel.calendar_index.query(site_id, condition)


def calendar_times(site_id: str, start: str, end: str | None = None) -> dict[str, str]:
    """content id → calendar time of every calendar item from `start` (through `end`): only those
    two attributes are read back, as the scheduler needs nothing else."""
    condition = (
        ContentModel.calendar_at >= start if end is None else ContentModel.calendar_at.between(start, end)
    )
    items = ContentModel.calendar_index.query(
        site_id, condition, attributes_to_get=["content_id", "calendar_at"]
    )
    return {item.content_id: item.calendar_at for item in items}


def with_site_status(site_id: str, site_statuses: Iterable[str]) -> Iterator[ContentModel]:
    """Every item of the site in any of the given site statuses."""
    for site_status in site_statuses:
        yield from ContentModel.site_site_status_index.query(
            site_id, ContentModel.site_status_key.startswith(f"{site_status}#")
        )


def with_status(site_id: str, status: str) -> Iterator[ContentModel]:
    """Every item of the site in an editorial status, oldest first."""
    return ContentModel.site_status_index.query(site_id, ContentModel.status_key.startswith(f"{status}#"))


def approved_unscheduled(site_id: str) -> Iterator[ContentModel]:
    """Approved content waiting for a slot, oldest first (the sparse unscheduled-index)."""
    return ContentModel.unscheduled_index.query(site_id)
