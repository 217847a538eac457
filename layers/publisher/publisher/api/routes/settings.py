"""`/sites/{id}/publishing-settings/…` and `/sites/{id}/calendar-feed-token/` (SitesApiFunction)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from publisher.api.auth import current_caller
from publisher.api.openapi import BODY, QUERY, answers
from publisher.api.responses import ok
from publisher.services import calendar, scheduling
from publisher.services import settings as publishing_settings
from publisher.services.settings import SettingsPut

router = Router()
TAGS = ["publishing settings"]
MAX_PREVIEW = 50


@router.get(
    "/sites/<site_id>/publishing-settings",
    tags=TAGS,
    summary="Read the site's publishing settings",
    responses=answers(200, "PublishingSettingsViewEnvelope", "The settings (the defaults until saved)", 404),
)
def get_settings(site_id: str):
    return ok(publishing_settings.get_publishing_settings(current_caller(), site_id))


@router.put(
    "/sites/<site_id>/publishing-settings",
    tags=TAGS,
    summary="Replace the site's publishing settings",
    responses=answers(200, "PublishingSettingsViewEnvelope", "The settings as stored", *BODY, 404),
)
def put_settings(site_id: str, body: Annotated[SettingsPut, Body()]):
    return ok(publishing_settings.put_publishing_settings(current_caller(), site_id, body))


@router.get(
    "/sites/<site_id>/publishing-settings/preview",
    tags=TAGS,
    summary="The next N slots the scheduler would use now (UTC and local time)",
    responses=answers(200, "SettingsPreviewEnvelope", "The next free slots", *QUERY, 404),
)
def preview(
    site_id: str, count: Annotated[int, Query(ge=1, le=MAX_PREVIEW, description=f"1..{MAX_PREVIEW}")] = 10
):
    return ok(scheduling.preview(current_caller(), site_id, count))


@router.post(
    "/sites/<site_id>/calendar-feed-token",
    tags=TAGS,
    summary="Create or rotate the calendar feed token (shown once)",
    responses=answers(201, "FeedTokenEnvelope", "The new token and the feed's path", 404),
)
def rotate_feed_token(site_id: str):
    return ok(calendar.rotate_feed_token(current_caller(), site_id), 201)
