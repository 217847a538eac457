"""Content items: CRUD with per-site unique slugs, editorial and scheduling moves, and the queries
behind lists, the calendar, the queue and the scheduler (every one a Query on a key or index).

Every write recomputes the derived index keys (`refresh_index_keys`) and writes them with the
attributes they derive from, so no index can go stale.

The body (models.BODY_FIELDS) is an item of its own, `body#<content_id>`: written at create and by
an edit that names a body field, read by `get_content` and by the content lists (`by_site`,
`by_account`, one BatchGetItem per page); status moves, claims and schedules write only the small
item. Items from the other queries come without their body (its fields are None).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition

from publisher.domain.statuses import SCHEDULE, UNSCHEDULE, ContentStatus, SiteStatus
from publisher.domain.transform import HASHED_FIELDS
from publisher.errors import Conflict
from publisher.paging import PageRequest
from publisher.store import history, search
from publisher.store.changes import actions_for
from publisher.store.common import (
    BUSY,
    condition_failed,
    conditional_delete,
    conditional_save,
    conditional_update,
    conflicted,
    query_page,
    run_transaction,
    status_condition,
    transact,
)
from publisher.store.models import BODY_FIELDS, ContentBodyModel, ContentModel, UniqueKeyModel
from publisher.store.usage import Reservation, add_one, release_keys
from publisher.timeutil import iso, parse_iso, utcnow

SLUG_TAKEN = "that slug is already used by another content item of this site"
CHANGED = "the content changed meanwhile; reload it and try again"

CONTENT = "content"
MINUTE = "minute"
"""Labels of the scheduling transaction's items (counter items are labelled by their keys)."""


def get_content(content_id: str, *, with_body: bool = True) -> ContentModel | None:
    """The item with its body (two consistent reads; one without it), or None."""
    if "#" in content_id:  # a body's key, not a content id
        return None
    try:
        item = ContentModel.get(content_id, consistent_read=True)
    except DoesNotExist:
        return None
    if with_body:
        load_bodies([item])
    return item


def contents_of(content_ids: Iterable[str]) -> dict[str, ContentModel]:
    """Content items by id, without their bodies, read together (consistent BatchGetItem calls of
    100 keys); an id not found is not in the answer."""
    ids = sorted(set(content_ids))
    return (
        {item.content_id: item for item in ContentModel.batch_get(ids, consistent_read=True)} if ids else {}
    )


def load_bodies(items: list[ContentModel]) -> list[ContentModel]:
    """Fill in the body fields of items whose body is stored apart (consistent reads: a GetItem for
    one item, a BatchGetItem for a page)."""
    apart = {ContentBodyModel.key_of(item.content_id): item for item in items if item.body_apart}
    if len(apart) == 1:
        bodies = [body for body in [_get_body(next(iter(apart)))] if body is not None]
    else:
        bodies = list(ContentBodyModel.batch_get(list(apart), consistent_read=True)) if apart else []
    found = {body.key: body for body in bodies}
    for key, item in apart.items():
        attach_body(item, found.get(key))
    return items


def attach_body(item: ContentModel, body: ContentBodyModel | None) -> ContentModel:
    """Fill in the body fields of an item whose body is stored apart, from its body item read
    elsewhere (None: a body gone missing reads as empty); an item of the older shape keeps its own."""
    if item.body_apart:
        for name in BODY_FIELDS:
            setattr(item, name, getattr(body, name) if body is not None else None)
    return item


def _get_body(key: str) -> ContentBodyModel | None:
    try:
        return ContentBodyModel.get(key, consistent_read=True)
    except DoesNotExist:
        return None


def _body_of(item: ContentModel) -> ContentBodyModel:
    return ContentBodyModel(
        key=ContentBodyModel.key_of(item.content_id),
        html=item.html or "",
        excerpt=item.excerpt,
        categories=list(item.categories or []),
        tags=list(item.tags or []),
        featured_image_url=item.featured_image_url,
    )


def _without_body(item: ContentModel) -> ContentModel:
    """A copy of the item without its body fields: what the content item stores."""
    small = ContentModel(item.content_id, **_state(item))
    for name in BODY_FIELDS:
        setattr(small, name, None)
    return small


def _claim(site_id: str, slug: str, content_id: str) -> UniqueKeyModel:
    return UniqueKeyModel(
        key=UniqueKeyModel.content_slug(site_id, slug), owner_id=content_id, claimed_at=iso(utcnow())
    )


def unclaimed_slugs(site_id: str, candidates: list[str]) -> list[str]:
    """The candidates no content of the site holds yet, in the given order (one BatchGetItem)."""
    keys = [UniqueKeyModel.content_slug(site_id, slug) for slug in candidates]
    held = {claim.key for claim in UniqueKeyModel.batch_get(keys)}
    return [slug for slug, key in zip(candidates, keys, strict=True) if key not in held]


ORPHAN_GRACE = timedelta(minutes=5)
"""How long a slug claim whose content does not exist may still belong to a create in flight (which
writes its content a few calls after its claim, well within the API's timeout)."""


def past_grace(claimed_at: str | None, now: datetime) -> bool:
    """Whether a slug claim whose content does not exist is an orphan: claimed more than
    ORPHAN_GRACE ago, or undated (written before creates claimed first, in the transaction that
    also wrote its content: only a bug on a delete path can have left it)."""
    return claimed_at is None or now - parse_iso(claimed_at) > ORPHAN_GRACE


def create_content(item: ContentModel) -> None:
    """Claim the item's slug within its site, then put its body, its title's search words and the
    item, each a plain conditional PutItem (a transaction would bill every item twice). Conflict
    (SLUG_TAKEN) when another item holds the slug; nothing is written then.

    Two items never hold one slug: the claim is put only where no claim is, and the item only once
    its claim is there. The item refers to its body and words, so they are put before it (nothing
    reads a body or a word whose item does not exist). A refused or failed item put gives back the
    claim and deletes body and words; only a crash in between leaves a claim without its item, which
    the next create of that slug takes over once ORPHAN_GRACE has passed. A put retried by botocore
    after its reply was lost fails its condition on what it wrote itself: that counts as done."""
    item.content_hash = item.fields_hash()
    item.refresh_index_keys()
    claim = _claim(item.site_id, item.slug, item.content_id)
    _claim_slug(claim)
    small = _without_body(item)
    body = _body_of(item)
    words: list[Any] = []
    try:
        body.save()
        words = search.put_words(item.site_id, item.content_id, item.title)
        small.save(condition=ContentModel.content_id.does_not_exist())
    except Exception:
        if _written(small):
            return  # the reply of our own put was lost
        with contextlib.suppress(Conflict):
            conditional_delete(claim, UniqueKeyModel.owner_id == item.content_id, SLUG_TAKEN)
        body.delete()
        search.delete_words(words)
        raise


def _claim_slug(claim: UniqueKeyModel) -> None:
    """Put a new content's slug claim where no claim is, or over an orphan's (past_grace, its content
    missing) on the condition that it is still as read; Conflict(SLUG_TAKEN) otherwise."""
    condition = UniqueKeyModel.key.does_not_exist()
    for _ in range(2):  # the plain put, then the take-over of what stood in the way
        try:
            claim.save(condition=condition)
            return
        except PutError as exc:
            if not condition_failed(exc):
                raise
        held = _get_claim(claim.key)
        if held is not None and held.owner_id == claim.owner_id:
            return  # ours: the put was retried after its reply was lost
        if held is not None and not _orphaned(held):
            raise Conflict(SLUG_TAKEN)
        condition = _still(held)
    raise Conflict(SLUG_TAKEN)


def _orphaned(held: UniqueKeyModel) -> bool:
    """Whether a slug claim is an orphan: past its grace, and its content does not exist."""
    return past_grace(held.claimed_at, utcnow()) and get_content(held.owner_id, with_body=False) is None


def _release_orphan(site_id: str, slug: str) -> bool:
    """Delete the slug's claim if it is an orphan, on the condition that it is still as read;
    whether it was one (and is gone)."""
    held = _get_claim(UniqueKeyModel.content_slug(site_id, slug))
    if held is None or not _orphaned(held):
        return False
    try:
        conditional_delete(held, _still(held), SLUG_TAKEN)
    except Conflict:
        return False
    return True


def _get_claim(key: str) -> UniqueKeyModel | None:
    try:
        return UniqueKeyModel.get(key, consistent_read=True)
    except DoesNotExist:
        return None


def _still(held: UniqueKeyModel | None) -> Condition:
    """The claim is still as read (None: still absent)."""
    if held is None:
        return UniqueKeyModel.key.does_not_exist()
    if held.claimed_at is None:
        dated = UniqueKeyModel.claimed_at.does_not_exist()
    else:
        dated = UniqueKeyModel.claimed_at == held.claimed_at
    return (UniqueKeyModel.owner_id == held.owner_id) & dated


def _written(small: ContentModel) -> bool:
    """Whether the item is stored as this create wrote it (same id, hash and creation time)."""
    stored = get_content(small.content_id, with_body=False)
    return (
        stored is not None
        and stored.content_hash == small.content_hash
        and stored.created_at == small.created_at
    )


def _unchanged(item: ContentModel) -> Condition:
    """The item is still in the editorial and site state it was read in."""
    return (ContentModel.status == item.status) & (ContentModel.site_status == item.site_status)


def _same_schedule(item: ContentModel) -> Condition:
    if item.scheduled_publish_at is None:
        return ContentModel.scheduled_publish_at.does_not_exist()
    return ContentModel.scheduled_publish_at == item.scheduled_publish_at


def edit_content(item: ContentModel, changes: dict[str, Any]) -> None:
    """Edit fields under the condition that status and site_status are still those read (Conflict
    otherwise); a new slug swaps the slug claims and a new title its search words in the same
    transaction, and so does a change of
    the body (its own item) with the item's new `content_hash`. An item of the older shape (body
    inline) whose body is edited moves its body out in that same transaction."""
    condition = _unchanged(item)
    old_slug = item.slug
    new_slug = changes.get("slug", old_slug)
    old_title = item.title
    new_title = changes.get("title", old_title)
    entry = history.entry_for(item, changes)
    body_changes = {name: value for name, value in changes.items() if name in BODY_FIELDS}
    moving_out = bool(body_changes) and not item.body_apart
    if item.body_apart or moving_out:
        changes = {name: value for name, value in changes.items() if name not in BODY_FIELDS}
        if body_changes or any(name in HASHED_FIELDS for name in changes):
            if item.body_apart and item.html is None:  # read without its body
                load_bodies([item])
            merged = ContentModel(item.content_id, **{**_state(item), **changes, **body_changes})
            changes["content_hash"] = merged.fields_hash()
    actions = actions_for(item, changes)
    for name, value in body_changes.items():
        setattr(item, name, value)
    if new_slug == old_slug and not body_changes and not search.words_change(old_title, new_title):
        conditional_update(item, actions, condition, CHANGED)
        history.record(entry)
        return
    fields = ContentModel.get_attributes()
    if moving_out:
        actions += [fields[name].remove() for name in BODY_FIELDS]
    body_fields = ContentBodyModel.get_attributes()  # the body item's own types (html compressed)
    body_actions = [
        body_fields[name].remove() if value is None else body_fields[name].set(value)
        for name, value in body_changes.items()
    ]

    def write(tx: Any) -> None:
        if new_slug != old_slug:
            old_claim = _claim(item.site_id, old_slug, item.content_id)
            new_claim = _claim(item.site_id, new_slug, item.content_id)
            tx.save(new_claim, condition=UniqueKeyModel.key.does_not_exist())
            tx.delete(old_claim, condition=UniqueKeyModel.owner_id == item.content_id)
        search.write_words(tx, item.site_id, item.content_id, old_title, new_title)
        tx.update(item, actions=actions, condition=condition & (ContentModel.slug == old_slug))
        if moving_out:
            tx.save(_body_of(item))
        elif body_actions:
            tx.update(ContentBodyModel(key=ContentBodyModel.key_of(item.content_id)), actions=body_actions)

    try:
        transact(write, SLUG_TAKEN if new_slug != old_slug else CHANGED)
    except Conflict:
        # a new slug held by an orphan claim (a create that died before its item): free it, once
        if new_slug == old_slug or not _release_orphan(item.site_id, new_slug):
            raise
        transact(write, SLUG_TAKEN)
    history.record(entry)


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
    """Move approved content to `scheduled` at `when`, after claiming its minute (`minute`, None when
    it keeps its own) and +1 on the counters of its new periods within their caps. The item's
    `schedule_destinations`, as the caller set them in memory, are written with the move.

    Each step is one plain conditional write (a transaction would bill every item twice): the
    minute's claim, each counter, then the content on the condition of the state it was read in
    (site_status, scheduled_publish_at): the move is the commit. A step that fails gives back what
    the earlier ones took; only a crash between steps leaves a place taken for nothing (a minute
    until its claim expires, a counter's place until its period is over), never an extra item or
    a shared minute, as a crash before a release does. Returns None when moved, else what stood in
    the way: CONTENT (it changed), MINUTE (another item holds that minute), a counter key (that
    cap is full) or usage.BUSY."""
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
        "schedule_destinations": item.schedule_destinations,
        "unscheduled_reason": None,
    }
    probe = ContentModel(item.content_id, **_state(item))
    named = {"destinations": item.schedule_destinations} if item.schedule_destinations else None
    entry = history.entry_for(item, changes, detail=named)
    actions = actions_for(probe, changes)
    claimed: str | None = None
    counted: list[str] = []
    moved = False
    try:
        if minute is not None:
            if not _claim_minute(minute, item.content_id, when):
                return MINUTE
            claimed = minute
        for key, cap in reservations:
            if cap is not None:
                if (full := add_one(item.site_id, key, cap, moment)) is not None:
                    return full
                counted.append(key)
        try:
            conditional_update(item, actions, condition, CHANGED)
        except Conflict:
            return CONTENT
        except UpdateError as exc:
            if conflicted(exc):
                return BUSY
            raise
        moved = True
    finally:
        if not moved:  # give back what this attempt took
            release_keys(item.site_id, counted)
            if claimed:
                release_minute(claimed, item.content_id)
    actions_for(item, changes)  # the item in memory now says what was written
    history.record(entry)
    return None


def _claim_minute(minute: str, content_id: str, when: str) -> bool:
    """Claim a site's minute for an item (a conditional PutItem); False when another item holds it."""
    claim = UniqueKeyModel(key=minute, owner_id=content_id, expires_at=parse_iso(when) + MINUTE_CLAIM_KEPT)
    try:
        conditional_save(claim, UniqueKeyModel.key.does_not_exist(), "minute taken")
    except Conflict:
        return False
    return True


def unschedule_move(item: ContentModel, changed_at: str) -> None:
    """scheduled → not_published, only if still scheduled for the time read (Conflict otherwise)."""
    moving = status_condition(ContentModel.site_status, UNSCHEDULE, item.site_status)
    condition = moving & _same_schedule(item)
    changes = {
        "site_status": UNSCHEDULE.target.value,
        "scheduled_publish_at": None,
        "site_status_updated_at": changed_at,
        "enqueued_for": None,
        "schedule_destinations": None,
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


def delete_content(item: ContentModel, *, as_read: bool = True) -> None:
    """Delete the item, its body and its title's search words and free its slug in one transaction.
    `as_read`: only if its status, site status and schedule are still those read (Conflict
    otherwise), so a publication that started meanwhile wins. Its records, history, minute and
    counters are the caller's to clear after."""
    condition = ContentModel.content_id.exists()
    if as_read:
        condition = condition & _unchanged(item) & _same_schedule(item)
    slug_claim = _claim(item.site_id, item.slug, item.content_id)

    def write(tx: Any) -> None:
        mine = UniqueKeyModel.key.does_not_exist() | (UniqueKeyModel.owner_id == item.content_id)
        tx.delete(slug_claim, condition=mine)
        tx.delete(item, condition=condition)
        tx.delete(ContentBodyModel(key=ContentBodyModel.key_of(item.content_id)))
        search.write_words(tx, item.site_id, item.content_id, item.title, "")

    if run_transaction(write) is not None:
        if get_content(item.content_id) is None:
            return  # deleted by another request meanwhile: the outcome asked for
        raise Conflict(CHANGED)


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
    """A site's content with its bodies, grouped by the filtered status and oldest first within it."""
    keep = _in_sector(sector_id)
    if site_status is not None:
        filter_condition = ContentModel.status == status if status else None
        items, cursor = query_page(
            ContentModel.site_site_status_index.query,
            site_id,
            ContentModel.site_status_key.startswith(f"{site_status}#"),
            page=page,
            filter_condition=filter_condition,
            keep=keep,
        )
    else:
        prefix = ContentModel.status_key.startswith(f"{status}#") if status else None
        items, cursor = query_page(
            ContentModel.site_status_index.query, site_id, prefix, page=page, keep=keep
        )
    return load_bodies(items), cursor


def by_account(
    account_id: str,
    page: PageRequest,
    *,
    status: str | None = None,
    site_status: str | None = None,
    sector_id: str | None = None,
) -> tuple[list[ContentModel], str | None]:
    """An account's content with its bodies, newest first, optionally filtered.

    The account index holds keys only (a status move does not write it): the filters apply to the
    page's items once read back, so a page may hold fewer than `limit` items and still go on."""
    items, cursor = query_page(
        ContentModel.account_index.query, account_id, page=page, newest_first=True, keep=_in_sector(sector_id)
    )
    kept = [
        item
        for item in items
        if (not status or item.status == status) and (not site_status or item.site_status == site_status)
    ]
    return load_bodies(kept), cursor


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
    """Approved content waiting for a slot, oldest first: the site's not_published items, of which
    the index's own `status` keeps the approved ones (no index of their own, which every create and
    every schedule would write)."""
    return ContentModel.site_site_status_index.query(
        site_id,
        ContentModel.site_status_key.startswith(f"{SiteStatus.NOT_PUBLISHED.value}#"),
        filter_condition=ContentModel.status == ContentStatus.APPROVED.value,
    )


# --- migration ----------------------------------------------------------------------------


def move_body_apart(item: ContentModel) -> bool:
    """Move the body of an item written before the split into its own item (scripts/migrate_bodies.py).

    One transaction puts the body and takes the body fields off the item (adding `content_hash`),
    on the condition that no field the hash covers changed since it was read (an edit of the body
    moves it out itself, setting `content_hash`): else nothing is written and the next run does it.
    False when there was nothing to do or it changed meanwhile. Running it again is safe."""
    if item.body_apart:
        return False
    fields = ContentModel.get_attributes()
    actions = [ContentModel.content_hash.set(item.fields_hash())]
    actions += [fields[name].remove() for name in BODY_FIELDS]
    condition = (
        ContentModel.content_hash.does_not_exist()
        & (ContentModel.title == item.title)
        & (ContentModel.slug == item.slug)
        & (ContentModel.content_type == item.content_type)
    )

    def write(tx: Any) -> None:
        tx.update(item, actions=actions, condition=condition)
        tx.save(_body_of(item))

    try:
        transact(write, CHANGED)
    except Conflict:
        return False
    return True
