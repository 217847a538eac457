"""Signed webhook: POST each publication event as JSON to a URL the site owner runs.

Config `{"url", "allow_insecure_http"?}`, credentials `{"signing_secret"}`.

Every request carries

- `X-Publisher-Event`: `publication.created`, `publication.updated`, `publication.retracted`
  or `ping` (sent by verify());
- `X-Publisher-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the
  scheme Stripe made familiar: the timestamp is signed with the body, so a receiver that
  checks it with `verify_signature` refuses altered bodies and replays older than 5 minutes;
- `Idempotency-Key: <content_id>:<content_hash>` for a publication; a retraction
  (`<external_id>:retracted:<ms>`) and the republish that restores a retracted post
  (`<content_id>:<content_hash>:restored:<ms>`) carry the time they were sent, in milliseconds
  (two retractions of one post within the same second are not rare in scripts): the same content
  may be retracted and restored again and again, and a receiver dropping repeated keys would
  otherwise drop every retraction and restore after the first (or a restore as a repeat of the
  update before the retraction). Receiving one of those twice changes nothing.

Exactly once: a webhook cannot be asked whether it has a post, so `find_by_slug` answers
None and `publish()` always posts. A redelivered message therefore posts again, with the
same Idempotency-Key, and the receiver drops it. The key includes the content hash rather
than the content id alone: a receiver following usual idempotency-key semantics would
otherwise drop every later update of the same content as a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, ClassVar

import requests

from publisher.destinations.base import (
    Article,
    Destination,
    DestinationError,
    PermanentDestinationError,
    RemotePost,
    Verification,
)
from publisher.destinations.http import raise_for_status

SIGNATURE_HEADER = "X-Publisher-Signature"
EVENT_HEADER = "X-Publisher-Event"
SIGNATURE_TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes | str,
    tolerance: int = SIGNATURE_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """For receivers: True when `header` signs exactly `body` and was made within `tolerance` s.

    Accepts several v1 values (a sender rotating secrets may send one per secret). A replay
    inside the tolerance window passes this check; receivers drop it by Idempotency-Key.
    """
    raw = body.encode() if isinstance(body, str) else body
    timestamp: int | None = None
    candidates: list[str] = []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, raw).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


class WebhookDestination(Destination):
    """Sends each publication event to the configured URL with an HMAC signature."""

    name: ClassVar[str] = "webhook"

    def verify(self) -> Verification:
        """A signed `ping` the receiver must accept with a 2xx."""
        try:
            self._post(
                "ping", {"event": "ping"}, idempotency_key=None, action="Sending a ping to the webhook"
            )
        except DestinationError as error:
            return Verification(ok=False, message=str(error))
        return Verification(ok=True, message="The webhook accepted a signed ping.")

    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        """Webhooks cannot be queried; the receiver dedupes by Idempotency-Key instead."""
        return None

    def create(self, article: Article) -> RemotePost:
        return self._send_article("publication.created", article)

    def update(self, external_id: str, article: Article) -> RemotePost:
        return self._send_article("publication.updated", article, external_id=external_id)

    def publish(
        self,
        article: Article,
        known_external_id: str | None = None,
        *,
        media: dict[str, Any] | None = None,
        retracted_external_id: str | None = None,
    ) -> RemotePost:
        """As every adapter; restoring a retracted post is an update under a key of its own."""
        if retracted_external_id and not known_external_id:
            return self._send_article(
                "publication.updated", article, external_id=retracted_external_id, restoring=True
            )
        return super().publish(article, known_external_id, media=media)

    def retract(self, external_id: str) -> None:
        payload = {"event": "publication.retracted", "external_id": external_id}
        self._post(
            "publication.retracted",
            payload,
            idempotency_key=f"{external_id}:retracted:{self._sent_ms()}",
            action="Sending the retraction to the webhook",
        )

    def send_event(self, event: str, payload: Mapping[str, Any], *, idempotency_key: str) -> None:
        """POST one signed notification (services/notifications.py): the same body encoding,
        signature and headers as the publication events."""
        self._post(event, payload, idempotency_key=idempotency_key, action="Sending the notification")

    # --- helpers ----------------------------------------------------------------------------

    def _send_article(
        self, event: str, article: Article, *, external_id: str | None = None, restoring: bool = False
    ) -> RemotePost:
        payload = {"event": event, "external_id": external_id, **asdict(article)}
        reply = self._post(
            event,
            payload,
            idempotency_key=f"{article.content_id}:{article.content_hash}"
            + (f":restored:{self._sent_ms()}" if restoring else ""),
            action="Sending the article to the webhook",
        )
        answer = _json_object(reply)
        remote_id = answer.get("id")
        remote_url = answer.get("url")
        return RemotePost(
            external_id=str(remote_id) if remote_id not in (None, "") else external_id or article.content_id,
            external_url=remote_url if isinstance(remote_url, str) else None,
            slug=article.slug,
            metadata={"event": event, "status_code": reply.status_code},
        )

    def _sent_ms(self) -> int:
        """The time of sending in milliseconds: what keeps one retraction's (or restore's) key
        apart from the next one of the same post."""
        return int(self._clock() * 1000)

    def _post(
        self, event: str, payload: Mapping[str, Any], *, idempotency_key: str | None, action: str
    ) -> requests.Response:
        url = self.config.get("url")
        if not url:
            raise PermanentDestinationError("The webhook integration has no url configured.")
        secret = self.credentials.get("signing_secret")
        if not secret:
            raise PermanentDestinationError("The webhook integration has no signing_secret.")
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            EVENT_HEADER: event,
            SIGNATURE_HEADER: sign(str(secret), int(self._clock()), body),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = self.session.post(str(url), data=body, headers=headers)
        raise_for_status(response, action=action)
        return response


def _json_object(response: requests.Response) -> dict[str, Any]:
    """The receiver's JSON object reply, or {} (receivers may answer with nothing at all)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
