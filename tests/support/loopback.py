"""A real HTTP server on 127.0.0.1 for tests of outbound HTTP (no fakes of `requests`).

Routes map (method, path) to a `Reply` or to a function of the `Received` request, so a test
states exactly what the peer answers and can then read what the peer was sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What a route answers; `omit_content_length` sends the body until the connection closes."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    omit_content_length: bool = False
    trickle_seconds: float = 0.0
    """When set, the body is sent one byte at a time with this pause between bytes (a slow peer)."""


Route = Reply | Callable[[Received], Reply]


class LoopbackServer:
    """ThreadingHTTPServer bound to 127.0.0.1 on a free port, recording every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.fallback: Route | None = None  # answers every request no route matches
        self.received: list[Received] = []
        self.release = threading.Event()  # set on stop, so stalling routes end
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, reply: Route) -> None:
        self.routes[(method.upper(), path)] = reply

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=parts.query,
                    headers={k: v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                server.received.append(received)
                route = server.routes.get((self.command, parts.path), server.fallback)
                if route is None:
                    reply = Reply(404, {"Content-Type": "text/plain"}, b"no route")
                else:
                    reply = route(received) if callable(route) else route
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.omit_content_length:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if not reply.trickle_seconds:
                    self.wfile.write(reply.body)
                    return
                for index in range(len(reply.body)):
                    if server.release.wait(reply.trickle_seconds):
                        return
                    self.wfile.write(reply.body[index : index + 1])
                    self.wfile.flush()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read `received` instead of logs."""

        return Handler


@contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    """Start a LoopbackServer for the duration of a `with` block."""
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()
