"""A local Webflow Data API v2 server for adapter tests over real HTTP (127.0.0.1, free port).

It implements the endpoints the adapter uses, as the v2 reference describes them:

- `GET  /v2/collections/{id}`                      collection details with `fields`
- `GET  /v2/collections/{id}/items[?slug=&name=&offset=&limit=]`  staged items (drafts too)
- `GET  /v2/collections/{id}/items/live[?slug=...]` live items only
- `POST /v2/collections/{id}/items/live`            create and publish (202), single or `items`
- `PATCH /v2/collections/{id}/items/{item}/live`    update a live item; 409 `conflict` when
                                                    the item is not live
- `DELETE /v2/collections/{id}/items/{item}/live`   unpublish (204), item becomes a draft
- `PATCH /v2/collections/{id}/items/{item}`         update the staged item
- `POST /v2/collections/{id}/items/publish`         publish staged items (202)

Contract details kept: Bearer auth with the 401 `not_authorized` body; a per-token,
per-minute limit with 429 `too_many_requests`, `Retry-After` and the `X-RateLimit-Limit` /
`X-RateLimit-Remaining` headers; error bodies `{code, message, externalReference, details}`;
`validation_error` (400) for missing name/slug, fields not in the schema and a slug already
used in the collection ("Unique value is already in database"); `resource_not_found` (404).

Assumption where the reference is silent: unpublishing an item that is not live answers 404.
One simplification: an item has one set of field data; a staged PATCH of a live item changes
what the live list shows at once.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NOT_LIVE_MESSAGE = (
    "Conflict: Conflict with server data: "
    "Live PATCH updates can't be applied to items that have never been published"
)

BLOG_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("name", "PlainText", True),
    ("slug", "PlainText", True),
    ("post-body", "RichText", False),
    ("post-summary", "PlainText", False),
    ("main-image", "Image", False),
)


def _object_id() -> str:
    return secrets.token_hex(12)


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ApiError(Exception):
    """An error answer in Webflow's shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details or [], headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "externalReference": None,
            "details": self.details,
        }


def _not_found() -> ApiError:
    return ApiError(404, "resource_not_found", "Requested resource not found")


@dataclass
class Collection:
    id: str
    display_name: str
    slug: str
    fields: dict[str, tuple[str, bool]]  # field slug -> (type, required)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)

    def details(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "singularName": self.display_name.rstrip("s"),
            "slug": self.slug,
            "createdOn": "2024-01-01T00:00:00.000Z",
            "lastUpdated": "2024-01-01T00:00:00.000Z",
            "fields": [
                {
                    "id": f"f{index:023d}",
                    "isEditable": True,
                    "isRequired": required,
                    "type": kind,
                    "slug": slug,
                    "displayName": slug.replace("-", " ").title(),
                    "helpText": None,
                }
                for index, (slug, (kind, required)) in enumerate(self.fields.items())
            ],
        }


@dataclass
class RateWindow:
    start: float
    count: int = 0


class WebflowServer:
    """The fake-free Webflow: real HTTP, real status codes, state you can inspect."""

    def __init__(
        self,
        *,
        tokens: tuple[str, ...] = ("wf-test-token",),
        rate_limit_per_minute: int = 120,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens = set(tokens)
        self.rate_limit_per_minute = rate_limit_per_minute
        self.clock = clock
        self.collections: dict[str, Collection] = {}
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request
        self._windows: dict[str, RateWindow] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # --- test helpers ---------------------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v2"

    def add_collection(
        self, display_name: str = "Blog Posts", fields: tuple[tuple[str, str, bool], ...] = BLOG_FIELDS
    ) -> str:
        collection = Collection(
            id=_object_id(),
            display_name=display_name,
            slug=re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-"),
            fields={slug: (kind, required) for slug, kind, required in fields},
        )
        self.collections[collection.id] = collection
        return collection.id

    def item_by_slug(self, collection_id: str, slug: str) -> dict[str, Any] | None:
        for item in self.collections[collection_id].items.values():
            if item["fieldData"].get("slug") == slug:
                return item
        return None

    def is_live(self, collection_id: str, item_id: str) -> bool:
        return item_id in self.collections[collection_id].live

    def start(self) -> WebflowServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- request handling -----------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict, Any]:
        """Route one request; returns (status, extra headers, JSON body or None)."""
        parts = urlsplit(raw_path)
        self.calls.append((method, parts.path))
        extra: dict[str, str] = {}
        try:
            token = self._authenticate(headers.get("authorization", ""))
            extra = self._count(token)
            with self._lock:
                status, payload = self._route(method, parts.path, parse_qs(parts.query), body)
            return status, extra, payload
        except ApiError as error:
            return error.status, {**extra, **error.headers}, error.body()

    def _authenticate(self, authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            raise ApiError(401, "not_authorized", "Request not authorized")
        return token

    def _count(self, token: str) -> dict[str, str]:
        """Fixed one-minute windows per token, as Webflow counts requests per key."""
        with self._lock:
            now = self.clock()
            window = self._windows.get(token)
            if window is None or now - window.start >= 60:
                window = self._windows[token] = RateWindow(start=now)
            if window.count >= self.rate_limit_per_minute:
                retry_after = max(1, math.ceil(window.start + 60 - now))
                raise ApiError(
                    429,
                    "too_many_requests",
                    "Too many requests",
                    headers={
                        "Retry-After": str(retry_after),
                        "X-RateLimit-Limit": str(self.rate_limit_per_minute),
                        "X-RateLimit-Remaining": "0",
                    },
                )
            window.count += 1
            return {
                "X-RateLimit-Limit": str(self.rate_limit_per_minute),
                "X-RateLimit-Remaining": str(self.rate_limit_per_minute - window.count),
            }

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        match = re.fullmatch(r"/v2/collections/([^/]+)(/items(?:/([^/]+))?(/live)?)?", path)
        if not match:
            raise _not_found()
        collection = self.collections.get(match.group(1))
        if collection is None:
            raise _not_found()
        items_part, segment, live = match.group(2), match.group(3), match.group(4)
        if items_part is None:
            return self._only(method, "GET", lambda: (200, collection.details()))
        if segment is None and not live:
            return self._only(method, "GET", lambda: (200, self._list(collection, query, live_only=False)))
        if segment == "live" and not live:  # /items/live
            if method == "GET":
                return 200, self._list(collection, query, live_only=True)
            return self._only(method, "POST", lambda: self._create_live(collection, _json(body)))
        if segment == "publish" and not live:
            return self._only(method, "POST", lambda: self._publish(collection, _json(body)))
        item = collection.items.get(segment or "")
        if item is None:
            raise _not_found()
        if live and method == "PATCH":
            if item["id"] not in collection.live:
                raise ApiError(409, "conflict", NOT_LIVE_MESSAGE)
            return 200, self._patch(collection, item, _json(body))
        if live and method == "DELETE":
            if item["id"] not in collection.live:
                raise _not_found()
            collection.live.discard(item["id"])
            item["isDraft"] = True
            return 204, None
        if not live and method == "PATCH":
            return 200, self._patch(collection, item, _json(body))
        if not live and method == "GET":
            return 200, item
        raise _not_found()

    @staticmethod
    def _only(method: str, allowed: str, answer: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
        if method != allowed:
            raise _not_found()
        return answer()

    def _list(
        self, collection: Collection, query: dict[str, list[str]], *, live_only: bool
    ) -> dict[str, Any]:
        items = [i for i in collection.items.values() if not live_only or i["id"] in collection.live]
        for name in ("slug", "name"):
            if name in query:
                items = [i for i in items if i["fieldData"].get(name) == query[name][0]]
        offset = int(query.get("offset", ["0"])[0])
        limit = min(100, int(query.get("limit", ["100"])[0]))
        page = items[offset : offset + limit]
        return {"items": page, "pagination": {"limit": limit, "offset": offset, "total": len(items)}}

    def _create_live(self, collection: Collection, payload: dict[str, Any]) -> tuple[int, Any]:
        if "fieldData" in payload and "items" in payload:
            raise ApiError(400, "bad_request", "Bad Request: Request is malformed")
        entries = payload.get("items", [payload])
        created = []
        for entry in entries:
            field_data = self._validated(collection, entry.get("fieldData"), item_id=None, creating=True)
            now = _now_iso()
            item = {
                "id": _object_id(),
                "cmsLocaleId": None,
                "lastPublished": now,
                "lastUpdated": now,
                "createdOn": now,
                "isArchived": bool(entry.get("isArchived", False)),
                "isDraft": False,
                "fieldData": field_data,
            }
            collection.items[item["id"]] = item
            collection.live.add(item["id"])
            created.append(item)
        return 202, ({"items": created} if "items" in payload else created[0])

    def _patch(self, collection: Collection, item: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        field_data = self._validated(
            collection, payload.get("fieldData") or {}, item_id=item["id"], creating=False
        )
        item["fieldData"].update(field_data)
        for flag in ("isDraft", "isArchived"):
            if flag in payload:
                item[flag] = bool(payload[flag])
        item["lastUpdated"] = _now_iso()
        if item["id"] in collection.live:
            item["lastPublished"] = item["lastUpdated"]
        return item

    def _publish(self, collection: Collection, payload: dict[str, Any]) -> tuple[int, Any]:
        published, errors = [], []
        for item_id in payload.get("itemIds") or []:
            item = collection.items.get(item_id)
            if item is None:
                errors.append(f"Staging item ID {item_id} not found.")
                continue
            collection.live.add(item_id)
            item.update(isDraft=False, lastPublished=_now_iso())
            published.append(item_id)
        return 202, {"publishedItemIds": published, "errors": errors}

    def _validated(
        self, collection: Collection, field_data: Any, *, item_id: str | None, creating: bool
    ) -> dict[str, Any]:
        if not isinstance(field_data, dict):
            raise ApiError(400, "bad_request", "Bad Request: Request is malformed")
        problems = [
            {"param": slug, "description": "Field not described in schema"}
            for slug in field_data
            if slug not in collection.fields
        ]
        if creating:
            problems += [
                {"param": slug, "description": "Field is required"}
                for slug, (_, required) in collection.fields.items()
                if required and not field_data.get(slug)
            ]
        slug = field_data.get("slug")
        if slug is not None and not SLUG_RE.match(str(slug)):
            problems.append(
                {"param": "slug", "description": "Slug must be lowercase letters, digits and hyphens"}
            )
        elif slug is not None and any(
            other["fieldData"].get("slug") == slug and other["id"] != item_id
            for other in collection.items.values()
        ):
            problems.append(
                {"param": "slug", "description": f"Unique value is already in database: '{slug}'"}
            )
        if problems:
            raise ApiError(400, "validation_error", "Validation Error", problems)
        return {key: self._stored(collection, key, value) for key, value in field_data.items()}

    @staticmethod
    def _stored(collection: Collection, key: str, value: Any) -> Any:
        """Images are imported from the given URL and answered as Webflow file references."""
        if collection.fields[key][0] == "Image" and isinstance(value, dict) and value.get("url"):
            file_id = _object_id()
            name = str(value["url"]).rsplit("/", 1)[-1].split("?", 1)[0] or "image"
            return {
                "fileId": file_id,
                "url": f"https://cdn.example-webflow.test/{file_id}_{name}",
                "alt": value.get("alt"),
            }
        return value

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, payload = server.handle(self.command, self.path, headers, body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                if payload is not None:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read `calls` and the state instead."""

        return Handler


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "bad_request", "Bad Request: Request is malformed") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Bad Request: Request is malformed")
    return data


@contextmanager
def webflow_server(**kwargs: Any) -> Iterator[WebflowServer]:
    """Run a WebflowServer for the duration of a `with` block."""
    server = WebflowServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()
