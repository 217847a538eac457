"""Content: tenancy through the site, unique slugs per site, editorial status, and the one view of
a content item every API shows (`content_view`, with the site's time zone: `content_shown`)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from publisher.bootstrap import ready_store
from publisher.domain.content import ContentCreate, ContentPatch
from publisher.domain.statuses import ContentStatus, SiteStatus
from publisher.domain.text import MAX_SLUG_LENGTH, slugify, title_words
from publisher.errors import Conflict, Invalid, NotFound
from publisher.identity import Caller
from publisher.ids import new_id
from publisher.paging import PageRequest
from publisher.services.settings import settings_for
from publisher.services.sites import load_site
from publisher.services.unpublishing import hand_over_unpublish_if_soon
from publisher.services.views import content_view
from publisher.store import content as store
from publisher.store import search
from publisher.store.models import ContentModel, SiteModel
from publisher.timeutil import iso, utcnow

GENERATED_SLUG_TRIES = 20
"""`base` is looked up alone, then `base-2` … `base-20` in one batch; then a random suffix."""
CREATE_ATTEMPTS = 5
"""Tries of a create whose generated slug keeps being taken meanwhile (each retry: 24 random bits)."""


def load_content(caller: Caller, content_id: str, *, with_body: bool = True) -> ContentModel:
    """The item if the caller may see it; NotFound otherwise (never 403 across accounts).
    `with_body=False` leaves the body unread (its fields None) for callers that do not show it."""
    ready_store()
    item = store.get_content(content_id, with_body=with_body)
    if item is None or not caller.can_see(item.account_id):
        raise NotFound("no such content")
    return item


def content_shown(item: ContentModel, zones: dict[str, Any] | None = None) -> dict[str, Any]:
    """The content as the API shows it: its times also in its site's zone (`zones` caches the zone
    per site within one request)."""
    zones = {} if zones is None else zones
    if item.site_id not in zones:
        zones[item.site_id] = settings_for(item.site_id).zone
    return content_view(item, zones[item.site_id])


def _check_content_type(site: SiteModel, content_type: str) -> None:
    allowed = list(site.content_types or [])
    if allowed and content_type not in allowed:
        raise Invalid(
            "the site does not have that content type",
            {"content_type": [f"must be one of the site's content types: {', '.join(allowed)}"]},
        )


def _generated_slug(site_id: str, title: str, *, lost_race: bool = False) -> str:
    """A slug from the title that no other content of the site holds (at the time of asking).

    After losing a race for one (concurrent creates of the same title all see the same free
    candidate), a random suffix: the next candidate in order would be everyone's next pick too."""
    base = slugify(title, max_length=MAX_SLUG_LENGTH - 7)
    if not lost_race:
        # The title's own slug alone first (one key read, mostly free), then the numbered ones.
        numbered = [f"{base}-{number}" for number in range(2, GENERATED_SLUG_TRIES + 1)]
        free = store.unclaimed_slugs(site_id, [base]) or store.unclaimed_slugs(site_id, numbered)
        if free:
            return free[0]
    return f"{base}-{secrets.token_hex(3)}"


def create_content(caller: Caller, body: ContentCreate) -> dict[str, Any]:
    caller.require_write()
    site = load_site(caller, body.site_id)
    _check_content_type(site, body.content_type)
    moment = utcnow()
    now = iso(moment)
    fields = body.model_dump(mode="json", exclude={"site_id", "slug", "sector_id", "unpublish_at"})
    item = ContentModel(
        content_id=new_id(),
        account_id=site.account_id,
        site_id=site.site_id,
        sector_id=body.sector_id if body.sector_id is not None else site.sector_id,
        slug=body.slug or _generated_slug(site.site_id, body.title),
        unpublish_at=_unpublish_time(body.unpublish_at, moment),
        site_status=SiteStatus.NOT_PUBLISHED.value,
        site_status_updated_at=now,
        no_records=True,
        created_at=now,
        updated_at=now,
        **fields,
    )
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            store.create_content(item)
            break
        except Conflict:
            if body.slug or attempt == CREATE_ATTEMPTS:
                raise  # a slug the client chose is theirs to change
            item.slug = _generated_slug(site.site_id, body.title, lost_race=True)
    hand_over_unpublish_if_soon(item, moment)
    return content_shown(item)


def _unpublish_time(value: datetime | None, now: datetime) -> str | None:
    """`unpublish_at` as stored (UTC, seconds); 422 unless it lies in the future."""
    if value is None:
        return None
    if value <= now:
        raise Invalid("the unpublish time must be in the future", {"unpublish_at": ["must be in the future"]})
    return iso(value)


def _choice(value: str | None, kind: type, field: str) -> str | None:
    if value is None or value == "":
        return None
    allowed = [member.value for member in kind]
    if value not in allowed:
        raise Invalid(f"unknown {field}", {field: [f"must be one of {', '.join(allowed)}"]})
    return value


def list_content(
    caller: Caller,
    page: PageRequest,
    *,
    site_id: str | None = None,
    status: str | None = None,
    site_status: str | None = None,
    sector_id: str | None = None,
    account_id: str | None = None,
    q: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """By site (grouped by status) when `site_id` is given, else the account's, newest first;
    with `q`, the site's content whose title holds every word of it (see `search_content`).
    `sector_id` keeps one sector's items (a page may then hold fewer than `limit`)."""
    status = _choice(status, ContentStatus, "status")
    site_status = _choice(site_status, SiteStatus, "site_status")
    ready_store()
    if q is not None:
        items, cursor = search_content(caller, page, site_id, q)
        wanted = [
            item
            for item in items
            if status in (None, item.status)
            and site_status in (None, item.site_status)
            and sector_id in (None, item.sector_id)
        ]
        shown: dict[str, Any] = {}
        return [content_shown(item, shown) for item in wanted], cursor
    if site_id:
        load_site(caller, site_id)
        items, cursor = store.by_site(
            site_id, page, status=status, site_status=site_status, sector_id=sector_id
        )
    else:
        if account_id and not caller.can_see(account_id):
            return [], None
        items, cursor = store.by_account(
            account_id or caller.account_id,
            page,
            status=status,
            site_status=site_status,
            sector_id=sector_id,
        )
    zones: dict[str, Any] = {}
    return [content_shown(item, zones) for item in items], cursor


MAX_QUERY_WORDS = 10


def search_content(
    caller: Caller, page: PageRequest, site_id: str | None, q: str
) -> tuple[list[ContentModel], str | None]:
    """A page of the site's content whose title holds every word of `q` (case and accents
    ignored), in the order of the index: by the longest word asked, then oldest first."""
    problems: dict[str, list[str]] = {}
    words = title_words(q)
    if not site_id:
        problems["site_id"] = ["is required with q: a search looks within one site"]
    if not words:
        problems["q"] = ["must hold a word (letters or digits)"]
    elif len(words) > MAX_QUERY_WORDS:
        problems["q"] = [f"may hold at most {MAX_QUERY_WORDS} words"]
    if problems:
        raise Invalid("the search is invalid", problems)
    load_site(caller, site_id)
    ids, cursor = search.search_page(site_id, words, page)
    return store.load_bodies(search.content_of(ids)), cursor


def get_content(caller: Caller, content_id: str) -> dict[str, Any]:
    return content_shown(load_content(caller, content_id))


def update_content(caller: Caller, content_id: str, patch: ContentPatch) -> dict[str, Any]:
    """Edit fields; approve with `{"status": "approved"}`.

    Refused with 409: any edit while publishing; a status other than approved while scheduled
    (unschedule first); a status change of published content. Editing published content is
    allowed: the publishing pipeline notices the new hash and republishes."""
    caller.require_write()
    item = load_content(caller, content_id)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    if item.site_status in (SiteStatus.PUBLISHING, SiteStatus.RETRYING):
        raise Conflict("the content is being published; edit it once publishing has finished")
    new_status = changes.get("status", item.status)
    if new_status != item.status:
        if item.status == ContentStatus.PUBLISHED:
            raise Conflict("published content keeps its status; edit its fields to republish it")
        if item.site_status == SiteStatus.SCHEDULED:
            raise Conflict("the content is scheduled; unschedule it before changing its status")
    if "content_type" in changes:
        _check_content_type(load_site(caller, item.site_id), changes["content_type"])
    now = utcnow()
    if "unpublish_at" in changes:
        changes["unpublish_at"] = _unpublish_time(patch.unpublish_at, now)
    if not changes:
        return content_shown(item)
    changes["updated_at"] = iso(now)
    store.edit_content(item, changes)
    hand_over_unpublish_if_soon(item, now)
    return content_shown(item)
