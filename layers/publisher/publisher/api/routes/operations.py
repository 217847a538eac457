"""Editorial operations on whole items (PublisherApiFunction, which may retract and hand over):
pause and resume a site's publishing, delete content, delete a site."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from publisher.api.auth import current_caller
from publisher.api.openapi import QUERY, also, answers
from publisher.api.params import Retract
from publisher.api.responses import ok
from publisher.services import deletion, pausing

router = Router()


@router.post(
    "/sites/<site_id>/pause",
    tags=["sites"],
    summary="Pause the site's publishing: the timed jobs hand nothing over, publish-now is refused",
    responses=answers(200, "SiteEnvelope", "The site, paused", 404, 409),
)
def pause_site(site_id: str):
    return ok(pausing.pause(current_caller(), site_id))


@router.post(
    "/sites/<site_id>/resume",
    tags=["sites"],
    summary="Resume the site's publishing; what fell due while paused follows missed_schedule_policy",
    responses=answers(200, "SiteEnvelope", "The site, running", 404, 409),
)
def resume_site(site_id: str):
    return ok(pausing.resume(current_caller(), site_id))


@router.delete(
    "/sites/<site_id>",
    tags=["sites"],
    summary="Delete the site and everything under it, in the background (admin/owner)",
    responses=answers(
        202, "SiteDeletionEnvelope", "The site is being deleted (reads of it answer 404)", *QUERY, 404, 409
    ),
)
def delete_site(site_id: str, retract: Retract = None):
    return ok(deletion.delete_site(current_caller(), site_id, retract=bool(retract)), 202)


@router.delete(
    "/content/<content_id>",
    tags=["content"],
    summary="Delete content, its records and history; 409 while publishing or online unless ?retract=true",
    responses={
        **answers(200, "DeletedEnvelope", "The content is deleted", *QUERY, 404, 409),
        **also(
            202, "ContentDeletionEnvelope", "?retract=true: it is retracted, then deleted, in the background"
        ),
    },
)
def delete_content(content_id: str, retract: Retract = None):
    done, data = deletion.delete_content(current_caller(), content_id, retract=bool(retract))
    return ok(data, 200 if done else 202)
