"""The one polite HTTP client every fetch of an official source goes through.

Parliament's servers are a public service, so the client: names the project and a contact
URL in its User-Agent; reads each host's robots.txt and refuses disallowed URLs; spaces
requests to one host (`http_requests_per_second`); retries 429, 5xx, read timeouts and
dropped connections with exponential backoff and jitter, honouring Retry-After, and logs
each retry (a warning of `openpolicy.sources.http`, which the command line shows); sends the
ETag / Last-Modified of the last import so an unchanged document costs a 304; and refuses
bodies larger than `http_max_body_bytes`. It knows nothing of the database: callers archive
what it returns (see `openpolicy.ingest.documents`).

A host whose name does not resolve, or where nothing answers, fails at once with those words
(`HostUnreachableError`), without retries: the machine is offline, the name is wrong or the
server is down, and waiting does not help within a run. The client remembers it for
`UNREACHABLE_MEMORY` seconds, so a run over many documents stops asking. A robots.txt that
cannot be read for such reasons is reported as what it is, never as "disallowed".
"""

from __future__ import annotations

import collections
import email.utils
import hashlib
import logging
import random
import socket
import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from openpolicy import __version__
from openpolicy.config import Settings

ROBOTS_AGENT = "OpenPolicy"
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504}) | frozenset(range(505, 600))
CONNECT_TIMEOUT = 5.0  # seconds to open a connection: an answer takes milliseconds, or never
UNREACHABLE_MEMORY = 30.0  # seconds a host that could not be reached fails without a try

log = logging.getLogger("openpolicy.sources.http")


def user_agent(contact_url: str) -> str:
    """`OpenPolicy/0.1.0 (+https://…)`: who we are and where to reach us."""
    return f"{ROBOTS_AGENT}/{__version__} (+{contact_url})"


@dataclass(frozen=True)
class FetchResult:
    """One response worth keeping: a 200 with its body, or a 304 (nothing new)."""

    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class FetchError(Exception):
    """A URL could not be fetched; `str()` names the URL and the reason."""

    def __init__(self, url: str, problem: str, status: int | None = None) -> None:
        self.url = url
        self.problem = problem
        self.status = status
        super().__init__(f"{url}: {problem}")


class RobotsDisallowedError(FetchError):
    """robots.txt forbids this URL (or answers 401/403: RFC 9309 says assume so)."""


class HostUnreachableError(FetchError):
    """The host's name does not resolve, or nothing answers there; not retried."""


class RobotsUnreadableError(FetchError):
    """robots.txt answered a server error or timed out: nothing is fetched from the host
    (RFC 9309) until it can be read; that is not a refusal by its rules."""


def unreachable_problem(exc: httpx.TransportError, url: str) -> str | None:
    """ "cannot resolve host …" / "cannot reach host …", or None for other transport errors."""
    if not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return None
    parts = urlsplit(url)
    host = parts.hostname or parts.netloc
    port = parts.port or (443 if parts.scheme == "https" else 80)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            reason = cause.strerror or str(cause)
            return f"cannot resolve host {host} ({reason}): check the network and the name"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot reach host {host}:{port} (no answer within {CONNECT_TIMEOUT:g} s)"
    reason = str(exc).split("] ", 1)[-1] if "] " in str(exc) else str(exc)
    return f"cannot reach host {host}:{port} ({reason or 'connection failed'})"


class BodyTooLargeError(FetchError):
    """The body is larger than `http_max_body_bytes`."""


class _HostPacer:
    """Spaces requests to each host at least `interval` seconds apart (thread-safe).

    `departures[host]` keeps the monotonic times at which the last requests were let go:
    the client's own schedule, which is what the spacing promise is about (a server sees
    requests later, by however long the network and its own scheduling took)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self.departures: dict[str, collections.deque[float]] = {}

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.interval
        if start > now:
            time.sleep(start - now)
        with self._lock:
            departed = time.monotonic()
            # The next request waits a full interval after this one actually left (a sleep
            # that overslept must not shorten the next gap).
            self._next[host] = max(self._next[host], departed + self.interval)
            self.departures.setdefault(host, collections.deque(maxlen=64)).append(departed)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class PoliteClient:
    """Fetch official documents politely. One instance per run; safe across threads."""

    def __init__(
        self,
        *,
        contact_url: str,
        requests_per_second: float = 1.0,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 2.0,
        max_retry_after: float = 300.0,
        max_body_bytes: int = 50_000_000,
        respect_robots: bool = True,
    ) -> None:
        self.user_agent = user_agent(contact_url)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_body_bytes = max_body_bytes
        self.respect_robots = respect_robots
        self._pacer = _HostPacer(1.0 / requests_per_second)
        self._robots: dict[str, tuple[urllib.robotparser.RobotFileParser, str]] = {}
        self._robots_lock = threading.Lock()
        self._unreachable: dict[str, tuple[float, str]] = {}  # host -> (when, problem)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
            trust_env=False,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> PoliteClient:
        return cls(
            contact_url=settings.http_contact_url,
            requests_per_second=settings.http_requests_per_second,
            timeout=settings.http_timeout_seconds,
            max_retries=settings.http_max_retries,
            backoff=settings.http_backoff_seconds,
            max_retry_after=settings.http_max_retry_after_seconds,
            max_body_bytes=settings.http_max_body_bytes,
            respect_robots=settings.http_respect_robots,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- public ---------------------------------------------------------------------------

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET `url`; a 304 when `etag`/`last_modified` still hold. Raises FetchError."""
        if self.respect_robots:
            try:
                refusal = self._robots_refusal(url)
            except HostUnreachableError as exc:
                raise HostUnreachableError(url, exc.problem) from None
            except FetchError as exc:
                raise RobotsUnreadableError(
                    url,
                    f"robots.txt could not be read ({exc.problem}): nothing is fetched from "
                    "this host until it can be (RFC 9309); try again later",
                    exc.status,
                ) from None
            if refusal is not None:
                raise RobotsDisallowedError(url, refusal)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._get(url, headers)

    # --- internals ------------------------------------------------------------------------

    def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        host = urlsplit(url).netloc
        remembered = self._unreachable.get(host)
        if remembered is not None and time.monotonic() - remembered[0] < UNREACHABLE_MEMORY:
            raise HostUnreachableError(url, remembered[1])
        attempt = 0
        while True:
            self._pacer.wait(host)
            delay: float | None
            try:
                result = self._once(url, headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                unreachable = unreachable_problem(exc, url)
                if unreachable is not None:
                    self._unreachable[host] = (time.monotonic(), unreachable)
                    raise HostUnreachableError(url, unreachable) from None
                problem = f"{type(exc).__name__}: {exc or 'timed out'}"
                delay = None
                status: int | None = None
            else:
                if isinstance(result, FetchResult):
                    return result
                status, retry_after = result
                problem = f"HTTP {status}"
                if status not in _RETRY_STATUSES:
                    raise FetchError(url, problem, status)
                delay = retry_after_seconds(retry_after)
                if delay is not None and delay > self.max_retry_after:
                    raise FetchError(
                        url, f"{problem} with Retry-After {delay:.0f}s (too long)", status
                    )
            if attempt >= self.max_retries:
                raise FetchError(url, f"{problem} after {attempt + 1} attempts", status)
            if delay is None:
                delay = self.backoff * (2**attempt) * random.uniform(0.5, 1.5)
            attempt += 1
            log.warning(
                "retry %d of %d in %.1f s: %s: %s", attempt, self.max_retries, delay, url, problem
            )
            time.sleep(delay)

    def _once(self, url: str, headers: dict[str, str]) -> FetchResult | tuple[int, str | None]:
        """One request: a result, or (status, Retry-After) for the retry loop to judge."""
        with self._http.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(
                    url=url,
                    status=304,
                    body=b"",
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    content_type=response.headers.get("Content-Type"),
                )
            if response.status_code != 200:
                return response.status_code, response.headers.get("Retry-After")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise BodyTooLargeError(
                    url, f"body of {declared} bytes exceeds the {self.max_body_bytes}-byte limit"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise BodyTooLargeError(
                        url, f"body exceeds the {self.max_body_bytes}-byte limit (stopped reading)"
                    )
                chunks.append(chunk)
            return FetchResult(
                url=url,
                status=200,
                body=b"".join(chunks),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                content_type=response.headers.get("Content-Type"),
            )

    def _robots_refusal(self, url: str) -> str | None:
        """Why robots.txt forbids `url`, or None when it may be fetched."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            known = self._robots.get(origin)
            if known is None:
                known = self._read_robots(origin)  # unreadable: raises, nothing remembered
                self._robots[origin] = known
        parser, reason = known
        return None if parser.can_fetch(ROBOTS_AGENT, url) else reason

    def _read_robots(self, origin: str) -> tuple[urllib.robotparser.RobotFileParser, str]:
        parser = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        try:
            result = self._get(f"{origin}/robots.txt", {})
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403):
                parser.parse(["User-agent: *", "Disallow:"])  # no robots.txt: all allowed
                return parser, ""
            if exc.status in (401, 403):  # RFC 9309: access to the rules refused, disallow
                parser.parse(["User-agent: *", "Disallow: /"])
                return parser, f"robots.txt answered HTTP {exc.status}: treated as disallowed"
            raise  # unreachable, a server error, a timeout: said as such by fetch()
        parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
        return parser, "disallowed by robots.txt"
