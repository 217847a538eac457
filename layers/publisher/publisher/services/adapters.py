"""A ready destination adapter for one site and destination: integration, credentials, rules.

The factory is injectable so tests of our logic can hand in a fake `Destination` subclass;
the default builds the real adapter with the guarded HTTP session the deployment allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from publisher.config import get_settings
from publisher.destinations import build_destination
from publisher.destinations.base import Destination, PermanentDestinationError
from publisher.destinations.s3 import bucket_allowed
from publisher.services.credentials import CredentialVault
from publisher.store.models import IntegrationModel
from publisher.store.sites import bucket_owner

DestinationFactory = Callable[[str, dict[str, Any], dict[str, Any]], Destination]
"""(destination name, integration config, credentials) → adapter."""


def real_destination(name: str, config: dict[str, Any], credentials: dict[str, Any]) -> Destination:
    return build_destination(
        name, config, credentials, deployment_allows_insecure_http=get_settings().allow_insecure_http
    )


def refusal(integration: IntegrationModel | None, destination: str) -> str | None:
    """Why this integration cannot be published to, or None when it can."""
    if integration is None or not integration.enabled:
        return f"the site has no enabled {destination} integration"
    if destination == "s3":
        prefix = get_settings().static_site_bucket_prefix
        bucket = str((integration.config or {}).get("bucket") or "")
        if not bucket_allowed(bucket, prefix):
            return (
                f"the s3 bucket must be named {prefix}…; {bucket or 'no bucket'} is outside this deployment"
            )
        if bucket_owner(bucket) != integration.site_id:
            return f"the s3 bucket {bucket} is not claimed by this site; save the s3 integration to claim it"
    return None


def open_destination(
    integration: IntegrationModel | None,
    destination: str,
    *,
    account_id: str,
    factory: DestinationFactory | None = None,
    vault: CredentialVault | None = None,
) -> Destination:
    """The adapter for the integration; PermanentDestinationError when it may not be used."""
    reason = refusal(integration, destination)
    if reason is not None or integration is None:
        reason = reason or f"the site has no {destination} integration"
        raise PermanentDestinationError(reason[0].upper() + reason[1:] + ".")
    credentials: dict[str, Any] = {}
    if integration.credentials_ciphertext is not None:
        vault = vault or CredentialVault()
        credentials = vault.open(
            account_id, integration.site_id, destination, integration.credentials_ciphertext
        )
    return (factory or real_destination)(destination, dict(integration.config or {}), credentials)
