"""A canned HTTP service on loopback: stands in for a remote OpenPolicy deployment.

Used two ways: in-process (``start_server``) by the health/smoke script tests, and as a
program (``python fake_service.py SPEC.json PORT``) started by the recording ``kubectl`` stand-in
when a script asks for ``kubectl port-forward``. Standard library only, so it runs anywhere.

A spec is JSON: ``{"routes": {"/health": {"status": 200, "body": "...",
"content_type": "application/json"}}, "request_log": "/path/or/null"}``. Unknown paths answer
404. Each request path is appended to ``request_log`` when given.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CannedResponse:
    status: int
    body: str
    content_type: str = "application/json"


@dataclass
class CannedService:
    routes: dict[str, CannedResponse]
    request_log: Path | None = None
    requests: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "routes": {
                    path: {"status": r.status, "body": r.body, "content_type": r.content_type}
                    for path, r in self.routes.items()
                },
                "request_log": str(self.request_log) if self.request_log else None,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CannedService:
        raw: dict[str, Any] = json.loads(text)
        routes = {
            path: CannedResponse(int(r["status"]), str(r["body"]), str(r["content_type"]))
            for path, r in raw["routes"].items()
        }
        log = raw.get("request_log")
        return cls(routes=routes, request_log=Path(log) if log else None)


def health_body(
    status: str = "healthy",
    database: Mapping[str, Any] | None = None,
    redis: Mapping[str, Any] | None = None,
    version: str = "1.4.0",
) -> str:
    """A /health document in the application's shape."""
    checks: dict[str, Any] = {}
    if database is not None:
        checks["database"] = dict(database)
    if redis is not None:
        checks["redis"] = dict(redis)
    return json.dumps({"status": status, "version": version, "checks": checks})


HEALTHY_BODY = health_body(
    database={"status": "healthy", "latency_ms": 1.2},
    redis={"status": "healthy", "latency_ms": 0.4},
)
UNHEALTHY_BODY = health_body(
    status="unhealthy",
    database={"status": "unhealthy", "latency_ms": None, "error": "connection refused"},
    redis={"status": "healthy", "latency_ms": 0.4},
)
METRICS_BODY = (
    "# HELP database_up 1 when PostgreSQL answers.\n# TYPE database_up gauge\ndatabase_up 1\n"
)


def committed_smoke_routes() -> list[tuple[str, int]]:
    """The (path, expected status) lines of scripts/smoke-routes.txt."""
    routes_file = Path(__file__).resolve().parents[2] / "scripts" / "smoke-routes.txt"
    routes = []
    for line in routes_file.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            routes.append((words[0], int(words[1])))
    return routes


def healthy_routes() -> dict[str, CannedResponse]:
    """A service answering every committed smoke route as expected."""
    routes = {
        path: CannedResponse(status, '{"data": []}', "application/json")
        for path, status in committed_smoke_routes()
    }
    routes["/health"] = CannedResponse(200, HEALTHY_BODY)
    routes["/metrics"] = CannedResponse(200, METRICS_BODY, "text/plain; version=0.0.4")
    return routes


def unhealthy_routes() -> dict[str, CannedResponse]:
    routes = healthy_routes()
    routes["/health"] = CannedResponse(503, UNHEALTHY_BODY)
    return routes


def _handler_for(service: CannedService) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with lock:
                service.requests.append(path)
                if service.request_log is not None:
                    with service.request_log.open("a", encoding="utf-8") as log:
                        log.write(path + "\n")
            response = service.routes.get(path, CannedResponse(404, '{"detail":"not found"}'))
            payload = response.body.encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


def make_server(service: CannedService, port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(service))
    server.daemon_threads = True
    return server


@contextmanager
def start_server(service: CannedService) -> Iterator[str]:
    """Serve ``service`` on a free loopback port in a thread; yield its base URL."""
    server = make_server(service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main(argv: list[str]) -> int:
    """Serve SPEC on 127.0.0.1:PORT until killed, or for at most 120 s (no orphans)."""
    spec_path, port = argv[1], int(argv[2])
    service = CannedService.from_json(Path(spec_path).read_text(encoding="utf-8"))
    server = make_server(service, port)
    stopper = threading.Timer(120.0, server.shutdown)
    stopper.daemon = True
    stopper.start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
