"""Destination adapters, chosen by the integration's `destination` name.

Adapters are imported lazily so a function that publishes to S3 never pays for the
WordPress or Ghost modules at cold start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.destinations.base import Destination

_ADAPTERS: dict[str, str] = {
    "wordpress": "publisher.destinations.wordpress:WordPressDestination",
    "ghost": "publisher.destinations.ghost:GhostDestination",
    "webflow": "publisher.destinations.webflow:WebflowDestination",
    "s3": "publisher.destinations.s3:S3Destination",
    "webhook": "publisher.destinations.webhook:WebhookDestination",
}

DESTINATION_NAMES: tuple[str, ...] = tuple(_ADAPTERS)


def destination_class(name: str) -> type[Destination]:
    """The adapter class for a destination name; KeyError for an unknown name."""
    module_name, class_name = _ADAPTERS[name].split(":")
    return getattr(import_module(module_name), class_name)


def build_destination(
    name: str, config: dict, credentials: dict, *, deployment_allows_insecure_http: bool
) -> Destination:
    """An adapter ready to use, with the guarded HTTP session its config is entitled to, whose
    messages never contain its credentials (publisher.destinations.redaction).

    `allow_insecure_http` in a config counts only where the deployment allows it.
    """
    from publisher.destinations.http import build_session
    from publisher.destinations.redaction import Redacting

    insecure = bool(config.get("allow_insecure_http")) and deployment_allows_insecure_http
    adapter = destination_class(name)(
        config, credentials, session=build_session(allow_insecure_http=insecure)
    )
    return Redacting(adapter)
