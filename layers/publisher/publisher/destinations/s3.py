"""S3 static site: each article becomes `{prefix}{slug}/index.html` in a bucket.

Config `{"bucket", "prefix": "", "public_base_url"}`; no credentials (the function's role).
`public_base_url` is where `{prefix}` is served (a website endpoint or CloudFront), so a
page's public URL is `public_base_url/<slug>/`.

The index page `{prefix}index.html` lists the published pages, newest first. It is rendered
from a small manifest, `{prefix}_publisher/index.json`, rather than from ListObjects: one
GetObject instead of a listing plus a HeadObject per page for titles. Concurrent workers
update the manifest with S3 conditional writes (If-Match on its ETag, If-None-Match for the
first one) and retry on conflict, so no publication is lost; after writing the index a worker
checks that the manifest did not move on meanwhile and re-renders if it did.

Errors: throttling, 5xx and connection problems are retryable; a missing bucket, access
denied and other 4xx are permanent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from html import escape
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from publisher.aws import aws_client
from publisher.destinations.base import (
    Article,
    Destination,
    DestinationError,
    PermanentDestinationError,
    RemotePost,
    RetryableDestinationError,
    Verification,
)
from publisher.domain.transform import sanitize_html

HTML_TYPE = "text/html; charset=utf-8"
CACHE_CONTROL = "public, max-age=300"
MANIFEST_ATTEMPTS = 8
_RETRYABLE_CODES = frozenset(
    {
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "Throttling",
        "RequestLimitExceeded",
    }
)
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412", "409"})


class _ManifestConflict(Exception):
    """Another writer changed the manifest between our read and our conditional write."""


@contextmanager
def s3_errors(action: str, bucket: str) -> Iterator[None]:
    """Translate boto errors into the typed destination errors (one readable sentence)."""
    try:
        yield
    except ClientError as error:
        code = _error_code(error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _RETRYABLE_CODES or status >= 500:
            raise RetryableDestinationError(f"{action} failed: S3 is busy ({code or status}).") from error
        if code == "NoSuchBucket":
            raise PermanentDestinationError(
                f"{action} failed: the bucket {bucket} does not exist."
            ) from error
        if code in ("AccessDenied", "AllAccessDisabled", "403") or status == 403:
            raise PermanentDestinationError(
                f"{action} failed: the publisher's role may not use the bucket {bucket}."
            ) from error
        raise PermanentDestinationError(
            f"{action} failed: S3 refused the request ({code or status})."
        ) from error
    except (ConnectionError, HTTPClientError) as error:
        raise RetryableDestinationError(f"{action} failed: could not reach S3.") from error
    except BotoCoreError as error:
        raise PermanentDestinationError(f"{action} failed: {type(error).__name__}.") from error


def bucket_allowed(bucket: str, prefix: str) -> bool:
    """Whether this deployment may write to the bucket: the functions' role covers only buckets
    named with the STATIC_SITE_BUCKET_PREFIX, so any other would fail on AccessDenied anyway."""
    return bool(prefix) and bucket.startswith(prefix)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_not_found(error: ClientError) -> bool:
    return _error_code(error) in ("404", "NoSuchKey", "NotFound")


class S3Destination(Destination):
    """Publishes articles as static HTML pages in an S3 bucket, with an index page."""

    name: ClassVar[str] = "s3"
    uses_http: ClassVar[bool] = False

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
        s3_client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(config, credentials, session=session, clock=clock)
        self._s3 = s3_client
        self.bucket = str(self.config.get("bucket") or "")
        prefix = str(self.config.get("prefix") or "").strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.public_base_url = str(self.config.get("public_base_url") or "").rstrip("/")

    @property
    def s3(self) -> Any:
        """The S3 client: the one given, else the process's from the wiring point (built once per
        cold start; botocore honours AWS_ENDPOINT_URL, so moto locally and in tests)."""
        if self._s3 is None:
            self._s3 = aws_client("s3")
        return self._s3

    # --- keys and URLs ----------------------------------------------------------------------

    def page_key(self, slug: str) -> str:
        """`{prefix}{slug}/index.html`; a slug that would leave its folder (or name ours) is refused."""
        if not slug or slug in (".", "..") or slug[0] in "._" or any(c in slug for c in "/\\"):
            raise PermanentDestinationError(f"The slug {slug!r} cannot name a page of the S3 site.")
        return f"{self.prefix}{slug}/index.html"

    def page_url(self, slug: str) -> str:
        return f"{self.public_base_url}/{slug}/"

    @property
    def index_key(self) -> str:
        return f"{self.prefix}index.html"

    @property
    def manifest_key(self) -> str:
        return f"{self.prefix}_publisher/index.json"

    def _slug_of(self, key: str) -> str:
        """The slug of one of our page keys; anything else is refused (never delete other files)."""
        inner = key.removeprefix(self.prefix) if key.startswith(self.prefix) else ""
        slug = inner.removesuffix("/index.html") if inner.endswith("/index.html") else ""
        if not slug or "/" in slug or slug.startswith("_"):
            raise PermanentDestinationError(f"{key} is not a page this S3 integration published.")
        return slug

    # --- interface --------------------------------------------------------------------------

    def verify(self) -> Verification:
        """HeadBucket: the bucket exists and the function's role may use it."""
        if not self.bucket or not self.public_base_url:
            return Verification(ok=False, message="The S3 integration needs a bucket and a public_base_url.")
        try:
            with s3_errors("Checking the bucket", self.bucket):
                try:
                    self.s3.head_bucket(Bucket=self.bucket)
                except ClientError as error:
                    if _is_not_found(error):
                        raise PermanentDestinationError(
                            f"The bucket {self.bucket} does not exist."
                        ) from error
                    raise
        except DestinationError as error:
            return Verification(ok=False, message=str(error))
        return Verification(
            ok=True,
            message=f"The bucket {self.bucket} is reachable; pages go under {self.public_base_url}/.",
            details={"bucket": self.bucket, "prefix": self.prefix},
        )

    def find_by_slug(self, slug: str, content_type: str = "post") -> RemotePost | None:
        key = self.page_key(slug)
        with s3_errors("Looking up the page", self.bucket):
            try:
                head = self.s3.head_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if _is_not_found(error):
                    return None
                raise
        return RemotePost(
            external_id=key,
            external_url=self.page_url(slug),
            slug=slug,
            metadata={"content_hash": head.get("Metadata", {}).get("content-hash", "")},
        )

    def create(self, article: Article) -> RemotePost:
        return self._write(article, previous_key=None)

    def update(self, external_id: str, article: Article) -> RemotePost:
        """Rewrite the page; when the slug changed, the page moves and the old one is removed."""
        return self._write(article, previous_key=external_id)

    def retract(self, external_id: str) -> None:
        self._slug_of(external_id)
        if not self._wrote(external_id):
            raise PermanentDestinationError(f"{external_id} is not a page this S3 integration published.")
        with s3_errors("Deleting the page", self.bucket):
            self.s3.delete_object(Bucket=self.bucket, Key=external_id)
        self._update_index(lambda pages: pages.pop(external_id, None))

    # --- writing ----------------------------------------------------------------------------

    def _write(self, article: Article, *, previous_key: str | None) -> RemotePost:
        key = self.page_key(article.slug)
        url = self.page_url(article.slug)
        with s3_errors("Writing the page", self.bucket):
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=render_page(article, canonical_url=article.canonical_url or url).encode("utf-8"),
                ContentType=HTML_TYPE,
                CacheControl=CACHE_CONTROL,
                Metadata={"content-id": article.content_id, "content-hash": article.content_hash},
            )
        moved_from = previous_key if previous_key and previous_key != key else None
        if moved_from and not self._wrote(moved_from):
            moved_from = None  # not a page we wrote (e.g. named by a record made by POST): leave it
        if moved_from:
            self._slug_of(moved_from)
            with s3_errors("Removing the page's old address", self.bucket):
                self.s3.delete_object(Bucket=self.bucket, Key=moved_from)
        now = datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds")

        def record(pages: dict[str, Any]) -> None:
            earlier = pages.pop(moved_from, None) if moved_from else None
            first_published = (pages.get(key) or earlier or {}).get("published_at", now)
            pages[key] = {
                "slug": article.slug,
                "title": article.title,
                "excerpt": article.excerpt,
                "url": url,
                "content_id": article.content_id,
                "content_hash": article.content_hash,
                "published_at": first_published,
                "updated_at": now,
            }

        self._update_index(record)
        return RemotePost(
            external_id=key, external_url=url, slug=article.slug, metadata={"bucket": self.bucket}
        )

    def _wrote(self, key: str) -> bool:
        """Whether the key is one of our pages: only those in our manifest are ever deleted."""
        pages, _ = self._read_manifest()
        return key in pages

    def _update_index(self, change: Callable[[dict[str, Any]], Any]) -> None:
        """Apply `change` to the manifest with optimistic concurrency, then render the index."""
        for _ in range(MANIFEST_ATTEMPTS):
            pages, etag = self._read_manifest()
            change(pages)
            try:
                new_etag = self._write_manifest(pages, etag)
            except _ManifestConflict:
                continue
            self._render_index(pages, new_etag)
            return
        raise RetryableDestinationError("Updating the site index failed: too many concurrent changes.")

    def _read_manifest(self) -> tuple[dict[str, Any], str | None]:
        with s3_errors("Reading the site index", self.bucket):
            try:
                obj = self.s3.get_object(Bucket=self.bucket, Key=self.manifest_key)
            except ClientError as error:
                if _is_not_found(error):
                    return {}, None
                raise
        data = json.loads(obj["Body"].read() or b"{}")
        return dict(data.get("pages") or {}), obj["ETag"]

    def _write_manifest(self, pages: Mapping[str, Any], etag: str | None) -> str:
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        body = json.dumps({"version": 1, "pages": pages}, ensure_ascii=False, sort_keys=True, indent=1)
        with s3_errors("Writing the site index", self.bucket):
            try:
                written = self.s3.put_object(
                    Bucket=self.bucket,
                    Key=self.manifest_key,
                    Body=body.encode("utf-8"),
                    ContentType="application/json",
                    CacheControl="no-cache",
                    **condition,
                )
            except ClientError as error:
                if _error_code(error) in _CONFLICT_CODES:
                    raise _ManifestConflict from error
                raise
        return written["ETag"]

    def _render_index(self, pages: Mapping[str, Any], etag: str) -> None:
        """Write index.html; re-render while the manifest moved on under us (bounded)."""
        for _ in range(MANIFEST_ATTEMPTS):
            with s3_errors("Writing the index page", self.bucket):
                self.s3.put_object(
                    Bucket=self.bucket,
                    Key=self.index_key,
                    Body=render_index(pages).encode("utf-8"),
                    ContentType=HTML_TYPE,
                    CacheControl=CACHE_CONTROL,
                )
            latest, latest_etag = self._read_manifest()
            if latest_etag == etag:
                return
            pages, etag = latest, latest_etag or ""


# --- rendering ------------------------------------------------------------------------------


def render_page(article: Article, *, canonical_url: str) -> str:
    """A complete, self-contained HTML page; every value escaped, the body sanitised again."""
    image = (
        f'<img class="featured" src="{escape(article.featured_image_url)}" alt="">\n'
        if article.featured_image_url
        else ""
    )
    og_image = (
        f'<meta property="og:image" content="{escape(article.featured_image_url)}">\n'
        if article.featured_image_url
        else ""
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(article.title)}</title>\n"
        f'<meta name="description" content="{escape(article.excerpt)}">\n'
        f'<link rel="canonical" href="{escape(canonical_url)}">\n'
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f"{og_image}"
        "</head>\n<body>\n<article>\n"
        f"<h1>{escape(article.title)}</h1>\n"
        f"{image}"
        f"{sanitize_html(article.html, 's3')}\n"
        '</article>\n<nav><a href="../">All articles</a></nav>\n</body>\n</html>\n'
    )


def render_index(pages: Mapping[str, Mapping[str, Any]]) -> str:
    """The list of published pages, newest first, with links relative to the index."""
    ordered = sorted(
        pages.values(), key=lambda p: (str(p.get("published_at", "")), str(p["slug"])), reverse=True
    )
    items = "".join(
        f'<li><a href="{escape(str(p["slug"]))}/">{escape(str(p.get("title") or p["slug"]))}</a>'
        + (f"<p>{escape(str(p['excerpt']))}</p>" if p.get("excerpt") else "")
        + "</li>\n"
        for p in ordered
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Articles</title>\n</head>\n<body>\n<h1>Articles</h1>\n"
        f"<ul>\n{items}</ul>\n</body>\n</html>\n"
    )
