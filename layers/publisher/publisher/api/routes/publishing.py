"""`/publisher/…`: publish now and its status, publishing records (alias `publishing-records`),
retraction, batch deployments and their rollback."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from publisher.api.auth import current_caller
from publisher.api.openapi import BODY, QUERY, answers
from publisher.api.params import (
    AccountId,
    ContentId,
    Cursor,
    DeploymentStatusFilter,
    DestinationFilter,
    Limit,
    RecordStatusFilter,
    RequiredContentId,
    SectorId,
    SiteId,
)
from publisher.api.responses import ok
from publisher.domain.publishing import (
    DeploymentCreate,
    DeploymentPatch,
    PublishRequest,
    RecordCreate,
    RecordPatch,
)
from publisher.paging import page_request
from publisher.services import deployments, publishing, records

router = Router()
PUBLISH = ["publishing"]
RECORDS = ["publishing records"]
DEPLOYMENTS = ["deployments"]
RECORD_PATHS = ("/publisher/records", "/publisher/publishing-records")


@router.post(
    "/publisher/publish",
    tags=PUBLISH,
    summary="Publish now to every (or the named) enabled destination",
    responses=answers(
        202, "PublishAcceptedEnvelope", "The pending records handed to the queue", *BODY, 404, 409
    ),
)
def publish(body: Annotated[PublishRequest, Body()]):
    return ok(publishing.publish_now(current_caller(), body), 202)


@router.get(
    "/publisher/publish/status",
    tags=PUBLISH,
    summary="The content's site status and its records",
    responses=answers(200, "PublishStatusEnvelope", "The content's status and records", *QUERY, 404),
)
def publish_status(content_id: RequiredContentId):
    return ok(publishing.publish_status(current_caller(), content_id))


def list_records(
    site_id: SiteId = None,
    content_id: ContentId = None,
    status: RecordStatusFilter = None,
    destination: DestinationFilter = None,
    account_id: AccountId = None,
    sector_id: SectorId = None,
    limit: Limit = None,
    cursor: Cursor = None,
):
    page = page_request(limit, cursor)
    items, next_cursor = records.list_records(
        current_caller(),
        page,
        site_id=site_id,
        content_id=content_id,
        status=status,
        destination=destination,
        account_id=account_id,
        sector_id=sector_id,
    )
    return ok(items, next_cursor=next_cursor)


def create_record(body: Annotated[RecordCreate, Body()]):
    return ok(records.create_record(current_caller(), body), 201)


for _path in RECORD_PATHS:
    router.get(
        _path,
        tags=RECORDS,
        summary="List publishing records, newest first",
        responses=answers(200, "PublishingRecordListEnvelope", "A page of records", *QUERY, 404),
    )(list_records)
    router.post(
        _path,
        tags=RECORDS,
        summary="Record a publication made outside Publisher",
        responses=answers(201, "PublishingRecordEnvelope", "The new record", *BODY, 404, 409),
    )(create_record)


def get_record(record_id: str):
    return ok(records.get_record(current_caller(), record_id))


for _path in RECORD_PATHS:
    router.get(
        f"{_path}/<record_id>",
        tags=RECORDS,
        summary="Read a publishing record",
        responses=answers(200, "PublishingRecordEnvelope", "The record", 404),
    )(get_record)


@router.patch(
    "/publisher/records/<record_id>",
    tags=RECORDS,
    summary="Change a record's metadata (and the external_url of a record made by POST)",
    responses=answers(200, "PublishingRecordEnvelope", "The record", *BODY, 404, 409),
)
def patch_record(record_id: str, body: Annotated[RecordPatch, Body()]):
    return ok(records.patch_record(current_caller(), record_id, body))


@router.delete(
    "/publisher/records/<record_id>",
    tags=RECORDS,
    summary="Forget a record (admin/owner); the destination is untouched",
    responses=answers(200, "DeletedEnvelope", "The record is forgotten", 404, 409),
)
def delete_record(record_id: str):
    records.delete_record(current_caller(), record_id)
    return ok({"id": record_id, "deleted": True})


@router.post(
    "/publisher/records/<record_id>/retract",
    tags=RECORDS,
    summary="Unpublish at the destination",
    responses=answers(200, "PublishingRecordEnvelope", "The record, retracted", 404, 409),
)
def retract_record(record_id: str):
    return ok(records.retract(current_caller(), record_id))


@router.get(
    "/publisher/records/<record_id>/attempts",
    tags=RECORDS,
    summary="Every attempt of a record, oldest first",
    responses=answers(200, "AttemptListEnvelope", "The record's attempts", 404),
)
def record_attempts(record_id: str):
    return ok(records.attempts(current_caller(), record_id))


@router.get(
    "/publisher/deployments",
    tags=DEPLOYMENTS,
    summary="List deployments, newest first",
    responses=answers(200, "DeploymentRecordListEnvelope", "A page of deployments", *QUERY, 404),
)
def list_deployments(
    site_id: SiteId = None,
    status: DeploymentStatusFilter = None,
    sector_id: SectorId = None,
    limit: Limit = None,
    cursor: Cursor = None,
):
    page = page_request(limit, cursor)
    items, next_cursor = deployments.list_deployments(
        current_caller(), page, site_id=site_id, status=status, sector_id=sector_id
    )
    return ok(items, next_cursor=next_cursor)


@router.post(
    "/publisher/deployments",
    tags=DEPLOYMENTS,
    summary="Start a full or incremental deployment",
    responses=answers(202, "DeploymentRecordEnvelope", "The deployment, started", *BODY, 404, 409),
)
def start_deployment(body: Annotated[DeploymentCreate, Body()]):
    return ok(deployments.start_deployment(current_caller(), body), 202)


@router.get(
    "/publisher/deployments/<deployment_id>",
    tags=DEPLOYMENTS,
    summary="A deployment with live counters",
    responses=answers(200, "DeploymentRecordEnvelope", "The deployment", 404),
)
def get_deployment(deployment_id: str):
    return ok(deployments.get_deployment(current_caller(), deployment_id))


@router.patch(
    "/publisher/deployments/<deployment_id>",
    tags=DEPLOYMENTS,
    summary="Change a deployment's metadata",
    responses=answers(200, "DeploymentRecordEnvelope", "The deployment", *BODY, 404, 409),
)
def patch_deployment(deployment_id: str, body: Annotated[DeploymentPatch, Body()]):
    return ok(deployments.patch_deployment(current_caller(), deployment_id, body))


@router.delete(
    "/publisher/deployments/<deployment_id>",
    tags=DEPLOYMENTS,
    summary="Forget a finished deployment",
    responses=answers(200, "DeletedEnvelope", "The deployment is forgotten", 404, 409),
)
def delete_deployment(deployment_id: str):
    deployments.delete_deployment(current_caller(), deployment_id)
    return ok({"id": deployment_id, "deleted": True})


@router.post(
    "/publisher/deployments/<deployment_id>/rollback",
    tags=DEPLOYMENTS,
    summary="Retract what the deployment published",
    responses=answers(202, "DeploymentRollbackEnvelope", "The deployment, its rollback running", 404, 409),
)
def rollback(deployment_id: str):
    return ok(deployments.rollback(current_caller(), deployment_id), 202)
