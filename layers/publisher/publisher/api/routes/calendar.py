"""`/publisher/calendar/`, `/publisher/queue/` (PublisherApiFunction) and the public
`/publisher/calendar.ics` feed (PublicApiFunction, authenticated by the site's feed token)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from publisher.api.auth import current_caller
from publisher.api.openapi import NO_AUTH, QUERY, answers
from publisher.api.params import Cursor, FeedToken, Limit, SiteId, TimeText
from publisher.api.responses import ok
from publisher.paging import page_request
from publisher.services import calendar

router = Router()
TAGS = ["calendar"]


@router.get(
    "/publisher/calendar",
    tags=TAGS,
    summary="Scheduled and published items in a range (at most 92 days)",
    description="Of one site, or without `site_id` of every site of the caller's account (at most "
    "100 sites; each entry names its `site_id`), merged soonest first. Every time also in the site's "
    "zone (`local_time`).",
    responses=answers(200, "CalendarEntryListEnvelope", "A page of calendar entries", *QUERY, 404),
)
def get_calendar(
    start: TimeText,
    end: TimeText,
    site_id: SiteId = None,
    limit: Limit = None,
    cursor: Cursor = None,
):
    page = page_request(limit, cursor)
    items, next_cursor = calendar.calendar(current_caller(), site_id, start, end, page)
    return ok(items, next_cursor=next_cursor)


@router.get(
    "/publisher/queue",
    tags=TAGS,
    summary="Scheduled, publishing and failed items, soonest first",
    description="Of one site, or without `site_id` of every site of the caller's account (at most "
    "100 sites; each entry names its `site_id`). Every time also in the site's zone (`local_time`).",
    responses=answers(200, "CalendarEntryListEnvelope", "A page of the queue", *QUERY, 404),
)
def get_queue(
    site_id: SiteId = None,
    limit: Limit = None,
    cursor: Cursor = None,
):
    page = page_request(limit, cursor)
    items, next_cursor = calendar.queue(current_caller(), site_id, page)
    return ok(items, next_cursor=next_cursor)


@router.get(
    "/publisher/calendar.ics",
    tags=TAGS,
    summary="The calendar as an iCalendar feed",
    security=[],
    openapi_extensions=NO_AUTH,
    responses=answers(
        200, "", "The iCalendar feed", *QUERY, 401, 404, public=True, media_type="text/calendar"
    ),
)
def get_calendar_feed(
    site_id: SiteId = None,
    token: FeedToken = None,
):
    body = calendar.calendar_feed(site_id, token)
    return Response(
        200, "text/calendar; charset=utf-8", body, headers={"Cache-Control": "private, max-age=300"}
    )
