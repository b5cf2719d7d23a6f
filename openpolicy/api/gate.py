"""The front door: one pure ASGI middleware every request passes through, in this order:

1. a request id (the client's `X-Request-ID` when sane, else a new one), echoed back, and the
   client's address (`openpolicy.proxies`: the right-most address no trusted proxy wrote);
2. `/livez`, `/readyz`, `/health` and `/metrics` go straight through (probes and scrapers
   must never be refused, whatever their `Host`);
3. a `Host` the site does not answer to is refused (400);
4. maintenance mode: 503 + Retry-After + the operator's message everywhere except the status
   endpoints and static files;
5. on `/api/`: CORS preflights answered here (GET and HEAD only: public reads); an API key
   known good is limited as that key; any other key is first counted against its address
   (so bad keys cannot be tried without limit), then verified (401 when not valid); then
   the key's or the address's rate limit (`RateLimit-*` headers; 429 + Retry-After beyond
   it);
6. on the web site: a per-address rate limit, stricter for search (429 page);
7. security headers on every response (CSP, nosniff, frame-ancestors, Referrer-Policy, HSTS
   over HTTPS) and CORS headers on the public read API (GET and HEAD, no credentials);
8. every 401/403 counted for the audit trail (per address and minute, `api/audit.py`);
9. HTTP metrics under the route template, and one JSON access-log line (`openpolicy.logs`:
   the terminal as configured, and the log file).

The steady path allocates little: header lists are built once, the rate limit is decided in
memory (`api/ratelimit.py`), the maintenance switch is a field kept current by LISTEN/NOTIFY,
and the access log is one orjson line written with one system call.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api import keys
from openpolicy.config import Settings
from openpolicy.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequestError,
    MaintenanceError,
    OpenPolicyError,
    RateLimitedError,
    UnauthorizedError,
)
from openpolicy.logs import write_access_line
from openpolicy.ops.metrics import HTTP_DURATION, HTTP_REQUESTS
from openpolicy.proxies import ClientAddresses

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

API_PREFIX = "/api/"
ADMIN_PREFIX = "/api/v1/admin"
DOCS_PATH = "/api/v1/docs"
ALWAYS_OPEN = ("/livez", "/readyz", "/health", "/metrics")
OPEN_IN_MAINTENANCE = ("/api/v1/status", "/status", "/fr/status", "/static/", "/favicon")
UNLIMITED_WEB = ("/static/", "/favicon")
SEARCH_PATHS = frozenset({"/search", "/fr/search"})
MAINTENANCE_RETRY_AFTER = 300
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
KEY_TOUCH_SECONDS = 60.0
MAX_CACHED_KEYS = 10_000
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# --- security headers, built once ------------------------------------------------------

# The site serves no script at all and only its own stylesheet.
SITE_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    b"form-action 'self'; frame-ancestors 'none'"
)
# JSON, CSV, metrics: nothing in them may ever run or be framed.
DATA_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The interactive API docs: Swagger UI served by the app (openpolicy.api.docs, no CDN),
# started by our own static script.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS: Headers = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
CORS_HEADERS: Headers = [
    (b"access-control-allow-origin", b"*"),
    (
        b"access-control-expose-headers",
        b"ETag, Last-Modified, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
        b"RateLimit-Policy, Retry-After, X-Request-ID, Server-Timing",
    ),
]
# The headers every response of a kind gets, built once.
CSP_DATA = (b"content-security-policy", DATA_CSP)
API_HEADERS: Headers = [*COMMON_HEADERS, CSP_DATA, *CORS_HEADERS]
DATA_HEADERS: Headers = [*COMMON_HEADERS, CSP_DATA]
DOCS_HEADERS: Headers = [*COMMON_HEADERS, (b"content-security-policy", DOCS_CSP), *CORS_HEADERS]
SITE_HEADERS: Headers = [*COMMON_HEADERS, (b"content-security-policy", SITE_CSP)]
PREFLIGHT_HEADERS: Headers = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"Accept, Accept-Language, If-None-Match, If-Modified-Since, X-API-Key, X-Request-ID",
    ),
    (b"access-control-max-age", b"86400"),
    (b"cache-control", b"public, max-age=86400"),
]


class _Clock:
    """ISO timestamps for the access log, the second's prefix formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        moment = time.time()
        second = int(moment)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((moment - second) * 1_000_000):06d}Z"


def problem_bytes(error: OpenPolicyError, instance: str) -> bytes:
    return orjson.dumps(error.to_problem(instance))


class ApiGate:
    """See the module docstring. `settings` decide limits; state comes from app.state."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.clients = ClientAddresses(settings.trusted_proxies)
        self.allowed_hosts = allowed_hosts(settings)
        self.anonymous_limit = settings.api_rate_limit_anonymous_per_minute
        self.key_limit = settings.api_rate_limit_key_per_minute
        self.web_limit = settings.web_rate_limit_per_minute
        self.search_limit = settings.web_search_rate_limit_per_minute
        self.access_log = settings.api_access_log
        self.clock = _Clock()
        self._keys: dict[str, tuple[float, keys.KeyInfo | str]] = {}
        self._touched: dict[int, float] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._requests: dict[tuple[str, str, int], Any] = {}
        self._hosts: dict[bytes | None, bool] = {}
        self._durations: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        host = given_id = presented = forwarded_for = forwarded_proto = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"x-api-key":
                presented = value
            elif name == b"x-request-id":
                given_id = value
            elif name == b"x-forwarded-for":
                forwarded_for = value
            elif name == b"x-forwarded-proto":
                forwarded_proto = value
        request_id = _request_id(given_id)
        peer = scope.get("client")
        client = self.clients.resolve(peer[0] if peer else None, forwarded_for)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client"] = client

        is_api = path.startswith(API_PREFIX)
        if is_api:
            static = (
                DOCS_HEADERS
                if path == DOCS_PATH
                else DATA_HEADERS
                # CORS for public reads only: never the admin API, never a write (a form
                # another site posts cross-origin must not be able to read the answer).
                if path.startswith(ADMIN_PREFIX) or scope["method"] not in READ_METHODS
                else API_HEADERS
            )
        else:
            static = DATA_HEADERS if path.startswith(ALWAYS_OPEN) else SITE_HEADERS
        extra: Headers = [(b"x-request-id", request_id.encode()), *static]
        if scope.get("scheme") == "https" or (
            forwarded_proto == b"https" and self.clients.trusts(peer[0] if peer else None)
        ):
            extra.append(HSTS)

        outcome: list[Any] = [500, None, False]  # status, X-Cache, response started
        key_info: keys.KeyInfo | None = None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome[2] = True
                status = outcome[0] = message["status"]
                headers = message.get("headers") or []
                if is_api:
                    for name, value in headers:
                        if name == b"x-cache":
                            outcome[1] = value
                message["headers"] = [*headers, *extra]
                if status in (401, 403) and is_api:
                    self._audit(scope, status, client, presented, request_id)
            await send(message)

        try:
            if path.startswith(ALWAYS_OPEN):
                await self.app(scope, receive, send_with_headers)
                return
            if self.allowed_hosts is not None and not self._host_ok(host):
                shown = host.decode("latin-1")[:100] if host else "(none)"
                await _send_problem(
                    send_with_headers,
                    BadRequestError(f"Host {shown!r} is not served here"),
                    path,
                    [],
                )
                return
            app_state = scope["app"].state if "app" in scope else None
            maintenance = getattr(app_state, "maintenance", None)
            if maintenance is not None:
                status = maintenance.peek()  # no I/O while notices arrive
                if status is None:
                    status = await maintenance.current_async()
                if status.enabled and not path.startswith(OPEN_IN_MAINTENANCE):
                    await self._maintenance_response(scope, receive, send_with_headers, status)
                    return
            limiter = getattr(app_state, "rate_limiter", None)
            if is_api:
                if scope["method"] == "OPTIONS" and not path.startswith(ADMIN_PREFIX):
                    await _send_preflight(send_with_headers)
                    return
                identity = "ip:" + client
                limit = self.anonymous_limit
                if presented is not None:
                    verified = await self._key(app_state, limiter, client, presented)
                    if isinstance(verified, OpenPolicyError):
                        await self._refuse_key(send_with_headers, extra, path, verified)
                        return
                    key_info = verified
                    state["api_key"] = key_info
                    identity = f"key:{key_info.id}"
                    limit = key_info.rate_limit_per_minute or self.key_limit
                    self._touch(app_state, key_info)
            elif path.startswith(UNLIMITED_WEB):
                identity = ""
                limit = 0
            elif path in SEARCH_PATHS:
                identity = "search:" + client
                limit = self.search_limit
            else:
                identity = "web:" + client
                limit = self.web_limit
            if limiter is not None and identity:
                decision = limiter.hit_in_memory(identity, limit)
                if decision is None:  # close to the limit: counted in Redis first
                    decision = await limiter.decide_shared(identity, limit)
                if is_api:
                    extra.extend(decision.headers())
                if not decision.allowed:
                    retry = decision.reset_seconds
                    error = RateLimitedError(
                        f"rate limit of {limit} requests per minute exceeded; retry in "
                        f"{retry} s" + (" (an API key raises the limit)" if is_api else ""),
                        retry_after=retry,
                    )
                    await self._limited(scope, receive, send_with_headers, error, is_api)
                    return
            await self.app(scope, receive, send_with_headers)
        except OpenPolicyError as error:  # the database behind a key check, typically
            if outcome[2]:
                raise
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None:
                extra.append((b"retry-after", b"%d" % retry_after))
            await _send_problem(send_with_headers, error, path, [])
        finally:
            status = outcome[0]
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            self._observe(method, template, status, time.perf_counter() - started)
            if self.access_log:
                self._log(
                    scope, request_id, path, template, status, started, client, key_info, outcome[1]
                )

    def _host_ok(self, host: bytes | None) -> bool:
        known = self._hosts.get(host)
        if known is None:
            assert self.allowed_hosts is not None
            known = _host_allowed(host, self.allowed_hosts)
            if len(self._hosts) > 1000:
                self._hosts.clear()
            self._hosts[host] = known
        return known

    # --- keys --------------------------------------------------------------------------

    async def _key(
        self, app_state: Any, limiter: Any, client: str, presented: bytes
    ) -> keys.KeyInfo | OpenPolicyError:
        """The key's info when it is valid, else the refusal to answer (429 or 401)."""
        text = presented.decode("latin-1")
        now = time.monotonic()
        cached = self._keys.get(text)
        if cached is not None and cached[0] > now and isinstance(cached[1], keys.KeyInfo):
            return cached[1]
        # Not known good: the address pays for the attempt before anything is looked up.
        if limiter is not None:
            decision = await limiter.hit("auth:" + client, self.anonymous_limit)
            if not decision.allowed:
                return RateLimitedError(
                    f"too many requests with API keys that are not valid from {client}; "
                    f"retry in {decision.reset_seconds} s",
                    retry_after=decision.reset_seconds,
                )
        if cached is not None and cached[0] > now:
            result: keys.KeyInfo | str = cached[1]
        else:
            result = await self._verify(app_state, text)
            if len(self._keys) >= MAX_CACHED_KEYS:
                self._keys.clear()
            self._keys[text] = (now + self.settings.api_key_cache_seconds, result)
        if isinstance(result, str):
            return UnauthorizedError(result)
        return result

    async def _refuse_key(
        self, send: Send, extra: Headers, path: str, error: OpenPolicyError
    ) -> None:
        if isinstance(error, RateLimitedError):
            extra.append((b"retry-after", b"%d" % error.retry_after))
            await _send_problem(send, error, path, [])
            return
        await _send_problem(
            send, error, path, [(b"www-authenticate", b'ApiKey header="X-API-Key"')]
        )

    async def _verify(self, app_state: Any, presented: str) -> keys.KeyInfo | str:
        async with app_state.writes.connection() as conn:  # the primary: no replica lag
            return await keys.verify(conn, presented)

    def _touch(self, app_state: Any, key: keys.KeyInfo) -> None:
        """Record the key's use at most once a minute, off the request's path."""
        now = time.monotonic()
        if now - self._touched.get(key.id, float("-inf")) < KEY_TOUCH_SECONDS:
            return
        self._touched[key.id] = now
        writes = app_state.writes

        async def touch() -> None:
            try:
                async with writes.connection() as conn:
                    await keys.touch(conn, key.id)
            except Exception:  # a missed last-use time is not worth an error
                self._touched.pop(key.id, None)

        task = asyncio.get_running_loop().create_task(touch())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _audit(
        self, scope: Scope, status: int, client: str, presented: bytes | None, request_id: str
    ) -> None:
        app_state = scope["app"].state if "app" in scope else None
        audit = getattr(app_state, "refusal_audit", None)
        if audit is None:
            return
        key: keys.KeyInfo | None = scope.get("state", {}).get("api_key")
        prefix = keys.split_key(presented.decode("latin-1")) if presented else None
        actor = key.actor if key else (f"key:{prefix}" if prefix else "anonymous")
        audit.record(status, client, actor, scope["path"], scope.get("method", "GET"), request_id)

    # --- answers -------------------------------------------------------------------------

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

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, error: RateLimitedError, is_api: bool
    ) -> None:
        page = None if is_api else getattr(scope["app"].state, "rate_limited_page", None)
        if page is not None:  # the page says Retry-After itself
            response: Response = page(Request(scope, receive), error)
            await response(scope, receive, send)
            return
        retry_after = (b"retry-after", b"%d" % error.retry_after)
        await _send_problem(send, error, scope["path"], [retry_after])

    # --- metrics and the access log ------------------------------------------------------

    def _observe(self, method: str, template: str, status: int, seconds: float) -> None:
        counter = self._requests.get((method, template, status))
        if counter is None:
            if len(self._requests) > 10_000:
                self._requests.clear()
            counter = self._requests[(method, template, status)] = HTTP_REQUESTS.labels(
                method, template, str(status)
            )
        counter.inc()
        histogram = self._durations.get((method, template))
        if histogram is None:
            if len(self._durations) > 10_000:
                self._durations.clear()
            histogram = self._durations[(method, template)] = HTTP_DURATION.labels(method, template)
        histogram.observe(seconds)

    def _log(
        self,
        scope: Scope,
        request_id: str,
        path: str,
        template: str,
        status: int,
        started: float,
        client: str,
        key: keys.KeyInfo | None,
        cache: bytes | None,
    ) -> None:
        state = scope.get("state") or {}
        line = {
            "event": "request",
            "request_id": request_id,
            "method": scope.get("method"),
            "path": path,
            "route": None if template == "unmatched" else template,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "client": client,
            "key": key.prefix if key else None,
            "cache": cache.decode("latin-1") if cache is not None else None,
            "queries": state.get("openpolicy_queries"),
            "db_ms": state.get("openpolicy_db_ms"),
            "level": "info",
            "timestamp": self.clock.now(),
        }
        write_access_line(orjson.dumps(line))


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """Host names the site answers to (None: any). The public URL's host always is."""
    hosts = {host.strip().lower() for host in settings.allowed_hosts if host.strip()}
    if "*" in hosts:
        return None
    if settings.site_url:
        site_host = urlsplit(settings.site_url).hostname
        if site_host:
            hosts.add(site_host.lower())
    return frozenset(hosts)


def _host_allowed(host: bytes | None, allowed: frozenset[str]) -> bool:
    if not host:
        return False
    text = host.decode("latin-1").lower()
    if text.startswith("["):  # [::1]:8000
        name = text[1 : text.find("]")] if "]" in text else text
    else:
        name = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    return name in allowed


_ID_PREFIX = uuid.uuid4().hex[:20]  # unique per process; a counter makes each id unique
_ids = itertools.count(1)


def _request_id(given: bytes | None) -> str:
    if given:
        text = given.decode("latin-1")
        if _REQUEST_ID.match(text):
            return text
    return f"{_ID_PREFIX}{next(_ids):012x}"


async def _send_preflight(send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": PREFLIGHT_HEADERS})
    await send({"type": "http.response.body", "body": b""})


async def _send_problem(send: Send, error: OpenPolicyError, path: str, headers: Headers) -> None:
    body = problem_bytes(error, path)
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", b"%d" % len(body)),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
