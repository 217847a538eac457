"""The content calendar (a time range), the publishing queue, and the calendar as an iCalendar feed
authenticated by a per-site token of which only the SHA-256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from typing import Any

from publisher.bootstrap import ready_store
from publisher.domain.limits import in_supported_range
from publisher.domain.statuses import SiteStatus
from publisher.errors import BadRequest, Invalid, NotFound, Unauthorized
from publisher.identity import Caller
from publisher.paging import PageRequest, encode_cursor
from publisher.services.settings import settings_for
from publisher.services.sites import load_site
from publisher.services.views import calendar_entry
from publisher.store import content as store
from publisher.store import settings as settings_store
from publisher.store import sites as sites_store
from publisher.store.models import ContentModel, SiteModel
from publisher.timeutil import iso, parse_iso, utcnow

MAX_RANGE = timedelta(days=92)
QUEUE_STATUSES = (SiteStatus.SCHEDULED, SiteStatus.PUBLISHING, SiteStatus.RETRYING, SiteStatus.FAILED)
FEED_PAST = timedelta(days=31)
FEED_MAX_EVENTS = 1000
EVENT_LENGTH = timedelta(minutes=15)
NO_FEED = "no calendar feed matches that site and token"
MAX_VIEW_SITES = 100
"""Without `site_id`, the calendar and the queue cover the caller's account's sites: at most this
many (one Query of the sites' account index, then each site's own queries; past it, 422: name a
site). Pages across sites are merged by time; the cursor is the last (time, id) shown."""


def _sites_in_view(caller: Caller, site_id: str | None) -> list[SiteModel]:
    """The named site (404 across accounts), or every site of the caller's account."""
    if site_id:
        return [load_site(caller, site_id)]
    ready_store()
    sites, _ = sites_store.sites_by_account(caller.account_id, PageRequest(limit=MAX_VIEW_SITES + 1))
    if len(sites) > MAX_VIEW_SITES:
        raise Invalid(
            f"the account has more than {MAX_VIEW_SITES} sites; name one",
            {"site_id": [f"is required for accounts with more than {MAX_VIEW_SITES} sites"]},
        )
    return [site for site in sites if not site.deleting_at]


def _bound(text: str, zone: tzinfo) -> datetime:
    """An ISO instant with an offset, or a date meaning local midnight in the site's zone; in the
    years 2000-2100 (ValueError otherwise, checked before any conversion can overflow)."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        return in_supported_range(datetime.combine(day, time(0), tzinfo=zone))
    try:
        return in_supported_range(parse_iso(text))
    except OverflowError as exc:  # parse_iso converts to UTC: year 1 or 9999 may not fit
        raise ValueError("out of range") from exc


def _range(start: str | None, end: str | None, zone: tzinfo) -> tuple[datetime, datetime]:
    errors: dict[str, list[str]] = {}
    bounds: dict[str, datetime] = {}
    for name, text in (("start", start), ("end", end)):
        if not text:
            errors[name] = ["is required"]
            continue
        try:
            bounds[name] = _bound(text, zone)
        except ValueError:
            errors[name] = [
                "use a date (2026-11-21) or a time with an offset (2026-11-21T09:00:00Z), "
                "in the years 2000 to 2100"
            ]
    if not errors:
        if bounds["end"] <= bounds["start"]:
            errors["end"] = ["must be after start"]
        elif bounds["end"] - bounds["start"] > MAX_RANGE:
            errors["end"] = [f"the range may span at most {MAX_RANGE.days} days"]
    if errors:
        raise Invalid("the calendar needs a valid range", errors)
    return bounds["start"], bounds["end"]


def calendar(
    caller: Caller, site_id: str | None, start: str | None, end: str | None, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Scheduled, publishing, published and failed items in `[start, end)`, soonest first: of one
    site, or (without `site_id`) of every site of the caller's account, merged by time. A date
    bound is local midnight in the zone of the named site, or UTC midnight across sites."""
    sites = _sites_in_view(caller, site_id)
    zones = {site.site_id: settings_for(site.site_id).zone for site in sites}
    first, stop = _range(start, end, zones[site_id] if site_id else UTC)
    low, high = iso(first), iso(stop - timedelta(seconds=1))
    if site_id:
        items, cursor = store.calendar_page(site_id, low, high, page)
        return [calendar_entry(item, zones[site_id]) for item in items], cursor
    after = _after(page)
    since = max(low, after[0]) if after else low
    items = [
        item
        for site in sites
        for item in _first_after(store.calendar_from(site.site_id, since, high), after, page.limit)
    ]
    return _merged_page(items, _calendar_key, page.limit, zones)


def _calendar_key(item: ContentModel) -> tuple[str, str]:
    return (item.calendar_at, item.content_id)


def _queue_key(item: ContentModel) -> tuple[str, str]:
    return (item.scheduled_publish_at or item.site_status_updated_at, item.content_id)


def _first_after(
    items: Iterable[ContentModel], after: tuple[str, str] | None, limit: int
) -> list[ContentModel]:
    """The first `limit` + 1 items of one site's time-ordered stream past `after` (and any that tie
    with the last one's time, which the index does not order by id), read lazily."""
    taken: list[ContentModel] = []
    for item in items:
        if after is not None and _calendar_key(item) <= after:
            continue
        if len(taken) > limit and item.calendar_at != taken[-1].calendar_at:
            break
        taken.append(item)
    return taken


def _merged_page(
    items: list[ContentModel], key: Any, limit: int, zones: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of items of several sites, soonest first, and the cursor after its last item."""
    items.sort(key=key)
    shown = items[:limit]
    cursor = encode_cursor({"after": list(key(shown[-1]))}) if len(items) > limit else None
    return [calendar_entry(item, zones[item.site_id]) for item in shown], cursor


def _after(page: PageRequest) -> tuple[str, str] | None:
    if page.start_key is None:
        return None
    after = page.start_key.get("after")
    if not (isinstance(after, list) and len(after) == 2 and all(isinstance(part, str) for part in after)):
        raise BadRequest("cursor does not belong to this list")
    return (after[0], after[1])


def queue(caller: Caller, site_id: str | None, page: PageRequest) -> tuple[list[dict[str, Any]], str | None]:
    """Scheduled, publishing, retrying and failed items, soonest first (failed ones by their missed
    time): of one site, or (without `site_id`) of every site of the caller's account."""
    sites = _sites_in_view(caller, site_id)
    zones = {site.site_id: settings_for(site.site_id).zone for site in sites}
    after = _after(page)
    items = [
        item
        for site in sites
        for item in store.with_site_status(site.site_id, QUEUE_STATUSES)
        if after is None or _queue_key(item) > after
    ]
    entries, cursor = _merged_page(items, _queue_key, page.limit, zones)
    paused = {site.site_id: bool(site.publishing_paused) for site in sites}
    return [{**entry, "paused": paused[entry["site_id"]]} for entry in entries], cursor


# --- the iCalendar feed -------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_feed_token(caller: Caller, site_id: str) -> dict[str, Any]:
    """A new feed token for the site (the previous one stops working); shown once, stored hashed."""
    caller.require_write()
    site = load_site(caller, site_id)
    token = secrets.token_urlsafe(32)
    settings_store.set_feed_token_hash(site, _digest(token))
    return {
        "site_id": site_id,
        "token": token,
        "feed_path": f"/api/v1/publisher/calendar.ics?site_id={site_id}&token={token}",
    }


def calendar_feed(site_id: str | None, token: str | None) -> str:
    """The site's calendar as iCalendar text: items from a month ago onward, one VEVENT each with
    a UID stable across runs (`<content id>@publisher`). Any wrong part answers the same 404."""
    if not token:
        raise Unauthorized("the feed token is required")
    ready_store()
    site = sites_store.get_site(site_id) if site_id else None
    given = _digest(token)
    expected = (site.feed_token_hash if site else None) or ""
    if not hmac.compare_digest(given, expected) or site is None or site.deleting_at is not None:
        raise NotFound(NO_FEED)
    from icalendar import Calendar  # only the public feed pays for it, not the API's cold start

    since = iso(utcnow() - FEED_PAST)
    feed = Calendar()
    feed.add("prodid", "-//Publisher//Content calendar//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"{site.name} - publishing")
    for item in islice(store.calendar_from(site.site_id, since), FEED_MAX_EVENTS):
        feed.add_component(_event(item))
    return feed.to_ical().decode()


def _event(item: ContentModel) -> Any:
    from icalendar import Event

    start = parse_iso(item.calendar_at)
    event = Event()
    event.add("uid", f"{item.content_id}@publisher")
    event.add("dtstamp", parse_iso(item.site_status_updated_at))
    event.add("dtstart", start)
    event.add("dtend", start + EVENT_LENGTH)
    event.add("summary", item.title)
    event.add("description", f"{item.site_status}: {item.content_type} /{item.slug}/")
    event.add("status", "TENTATIVE" if item.site_status == SiteStatus.SCHEDULED else "CONFIRMED")
    event.add("categories", [item.site_status])
    return event
