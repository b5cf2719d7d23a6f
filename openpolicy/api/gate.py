"""The front door, as one pure ASGI middleware (no per-request task or body copying):

1. a request id (the client's `X-Request-ID` when sane, else a new one), echoed back;
2. maintenance mode: 503 + Retry-After + the operator's message everywhere except
   `/health`, `/metrics`, the status endpoint and static files;
3. on `/api/`: the API key (401 when given but not valid), then the rate limit of the key or
   of the client address (`RateLimit-*` headers; 429 + Retry-After beyond it);
4. every 401/403, whoever produced it, written to `audit_events`;
5. one structured JSON access-log line with the request id.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
import structlog
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api import keys
from openpolicy.api.ratelimit import RateLimiter
from openpolicy.config import Settings
from openpolicy.errors import (
    PROBLEM_CONTENT_TYPE,
    MaintenanceError,
    OpenPolicyError,
    RateLimitedError,
    UnauthorizedError,
)
from openpolicy.logs import write_access_line

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PREFIX = "/api/"
ALWAYS_OPEN = ("/health", "/metrics")
OPEN_IN_MAINTENANCE = ("/health", "/metrics", "/api/v1/status", "/status", "/fr/status", "/static/")
MAINTENANCE_RETRY_AFTER = 300
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
KEY_TOUCH_SECONDS = 60.0


class _Printer:
    """The sink structlog writes rendered lines to (one JSON object per line): the terminal
    and the log file, as `openpolicy.logs` was configured."""

    def msg(self, message: bytes) -> None:
        write_access_line(message)

    info = warning = error = debug = critical = msg


access_log = structlog.wrap_logger(
    _Printer(),
    processors=[
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer(serializer=orjson.dumps),
    ],
    wrapper_class=structlog.BoundLogger,
    # Without it every call builds a bound logger in a reference cycle: four cyclic objects
    # per request for the garbage collector (its pauses were in the API's tail latency).
    cache_logger_on_first_use=True,
)


def problem_bytes(error: OpenPolicyError, instance: str) -> bytes:
    return orjson.dumps(error.to_problem(instance))


class ApiGate:
    """See the module docstring. `settings` decide limits; state comes from app.state."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._keys: dict[str, tuple[float, keys.KeyInfo | str]] = {}
        self._touched: dict[int, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        path: str = scope["path"]
        outcome: dict[str, Any] = {"status": 500, "cache": None}
        extra_headers: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = outcome["status"] = int(message["status"])
                headers = list(message.get("headers", []))
                for name, value in headers:
                    if name == b"x-cache":
                        outcome["cache"] = value.decode()
                headers.extend(extra_headers)
                message["headers"] = headers
                if status in (401, 403):  # recorded before the client hears the answer
                    await self._audit(scope, status, scope["state"].get("api_key"), request_id)
            await send(message)

        key_info: keys.KeyInfo | None = None
        try:
            if path.startswith(ALWAYS_OPEN):
                await self.app(scope, receive, send_with_headers)
                return
            app_state = scope["app"].state if "app" in scope else None
            maintenance = await self._maintenance(app_state)
            if maintenance is not None and not path.startswith(OPEN_IN_MAINTENANCE):
                await self._maintenance_response(scope, receive, send_with_headers, maintenance)
                return
            if path.startswith(API_PREFIX):
                presented = _header(scope, b"x-api-key")
                identity = f"ip:{self._client(scope)}"
                limit = self.settings.api_rate_limit_anonymous_per_minute
                if presented is not None:
                    verified = await self._verify(app_state, presented)
                    if isinstance(verified, str):
                        await _send_problem(
                            send_with_headers,
                            UnauthorizedError(verified),
                            path,
                            [(b"www-authenticate", b'ApiKey header="X-API-Key"')],
                        )
                        return
                    key_info = verified
                    scope["state"]["api_key"] = key_info
                    identity = f"key:{key_info.id}"
                    limit = key_info.rate_limit_per_minute or (
                        self.settings.api_rate_limit_key_per_minute
                    )
                    await self._touch(app_state, key_info)
                limiter: RateLimiter | None = getattr(app_state, "rate_limiter", None)
                if limiter is not None:
                    decision = await limiter.hit(identity, limit)
                    extra_headers.extend(decision.headers())
                    if not decision.allowed:
                        extra_headers.append((b"retry-after", str(decision.reset_seconds).encode()))
                        await _send_problem(
                            send_with_headers,
                            RateLimitedError(
                                f"rate limit of {limit} requests per minute exceeded; retry in "
                                f"{decision.reset_seconds} s (an API key raises the limit)",
                                retry_after=decision.reset_seconds,
                            ),
                            path,
                            [],
                        )
                        return
            await self.app(scope, receive, send_with_headers)
        finally:
            status = outcome["status"]
            if self.settings.api_access_log:
                route = scope.get("route")
                state = scope.get("state", {})
                access_log.info(
                    "request",
                    request_id=request_id,
                    method=scope.get("method"),
                    path=path,
                    route=getattr(route, "path", None),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                    client=self._client(scope),
                    key=key_info.prefix if key_info else None,
                    cache=outcome["cache"],
                    queries=state.get("openpolicy_queries"),
                    db_ms=state.get("openpolicy_db_ms"),
                )

    # --- pieces -------------------------------------------------------------------------

    def _client(self, scope: Scope) -> str:
        if self.settings.api_trust_forwarded_for:
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded:
                return forwarded.split(",")[0].strip()
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    async def _maintenance(self, app_state: Any) -> Any:
        reader = getattr(app_state, "maintenance", None)
        if reader is None:
            return None
        status = await reader.current_async()  # never a database read on the event loop
        return status if status.enabled else None

    async def _maintenance_response(
        self, scope: Scope, receive: Receive, send: Send, status: Any
    ) -> None:
        retry_after = status.retry_after_seconds or MAINTENANCE_RETRY_AFTER
        error = MaintenanceError(
            status.message or "OpenPolicy is down for maintenance.",
            retry_after=retry_after,
            until=status.until.isoformat() if status.until else None,
        )
        path = scope["path"]
        page = getattr(scope["app"].state, "maintenance_page", None)
        if page is not None and not path.startswith(API_PREFIX):
            response: Response = page(Request(scope, receive), error)
            await response(scope, receive, send)
            return
        await _send_problem(send, error, path, [(b"retry-after", str(retry_after).encode())])

    async def _verify(self, app_state: Any, presented: str) -> keys.KeyInfo | str:
        digest = keys.hash_key(presented)
        now = time.monotonic()
        cached = self._keys.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with app_state.writes.connection() as conn:  # the primary: no replica lag
            result = await keys.verify(conn, presented)
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[digest] = (now + self.settings.api_key_cache_seconds, result)
        return result

    async def _touch(self, app_state: Any, key: keys.KeyInfo) -> None:
        now = time.monotonic()
        if now - self._touched.get(key.id, float("-inf")) < KEY_TOUCH_SECONDS:
            return
        self._touched[key.id] = now
        async with app_state.writes.connection() as conn:
            await keys.touch(conn, key.id)

    async def _audit(
        self, scope: Scope, status: int, key: keys.KeyInfo | None, request_id: str
    ) -> None:
        app_state = scope["app"].state if "app" in scope else None
        writes = getattr(app_state, "writes", None)
        if writes is None:
            return
        presented = _header(scope, b"x-api-key")
        prefix = keys.split_key(presented) if presented else None
        actor = key.actor if key else (f"key:{prefix}" if prefix else "anonymous")

        try:
            async with writes.connection() as conn:
                await keys.audit_async(
                    conn,
                    "api.unauthorized" if status == 401 else "api.forbidden",
                    actor=actor,
                    status_code=status,
                    path=scope["path"],
                    client_ip=self._client(scope),
                    details={"method": scope.get("method"), "request_id": request_id},
                )
        except Exception:  # the audit trail failing must not turn a 401 into a 500
            structlog.get_logger("openpolicy.api").exception("audit write failed")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


_ID_PREFIX = uuid.uuid4().hex[:20]  # unique per process; a counter makes each id unique
_ids = itertools.count(1)


def _request_id(scope: Scope) -> str:
    given = _header(scope, b"x-request-id")
    if given and _REQUEST_ID.match(given):
        return given
    return f"{_ID_PREFIX}{next(_ids):012x}"


async def _send_problem(
    send: Send, error: OpenPolicyError, path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    body = problem_bytes(error, path)
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
