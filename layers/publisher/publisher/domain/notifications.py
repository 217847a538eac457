"""What a site's notification settings may look like (`PUT /sites/{site_id}/notifications/`), and
which notification each event on the bus is."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from publisher.domain.limits import HttpUrl

PUBLICATION_PUBLISHED = "publication.published"
PUBLICATION_FAILED = "publication.failed"
DEPLOYMENT_COMPLETED = "deployment.completed"
NOTIFICATION_EVENTS = (PUBLICATION_PUBLISHED, PUBLICATION_FAILED, DEPLOYMENT_COMPLETED)

FROM_DETAIL_TYPE = {
    "publication.succeeded": PUBLICATION_PUBLISHED,
    "publication.failed": PUBLICATION_FAILED,
    "deployment.completed": DEPLOYMENT_COMPLETED,
}
"""The bus's detail-type (services/events.py) → the notification a site subscribes to (API.md)."""

MAX_EMAILS = 10
Email = Annotated[
    str,
    Field(
        max_length=254,
        pattern=r"^[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
        description="an e-mail address (SNS sends it a confirmation first)",
    ),
]

NotificationEvent = Literal[*NOTIFICATION_EVENTS]  # type: ignore[valid-type]


class NotificationsPut(BaseModel):
    """The whole notification settings of a site: a signed webhook, e-mail addresses, or both."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    webhook_url: HttpUrl | None = None
    emails: Annotated[list[Email], Field(max_length=MAX_EMAILS)] = []
    events: Annotated[list[NotificationEvent], Field(min_length=1, max_length=len(NOTIFICATION_EVENTS))]
    allow_insecure_http: bool = False
    """Admits an http:// or loopback webhook_url, only where the deployment allows it (local runs)."""
    rotate_secret: bool = False
    """Replace the webhook's signing secret by a new one (shown once, in this reply)."""

    @field_validator("emails", "events")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(item.lower() if "@" in item else item for item in values))
