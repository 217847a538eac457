"""Webflow adapter: articles become live CMS items through the Data API v2.

Config `{"site_id", "collection_id", "field_map", "rate_limit_per_minute"?, "item_url_base"?,
"api_base_url"?, "allow_insecure_http"?}`, credentials `{"api_token"}` (a site API token with
CMS read and write scopes), sent as `Authorization: Bearer`.

How the API is used (developers.webflow.com, Data API v2 reference):

- create: `POST /collections/{id}/items/live` with `isDraft: false` publishes at once (202).
- update: `PATCH /collections/{id}/items/{item_id}/live`. Webflow answers 409 `conflict` for
  an item that is not live (never published, or unpublished by `retract`); such an item is
  updated staged (`PATCH .../items/{item_id}`) and then published with
  `POST /collections/{id}/items/publish` — the one place two calls are needed.
- find_by_slug: `GET /collections/{id}/items?slug=` — the server-side exact slug filter
  answers in one call instead of paging through the collection; the staged list includes
  drafts, so a retracted item is found and republished rather than duplicated.
- retract: `DELETE /collections/{id}/items/{item_id}/live` unpublishes and sets isDraft.
- verify: `GET /collections/{id}`, also checking that every mapped field exists.
- Bulk endpoints (`items` arrays, up to 100) would only save calls when publishing several
  articles at once; the publish worker handles one (content, destination) per message, so
  every call here is a single-item call.

Rate limits are per API token: 60 requests a minute (Starter/Basic) or 120 (CMS, Business).
`rate_limit_per_minute` (default 60) sets a client-side limiter shared by every adapter
instance with the same token in this process, so we slow down before Webflow says 429. When
Webflow does answer 429, its Retry-After pauses the limiter and the error is retryable.

`field_map` maps our fields to the collection's field slugs: name and slug (always "name"
and "slug" in Webflow), body (Rich Text), summary (Plain Text) and image (Image, sent as a
URL that Webflow imports). Only mapped roles are sent (without a field_map, the blog
template's post-body, post-summary and main-image). Categories and tags are not sent:
Webflow models them as references to other collections. `item_url_base` (optional, e.g.
"https://example.com/blog") gives records a public URL: `<item_url_base>/<slug>`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from publisher.destinations.base import (
    Article,
    Destination,
    DestinationError,
    PermanentDestinationError,
    RemotePost,
    RetryableDestinationError,
    Verification,
)
from publisher.destinations.http import parse_retry_after, raise_for_status

API_BASE_URL = "https://api.webflow.com/v2"
DEFAULT_RATE_PER_MINUTE = 60
DEFAULT_FIELD_MAP: Mapping[str, str] = {
    "name": "name",
    "slug": "slug",
    "body": "post-body",
    "summary": "post-summary",
    "image": "main-image",
}
MAX_LIMITER_WAIT_S = 5.0  # longer waits go back to the queue instead of holding the Lambda


class RateLimiter:
    """At most `per_minute` requests in any 60-second window (a sliding-window log).

    `acquire()` waits when the window is full, but only up to `max_wait`: a longer wait
    raises RetryableDestinationError so the message returns to the queue with a delay.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_LIMITER_WAIT_S,
    ) -> None:
        self.per_minute = max(1, int(per_minute))
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - 60:
                    self._sent.popleft()
                wait = self._paused_until - now
                if len(self._sent) >= self.per_minute:
                    wait = max(wait, self._sent[0] + 60 - now)
                if wait <= 0:
                    self._sent.append(now)
                    return
            if wait > self._max_wait:
                raise RetryableDestinationError(
                    f"Webflow's rate limit for this token is used up; retry in {wait:.0f} s.",
                    retry_after=wait,
                )
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Webflow said 429: send nothing with this token for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


_limiters: dict[tuple[str, int], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(api_token: str, per_minute: int) -> RateLimiter:
    """The process-wide limiter of one token (keyed by its hash, never the token itself)."""
    key = (hashlib.sha256(api_token.encode()).hexdigest(), int(per_minute))
    with _limiters_lock:
        if key not in _limiters:
            _limiters[key] = RateLimiter(per_minute)
        return _limiters[key]


class WebflowDestination(Destination):
    """Publishes articles as live items of one Webflow CMS collection."""

    name: ClassVar[str] = "webflow"

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(config, credentials, session=session)
        self.api_base_url = str(self.config.get("api_base_url") or API_BASE_URL).rstrip("/")
        self.collection_id = str(self.config.get("collection_id") or "")
        self.field_map = {
            "name": "name",
            "slug": "slug",
            **dict(self.config.get("field_map") or DEFAULT_FIELD_MAP),
        }
        self._token = str(self.credentials.get("api_token") or "")
        rate = int(self.config.get("rate_limit_per_minute") or DEFAULT_RATE_PER_MINUTE)
        self.rate_limiter = rate_limiter or limiter_for(self._token, rate)

    # --- plumbing ---------------------------------------------------------------------------

    def _items_url(self, suffix: str = "") -> str:
        return f"{self.api_base_url}/collections/{quote(self.collection_id, safe='')}/items{suffix}"

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One rate-limited call; a 429 pauses every caller using this token."""
        if not self._token:
            raise PermanentDestinationError("The Webflow integration has no api_token.")
        if not self.collection_id:
            raise PermanentDestinationError("The Webflow integration has no collection_id configured.")
        self.rate_limiter.acquire()
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        response = self.session.request(method, url, headers=headers, **kwargs)
        if response.status_code == 429:
            self.rate_limiter.pause(parse_retry_after(response.headers.get("Retry-After")) or 60.0)
        return response

    def _call(self, method: str, url: str, *, action: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request(method, url, **kwargs)
        raise_for_status(response, action=action)
        return response.json() if response.content else {}

    # --- interface --------------------------------------------------------------------------

    def verify(self) -> Verification:
        """The token can read the collection, and every mapped field exists in it."""
        url = f"{self.api_base_url}/collections/{quote(self.collection_id, safe='')}"
        try:
            collection = self._call("GET", url, action="Reading the Webflow collection")
        except DestinationError as error:
            return Verification(ok=False, message=str(error))
        known = {str(field.get("slug")) for field in collection.get("fields") or []}
        missing = sorted(slug for slug in self._mapped_slugs() if slug not in known)
        name = collection.get("displayName") or self.collection_id
        details = {"collection": name, "fields": sorted(known)}
        if missing:
            return Verification(
                ok=False,
                message=f"The Webflow collection “{name}” has no field {', '.join(missing)}; "
                "fix the field_map.",
                details=details,
            )
        return Verification(
            ok=True, message=f"Connected to the Webflow collection “{name}”.", details=details
        )

    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        data = self._call(
            "GET", self._items_url(), params={"slug": slug}, action=f"Looking up the Webflow item “{slug}”"
        )
        for item in data.get("items") or []:
            if (item.get("fieldData") or {}).get("slug") == slug:
                return self._remote(item)
        return None

    def create(self, article: Article) -> RemotePost:
        item = self._call(
            "POST",
            self._items_url("/live"),
            json={"isArchived": False, "isDraft": False, "fieldData": self._field_data(article)},
            action="Creating the Webflow item",
        )
        return self._remote(item)

    def update(self, external_id: str, article: Article) -> RemotePost:
        """Live PATCH; an item that is not live (409) is updated staged and then published."""
        body = {"isArchived": False, "isDraft": False, "fieldData": self._field_data(article)}
        item_url = self._items_url(f"/{quote(external_id, safe='')}")
        response = self._request("PATCH", f"{item_url}/live", json=body)
        if response.status_code != 409:
            raise_for_status(response, action="Updating the Webflow item")
            return self._remote(response.json())
        item = self._call("PATCH", item_url, json=body, action="Updating the unpublished Webflow item")
        published = self._call(
            "POST",
            self._items_url("/publish"),
            json={"itemIds": [external_id]},
            action="Publishing the Webflow item",
        )
        if external_id not in (published.get("publishedItemIds") or []):
            reasons = "; ".join(str(e) for e in published.get("errors") or []) or "no reason given"
            raise PermanentDestinationError(f"Webflow did not publish the item: {reasons}.")
        return self._remote({**item, "isDraft": False})

    def retract(self, external_id: str) -> None:
        """Unpublish (Webflow keeps the item as a draft); an item already gone counts as done."""
        response = self._request("DELETE", self._items_url(f"/{quote(external_id, safe='')}/live"))
        if response.status_code == 404:
            return
        raise_for_status(response, action="Unpublishing the Webflow item")

    # --- helpers ----------------------------------------------------------------------------

    def _mapped_slugs(self) -> list[str]:
        return [str(slug) for slug in self.field_map.values() if slug]

    def _field_data(self, article: Article) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": article.title,
            "slug": article.slug,
            "body": article.html,
            "summary": article.excerpt,
            "image": {"url": article.featured_image_url, "alt": article.title}
            if article.featured_image_url
            else None,
        }
        return {
            str(self.field_map[role]): value for role, value in values.items() if self.field_map.get(role)
        }

    def _remote(self, item: Mapping[str, Any]) -> RemotePost:
        slug = (item.get("fieldData") or {}).get("slug")
        base = str(self.config.get("item_url_base") or "").rstrip("/")
        return RemotePost(
            external_id=str(item["id"]),
            external_url=f"{base}/{slug}" if base and slug else None,
            slug=slug,
            metadata={
                key: item.get(key)
                for key in ("isDraft", "isArchived", "lastPublished", "lastUpdated")
                if key in item
            },
        )
