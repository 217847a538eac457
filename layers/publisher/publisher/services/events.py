"""Outcomes on the EventBridge bus (source `publisher`), for whoever subscribes to them.

An event that cannot be put is logged and dropped: the publication it reports has happened
and is recorded, so failing it (and retrying the publication) would be worse than a gap in
the event stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from publisher.bootstrap import aws_client
from publisher.config import get_settings

SOURCE = "publisher"
PUBLICATION_SUCCEEDED = "publication.succeeded"
PUBLICATION_FAILED = "publication.failed"
DEPLOYMENT_COMPLETED = "deployment.completed"
SITE_PAUSED = "site.paused"
SITE_RESUMED = "site.resumed"
SITE_DELETION_STARTED = "site.deletion_started"
SITE_DELETED = "site.deleted"
CONTENT_DELETED = "content.deleted"
CONTENT_UNPUBLISHED = "content.unpublished"

logger = Logger()


class EventBus:
    """Puts one event per outcome on the publisher bus."""

    def __init__(self, client: Any = None, bus_name: str | None = None) -> None:
        self._client = client
        self._bus_name = bus_name

    def emit(self, detail_type: str, detail: Mapping[str, Any]) -> bool:
        """Put one event; False (and a log line) when EventBridge did not take it."""
        client = self._client or aws_client("events")
        entry = {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, separators=(",", ":"), default=str),
            "EventBusName": self._bus_name or get_settings().event_bus_name,
        }
        try:
            reply = client.put_events(Entries=[entry])
        except (BotoCoreError, ClientError):
            logger.exception("event not put", extra={"detail_type": detail_type})
            return False
        if reply.get("FailedEntryCount"):
            logger.error("event refused", extra={"detail_type": detail_type, "entries": reply.get("Entries")})
            return False
        return True
