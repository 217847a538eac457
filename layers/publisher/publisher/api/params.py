"""Typed query parameters, declared once for every route (API.md v1.1): Powertools validates
them and the OpenAPI document shows their types and bounds. A value that fails is a 400
("malformed or empty query value", see resolver._on_validation_error), field by field. A required
parameter is documented `required: true`; one that is missing is a 422 naming it, as any other
missing field."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from publisher.destinations import DESTINATION_NAMES
from publisher.domain.limits import MAX_ID_LENGTH
from publisher.domain.statuses import (
    DEPLOYMENT_STATUS_ALIASES,
    ContentStatus,
    DeploymentStatus,
    RecordStatus,
    SiteStatus,
)
from publisher.domain.text import MAX_SLUG_LENGTH
from publisher.paging import MAX_LIMIT

MAX_CURSOR_LENGTH = 2048
MAX_TIME_TEXT_LENGTH = 40


def _id(description: str | None = None) -> Query:
    return Query(min_length=1, max_length=MAX_ID_LENGTH, description=description)


SiteId = Annotated[str | None, _id()]
ContentId = Annotated[str | None, _id()]
RequiredContentId = Annotated[str, _id()]
AccountId = Annotated[str | None, _id("system callers: whose items")]
Limit = Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description=f"1..{MAX_LIMIT}, default 50")]
Cursor = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page"),
]
ContentStatusFilter = Annotated[ContentStatus | None, Query()]
SiteStatusFilter = Annotated[SiteStatus | None, Query()]
RecordStatusFilter = Annotated[RecordStatus | None, Query()]
Destination = Literal[*DESTINATION_NAMES]  # type: ignore[valid-type]
"""A destination's name: the `{destination}` path parameter (an enum in the document)."""
DestinationFilter = Annotated[Destination | None, Query()]  # type: ignore[valid-type]
RequiredDestination = Annotated[Destination, Query(description="an integration of the content's site")]  # type: ignore[valid-type]
SiteSlug = Annotated[str, Query(min_length=1, max_length=MAX_SLUG_LENGTH, description="the site's slug")]
DeploymentStatusFilter = Annotated[
    Literal[*DeploymentStatus, *DEPLOYMENT_STATUS_ALIASES] | None,  # type: ignore[valid-type]
    Query(description="`deployed` is accepted as the seed-002 alias of `completed`"),
]
SectorId = Annotated[str | None, _id()]
TimeText = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_TIME_TEXT_LENGTH,
        description="a date (local midnight) or a time with an offset, in the years 2000 to 2100",
    ),
]
SearchText = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="words of the title, all of them (with site_id)"),
]
FeedToken = Annotated[str | None, Query(min_length=1, max_length=200, description="the site's feed token")]
Retract = Annotated[
    bool | None,
    Query(description="true: first retract what is online (the deletion then runs in the background)"),
]
