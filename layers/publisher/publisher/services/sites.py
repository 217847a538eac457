"""Sites and their integrations: tenancy, validation, credentials sealed with KMS."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from publisher.bootstrap import ready_store
from publisher.destinations import DESTINATION_NAMES
from publisher.domain.integrations import (
    SCHEMAS,
    IntegrationPut,
    moved_address_fields,
    needs_credentials,
    reveal,
)
from publisher.domain.sites import SiteCreate, SitePatch
from publisher.domain.text import slugify
from publisher.errors import Conflict, Invalid, NotFound, field_errors
from publisher.identity import Caller
from publisher.ids import new_id
from publisher.paging import PageRequest
from publisher.services.credentials import CredentialVault
from publisher.services.views import integration_view, site_definition_view, site_view
from publisher.store import sites as store
from publisher.store.models import IntegrationModel, SiteModel
from publisher.timeutil import iso, utcnow


def _json_ready(model: BaseModel, **kwargs: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", **kwargs)


def load_site(caller: Caller, site_id: str) -> SiteModel:
    """The site if the caller may see it; NotFound otherwise (never 403 across accounts)."""
    ready_store()
    site = store.get_site(site_id)
    if site is None or site.deleting_at is not None or not caller.can_see(site.account_id):
        raise NotFound("no such site")  # a site being deleted is gone for every reader
    return site


def create_site(caller: Caller, body: SiteCreate) -> dict[str, Any]:
    caller.require_write()
    ready_store()
    account_id = caller.account_id
    if caller.is_system:
        if not body.account_id:
            raise Invalid("a system caller must say which account", {"account_id": ["is required"]})
        account_id = body.account_id
    elif body.account_id not in (None, caller.account_id):
        raise Invalid("sites are created in your own account", {"account_id": ["must be your account"]})
    now = iso(utcnow())
    data = _json_ready(body, exclude={"account_id", "slug"})
    site = SiteModel(
        site_id=new_id(),
        account_id=account_id,
        slug=body.slug or slugify(body.name),
        created_at=now,
        updated_at=now,
        **data,
    )
    store.create_site(site)
    return site_view(site)


def list_sites(caller: Caller, page: PageRequest, account_id: str | None = None) -> tuple[list, str | None]:
    ready_store()
    if account_id and not caller.can_see(account_id):
        return [], None
    sites, cursor = store.sites_by_account(account_id or caller.account_id, page)
    return [site_view(site) for site in sites if site.deleting_at is None], cursor  # deleting: gone


def get_site(caller: Caller, site_id: str) -> dict[str, Any]:
    return site_view(load_site(caller, site_id))


def update_site(caller: Caller, site_id: str, patch: SitePatch) -> dict[str, Any]:
    caller.require_write()
    site = load_site(caller, site_id)
    changes = _json_ready(patch, exclude_unset=True)
    if changes:
        store.update_site(site, changes, iso(utcnow()))
    return site_view(site)


def site_definition(slug: str) -> dict[str, Any]:
    ready_store()
    site = store.site_by_slug(slug)
    if site is None:
        raise NotFound("no site has that slug")
    return site_definition_view(site)


# --- integrations -------------------------------------------------------------------------


def _known_destination(destination: str) -> str:
    if destination not in DESTINATION_NAMES:
        raise Invalid(
            "unknown destination",
            {"destination": [f"must be one of {', '.join(DESTINATION_NAMES)}"]},
        )
    return destination


def list_integrations(caller: Caller, site_id: str) -> list[dict[str, Any]]:
    load_site(caller, site_id)
    return [integration_view(item) for item in store.integrations_of(site_id)]


def _validated(kind: type[BaseModel], document: dict[str, Any], prefix: str) -> BaseModel:
    try:
        return kind.model_validate(document)
    except ValidationError as exc:
        raise Invalid(f"some fields of the {prefix} are invalid", field_errors(exc.errors(), prefix)) from exc


def put_integration(
    caller: Caller,
    site_id: str,
    destination: str,
    body: IntegrationPut,
    *,
    vault: CredentialVault | None = None,
    allow_insecure_http: bool | None = None,
) -> dict[str, Any]:
    """Create or replace an integration. Credentials omitted → the stored ones are kept."""
    caller.require_write()
    _known_destination(destination)
    site = load_site(caller, site_id)
    config_kind, credentials_kind = SCHEMAS[destination]
    config = _validated(config_kind, body.config, "config")
    if allow_insecure_http is None:
        allow_insecure_http = ready_store().allow_insecure_http
    if config.allow_insecure_http and not allow_insecure_http:
        raise Invalid(
            "insecure HTTP is not allowed in this deployment",
            {"config.allow_insecure_http": ["only local runs and tests may allow http:// peers"]},
        )
    if getattr(config, "api_base_url", None) is not None and not allow_insecure_http:
        raise Invalid(
            "api_base_url is not allowed in this deployment",
            {"config.api_base_url": ["only local runs and tests may point Webflow elsewhere"]},
        )
    prefix = ready_store().static_site_bucket_prefix
    if destination == "s3" and not config.bucket.startswith(prefix):
        raise Invalid(
            "this deployment may only write to its static-site buckets",
            {"config.bucket": [f"must start with {prefix!r}"]},
        )
    existing = store.get_integration(site_id, destination)
    ciphertext = existing.credentials_ciphertext if existing else None
    new_config = _json_ready(config)
    if body.credentials is None and ciphertext is not None and existing is not None:
        moved = moved_address_fields(dict(existing.config or {}), new_config)
        if moved:
            raise Invalid(
                "stored credentials are only sent where they were entered for; send them again",
                {"credentials": [f"are required when {', '.join(moved)} changes"]},
            )
    if body.credentials is not None:
        secrets = _validated(credentials_kind, reveal(body.credentials), "credentials")
        if needs_credentials(destination):
            vault = vault or CredentialVault()
            ciphertext = vault.seal(site.account_id, site_id, destination, reveal(secrets))
    if needs_credentials(destination) and ciphertext is None:
        raise Invalid("credentials are required", {"credentials": ["are required for " + destination]})
    now = iso(utcnow())
    integration = IntegrationModel(
        site_id=site_id,
        destination=destination,
        account_id=site.account_id,
        enabled=body.enabled,
        config=new_config,
        credentials_ciphertext=ciphertext,
        last_verified_at=existing.last_verified_at if existing else None,
        last_verification=existing.last_verification if existing else None,
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )
    store.save_integration(integration, existing)
    return integration_view(integration)


def delete_integration(caller: Caller, site_id: str, destination: str) -> None:
    caller.require_write()
    _known_destination(destination)
    load_site(caller, site_id)
    integration = store.get_integration(site_id, destination)
    if integration is None:
        raise NotFound("the site has no such integration")
    store.delete_integration(integration)


def test_integration(
    caller: Caller, site_id: str, destination: str, *, vault: CredentialVault | None = None
) -> dict[str, Any]:
    """Ask the destination whether the stored credentials work; the answer is stored too."""
    from publisher.destinations import build_destination
    from publisher.destinations.base import DestinationError, Verification

    caller.require_write()
    _known_destination(destination)
    site = load_site(caller, site_id)
    integration = store.get_integration(site_id, destination)
    if integration is None:
        raise NotFound("the site has no such integration")
    bucket = str((integration.config or {}).get("bucket") or "")
    if destination == "s3" and store.bucket_owner(bucket) != site_id:
        # Never probe a bucket the site does not hold: the answer would tell whether it exists.
        raise Conflict(
            f"the bucket {bucket} is not claimed by this site; save the s3 integration to claim it"
        )
    credentials = {}
    if integration.credentials_ciphertext is not None:
        vault = vault or CredentialVault()
        credentials = vault.open(site.account_id, site_id, destination, integration.credentials_ciphertext)
    adapter = build_destination(
        destination,
        integration.config,
        credentials,
        deployment_allows_insecure_http=ready_store().allow_insecure_http,
    )
    try:
        result = adapter.verify()
    except DestinationError as exc:
        result = Verification(ok=False, message=str(exc))
    checked_at = iso(utcnow())
    outcome = {"ok": result.ok, "message": result.message, "checked_at": checked_at}
    store.record_verification(integration, checked_at, outcome)
    return {"site_id": site_id, "destination": destination, **outcome}
