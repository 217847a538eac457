"""`/sites/{site_id}/notifications/` (SitesApiFunction): where a site's events are sent."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from publisher.api.auth import current_caller
from publisher.api.openapi import BODY, answers
from publisher.api.responses import ok
from publisher.domain.notifications import NotificationsPut
from publisher.services import notifications

router = Router()
TAGS = ["notifications"]


@router.get(
    "/sites/<site_id>/notifications",
    tags=TAGS,
    summary="Read the site's notification settings (empty until set)",
    responses=answers(200, "NotificationSettingsEnvelope", "The settings (never the secret)", 404),
)
def get_notifications(site_id: str):
    return ok(notifications.get_notifications(current_caller(), site_id))


@router.put(
    "/sites/<site_id>/notifications",
    tags=TAGS,
    summary="Replace the site's notification settings (admin or owner)",
    description="Events go to a webhook signed as the webhook destination signs publications "
    "(`X-Publisher-Signature`), to e-mail addresses through SNS (each confirms its subscription), "
    "or both. The webhook's signing secret is in the reply that creates or rotates it, and never again.",
    responses=answers(200, "NotificationSettingsEnvelope", "The settings as stored", *BODY, 404),
)
def put_notifications(site_id: str, body: Annotated[NotificationsPut, Body()]):
    return ok(notifications.put_notifications(current_caller(), site_id, body))


@router.delete(
    "/sites/<site_id>/notifications",
    tags=TAGS,
    summary="Stop the site's notifications (admin or owner)",
    responses=answers(200, "NotificationSettingsEnvelope", "The settings, now empty", 404),
)
def delete_notifications(site_id: str):
    caller = current_caller()
    notifications.delete_notifications(caller, site_id)
    return ok(notifications.get_notifications(caller, site_id))
