"""`POST /content/bulk/`: one editorial action on many content items, each through the very service
function its single route uses (so roles, tenancy, state checks and caps hold exactly as for single
requests, also when two bulk requests race: each item is its own conditional write)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from publisher.domain.content import BulkRequest, ContentPatch, ScheduleRequest
from publisher.domain.publishing import PublishRequest
from publisher.domain.statuses import ContentStatus
from publisher.errors import PublisherError
from publisher.identity import Caller
from publisher.services import content, deletion, publishing, scheduling


@dataclass(frozen=True)
class BulkOutcome:
    """What one item's action came to: the single route's reply data, or its error."""

    content_id: str
    data: dict[str, Any] | None = None
    error: PublisherError | None = None


def _action(caller: Caller, body: BulkRequest) -> Callable[[str], dict[str, Any]]:
    if body.action == "approve":
        patch = ContentPatch(status=ContentStatus.APPROVED.value)
        return lambda content_id: content.update_content(caller, content_id, patch)
    if body.action == "schedule":
        when = ScheduleRequest(scheduled_publish_at=body.scheduled_publish_at)
        return lambda content_id: scheduling.schedule(caller, content_id, when)
    if body.action == "unschedule":
        return lambda content_id: scheduling.unschedule(caller, content_id)
    if body.action == "delete":  # as DELETE /content/{id}/ without ?retract: online content is a 409
        return lambda content_id: deletion.delete_content(caller, content_id)[1]
    return lambda content_id: publishing.publish_now(caller, PublishRequest(content_id=content_id))


def run_bulk(caller: Caller, body: BulkRequest) -> list[BulkOutcome]:
    """Every id in order; one item's refusal (404, 409, 422 …) stops nothing else. A viewer is
    refused as a whole (403) before anything is tried."""
    caller.require_write()
    act = _action(caller, body)
    outcomes = []
    for content_id in body.ids:
        try:
            outcomes.append(BulkOutcome(content_id, data=act(content_id)))
        except PublisherError as exc:
            outcomes.append(BulkOutcome(content_id, error=exc))
    return outcomes
