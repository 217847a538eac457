"""Delivery of a site's notifications by the Notifier function (the settings and the policy are in
services/notifications.py): the bus event POSTed to the site's signed webhook, with bounded retries,
and published to its e-mail addresses through SNS."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger

from publisher.bootstrap import aws_client, ready_store
from publisher.destinations.base import PermanentDestinationError, RetryableDestinationError
from publisher.destinations.http import build_session
from publisher.destinations.webhook import WebhookDestination
from publisher.domain.notifications import FROM_DETAIL_TYPE
from publisher.services.credentials import CredentialVault
from publisher.services.notifications import RECIPIENTS, SECRET_CONTEXT
from publisher.store import sites as sites_store
from publisher.store.models import SiteModel

WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF_S = (1.0, 4.0)
"""Pauses between the attempts (the function's timeout covers 3 calls of at most 10 s each)."""
WEBHOOK_TIMEOUT = (3.05, 10.0)
WEBHOOK_DEADLINE_S = 10.0

logger = Logger()


class NotificationUndelivered(RuntimeError):
    """The webhook did not take the notification after every attempt (→ the dead-letter queue)."""


def deliver(
    event: Mapping[str, Any],
    *,
    vault: CredentialVault | None = None,
    sns: Any = None,
    session: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Send one bus event to the site's webhook and e-mail addresses, if the site asked for it.
    Returns what was done; raises NotificationUndelivered when the webhook never took it."""
    name = FROM_DETAIL_TYPE.get(str(event.get("detail-type")))
    detail = event.get("detail") or {}
    site = _site_of(detail) if name is not None else None
    settings = (site.notifications if site else None) or {}
    if site is None or name not in settings.get("events", []):
        return {"event": name, "webhook": False, "emails": 0}
    payload = {
        "event": name,
        "id": event.get("id"),
        "occurred_at": event.get("time"),
        "site_id": site.site_id,
        "account_id": site.account_id,
        "data": detail,
    }
    emails = list(settings.get("emails") or [])
    if emails:
        _email(payload, emails, sns)
    sent = False
    if settings.get("webhook_url") and site.notification_secret is not None:
        vault = vault or CredentialVault()
        secret = vault.open(site.account_id, site.site_id, SECRET_CONTEXT, site.notification_secret)
        _post(settings, secret["signing_secret"], payload, session, sleep)
        sent = True
    return {"event": name, "webhook": sent, "emails": len(emails)}


def _site_of(detail: Mapping[str, Any]) -> SiteModel | None:
    """The site the event is about, if it belongs to the account the event names."""
    site_id = detail.get("site_id")
    if not isinstance(site_id, str) or not site_id:
        return None
    ready_store()
    site = sites_store.get_site(site_id)
    return site if site is not None and site.account_id == detail.get("account_id") else None


def _post(
    settings: Mapping[str, Any],
    secret: str,
    payload: dict[str, Any],
    session: Any,
    sleep: Callable[[float], None],
) -> None:
    insecure = bool(settings.get("allow_insecure_http")) and ready_store().allow_insecure_http
    hook = WebhookDestination(
        {"url": settings["webhook_url"], "allow_insecure_http": insecure},
        {"signing_secret": secret},
        session=session
        or build_session(allow_insecure_http=insecure, timeout=WEBHOOK_TIMEOUT, deadline=WEBHOOK_DEADLINE_S),
    )
    for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
        try:
            hook.send_event(payload["event"], payload, idempotency_key=str(payload["id"]))
            return
        except RetryableDestinationError as error:
            logger.warning(
                "notification webhook failed", extra={"attempt": attempt, "error_class": type(error).__name__}
            )
            if attempt == WEBHOOK_ATTEMPTS:
                raise NotificationUndelivered(f"the webhook failed {WEBHOOK_ATTEMPTS} times") from None
            sleep(WEBHOOK_BACKOFF_S[attempt - 1])
        except PermanentDestinationError as error:
            logger.warning("notification webhook refused", extra={"error_class": type(error).__name__})
            raise NotificationUndelivered("the webhook refused the notification") from None


def _email(payload: Mapping[str, Any], emails: list[str], sns: Any) -> None:
    sns = sns or aws_client("sns")
    data = payload["data"]
    subject = f"Publisher: {payload['event']}"
    lines = [f"{payload['event']} on site {payload['site_id']} at {payload['occurred_at']}", ""]
    lines += [f"{key}: {value}" for key, value in data.items() if value not in (None, "", [], {})]
    sns.publish(
        TopicArn=ready_store().notification_topic_arn,
        Subject=subject[:100],
        Message="\n".join(lines),
        MessageAttributes={
            RECIPIENTS: {"DataType": "String.Array", "StringValue": json.dumps(emails)},
            "event": {"DataType": "String", "StringValue": payload["event"]},
        },
    )
