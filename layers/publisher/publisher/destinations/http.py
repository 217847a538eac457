"""Guarded outbound HTTP: the one `requests` session every adapter and the image fetcher use.

Why guarded: integration URLs come from users, so a careless client would let anyone make
our Lambda call the instance metadata service or a private network (SSRF). The policy:

- only ``https://`` URLs, unless ``allow_insecure_http`` (local runs and tests) also admits
  ``http://``;
- every address a host resolves to must be public: private, loopback, link-local (cloud
  metadata at 169.254.169.254), multicast, reserved and unspecified addresses are refused;
  loopback alone is admitted when ``allow_insecure_http`` is on (local peers);
- the check runs inside the connection itself: the host is resolved once, every address is
  checked, and the socket connects to a checked address (TLS SNI and the Host header keep the
  name). DNS rebinding between a check and a connect is therefore impossible;
- redirects (at most 5) go through the same `send()` and the same connection check hop by
  hop; requests drops the Authorization header when a redirect leaves the host;
- connect/read timeouts by default, no proxies or .netrc from the environment.

Failures become the typed destination errors: connection problems and timeouts are
retryable, refused URLs and redirect loops are permanent. `raise_for_status` maps HTTP
statuses the same way for every adapter.
"""

from __future__ import annotations

import functools
import ipaddress
import mimetypes
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from publisher.destinations.errors import PermanentDestinationError, RetryableDestinationError

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 20.0)
MAX_REDIRECTS = 5
MAX_IMAGE_BYTES = 10 * 1024 * 1024
USER_AGENT = "Publisher/1.0"
_PEER_MESSAGE_LIMIT = 300


class BlockedURLError(PermanentDestinationError):
    """The URL or one of its resolved addresses is not allowed by the outbound policy."""


# --- address policy -------------------------------------------------------------------------


def blocked_reason(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why an IP address may not be contacted, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


def check_url(url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse URLs whose scheme the policy does not admit (addresses are checked on connect)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_insecure_http else ("https",)
    if parts.scheme.lower() not in allowed:
        raise BlockedURLError(
            f"Refused to contact {parts.hostname or url!s}: only https:// URLs are allowed"
            + ("" if allow_insecure_http else " (http:// needs allow_insecure_http, for local runs only)")
            + "."
        )
    if not parts.hostname:
        raise BlockedURLError("Refused a URL without a host name.")


def resolve_checked(host: str, port: int, *, allow_loopback: bool) -> list[tuple[Any, ...]]:
    """Resolve once and return the addresses to connect to; refuse if ANY address is blocked.

    All of them are checked, not only the first, so a name with one public and one private
    record cannot be used to reach the private one on a retry.
    """
    results = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    for *_, sockaddr in results:
        reason = blocked_reason(str(sockaddr[0]), allow_loopback=allow_loopback)
        if reason is not None:
            shown = host if host == sockaddr[0] else f"{host} ({sockaddr[0]})"
            raise BlockedURLError(f"Refused to contact {shown}: it is {reason}.")
    return results


class _AddressCheckingConnection:
    """Mixin for urllib3 connections: resolve, check every address, connect to a checked one."""

    allow_loopback: ClassVar[bool] = False
    # Provided by urllib3's HTTPConnection.
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        host = self.host.strip("[]").rstrip(".")
        try:
            addresses = resolve_checked(host, self.port, allow_loopback=self.allow_loopback)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        last_error: OSError | None = None
        for family, socktype, proto, _canonname, sockaddr in addresses:
            sock = socket.socket(family, socktype, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if self.timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)
                return sock
            except TimeoutError as error:
                sock.close()
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
            except OSError as error:
                sock.close()
                last_error = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")  # type: ignore[arg-type]


@functools.cache
def _guarded_pool_classes(allow_loopback: bool) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections apply the address policy (one pair per policy)."""
    attrs = {"allow_loopback": allow_loopback}
    http_conn = type("GuardedHTTPConnection", (_AddressCheckingConnection, HTTPConnection), attrs)
    https_conn = type("GuardedHTTPSConnection", (_AddressCheckingConnection, HTTPSConnection), attrs)
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class GuardedHTTPAdapter(HTTPAdapter):
    """Transport adapter whose every connection applies the address policy; no proxies."""

    def __init__(self, *, allow_loopback: bool, **kwargs: Any) -> None:
        self.allow_loopback = allow_loopback
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _guarded_pool_classes(self.allow_loopback)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise BlockedURLError("Refused to use a proxy: the guarded client connects directly.")


class GuardedSession(requests.Session):
    """A requests session with the outbound policy, default timeouts and typed errors."""

    def __init__(self, *, allow_insecure_http: bool, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.allow_insecure_http = allow_insecure_http
        self.default_timeout = timeout
        self.max_redirects = MAX_REDIRECTS
        self.trust_env = False  # no proxies, CA overrides or .netrc credentials from the environment
        self.headers["User-Agent"] = USER_AGENT
        adapter = GuardedHTTPAdapter(allow_loopback=allow_insecure_http)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        with _typed_errors(str(url)):
            return super().request(method, url, *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Every hop (the first request and each redirect) passes here: check it, add timeouts."""
        check_url(request.url or "", allow_insecure_http=self.allow_insecure_http)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        if self.proxies or kwargs.get("proxies"):
            raise BlockedURLError("Refused to use a proxy: the guarded client connects directly.")
        return super().send(request, **kwargs)


@contextmanager
def _typed_errors(url: str) -> Iterator[None]:
    """Translate requests' exceptions into destination errors naming only the host."""
    host = urlsplit(url).hostname or "the destination"
    try:
        yield
    except requests.exceptions.TooManyRedirects as error:
        raise PermanentDestinationError(f"{host} redirected more than {MAX_REDIRECTS} times.") from error
    except requests.exceptions.Timeout as error:
        raise RetryableDestinationError(f"Timed out talking to {host}.") from error
    except requests.exceptions.SSLError as error:
        raise RetryableDestinationError(f"TLS handshake with {host} failed.") from error
    except requests.exceptions.ConnectionError as error:
        raise RetryableDestinationError(f"Could not connect to {host}.") from error
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as error:
        raise PermanentDestinationError("The destination URL is not valid.") from error
    except requests.exceptions.InvalidSchema as error:
        raise BlockedURLError("Refused a URL whose scheme is not http(s).") from error
    except requests.exceptions.ChunkedEncodingError as error:
        raise RetryableDestinationError(f"The connection to {host} broke mid-response.") from error


def build_session(
    *, allow_insecure_http: bool = False, timeout: tuple[float, float] = DEFAULT_TIMEOUT
) -> requests.Session:
    """The session adapters use: policy-checked, timed out, errors typed (see module doc)."""
    return GuardedSession(allow_insecure_http=allow_insecure_http, timeout=timeout)


# --- status mapping -------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def peer_message(response: requests.Response) -> str:
    """The peer's own error text from common JSON error shapes ('' when there is none)."""
    try:
        body = response.json()
    except ValueError:
        content_type = response.headers.get("Content-Type", "")
        text = response.text.strip() if content_type.startswith("text/plain") else ""
        return _redact(text, response)[:_PEER_MESSAGE_LIMIT]
    parts = _messages_from(body)
    return _redact("; ".join(dict.fromkeys(p for p in parts if p)), response)[:_PEER_MESSAGE_LIMIT]


def _messages_from(body: Any) -> list[str]:
    """Collect messages from WordPress/Ghost/Webflow-like bodies without trusting their shape."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, list):
        return [m for item in body for m in _messages_from(item)]
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    for key in ("message", "msg", "error_description", "error", "detail"):
        value = body.get(key)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict | list):
            found.extend(_messages_from(value))
    for key in ("errors", "details"):
        items = body.get(key)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                text = item.get("message") or item.get("description") or ""
                param = item.get("param") or item.get("property") or ""
                found.append(f"{param}: {text}" if param and text else str(text))
                if isinstance(item.get("context"), str):
                    found.append(item["context"])
            elif isinstance(item, str):
                found.append(item)
    return found


def _redact(text: str, response: requests.Response) -> str:
    """Remove our own credential from a peer's message, in case the peer echoes it."""
    request = response.request
    authorization = request.headers.get("Authorization", "") if request is not None else ""
    for secret in {authorization, *authorization.split(" ", 1)[1:]}:
        if len(secret) >= 8:
            text = text.replace(secret, "[redacted]")
    return text


def raise_for_status(response: requests.Response, *, action: str) -> None:
    """Raise the typed error for a failed response; `action` says what we tried ("Creating the post")."""
    status = response.status_code
    if status < 400:
        return
    host = urlsplit(response.url or "").hostname or "the destination"
    said = peer_message(response)
    suffix = f": {said.rstrip('.')}" if said else ""
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        raise RetryableDestinationError(
            f"{action} was rate limited by {host} (HTTP 429){wait}.", retry_after=retry_after
        )
    if status >= 500:
        raise RetryableDestinationError(
            f"{action} failed: {host} had a server error (HTTP {status}){suffix}.",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if status in (401, 403):
        raise PermanentDestinationError(
            f"{action} failed: credentials rejected by {host} (HTTP {status}){suffix}."
        )
    if status == 404:
        raise PermanentDestinationError(f"{action} failed: {host} answered not found (HTTP 404){suffix}.")
    raise PermanentDestinationError(f"{action} failed: {host} refused the request (HTTP {status}){suffix}.")


# --- images ---------------------------------------------------------------------------------


def fetch_image(
    session: requests.Session, url: str, *, max_bytes: int = MAX_IMAGE_BYTES
) -> tuple[bytes, str, str]:
    """Download an image through the guarded session: (body, content type, file name).

    Streams so an oversized body is cut off instead of filling the Lambda's memory; SVG is
    refused because it can carry scripts into the destination's media library.
    """
    with session.get(url, stream=True) as response:
        raise_for_status(response, action="Fetching the image")
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if not content_type.startswith("image/"):
            raise PermanentDestinationError(
                f"The featured image URL did not return an image (content type {content_type or 'missing'})."
            )
        if content_type == "image/svg+xml":
            raise PermanentDestinationError("SVG images are refused because they can carry scripts.")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise PermanentDestinationError(_too_large(max_bytes))
        body = bytearray()
        for chunk in response.iter_content(chunk_size=64 * 1024):
            body.extend(chunk)
            if len(body) > max_bytes:
                raise PermanentDestinationError(_too_large(max_bytes))
        return bytes(body), content_type, image_filename(response, content_type)


def _too_large(max_bytes: int) -> str:
    return f"The image is larger than the {max_bytes // (1024 * 1024)} MiB limit."


def image_filename(response: requests.Response, content_type: str) -> str:
    """A safe file name from Content-Disposition or the URL path, with a matching extension."""
    disposition = response.headers.get("Content-Disposition", "")
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition, re.IGNORECASE)
    raw = match.group(1) if match else PurePosixPath(unquote(urlsplit(response.url).path)).name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(raw).stem).strip(".-")[:80] or "image"
    extension = PurePosixPath(raw).suffix.lower()
    expected = mimetypes.guess_extension(content_type) or ""
    if extension not in _extensions_for(content_type):
        extension = expected
    return f"{stem}{extension}"


def _extensions_for(content_type: str) -> set[str]:
    return set(mimetypes.guess_all_extensions(content_type)) | (
        {".jpg", ".jpeg"} if content_type == "image/jpeg" else set()
    )
