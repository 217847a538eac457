"""Notifications of a site: its settings (`/sites/{site_id}/notifications/`) and their delivery by the
Notifier function, which an EventBridge rule invokes for the events the service already puts on its
bus (services/events.py).

- **Webhook**: the event POSTed to `webhook_url`, signed exactly as the webhook destination signs
  publications (destinations/webhook.py: `X-Publisher-Signature: t=…,v1=…`, `X-Publisher-Event`,
  `Idempotency-Key` = the EventBridge event id), through the same guarded session (https only, no
  private addresses, checked at connect time). The secret is generated here, shown once (in the
  PUT reply that made it) and kept sealed with KMS under (account, site, "notifications").
  Retryable failures (timeouts, 5xx, 429) are tried WEBHOOK_ATTEMPTS times; a notification that
  still fails (or is refused with a 4xx) raises, and the function's dead-letter queue keeps the
  event (Lambda does not retry it: that would send its e-mail again; so does a redrive).
- **E-mail** through one SNS topic per deployment: each address is subscribed once with the filter
  policy `{"recipients": [address]}`, and a notification is published with the site's addresses as
  its `recipients` attribute, so only they receive it. A subscription may serve several sites, so
  removing an address from a site does not unsubscribe it (the filter keeps it silent); SNS's own
  unsubscribe link ends it for good.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger

from publisher.bootstrap import aws_client, ready_store
from publisher.destinations.addresses import BlockedURLError, blocked_reason, check_url
from publisher.domain.notifications import NotificationsPut
from publisher.errors import Forbidden, Invalid
from publisher.identity import Caller
from publisher.services.credentials import CredentialVault
from publisher.services.records import ADMIN_ROLES
from publisher.services.sites import load_site
from publisher.services.views import notifications_view
from publisher.store import notifications as store
from publisher.timeutil import iso, utcnow

SECRET_CONTEXT = "notifications"  # noqa: S105 - a KMS encryption context value, not a secret
"""The `destination` part of the KMS encryption context of the signing secret."""
RECIPIENTS = "recipients"

logger = Logger()


# --- settings (SitesApiFunction) ------------------------------------------------------------


def _require_admin(caller: Caller) -> None:
    if caller.role not in ADMIN_ROLES:
        raise Forbidden(f"only an admin or owner may change notifications; the {caller.role} role may not")


def get_notifications(caller: Caller, site_id: str) -> dict[str, Any]:
    site = load_site(caller, site_id)
    return notifications_view(site_id, site.notifications, has_secret=site.notification_secret is not None)


def _checked_webhook_url(body: NotificationsPut, deployment_allows_insecure_http: bool) -> str | None:
    """The URL if the outbound policy admits it as written (its host's addresses are checked again
    on every connection); Invalid otherwise."""
    if body.allow_insecure_http and not deployment_allows_insecure_http:
        raise Invalid(
            "insecure HTTP is not allowed in this deployment",
            {"allow_insecure_http": ["only local runs and tests may allow http:// peers"]},
        )
    if body.webhook_url is None:
        return None
    url = str(body.webhook_url)
    try:
        check_url(url, allow_insecure_http=body.allow_insecure_http)
        host = (urlsplit(url).hostname or "").strip("[]")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None  # a name: resolved and checked when connecting
        reason = address and blocked_reason(str(address), allow_loopback=body.allow_insecure_http)
        if reason:
            raise BlockedURLError(f"Refused {host}: {reason}.")
    except BlockedURLError as exc:
        raise Invalid("the webhook URL is not allowed", {"webhook_url": [str(exc)]}) from exc
    return url


def put_notifications(
    caller: Caller,
    site_id: str,
    body: NotificationsPut,
    *,
    vault: CredentialVault | None = None,
    sns: Any = None,
) -> dict[str, Any]:
    """Replace the site's notification settings. A webhook gets a signing secret: a new one (shown
    in this reply only) the first time and on `rotate_secret`, else the stored one is kept."""
    _require_admin(caller)
    site = load_site(caller, site_id)
    settings = ready_store()
    url = _checked_webhook_url(body, settings.allow_insecure_http)
    if url is None and not body.emails:
        raise Invalid(
            "say where notifications go",
            {
                "webhook_url": ["give a webhook_url, emails or both"],
                "emails": ["give emails, a webhook_url or both"],
            },
        )
    sealed, shown_secret = site.notification_secret, None
    if url is None:
        sealed = None
    elif sealed is None or body.rotate_secret:
        shown_secret = "whsec_" + secrets.token_urlsafe(32)
        vault = vault or CredentialVault()
        sealed = vault.seal(site.account_id, site_id, SECRET_CONTEXT, {"signing_secret": shown_secret})
    previous = set((site.notifications or {}).get("emails") or [])
    added = [email for email in body.emails if email not in previous]
    _subscribe(added, sns, settings.notification_topic_arn)
    document = {
        "webhook_url": url,
        "emails": list(body.emails),
        "events": list(body.events),
        "allow_insecure_http": body.allow_insecure_http,
        "updated_at": iso(utcnow()),
    }
    store.set_notifications(site, document, sealed)
    return notifications_view(site_id, document, has_secret=sealed is not None, signing_secret=shown_secret)


def _subscribe(emails: list[str], sns: Any, topic_arn: str) -> None:
    """One e-mail subscription per address to the deployment's topic, filtered to notifications
    that name it (Subscribe is idempotent for the same address and filter)."""
    if not emails:
        return
    sns = sns or aws_client("sns")
    for email in emails:
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="email",
            Endpoint=email,
            Attributes={"FilterPolicy": json.dumps({RECIPIENTS: [email]})},
        )


def delete_notifications(caller: Caller, site_id: str) -> None:
    _require_admin(caller)
    store.clear_notifications(load_site(caller, site_id))
