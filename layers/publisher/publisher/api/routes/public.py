"""Public routes (no authorizer): liveness and the seed's site definition."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from publisher.api.openapi import NO_AUTH, QUERY, answers
from publisher.api.params import SiteSlug
from publisher.api.responses import ok
from publisher.services import sites

router = Router()
TAGS = ["public"]


@router.get(
    "/health",
    tags=TAGS,
    summary="Liveness",
    security=[],
    openapi_extensions=NO_AUTH,
    responses=answers(200, "HealthEnvelope", "The service is up", public=True),
)
def health():
    return ok({"status": "ok"})


@router.get(
    "/publisher/site-definition",
    tags=TAGS,
    summary="Public site structure",
    security=[],
    openapi_extensions=NO_AUTH,
    responses=answers(200, "SiteDefinitionEnvelope", "The site's public structure", *QUERY, 404, public=True),
)
def site_definition(site: SiteSlug):
    return ok(sites.site_definition(site))
