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
  hop; a hop to another host (name, port or scheme, as requests judges it) carries no
  Authorization, Cookie or `X-Publisher-*` (signature) header and no body: 301/302/303 already
  lose the body, and a 307/308 that would resend one to another host is refused (the spec
  forbids dropping it, and resending our signed payload elsewhere is what we must not do);
- connect/read timeouts per socket operation, and an overall deadline per call (30 s: connect,
  every redirect and the whole body; a peer that trickles bytes cannot hold a call past it):
  a timer shuts the call's sockets down when it passes;
- no proxies or .netrc from the environment.

Failures become the typed destination errors: connection problems and timeouts are
retryable, refused URLs and redirect loops are permanent. `raise_for_status` maps HTTP
statuses the same way for every adapter.
"""

from __future__ import annotations

import contextlib
import functools
import mimetypes
import re
import socket
import threading
import time
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
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from publisher.destinations.addresses import BlockedURLError, blocked_reason, check_url
from publisher.destinations.errors import PermanentDestinationError, RetryableDestinationError
from publisher.destinations.secrets import REDACTED, redact

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 20.0)
DEFAULT_DEADLINE = 30.0
"""Seconds one destination call may take in all: connect, redirects and the whole body."""
MAX_REDIRECTS = 5
MAX_IMAGE_BYTES = 10 * 1024 * 1024
USER_AGENT = "Publisher/1.0"
_PEER_MESSAGE_LIMIT = 300


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


class _Deadline:
    """The overall deadline of one call: when it passes, the call's sockets are shut down, which
    ends any read blocked on them (per-operation timeouts alone let a trickling peer go on)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = False
        self._fired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def passed(self) -> bool:
        return self.fired or time.monotonic() >= self.at

    @property
    def fired(self) -> bool:
        """Whether the timer shut the call's sockets down (a close-delimited body then looks
        complete to urllib3, so callers check this after reading)."""
        return self._fired

    def error(self, host: str) -> RetryableDestinationError:
        return RetryableDestinationError(
            f"{host} did not answer within {self.seconds:g} s (the overall deadline)."
        )

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            if sock is not None and not self._done:
                self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            if self._done:  # cancelled: the call ended in time
                return
            self._done = True
            self._fired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._sockets.clear()


_current_deadline = threading.local()


def _active_deadline() -> _Deadline | None:
    return getattr(_current_deadline, "value", None)


class _AddressCheckingConnection:
    """Mixin for urllib3 connections: resolve, check every address, connect to a checked one;
    each request on the connection is put under the calling thread's deadline."""

    allow_loopback: ClassVar[bool] = False
    # Provided by urllib3's HTTPConnection.
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    sock: Any

    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = _active_deadline()
        if deadline is not None:
            if self.sock is None:
                self.connect()  # type: ignore[attr-defined]  # urllib3's HTTPConnection
            deadline.watch(self.sock)
        return super().request(*args, **kwargs)  # type: ignore[misc]

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

    def __init__(
        self, *, allow_insecure_http: bool, timeout: tuple[float, float], deadline: float = DEFAULT_DEADLINE
    ) -> None:
        super().__init__()
        self.allow_insecure_http = allow_insecure_http
        self.default_timeout = timeout
        self.deadline = deadline
        self.max_redirects = MAX_REDIRECTS
        self.trust_env = False  # no proxies, CA overrides or .netrc credentials from the environment
        self.headers["User-Agent"] = USER_AGENT
        adapter = GuardedHTTPAdapter(allow_loopback=allow_insecure_http)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """One call under one overall deadline; a streamed body stays under it until closed."""
        if _active_deadline() is not None:  # a nested call (none today) shares the outer deadline
            with _typed_errors(str(url)):
                return super().request(method, url, *args, **kwargs)
        deadline = _Deadline(self.deadline)
        _current_deadline.value = deadline
        streamed = False
        try:
            with _typed_errors(str(url), deadline):
                response = super().request(method, url, *args, **kwargs)
            if deadline.fired:
                response.close()
                raise deadline.error(urlsplit(str(url)).hostname or "the destination")
            if kwargs.get("stream"):
                streamed = True
                return _StreamUnderDeadline.attach(response, deadline, str(url))
            return response
        finally:
            _current_deadline.value = None
            if not streamed:
                deadline.cancel()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Every hop (the first request and each redirect) passes here: check it, add timeouts."""
        check_url(request.url or "", allow_insecure_http=self.allow_insecure_http)
        timeout = kwargs.get("timeout") or self.default_timeout
        deadline = _active_deadline()
        if deadline is not None:
            if deadline.passed:
                raise requests.exceptions.Timeout("the overall deadline passed")
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            left = deadline.remaining()
            timeout = (min(connect, left), min(read, left))
        kwargs["timeout"] = timeout
        if self.proxies or kwargs.get("proxies"):
            raise BlockedURLError("Refused to use a proxy: the guarded client connects directly.")
        return super().send(request, **kwargs)

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        """On a hop to another host: no credential or signature header, and no body."""
        super().rebuild_auth(prepared_request, response)
        if not self.should_strip_auth(response.request.url or "", prepared_request.url or ""):
            return
        if prepared_request.body is not None:
            raise PermanentDestinationError(
                f"{urlsplit(response.request.url or '').hostname or 'The destination'} redirected "
                "the request to another host; Publisher does not resend a body there."
            )
        for name in list(prepared_request.headers):
            if name.lower() in _CREDENTIAL_HEADERS or name.lower().startswith(_SIGNATURE_HEADER_PREFIX):
                del prepared_request.headers[name]


_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_SIGNATURE_HEADER_PREFIX = "x-publisher-"


class _StreamUnderDeadline:
    """Keeps a streamed response's body reads under the call's deadline, released on close."""

    @staticmethod
    def attach(response: requests.Response, deadline: _Deadline, url: str) -> requests.Response:
        raw_read = response.raw.read
        close = response.close

        def read(*args: Any, **kwargs: Any) -> Any:
            with _typed_errors(url, deadline):
                data = raw_read(*args, **kwargs)
            if deadline.fired:
                raise deadline.error(urlsplit(url).hostname or "the destination")
            return data

        def close_and_release() -> None:
            deadline.cancel()
            close()

        response.raw.read = read  # type: ignore[method-assign]
        response.close = close_and_release  # type: ignore[method-assign]
        return response


@contextmanager
def _typed_errors(url: str, deadline: _Deadline | None = None) -> Iterator[None]:
    """Translate requests' exceptions into destination errors naming only the host; any failure
    once the call's deadline fired is that deadline's timeout."""
    host = urlsplit(url).hostname or "the destination"
    try:
        try:
            yield
        except (requests.exceptions.RequestException, OSError, HTTPError) as error:
            if deadline is not None and deadline.passed:
                raise deadline.error(host) from error
            raise
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
    *,
    allow_insecure_http: bool = False,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
) -> GuardedSession:
    """The session adapters use: policy-checked, timed out, errors typed (see module doc)."""
    return GuardedSession(allow_insecure_http=allow_insecure_http, timeout=timeout, deadline=deadline)


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
    """Remove our own credentials from a peer's message, in case the peer echoes them: the
    Authorization header we sent and every form of the integration's secrets (in scope while
    an adapter works, see publisher.destinations.redaction). Done before the text is shortened,
    so no part of a secret survives a cut."""
    request = response.request
    authorization = request.headers.get("Authorization", "") if request is not None else ""
    for secret in {authorization, *authorization.split(" ", 1)[1:]}:
        if len(secret) >= 8:
            text = text.replace(secret, REDACTED)
    return redact(text)


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
