"""`/content/…`: content CRUD, approval (PATCH status), schedule and unschedule."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from publisher.api.auth import current_caller
from publisher.api.openapi import BODY, QUERY, answers
from publisher.api.params import (
    AccountId,
    ContentStatusFilter,
    Cursor,
    Limit,
    RequiredDestination,
    SearchText,
    SectorId,
    SiteId,
    SiteStatusFilter,
)
from publisher.api.resolver import status_of
from publisher.api.responses import ok
from publisher.domain.content import BulkRequest, ContentCreate, ContentPatch, ScheduleRequest
from publisher.paging import page_request
from publisher.services import bulk, content, editing, history, preview, scheduling
from publisher.services.views import bulk_result_view

router = Router()
TAGS = ["content"]


@router.post(
    "/content",
    tags=TAGS,
    summary="Create content in a site",
    responses=answers(201, "ContentEnvelope", "The new content", *BODY, 404, 409),
)
def create_content(body: Annotated[ContentCreate, Body()]):
    return ok(content.create_content(current_caller(), body), 201)


@router.get(
    "/content",
    tags=TAGS,
    summary="List content (by site, grouped by status; else the account's); q: by words of the title",
    responses=answers(200, "ContentListEnvelope", "A page of content", *QUERY, 404),
)
def list_content(
    site_id: SiteId = None,
    status: ContentStatusFilter = None,
    site_status: SiteStatusFilter = None,
    sector_id: SectorId = None,
    account_id: AccountId = None,
    q: SearchText = None,
    limit: Limit = None,
    cursor: Cursor = None,
):
    page = page_request(limit, cursor)
    items, next_cursor = content.list_content(
        current_caller(),
        page,
        site_id=site_id,
        status=status,
        site_status=site_status,
        sector_id=sector_id,
        account_id=account_id,
        q=q,
    )
    return ok(items, next_cursor=next_cursor)


@router.post(
    "/content/bulk",
    tags=TAGS,
    summary="One action on up to 100 content items, each alone",
    responses=answers(200, "BulkResultsEnvelope", "Each item's outcome", *BODY),
)
def bulk_action(body: Annotated[BulkRequest, Body()]):
    outcomes = bulk.run_bulk(current_caller(), body)
    done = 202 if body.action == "publish" else 200  # what the single route answers
    results = [
        bulk_result_view(outcome.content_id, done, outcome.data)
        if outcome.error is None
        else bulk_result_view(outcome.content_id, status_of(outcome.error), error=str(outcome.error))
        for outcome in outcomes
    ]
    return ok({"results": results})


@router.get(
    "/content/<content_id>",
    tags=TAGS,
    summary="Read content",
    responses=answers(200, "ContentEnvelope", "The content", 404),
)
def get_content(content_id: str):
    return ok(content.get_content(current_caller(), content_id))


@router.patch(
    "/content/<content_id>",
    tags=TAGS,
    summary='Edit content; approve with {"status": "approved"}',
    responses=answers(200, "ContentEnvelope", "The edited content", *BODY, 404, 409),
)
def update_content(content_id: str, body: Annotated[ContentPatch, Body()]):
    return ok(editing.edit_content(current_caller(), content_id, body))


@router.post(
    "/content/<content_id>/schedule",
    tags=TAGS,
    summary="Schedule at a time, or {} for the next free slot; again while scheduled reschedules",
    responses=answers(200, "ContentEnvelope", "The content, scheduled", *BODY, 404, 409),
)
def schedule(content_id: str, body: Annotated[ScheduleRequest | None, Body()] = None):
    return ok(scheduling.schedule(current_caller(), content_id, body))


@router.post(
    "/content/<content_id>/unschedule",
    tags=TAGS,
    summary="Back to not_published",
    responses=answers(200, "ContentEnvelope", "The content, not published", 404, 409),
)
def unschedule(content_id: str):
    return ok(scheduling.unschedule(current_caller(), content_id))


@router.get(
    "/content/<content_id>/history",
    tags=TAGS,
    summary="Changes of status or schedule, newest first",
    responses=answers(200, "HistoryEntryListEnvelope", "A page of the content's history", *QUERY, 404),
)
def content_history(content_id: str, limit: Limit = None, cursor: Cursor = None):
    items, next_cursor = history.content_history(current_caller(), content_id, page_request(limit, cursor))
    return ok(items, next_cursor=next_cursor)


@router.get(
    "/content/<content_id>/preview",
    tags=TAGS,
    summary="What a publication to one destination would send (nothing is sent)",
    responses=answers(200, "ContentPreviewEnvelope", "The article as the destination gets it", *QUERY, 404),
)
def content_preview(content_id: str, destination: RequiredDestination):
    return ok(preview.preview(current_caller(), content_id, destination))
