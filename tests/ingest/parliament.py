"""A stand-in for parl.ca and ourcommons.ca on loopback, serving the real captures.

Routes map official paths (with their query) to bodies; responses carry an ETag and a
Last-Modified and honour If-None-Match (304). Faults are scripted per path and consumed in
order: a status with headers (429 + Retry-After, 500), a hold (the response waits until
the test releases it, or a timeout passes: a slow server), or a custom body. Every request
is recorded with its headers and arrival time so tests can assert on what the client did.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.services import free_port

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hold: threading.Event | None = None  # wait for this before answering
    hold_seconds: float = 10.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    status: int = 0


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (timeouts, killed workers) are part of the tests."""


class Parliament:
    """The loopback server; `url` is the base URL to put in settings."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.robots: bytes | None = None
        self.released = threading.Event()
        self._server = _QuietServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- configuration ----------------------------------------------------------------------

    def serve(self, path: str, body: bytes, content_type: str = "text/xml") -> str:
        """Serve `body` at `path` (path and query as in the official URL); returns the full URL."""
        with self.lock:
            self.routes[path] = (body, content_type)
        return self.url + path

    def serve_fixture(self, path: str, fixture: str) -> str:
        content_type = "application/json" if fixture.endswith(".json") else "text/xml"
        return self.serve(path, (FIXTURES / fixture).read_bytes(), content_type)

    def script(self, path: str, *faults: Fault) -> None:
        with self.lock:
            self.faults.setdefault(path, []).extend(faults)

    def seen(self, path: str) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    # --- the server -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        parliament = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                seen = Seen(self.path, dict(self.headers.items()), time.monotonic())
                with parliament.lock:
                    parliament.requests.append(seen)
                    queue = parliament.faults.get(self.path)
                    fault = queue.pop(0) if queue else None
                    route = parliament.routes.get(self.path)
                if fault is not None:
                    if fault.hold is not None:
                        fault.hold.wait(fault.hold_seconds)
                    if fault.status == 200 and not fault.body and route is not None:
                        self._send(seen, 200, route[0], route[1], {})
                    else:
                        self._send(seen, fault.status, fault.body, "text/html", fault.headers)
                    return
                if self.path == "/robots.txt":
                    if parliament.robots is None:
                        self._send(seen, 404, b"not found", "text/plain", {})
                    else:
                        self._send(seen, 200, parliament.robots, "text/plain", {})
                    return
                if route is None:
                    self._send(seen, 404, b"<html><body>Not found</body></html>", "text/html", {})
                    return
                body, content_type = route
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(seen, 304, b"", content_type, {"ETag": etag})
                    return
                self._send(
                    seen,
                    200,
                    body,
                    content_type,
                    {"ETag": etag, "Last-Modified": "Wed, 10 Mar 2021 21:00:00 GMT"},
                )

            def _send(
                self,
                seen: Seen,
                status: int,
                body: bytes,
                content_type: str,
                headers: dict[str, str],
            ) -> None:
                seen.status = status
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    if status != 304:
                        self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler

    def start(self) -> Parliament:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        with self.lock:
            for queue in self.faults.values():
                for fault in queue:
                    if fault.hold is not None:
                        fault.hold.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def parliament_server() -> Iterator[Parliament]:
    server = Parliament().start()
    try:
        yield server
    finally:
        server.stop()
