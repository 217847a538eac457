"""WordPress adapter: posts, pages and custom post types through the REST API v2.

Config `{"base_url", "post_type": "post", "publish_status": "publish", "allow_insecure_http"?,
"rest_route_style"?: "pretty" | "query"}`, credentials `{"username", "application_password"}`
(an Application Password, sent with HTTP Basic auth on every request, never on the session so
image downloads through the same session cannot carry it).

How WordPress is used, and why:

- Routes are reached as `<base_url>/wp-json/<route>` or, on sites with plain permalinks or no
  rewrites, `<base_url>/?rest_route=/<route>`. Unless the config names the style, the first
  request tries /wp-json/ and falls back to ?rest_route= when the answer is not JSON.
- The REST base of a post type comes from `/wp/v2/types` (fetched once per adapter). An
  article's content type picks the type; the generic "post" maps to `config.post_type`, so a
  site can receive its posts as a custom post type.
- Images (featured and inline `<img>`) are copied into the media library with a slug derived
  from the source URL. Looking that slug up first makes a retried or repeated publish reuse the
  upload instead of filling the library with copies; one publish fetches each URL once.
- Categories and tags are looked up by name or slug and created when missing; a 400
  `term_exists` (someone created it meanwhile, or the name differs only in entities) carries the
  existing id in `data.term_id`.
- Trashing renames a post's slug to `<slug>__trashed`, and `status=any` leaves trash out, so
  `find_by_slug` asks for both slugs with `status=any,trash`: a retracted post is restored by the
  next publish instead of duplicated. Retract moves the post to the trash (no force delete).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape, unescape
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from publisher.destinations.base import (
    Article,
    Destination,
    DestinationError,
    PermanentDestinationError,
    RemotePost,
    Verification,
)
from publisher.destinations.http import fetch_image, raise_for_status

ROUTE_STYLES = ("pretty", "query")
TRASHED_SUFFIX = "__trashed"
MEDIA_SLUG_PREFIX = "publisher-img-"
MEDIA_LOOKUP_BATCH = 50
TAXONOMIES = {"categories": "category", "tags": "post_tag"}  # REST base → taxonomy slug
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC_ATTR = re.compile(r"""(\ssrc\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


# --- pure helpers ---------------------------------------------------------------------------


def site_root(base_url: str) -> str:
    """The site's root URL from what users paste (`https://x/`, `.../wp-json/`, `.../wp-admin/`)."""
    parts = urlsplit((base_url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentDestinationError(
            "The WordPress base_url must be the site's absolute URL, like https://example.com."
        )
    path = parts.path.rstrip("/")
    for suffix in ("/wp-json", "/wp-admin", "/index.php"):
        path = path.removesuffix(suffix)
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


def rest_url(root: str, route: str, style: str, params: Mapping[str, Any] | None = None) -> str:
    """The URL of a REST route (`wp/v2/posts`) in the pretty (/wp-json/) or query (?rest_route=) form."""
    route = route.strip("/")
    query = dict(params or {})
    if style == "query":
        return f"{root}/?" + urlencode({"rest_route": f"/{route}", **query}, safe="/,")
    return f"{root}/wp-json/{route}" + (f"?{urlencode(query, safe='/,')}" if query else "")


def media_slug(source_url: str) -> str:
    """The deterministic media-library slug of an image copied from `source_url`."""
    return MEDIA_SLUG_PREFIX + hashlib.sha256(source_url.encode()).hexdigest()[:24]


def image_sources(html: str) -> list[str]:
    """The distinct `src` URLs of the `<img>` tags, in order of appearance (entities decoded)."""
    found: dict[str, None] = {}
    for tag in _IMG_TAG.findall(html):
        match = _SRC_ATTR.search(tag)
        if match:
            found[unescape(match.group(2) if match.group(2) is not None else match.group(3))] = None
    return [url for url in found if url]


def rewrite_image_sources(html: str, new_urls: Mapping[str, str]) -> str:
    """Point every `<img src>` found in `new_urls` (keys as `image_sources` returns them) at its copy."""

    def rewrite_tag(tag: re.Match[str]) -> str:
        def rewrite_src(src: re.Match[str]) -> str:
            old = unescape(src.group(2) if src.group(2) is not None else src.group(3))
            if old not in new_urls:
                return src.group(0)
            return f'{src.group(1)}"{escape(new_urls[old], quote=True)}"'

        return _SRC_ATTR.sub(rewrite_src, tag.group(0), count=1)

    return _IMG_TAG.sub(rewrite_tag, html)


def matching_term_id(terms: Iterable[Mapping[str, Any]], wanted: str) -> int | None:
    """The id of the term whose name (WordPress returns it HTML-escaped) or slug is `wanted`."""
    key = wanted.strip().casefold()
    for term in terms:
        if unescape(str(term.get("name", ""))).strip().casefold() == key or term.get("slug") == key:
            return int(term["id"])
    return None


def pick_by_slug(posts: Iterable[Mapping[str, Any]], slug: str) -> Mapping[str, Any] | None:
    """The post to reuse for `slug`: a live one before a trashed one (whose slug got a suffix)."""
    candidates = [p for p in posts if p.get("slug") in (slug, f"{slug}{TRASHED_SUFFIX}")]
    candidates.sort(key=lambda p: (p.get("status") == "trash", p.get("slug") != slug, p.get("id", 0)))
    return candidates[0] if candidates else None


def wordpress_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of a WordPress error body `{"code", "message", "data"}`; ("", "") otherwise."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("code") or ""), unescape(str(body.get("message") or ""))


def is_foreign_image(url: str, site_host: str) -> bool:
    """An inline image worth copying: an http(s) URL not already served by this site."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc.lower() != site_host.lower()


@dataclass(frozen=True)
class PostType:
    """A REST-enabled WordPress post type."""

    slug: str
    route: str  # e.g. "wp/v2/posts", "wp/v2/books"
    taxonomies: frozenset[str]


def post_types_from(types: Mapping[str, Any]) -> dict[str, PostType]:
    """Post types keyed by slug, from the `/wp/v2/types` answer."""
    found: dict[str, PostType] = {}
    for slug, info in types.items():
        if not isinstance(info, dict) or not info.get("rest_base"):
            continue
        namespace = info.get("rest_namespace") or "wp/v2"  # the field exists since WordPress 5.9
        found[slug] = PostType(
            slug, f"{namespace}/{info['rest_base']}", frozenset(info.get("taxonomies") or ())
        )
    return found


def resolve_post_type(types: Mapping[str, PostType], content_type: str, configured: str) -> PostType:
    """The post type for an article's content type; the generic "post" means `configured`.

    A type's REST base is accepted too ("books" for "book"), as users see it in URLs.
    """
    wanted = configured if content_type == "post" else content_type
    if wanted in types:
        return types[wanted]
    for post_type in types.values():
        if post_type.route.rsplit("/", 1)[-1] == wanted:
            return post_type
    known = ", ".join(sorted(slug for slug, t in types.items() if _is_content_type(t)))
    raise PermanentDestinationError(
        f"This WordPress site has no post type '{wanted}' in its REST API (it has: {known})."
    )


@dataclass(frozen=True)
class Media:
    """An image in the site's media library."""

    id: int
    url: str


# --- adapter --------------------------------------------------------------------------------


class WordPressDestination(Destination):
    """Publishes articles to a WordPress site with an Application Password."""

    name: ClassVar[str] = "wordpress"

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
    ) -> None:
        super().__init__(config, credentials, session=session)
        self._style: str | None = self.config.get("rest_route_style") or None
        self._types: dict[str, PostType] | None = None
        self._term_ids: dict[tuple[str, str], int] = {}

    # -- Destination ---------------------------------------------------------------------

    def verify(self) -> Verification:
        """Who the application password belongs to, and whether that user may publish."""
        username = str(self.credentials.get("username") or "")
        try:
            response = self._request("GET", "wp/v2/users/me", params={"context": "edit"})
            if response.status_code in (401, 403):
                code, message = wordpress_error(response)
                said = f" ({code}: {message.rstrip('.')})" if code else ""
                return Verification(
                    False,
                    f"WordPress rejected the application password for user '{username}'{said}. "
                    "Check the username and create a new application password under Users → Profile.",
                    {"status": response.status_code, "code": code},
                )
            me = self._json(response, "Checking the WordPress user")
        except DestinationError as error:
            return Verification(False, str(error))
        name = str(me.get("name") or username)
        roles = [str(role) for role in me.get("roles") or ()]
        details = {"user_id": me.get("id"), "roles": roles, "rest_route_style": self._style}
        capabilities = me.get("capabilities") or {}
        if self._publish_status() == "publish" and not capabilities.get("publish_posts"):
            return Verification(
                False,
                f"Connected as {name}, but this user may not publish posts; "
                "give them the Author, Editor or Administrator role.",
                details,
            )
        role_text = f" ({', '.join(roles)})" if roles else ""
        return Verification(True, f"Connected as {name}{role_text} to {self._root()}.", details)

    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        """The post with this slug in any status, trash included (as `<slug>__trashed`)."""
        post_type = self._post_type(content_type)
        posts = self._call(
            "GET",
            post_type.route,
            action="Looking up the post by slug",
            params={"slug": f"{slug},{slug}{TRASHED_SUFFIX}", "status": "any,trash", "context": "edit"},
        )
        found = pick_by_slug(posts if isinstance(posts, list) else [], slug)
        return _remote_post(found) if found else None

    def create(self, article: Article) -> RemotePost:
        post_type = self._post_type(article.content_type)
        body = self._post_body(article, post_type)
        return _remote_post(self._call("POST", post_type.route, action="Creating the post", json=body))

    def update(self, external_id: str, article: Article) -> RemotePost:
        """Overwrite the post and publish it; this also restores a trashed post under its slug."""
        post_type = self._post_type(article.content_type)
        body = self._post_body(article, post_type)
        route = f"{post_type.route}/{_post_id(external_id)}"
        return _remote_post(self._call("POST", route, action="Updating the post", json=body))

    def retract(self, external_id: str) -> None:
        """Move the post to the trash; already trashed or deleted counts as done.

        Post ids are unique across post types but the route needs the type, which a bare id
        does not carry: try the configured type, then pages, then the other content types.
        """
        post_id = _post_id(external_id)
        for post_type in self._retract_candidates():
            response = self._request("DELETE", f"{post_type.route}/{post_id}")
            code, _ = wordpress_error(response)
            if response.status_code == 404 and code == "rest_post_invalid_id":
                continue  # not this type (or deleted for good): try the next one
            if response.status_code == 410 and code == "rest_already_trashed":
                return
            self._json(response, "Moving the post to the trash")
            return

    def upload_media(self, url: str) -> str:
        return self._import_images([url])[url].url

    def ensure_terms(self, taxonomy: str, names: tuple[str, ...]) -> list[Any]:
        """Term ids for the names in `categories` or `tags`, creating the missing terms."""
        if taxonomy not in TAXONOMIES:
            raise PermanentDestinationError(f"WordPress taxonomy '{taxonomy}' is not supported.")
        ids: list[int] = []
        for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
            key = (taxonomy, name.casefold())
            if key not in self._term_ids:
                self._term_ids[key] = self._find_or_create_term(taxonomy, name)
            if self._term_ids[key] not in ids:
                ids.append(self._term_ids[key])
        return ids

    # -- building a post -----------------------------------------------------------------

    def _post_body(self, article: Article, post_type: PostType) -> dict[str, Any]:
        """The REST body for a create or an update: images copied, terms resolved."""
        root_host = urlsplit(self._root()).netloc
        inline = [url for url in image_sources(article.html) if is_foreign_image(url, root_host)]
        featured = article.featured_image_url
        media = self._import_images([*inline, *([featured] if featured else [])])
        body: dict[str, Any] = {
            "slug": article.slug,
            "title": article.title,
            "content": rewrite_image_sources(article.html, {url: media[url].url for url in inline}),
            "excerpt": article.excerpt,
            "status": self._publish_status(),
            "featured_media": media[featured].id if featured else 0,
        }
        for rest_base, taxonomy in TAXONOMIES.items():
            if taxonomy in post_type.taxonomies:
                body[rest_base] = self.ensure_terms(rest_base, getattr(article, rest_base))
        return body

    def _import_images(self, urls: Iterable[str]) -> dict[str, Media]:
        """Each image URL's copy in the media library: known from an earlier publication of the
        content (`self.media`), else found by its slug, else uploaded once."""
        urls = list(dict.fromkeys(urls))
        known = {url: _known_media(self.media.get(url)) for url in urls}
        wanted = {url: media_slug(url) for url in urls if known[url] is None}
        by_slug: dict[str, Media] = {}
        slugs = list(dict.fromkeys(wanted.values()))
        for start in range(0, len(slugs), MEDIA_LOOKUP_BATCH):
            batch = slugs[start : start + MEDIA_LOOKUP_BATCH]
            found = self._call(
                "GET",
                "wp/v2/media",
                action="Looking up images in the media library",
                params={"slug": ",".join(batch), "per_page": len(batch), "_fields": "id,slug,source_url"},
            )
            for item in found if isinstance(found, list) else []:
                by_slug[item["slug"]] = Media(int(item["id"]), str(item["source_url"]))
        for url, slug in wanted.items():
            if slug not in by_slug:
                by_slug[slug] = self._upload_image(url, slug)
        found = {url: known[url] or by_slug[wanted[url]] for url in urls}
        for url, media in found.items():
            self.media[url] = {"id": media.id, "url": media.url}
        return found

    def _upload_image(self, url: str, slug: str) -> Media:
        body, content_type, filename = fetch_image(self.session, url)
        headers = {"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{filename}"'}
        item = self._call(
            "POST",
            "wp/v2/media",
            action="Uploading an image",
            params={"slug": slug},
            data=body,
            headers=headers,
        )
        return Media(int(item["id"]), str(item["source_url"]))

    def _find_or_create_term(self, taxonomy: str, name: str) -> int:
        found = self._call(
            "GET",
            f"wp/v2/{taxonomy}",
            action=f"Looking up the term '{name}' in {taxonomy}",
            params={"search": name, "per_page": 100, "_fields": "id,name,slug"},
        )
        term_id = matching_term_id(found if isinstance(found, list) else [], name)
        if term_id is not None:
            return term_id
        response = self._request("POST", f"wp/v2/{taxonomy}", json={"name": name})
        if response.status_code == 400 and wordpress_error(response)[0] == "term_exists":
            return int(response.json()["data"]["term_id"])
        return int(self._json(response, f"Creating the term '{name}' in {taxonomy}")["id"])

    # -- types -----------------------------------------------------------------------------

    def _post_types(self) -> dict[str, PostType]:
        if self._types is None and self._style is None:
            self._style = self._detect_style(self._root(), self._auth())  # the probe keeps the types
        if self._types is None:
            self._types = post_types_from(self._call("GET", "wp/v2/types", action="Listing the post types"))
        return self._types

    def _post_type(self, content_type: str) -> PostType:
        return resolve_post_type(self._post_types(), content_type, self.config.get("post_type") or "post")

    def _retract_candidates(self) -> list[PostType]:
        types = self._post_types()
        first = [self._post_type("post"), *([types["page"]] if "page" in types else [])]
        rest = [t for t in types.values() if t not in first and _is_content_type(t)]
        return [*dict.fromkeys(first), *rest]

    # -- HTTP ------------------------------------------------------------------------------

    def _root(self) -> str:
        return site_root(str(self.config.get("base_url") or ""))

    def _publish_status(self) -> str:
        return str(self.config.get("publish_status") or "publish")

    def _auth(self) -> tuple[str, str]:
        username = str(self.credentials.get("username") or "").strip()
        password = str(self.credentials.get("application_password") or "").strip()
        if not username or not password:
            raise PermanentDestinationError("WordPress needs a username and an application password.")
        return username, password

    def _request(
        self, method: str, route: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> requests.Response:
        """One authenticated REST call; the answer is returned whatever its status, unless redirected."""
        root, auth = self._root(), self._auth()
        if self._style is None:
            self._style = self._detect_style(root, auth)
        if self._style not in ROUTE_STYLES:
            raise PermanentDestinationError("rest_route_style must be 'pretty' or 'query'.")
        response = self.session.request(
            method, rest_url(root, route, self._style, params), auth=auth, **kwargs
        )
        if response.history:  # a redirected POST arrives as a GET; better to fix base_url once
            moved = urlsplit(response.url)
            raise PermanentDestinationError(
                f"WordPress redirected the request to {moved.scheme}://{moved.netloc}{moved.path}; "
                "set base_url to the address the site answers at."
            )
        return response

    def _detect_style(self, root: str, auth: tuple[str, str]) -> str:
        """/wp-json/ when it answers with JSON, else ?rest_route= (plain permalinks).

        The probe asks for the post types, which nearly every call needs next, and keeps them.
        """
        for style in ROUTE_STYLES:
            response = self.session.get(rest_url(root, "wp/v2/types", style), auth=auth)
            if _is_json(response):
                if response.status_code == 200 and self._types is None:
                    self._types = post_types_from(response.json())
                return style
        host = urlsplit(root).hostname
        raise PermanentDestinationError(
            f"{host} did not answer like a WordPress REST API at /wp-json/ or ?rest_route=/; "
            "check base_url and that the REST API is enabled."
        )

    def _call(self, method: str, route: str, *, action: str, **kwargs: Any) -> Any:
        """A REST call whose failure raises the typed error; returns the JSON body."""
        return self._json(self._request(method, route, **kwargs), action)

    def _json(self, response: requests.Response, action: str) -> Any:
        """The body of a successful answer; typed error (with WordPress' code and message) otherwise."""
        if response.status_code >= 400:
            code, _ = wordpress_error(response)
            raise_for_status(response, action=f"{action} (WordPress {code})" if code else action)
        try:
            return response.json()
        except ValueError as error:
            host = urlsplit(response.url or "").hostname
            raise PermanentDestinationError(
                f"{action} failed: {host} did not answer with JSON; check base_url and rest_route_style."
            ) from error


def _remote_post(post: Mapping[str, Any]) -> RemotePost:
    return RemotePost(
        external_id=str(post["id"]),
        external_url=post.get("link"),
        slug=post.get("slug"),
        metadata={
            "type": post.get("type"),
            "status": post.get("status"),
            "featured_media": post.get("featured_media"),
        },
    )


def _known_media(value: Any) -> Media | None:
    """An entry of the media map as a Media, or None when it is not one of ours."""
    if isinstance(value, dict) and str(value.get("id", "")).isdigit() and isinstance(value.get("url"), str):
        return Media(int(value["id"]), value["url"])
    return None


def _post_id(external_id: str) -> int:
    if not str(external_id).strip().isdigit():
        raise PermanentDestinationError(f"'{external_id}' is not a WordPress post id.")
    return int(external_id)


def _is_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def _is_content_type(post_type: PostType) -> bool:
    """Types an article can be (not media, menus, templates or reusable blocks)."""
    return post_type.slug not in ("attachment", "nav_menu_item") and not post_type.slug.startswith("wp_")
