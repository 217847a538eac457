"""Ghost adapter: posts and pages through the Ghost Admin API (Ghost 5).

Config `{"admin_url", "allow_insecure_http"?}`, credentials `{"admin_api_key": "<id>:<hex secret>"}`
(a custom integration's Admin API key).

How Ghost is used, and why:

- Every request carries `Authorization: Ghost <jwt>`: an HS256 token signed with the hex-decoded
  secret, `kid` = key id, `aud` = "/admin/", valid 5 minutes (Ghost's maximum). One token is
  reused until a minute before it expires.
- Content is sent as HTML with `?source=html`; Ghost converts it to its own editor format.
- Categories and tags both become Ghost tags (Ghost has one taxonomy); Ghost finds tags by
  name and creates the missing ones, so no separate term calls are needed.
- The featured image and every inline `<img>` are copied into Ghost's image store
  (`POST /images/upload/`) and the post points at the copies. Images already in this Ghost's
  `/content/images/` are left alone, so an update does not upload them again.
- An edit must carry the post's current `updated_at` (Ghost's collision check). We read it
  right before the PUT; if someone edits in between, Ghost answers 409 UPDATE_COLLISION and
  we read again and retry (three attempts in all). Ghost only checks when a field changes.
- Retracting makes the post a draft again; the admin API finds drafts by slug, so a later
  publish updates that draft instead of creating a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape, unescape
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import jwt
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
from publisher.destinations.http import fetch_image, raise_for_status

TOKEN_LIFETIME_S = 5 * 60
TOKEN_REFRESH_MARGIN_S = 60
UPDATE_ATTEMPTS = 3
CUSTOM_EXCERPT_MAX = 300  # Ghost refuses longer custom excerpts with a 422
ACCEPT_VERSION = "v5.0"
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def parse_admin_api_key(admin_api_key: str) -> tuple[str, bytes]:
    """Split `<id>:<hex secret>` into the key id and the signing key bytes."""
    key_id, _, secret = (admin_api_key or "").strip().partition(":")
    try:
        signing_key = bytes.fromhex(secret)
    except ValueError:
        signing_key = b""
    if not key_id or not signing_key:
        raise PermanentDestinationError(
            "The Ghost Admin API key must look like '<id>:<secret>' with a hexadecimal secret; "
            "copy it from Ghost Admin → Settings → Integrations."
        )
    return key_id, signing_key


def admin_token(admin_api_key: str, *, now: int) -> str:
    """A Ghost Admin API token issued at `now` (unix seconds), valid for 5 minutes."""
    key_id, signing_key = parse_admin_api_key(admin_api_key)
    claims = {"iat": now, "exp": now + TOKEN_LIFETIME_S, "aud": "/admin/"}
    return jwt.encode(claims, signing_key, algorithm="HS256", headers={"kid": key_id, "typ": "JWT"})


def admin_base_url(admin_url: str) -> str:
    """The site root from whatever form users paste: `https://x`, `.../ghost/`, `.../ghost/api/admin/`."""
    base = (admin_url or "").strip().rstrip("/")
    for suffix in ("/ghost/api/admin", "/ghost"):
        base = base.removesuffix(suffix)
    if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).hostname:
        raise PermanentDestinationError("The Ghost admin_url must be an absolute https:// URL of the site.")
    return base


def _resource(content_type: str) -> str:
    """Ghost's collection for an article: pages for "page", posts for everything else."""
    return "pages" if content_type == "page" else "posts"


def _ghost_error(response: requests.Response) -> dict[str, Any]:
    """The first entry of Ghost's `{"errors": [...]}` body, or {}."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        return {}
    return errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}


class GhostDestination(Destination):
    """Publishes articles as Ghost posts or pages with a custom integration's Admin API key."""

    name: ClassVar[str] = "ghost"
    _token = ""
    _token_expires_at = 0.0
    """The Admin API token in use and when it expires (minted again shortly before)."""

    # --- plumbing -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return admin_base_url(str(self.config.get("admin_url", "")))

    def _authorization(self) -> str:
        """`Ghost <jwt>`; a new token only when the cached one has under a minute left."""
        now = int(self._clock())
        if not self._token or now >= self._token_expires_at - TOKEN_REFRESH_MARGIN_S:
            self._token = admin_token(str(self.credentials.get("admin_api_key", "")), now=now)
            self._token_expires_at = now + TOKEN_LIFETIME_S
        return f"Ghost {self._token}"

    def _request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        headers = {"Accept-Version": ACCEPT_VERSION}
        if auth:
            headers["Authorization"] = self._authorization()
        return self.session.request(
            method, f"{self.base_url}/ghost/api/admin/{path}", headers=headers, **kwargs
        )

    def _call(self, method: str, path: str, *, action: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request(method, path, **kwargs)
        _raise_for_ghost(response, action=action)
        return response.json() if response.content else {}

    # --- interface ------------------------------------------------------------------------

    def verify(self) -> Verification:
        """The site answers as Ghost, then an authenticated read proves the key."""
        try:
            site = self._call("GET", "site/", auth=False, action="Reading the Ghost site")["site"]
            self._call(
                "GET",
                "posts/",
                params={"limit": 1, "fields": "id"},
                action="Checking the Ghost Admin API key",
            )
        except DestinationError as error:
            return Verification(ok=False, message=str(error))
        except (ValueError, KeyError, TypeError):
            return Verification(ok=False, message=f"{self.base_url} does not answer like a Ghost site.")
        details = {"title": site.get("title"), "version": site.get("version"), "url": site.get("url")}
        return Verification(
            ok=True,
            message=f"Connected to the Ghost site “{details['title']}” (Ghost {details['version']}).",
            details=details,
        )

    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        """The admin API reads drafts and scheduled posts by slug as well as published ones."""
        resource = _resource(content_type)
        response = self._request(
            "GET", f"{resource}/slug/{quote(slug, safe='')}/", params={"formats": "html"}
        )
        if _is_ghost_not_found(response):
            return None
        _raise_for_ghost(response, action=f"Looking up the Ghost {resource[:-1]} “{slug}”")
        return _remote(response.json()[resource][0], resource)

    def create(self, article: Article) -> RemotePost:
        resource = _resource(article.content_type)
        data = self._call(
            "POST",
            f"{resource}/",
            params={"source": "html"},
            json={resource: [{**self._fields(article), "status": "published"}]},
            action=f"Creating the Ghost {resource[:-1]}",
        )
        return _remote(data[resource][0], resource)

    def update(self, external_id: str, article: Article) -> RemotePost:
        resource = _resource(article.content_type)
        fields = {**self._fields(article), "status": "published"}
        return self._edit(resource, external_id, fields, action=f"Updating the Ghost {resource[:-1]}")

    def retract(self, external_id: str) -> None:
        """Back to draft. The id alone does not say post or page, so posts are tried first."""
        for resource in ("posts", "pages"):
            action = f"Retracting the Ghost {resource[:-1]}"
            try:
                self._edit(resource, external_id, {"status": "draft"}, action=action)
                return
            except _NotFoundError:
                continue
        # Deleted in Ghost already: nothing is published any more, which is what retract wants.

    def upload_media(self, url: str) -> str:
        """Copy an image into Ghost's image store; images already stored in this Ghost stay."""
        if url.startswith(f"{self.base_url}/content/images/"):
            return url
        body, content_type, filename = fetch_image(self.session, url)
        data = self._call(
            "POST",
            "images/upload/",
            files={"file": (filename, body, content_type)},
            data={"purpose": "image", "ref": url},
            action="Uploading an image to Ghost",
        )
        return data["images"][0]["url"]

    # --- helpers --------------------------------------------------------------------------

    def _fields(self, article: Article) -> dict[str, Any]:
        """The post body Ghost receives; uploads each distinct image once, and never one that
        an earlier publication of the content uploaded already (`self.media`)."""

        def copy(url: str) -> str:
            if not isinstance(self.media.get(url), str):
                self.media[url] = self.upload_media(url)
            return str(self.media[url])

        def rewrite(match: re.Match[str]) -> str:
            src = unescape(match.group(3))
            if urlsplit(src).scheme not in ("http", "https"):
                return match.group(0)
            return f"{match.group(1)}{match.group(2)}{escape(copy(src))}{match.group(2)}"

        names: dict[str, str] = {}  # casefolded → first spelling: one Ghost tag per name
        for name in (*article.categories, *article.tags):
            if name.strip():
                names.setdefault(name.strip().casefold(), name.strip())
        fields: dict[str, Any] = {
            "title": article.title,
            "slug": article.slug,
            "html": _IMG_SRC.sub(rewrite, article.html),
            "custom_excerpt": article.excerpt[:CUSTOM_EXCERPT_MAX] or None,
            "tags": [{"name": name} for name in names.values()],
            "feature_image": copy(article.featured_image_url) if article.featured_image_url else None,
        }
        if article.canonical_url:
            fields["canonical_url"] = article.canonical_url
        return fields

    def _edit(self, resource: str, external_id: str, fields: dict[str, Any], *, action: str) -> RemotePost:
        """PUT with the current `updated_at`; re-read and retry when someone edited in between.

        Still colliding after the last attempt means someone keeps editing: retryable, so the
        queue tries again later instead of failing the publication for good.
        """
        path = f"{resource}/{quote(external_id, safe='')}/"
        for _attempt in range(UPDATE_ATTEMPTS):
            current = self._request("GET", path, params={"fields": "id,updated_at"})
            if _is_ghost_not_found(current):
                raise _NotFoundError(f"{action} failed: Ghost has no {resource[:-1]} with id {external_id}.")
            _raise_for_ghost(current, action=action)
            response = self._request(
                "PUT",
                path,
                params={"source": "html"} if "html" in fields else None,
                json={resource: [{**fields, "updated_at": current.json()[resource][0]["updated_at"]}]},
            )
            if not _is_collision(response):
                _raise_for_ghost(response, action=action)
                return _remote(response.json()[resource][0], resource)
        raise RetryableDestinationError(
            f"{action} failed: someone kept editing the {resource[:-1]} in Ghost "
            f"({UPDATE_ATTEMPTS} attempts collided); it will be retried."
        )


class _NotFoundError(PermanentDestinationError):
    """The post id does not exist in this collection (internal: lets retract try pages)."""


def _is_collision(response: requests.Response) -> bool:
    return response.status_code == 409 and _ghost_error(response).get("code") == "UPDATE_COLLISION"


def _is_ghost_not_found(response: requests.Response) -> bool:
    """Ghost's own 404 for a missing post, not a 404 from a wrong admin_url."""
    return response.status_code == 404 and _ghost_error(response).get("type") == "NotFoundError"


def _raise_for_ghost(response: requests.Response, *, action: str) -> None:
    """raise_for_status, plus Ghost's error type (e.g. ValidationError) in the message."""
    try:
        raise_for_status(response, action=action)
    except RetryableDestinationError as error:
        raise RetryableDestinationError(_with_type(error, response), retry_after=error.retry_after) from None
    except PermanentDestinationError as error:
        raise PermanentDestinationError(_with_type(error, response)) from None


def _with_type(error: DestinationError, response: requests.Response) -> str:
    kind = _ghost_error(response).get("type")
    return f"{error} [Ghost {kind}]" if isinstance(kind, str) and kind else str(error)


def _remote(post: Mapping[str, Any], resource: str) -> RemotePost:
    return RemotePost(
        external_id=post["id"],
        external_url=post.get("url"),
        slug=post.get("slug"),
        metadata={
            "resource": resource,
            "status": post.get("status"),
            "updated_at": post.get("updated_at"),
            "feature_image": post.get("feature_image"),
            "tags": [tag.get("name") for tag in post.get("tags") or ()],
        },
    )
