"""The console: one page, its scripts and FullCalendar's prebuilt bundles, served by this function.

The routes are public because the files hold no data: the page calls the API with the token the
user pastes. Only the files listed in the asset table are served, so a request path can never
reach anything else on disk (no directory traversal by construction).

Each file is also gzipped once per cold start; a client that accepts gzip gets that copy
(base64 in the proxy reply, which API Gateway turns back into bytes where the API's
BinaryMediaTypes match; `CONSOLE_GZIP=0` serves plain text only). The two copies have their own
ETags and every reply says `Vary: Accept-Encoding`, so no cache hands one to the wrong client.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()

ROOT = Path(__file__).resolve().parent
FULLCALENDAR_PACKAGES = ("core", "daygrid", "timegrid", "list", "interaction")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    # FullCalendar injects its stylesheet and positions events with style attributes.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str
    gzipped: bytes | None = None  # None when gzip would not make it smaller

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gz"'


def vendor_sources(root: Path = ROOT) -> dict[str, Path]:
    """URL path → FullCalendar's global bundle installed by `npm ci` (same layout in the build)."""
    modules = root / "node_modules" / "@fullcalendar"
    return {
        f"vendor/fullcalendar-{name}.js": modules / name / "index.global.min.js"
        for name in FULLCALENDAR_PACKAGES
    }


def load_assets(root: Path = ROOT) -> dict[str, Asset]:
    """Every servable file by its path under /console/, read once per cold start."""
    sources = {path.relative_to(root / "static").as_posix(): path for path in (root / "static").rglob("*")}
    sources.update(vendor_sources(root))
    assets = {}
    for name, path in sources.items():
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            if name.startswith("vendor/"):
                logger.error("FullCalendar bundle missing; run `make console`", extra={"asset": name})
            continue
        body = path.read_text(encoding="utf-8")
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        packed = gzip.compress(body.encode(), compresslevel=9, mtime=0)
        assets[name] = Asset(body, content_type, etag, packed if len(packed) < len(body.encode()) else None)
    return assets


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (by name or `*`, with a q-value above 0)."""
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() not in {"gzip", "*"}:
            continue
        quality = params.strip().removeprefix("q=")
        try:
            return not params.strip() or float(quality) > 0
        except ValueError:
            return False
    return False


@cache
def assets() -> dict[str, Asset]:
    return load_assets()


def _reply(status: int, headers: dict[str, str], body: str = "") -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, **headers},
        "body": body,
        "isBase64Encoded": False,
    }


def serve(event: dict[str, Any], table: dict[str, Asset]) -> dict[str, Any]:
    """The reply to one API Gateway (REST, proxy) GET of /console or /console/{proxy+}."""
    proxy = (event.get("pathParameters") or {}).get("proxy")
    if proxy is None and not (event.get("path") or "").endswith("/"):
        # Relative, so it also works under a stage prefix (/dev/console → /dev/console/).
        return _reply(302, {"Location": "console/", "Cache-Control": "no-cache"})
    asset = table.get(proxy or "index.html")
    if asset is None:
        return _reply(
            404, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache"}, "not found"
        )
    request_headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    packed = (
        asset.gzipped is not None
        and os.environ.get("CONSOLE_GZIP", "1") != "0"
        and accepts_gzip(request_headers.get("accept-encoding") or "")
    )
    # Revalidate every time: the ETag makes that a 304 until a deployment changes the file.
    headers = {
        "Content-Type": asset.content_type,
        "Cache-Control": "no-cache",
        "ETag": asset.gzip_etag if packed else asset.etag,
        "Vary": "Accept-Encoding",
    }
    # Either copy's ETag validates: both stand for the same file.
    if any(tag in (request_headers.get("if-none-match") or "") for tag in (asset.etag, asset.gzip_etag)):
        return _reply(304, headers)
    if packed:
        reply = _reply(200, {**headers, "Content-Encoding": "gzip"}, base64.b64encode(asset.gzipped).decode())
        return {**reply, "isBase64Encoded": True}
    return _reply(200, headers, asset.body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return serve(event, assets())
