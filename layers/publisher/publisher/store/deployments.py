"""Deployment records: a batch publication of a site's content, with atomic live counters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import size

from publisher.domain.statuses import ContentStatus, DeploymentStatus, SiteStatus
from publisher.paging import PageRequest
from publisher.store.changes import actions_for
from publisher.store.common import (
    condition_failed,
    conditional_delete,
    conditional_save,
    conditional_update,
    query_page,
)
from publisher.store.models import ContentModel, DeploymentModel, RecordModel

MAX_ERROR_LOG = 100
"""error_log keeps the first failures only: an item stays well under DynamoDB's 400 KB."""


def get_deployment(deployment_id: str) -> DeploymentModel | None:
    try:
        return DeploymentModel.get(deployment_id, consistent_read=True)
    except DoesNotExist:
        return None


def create_deployment(deployment: DeploymentModel) -> None:
    conditional_save(deployment, DeploymentModel.deployment_id.does_not_exist(), "that deployment exists")


def update_deployment(
    deployment: DeploymentModel, changes: Mapping[str, Any], condition: Any, conflict: str
) -> None:
    conditional_update(deployment, actions_for(deployment, changes), condition, conflict)


def page_by_site(
    site_id: str, page: PageRequest, *, filter_condition: Any = None
) -> tuple[list[DeploymentModel], str | None]:
    return query_page(
        DeploymentModel.site_index.query,
        site_id,
        page=page,
        newest_first=True,
        filter_condition=filter_condition,
    )


def page_by_account(
    account_id: str, page: PageRequest, *, filter_condition: Any = None
) -> tuple[list[DeploymentModel], str | None]:
    return query_page(
        DeploymentModel.account_index.query,
        account_id,
        page=page,
        newest_first=True,
        filter_condition=filter_condition,
    )


def latest_of_site(site_id: str) -> DeploymentModel | None:
    """The site's newest deployment (one item of a Query, newest first)."""
    return next(iter(DeploymentModel.site_index.query(site_id, scan_index_forward=False, limit=1)), None)


Cursor = dict[str, Any] | None
"""A Query's last evaluated key (as DynamoDB gives it, JSON), or None for the first page."""


def _page(results: Any, size: int) -> tuple[list[Any], Cursor]:
    items = list(results)
    return items, results.last_evaluated_key if len(items) >= size else None


def candidates_page(
    site_id: str, status: str, cursor: Cursor, size: int
) -> tuple[list[ContentModel], Cursor]:
    """A page of the site's content in an editorial status (oldest first) and the cursor after it."""
    results = ContentModel.site_status_index.query(
        site_id, ContentModel.status_key.startswith(f"{status}#"), limit=size, last_evaluated_key=cursor
    )
    return _page(results, size)


def first_publications(site_id: str, limit: int) -> list[ContentModel]:
    """Up to `limit` of the site's approved or published items that are not online (a deployment
    would publish them for the first time: they count toward the caps). Keys and status only,
    read from the index: no item is read back whole."""
    return list(
        ContentModel.site_site_status_index.query(
            site_id,
            ContentModel.site_status_key.startswith(f"{SiteStatus.NOT_PUBLISHED.value}#"),
            filter_condition=ContentModel.status.is_in(
                ContentStatus.APPROVED.value, ContentStatus.PUBLISHED.value
            ),
            limit=limit,
            attributes_to_get=["content_id", "site_id", "site_status_key", "status"],
        )
    )


def records_page(deployment_id: str, cursor: Cursor, size: int) -> tuple[list[RecordModel], Cursor]:
    """A page of the deployment's records and the cursor after it."""
    return _page(
        RecordModel.deployment_index.query(deployment_id, limit=size, last_evaluated_key=cursor), size
    )


def count_item(
    deployment_id: str, *, deployed: bool, error: str | None, now_iso: str
) -> DeploymentModel | None:
    """Atomically count one finished item (ADD) while the deployment is deploying.

    Returns the deployment as it is after the count, or None when it is no longer deploying
    (a late retry of an item of a finished deployment changes nothing)."""
    deployment = DeploymentModel(deployment_id=deployment_id)
    counter = DeploymentModel.items_deployed if deployed else DeploymentModel.items_failed
    actions = [counter.add(1), DeploymentModel.updated_at.set(now_iso)]
    condition = DeploymentModel.status == DeploymentStatus.DEPLOYING.value
    if error:
        actions.append(DeploymentModel.error_log.set(DeploymentModel.error_log.append([error])))
        condition &= size(DeploymentModel.error_log) < MAX_ERROR_LOG
    try:
        deployment.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        if not error:
            return None
        # The log is full (or the deployment finished): count without logging.
        return count_item(deployment_id, deployed=deployed, error=None, now_iso=now_iso)
    return deployment


def delete_deployment(deployment: DeploymentModel) -> None:
    """Delete the deployment as it was read (status and last write); Conflict when it changed."""
    condition = (DeploymentModel.status == deployment.status) & (
        DeploymentModel.updated_at == deployment.updated_at
    )
    conditional_delete(deployment, condition, "the deployment changed meanwhile; read it again")
