"""The one polite HTTP client every fetch of an official source goes through.

Parliament's servers are a public service, so the client: names the project and a contact
URL in its User-Agent; reads each host's robots.txt and refuses disallowed URLs; spaces
requests to one host (`http_requests_per_second`); retries 429, 5xx, timeouts and dropped
connections with exponential backoff and jitter, honouring Retry-After; sends the ETag /
Last-Modified of the last import so an unchanged document costs a 304; and refuses bodies
larger than `http_max_body_bytes`. It knows nothing of the database: callers archive what
it returns (see `openpolicy.ingest.documents`).
"""

from __future__ import annotations

import email.utils
import hashlib
import random
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
    """robots.txt forbids this URL (or could not be read: RFC 9309 says assume so)."""


class BodyTooLargeError(FetchError):
    """The body is larger than `http_max_body_bytes`."""


class _HostPacer:
    """Spaces requests to each host at least `interval` seconds apart (thread-safe)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.interval
        if start > now:
            time.sleep(start - now)


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
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
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
            refusal = self._robots_refusal(url)
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
        attempt = 0
        while True:
            self._pacer.wait(host)
            delay: float | None
            try:
                result = self._once(url, headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
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
                known = self._read_robots(origin)
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
            # Unreachable or forbidden: RFC 9309 says assume everything is disallowed.
            parser.parse(["User-agent: *", "Disallow: /"])
            return parser, f"robots.txt could not be read ({exc.problem}): assuming disallowed"
        parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
        return parser, "disallowed by robots.txt"
