"""Circuit breakers: stop asking a dependency that keeps failing, and find out when it is back.

A breaker is *closed* while its dependency answers. After `failures` failures in a row it
*opens*: callers are refused at once (the API answers 503 with `Retry-After` instead of
waiting on a dead database; the rate limiter counts in-process instead of waiting on a hung
Redis). Every `cooldown` seconds an open breaker probes for recovery: with a `probe`
function, in a thread of its own while requests keep being refused (no request pays for the
probe); without one, the next caller is let through as the probe (*half-open*). A probe that
succeeds closes the breaker; one that fails keeps it open for another cooldown.

The closed path is one attribute read, so asking costs nothing while all is well.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

log = logging.getLogger("openpolicy.breaker")

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"

Clock = Callable[[], float]


class CircuitBreaker:
    """See the module docstring. Safe to use from the event loop and from threads."""

    def __init__(
        self,
        name: str,
        *,
        failures: int = 3,
        cooldown: float = 2.0,
        probe: Callable[[], object] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self.probe = probe
        self.clock = clock
        self.state = CLOSED
        self.consecutive_failures = 0
        self.opened_at = float("-inf")
        self.times_opened = 0
        self.last_error: str | None = None
        self._probe_started = float("-inf")
        self._lock = threading.Lock()
        self._before_closing: list[Callable[[], object]] = []

    def before_closing(self, hook: Callable[[], object]) -> None:
        """Run `hook` in the probe's thread after a successful probe, before requests are
        let through again (the read pools drop the connections the outage broke)."""
        self._before_closing.append(hook)

    # --- asking ----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.state == CLOSED

    def allow(self) -> bool:
        """True when the caller may use the dependency now (closed, or this caller probes)."""
        if self.state == CLOSED:
            return True
        now = self.clock()
        with self._lock:
            if self.state == CLOSED:
                return True
            if now - self._probe_started < self.cooldown or now - self.opened_at < self.cooldown:
                return False
            self._probe_started = now
            if self.probe is None:
                self.state = HALF_OPEN
                return True  # this caller is the probe
        threading.Thread(target=self._run_probe, name=f"probe-{self.name}", daemon=True).start()
        return False

    def retry_after(self) -> int:
        """Whole seconds until the next probe (at least 1): a `Retry-After` for clients."""
        since = max(self.opened_at, self._probe_started)
        if since == float("-inf"):  # not opened yet: a full cooldown
            return max(1, math.ceil(self.cooldown))
        return max(1, math.ceil(self.cooldown - (self.clock() - since)))

    # --- reporting -------------------------------------------------------------------

    def succeeded(self) -> None:
        if self.state == CLOSED and self.consecutive_failures == 0:
            return
        with self._lock:
            was = self.state
            self.state = CLOSED
            self.consecutive_failures = 0
        if was != CLOSED:
            log.warning("%s is answering again: circuit closed", self.name)

    def failed(self, error: BaseException | str | None = None) -> None:
        reason = _describe(error)
        with self._lock:
            self.consecutive_failures += 1
            if reason is not None:
                self.last_error = reason
            if self.state == HALF_OPEN or (
                self.state == CLOSED and self.consecutive_failures >= self.threshold
            ):
                opening = self.state == CLOSED
                self.state = OPEN
                self.opened_at = self.clock()
                if opening:
                    self.times_opened += 1
                    log.warning(
                        "%s failed %d times in a row (%s): circuit open, probing every %.1f s",
                        self.name,
                        self.consecutive_failures,
                        reason,
                        self.cooldown,
                    )

    def snapshot(self) -> dict[str, Any]:
        """The breaker as /health reports it."""
        shown: dict[str, Any] = {"state": self.state, "times_opened": self.times_opened}
        if self.state != CLOSED:
            shown["retry_after_seconds"] = self.retry_after()
            shown["last_error"] = self.last_error
        return shown

    def _run_probe(self) -> None:
        assert self.probe is not None
        try:
            self.probe()
        except Exception as exc:  # any failure keeps it open for another cooldown
            with self._lock:
                self.last_error = _describe(exc)
                self.opened_at = self.clock()
            return
        for hook in self._before_closing:
            try:
                hook()
            except Exception:
                log.exception("%s: a recovery hook failed", self.name)
        self.succeeded()


def _describe(error: BaseException | str | None) -> str | None:
    if error is None or isinstance(error, str):
        return error
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


# --- the database on the request path ------------------------------------------------


def database_failure(exc: BaseException) -> bool:
    """Errors that say the database cannot be reached (not that a statement was wrong)."""
    import psycopg
    import psycopg_pool

    if isinstance(exc, psycopg_pool.PoolTimeout):
        return True
    if isinstance(exc, psycopg.errors.QueryCanceled):  # a statement timeout: the server is up
        return False
    return isinstance(exc, psycopg.OperationalError)


def database_unavailable(breaker: CircuitBreaker, cause: BaseException | None = None) -> Exception:
    """The 503 a request gets while the database cannot be reached."""
    from openpolicy.errors import DatabaseUnavailableError

    return DatabaseUnavailableError(
        "the database is unreachable; retry shortly", retry_after=breaker.retry_after()
    )


@contextmanager
def guard_database(breaker: CircuitBreaker) -> Iterator[None]:
    """Refuse at once while the breaker is open; report how the guarded block went."""
    if not breaker.allow():
        raise database_unavailable(breaker)
    try:
        yield
    except Exception as exc:
        if database_failure(exc):
            breaker.failed(exc)
            raise database_unavailable(breaker, exc) from exc
        raise
    breaker.succeeded()


@asynccontextmanager
async def guard_database_async(breaker: CircuitBreaker) -> AsyncIterator[None]:
    """`guard_database` for `async with` blocks."""
    if not breaker.allow():
        raise database_unavailable(breaker)
    try:
        yield
    except Exception as exc:
        if database_failure(exc):
            breaker.failed(exc)
            raise database_unavailable(breaker, exc) from exc
        raise
    breaker.succeeded()


def database_probe(conninfo: str, timeout: float) -> Callable[[], None]:
    """A probe that opens one connection of its own and runs `SELECT 1`."""

    def probe() -> None:
        import psycopg

        with psycopg.connect(
            conninfo,
            autocommit=True,
            connect_timeout=max(1, math.ceil(timeout)),
            application_name="openpolicy-probe",
        ) as conn:
            conn.execute("SELECT 1")

    return probe
