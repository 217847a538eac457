"""`/content/…`: content CRUD, approval (PATCH status), schedule and unschedule."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from publisher.api.auth import current_caller
from publisher.api.params import AccountId, ContentStatusFilter, Cursor, Limit, SiteId, SiteStatusFilter
from publisher.api.responses import ok
from publisher.domain.content import ContentCreate, ContentPatch, ScheduleRequest
from publisher.paging import page_request
from publisher.services import content, publishing, scheduling

router = Router()
TAGS = ["content"]


@router.post("/content", tags=TAGS, summary="Create content in a site")
def create_content(body: Annotated[ContentCreate, Body()]):
    return ok(content.create_content(current_caller(), body), 201)


@router.get("/content", tags=TAGS, summary="List content (by site, grouped by status; else the account's)")
def list_content(
    site_id: SiteId = None,
    status: ContentStatusFilter = None,
    site_status: SiteStatusFilter = None,
    account_id: AccountId = None,
    limit: Limit = None,
    cursor: Cursor = None,
):
    page = page_request(limit, cursor)
    items, next_cursor = content.list_content(
        current_caller(), page, site_id=site_id, status=status, site_status=site_status, account_id=account_id
    )
    return ok(items, next_cursor=next_cursor)


@router.get("/content/<content_id>", tags=TAGS, summary="Read content")
def get_content(content_id: str):
    return ok(content.get_content(current_caller(), content_id))


@router.patch("/content/<content_id>", tags=TAGS, summary='Edit content; approve with {"status": "approved"}')
def update_content(content_id: str, body: Annotated[ContentPatch, Body()]):
    caller = current_caller()
    view = content.update_content(caller, content_id, body)
    if publishing.republish_after_edit(content_id):  # the site's auto_republish_on_edit
        view = content.get_content(caller, content_id)
    return ok(view)


@router.post(
    "/content/<content_id>/schedule",
    tags=TAGS,
    summary="Schedule at a time, or {} for the next free slot; again while scheduled reschedules",
)
def schedule(content_id: str, body: Annotated[ScheduleRequest | None, Body()] = None):
    return ok(scheduling.schedule(current_caller(), content_id, body))


@router.post("/content/<content_id>/unschedule", tags=TAGS, summary="Back to not_published")
def unschedule(content_id: str):
    return ok(scheduling.unschedule(current_caller(), content_id))
