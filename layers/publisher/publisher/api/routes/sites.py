"""`/sites/…`: sites, integrations (publishing settings are added by the scheduling work)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from publisher.api.auth import current_caller
from publisher.api.openapi import BODY, QUERY, answers
from publisher.api.params import AccountId, Cursor, Destination, Limit
from publisher.api.responses import ok
from publisher.domain.integrations import IntegrationPut
from publisher.domain.sites import SiteCreate, SitePatch
from publisher.paging import page_request
from publisher.services import sites

router = Router()
TAGS = ["sites"]


@router.post(
    "/sites",
    tags=TAGS,
    summary="Create a site",
    responses=answers(201, "SiteEnvelope", "The new site", *BODY, 409),
)
def create_site(body: Annotated[SiteCreate, Body()]):
    return ok(sites.create_site(current_caller(), body), 201)


@router.get(
    "/sites",
    tags=TAGS,
    summary="List the account's sites",
    responses=answers(200, "SiteListEnvelope", "A page of sites", *QUERY),
)
def list_sites(
    account_id: AccountId = None,
    limit: Limit = None,
    cursor: Cursor = None,
):
    page = page_request(limit, cursor)
    items, next_cursor = sites.list_sites(current_caller(), page, account_id)
    return ok(items, next_cursor=next_cursor)


@router.get(
    "/sites/<site_id>",
    tags=TAGS,
    summary="Read a site",
    responses=answers(200, "SiteEnvelope", "The site", 404),
)
def get_site(site_id: str):
    return ok(sites.get_site(current_caller(), site_id))


@router.patch(
    "/sites/<site_id>",
    tags=TAGS,
    summary="Update a site",
    responses=answers(200, "SiteEnvelope", "The updated site", *BODY, 404, 409),
)
def update_site(site_id: str, body: Annotated[SitePatch, Body()]):
    return ok(sites.update_site(current_caller(), site_id, body))


@router.get(
    "/sites/<site_id>/integrations",
    tags=TAGS,
    summary="List integrations (no secrets)",
    responses=answers(200, "IntegrationListEnvelope", "The site's integrations (one page)", 404),
)
def list_integrations(site_id: str):
    return ok(sites.list_integrations(current_caller(), site_id), next_cursor=None)


@router.put(
    "/sites/<site_id>/integrations/<destination>",
    tags=TAGS,
    summary="Set an integration",
    responses=answers(
        200, "IntegrationEnvelope", "The integration (credentials are never returned)", *BODY, 404, 409
    ),
)
def put_integration(site_id: str, destination: Destination, body: Annotated[IntegrationPut, Body()]):
    return ok(sites.put_integration(current_caller(), site_id, destination, body))


@router.delete(
    "/sites/<site_id>/integrations/<destination>",
    tags=TAGS,
    summary="Remove an integration",
    responses=answers(200, "IntegrationDeletedEnvelope", "The integration is gone", 404, 422),
)
def delete_integration(site_id: str, destination: Destination):
    sites.delete_integration(current_caller(), site_id, destination)
    return ok({"site_id": site_id, "destination": destination, "deleted": True})


@router.post(
    "/sites/<site_id>/integrations/<destination>/test",
    tags=TAGS,
    summary="Verify the integration's credentials against the destination",
    responses=answers(
        200, "VerificationResultEnvelope", "The outcome (also when the check failed)", 404, 422
    ),
)
def test_integration(site_id: str, destination: Destination):
    return ok(sites.test_integration(current_caller(), site_id, destination))
