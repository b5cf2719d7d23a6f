"""Health, for three readers:

* `/livez` — the process answers (the orchestrator restarts it when not). No dependency is
  asked: a database or Redis outage must never restart every replica.
* `/readyz` — the process can serve: the database answers (its circuit is closed and a
  `SELECT 1` runs within the acquisition timeout). Redis is optional: it only degrades.
  Load balancers and Kubernetes take an unready replica out of service until it is back.
* `/health` — the full report for people and monitoring: database, Redis, the ingest
  workers' heartbeats, the circuits. `healthy`, `degraded` (an optional part is down: Redis,
  a worker) or `unhealthy` (the database); HTTP 503 only when unhealthy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio.to_thread
from redis import Redis

from openpolicy import __version__
from openpolicy.breaker import CircuitBreaker
from openpolicy.cache import REDIS_FAILURES

HEALTHY = "healthy"
DEGRADED = "degraded"
UNHEALTHY = "unhealthy"


@dataclass
class CheckResult:
    status: str
    latency_ms: float | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"status": self.status}
        if self.latency_ms is not None:
            shown["latency_ms"] = round(self.latency_ms, 3)
        if self.error is not None:
            shown["error"] = self.error
        shown.update(self.details)
        return shown


class WorkerStatus(Protocol):
    """What a supervised in-process worker tells /health (`ingest.jobs.SupervisedWorker`)."""

    def status(self) -> dict[str, Any]: ...


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


WORKERS_SQL = (
    "SELECT id, extract(epoch FROM now() - last_heartbeat)::float8"
    " FROM procrastinate_workers ORDER BY id"
)
HAS_WORKERS_TABLE = "SELECT to_regclass('procrastinate_workers') IS NOT NULL"


async def check_database(
    pool: Any, breaker: CircuitBreaker | None, *, workers: bool = False
) -> tuple[CheckResult, list[tuple[int, float]] | None]:
    """One round trip through the request path's pool, `openpolicy.db.ReadPool` (and the
    workers' heartbeats)."""
    started = time.perf_counter()
    circuit = breaker.snapshot() if breaker is not None else None
    beats: list[tuple[int, float]] | None = None
    try:
        async with pool.connection() as conn:
            # The round trip that checks.
            row = await (await conn.execute(HAS_WORKERS_TABLE)).fetchone()
            if workers and row is not None and row[0]:
                rows = await (await conn.execute(WORKERS_SQL)).fetchall()
                beats = [(int(r[0]), float(r[1])) for r in rows]
            elif workers:
                beats = []  # not migrated yet: no worker can have registered
    except Exception as exc:
        details = {"circuit": breaker.snapshot()} if breaker is not None else {}
        return CheckResult(
            UNHEALTHY, error=f"database unreachable: {_reason(exc)}", details=details
        ), None
    details = {"circuit": circuit} if circuit is not None else {}
    return CheckResult(
        HEALTHY, latency_ms=(time.perf_counter() - started) * 1000, details=details
    ), beats


def check_redis(client: Redis, breaker: CircuitBreaker | None) -> CheckResult:
    """A PING on the operations client, unless the request path's circuit is open."""
    if breaker is not None and not breaker.closed:
        return CheckResult(
            UNHEALTHY,
            error="redis unreachable: circuit open (requests count and cache in-process)",
            details={"circuit": breaker.snapshot()},
        )
    started = time.perf_counter()
    try:
        client.ping()
    except REDIS_FAILURES as exc:
        return CheckResult(UNHEALTHY, error=f"redis unreachable: {_reason(exc)}")
    details = {"circuit": breaker.snapshot()} if breaker is not None else {}
    return CheckResult(HEALTHY, latency_ms=(time.perf_counter() - started) * 1000, details=details)


def check_workers(
    beats: list[tuple[int, float]], stale_after: float, in_process: WorkerStatus | None
) -> CheckResult | None:
    """Every registered worker's heartbeat, and this process's own worker when it runs one."""
    own = in_process.status() if in_process is not None else None
    if not beats and own is None:
        return None  # no worker anywhere: nothing to report (a serve-only install)
    stale = [
        {"id": wid, "heartbeat_age_seconds": round(age, 1)}
        for wid, age in beats
        if age > stale_after
    ]
    fresh = [wid for wid, age in beats if age <= stale_after]
    details: dict[str, Any] = {
        "registered": len(beats),
        "fresh": len(fresh),
        "stale": stale,
        "stale_after_seconds": stale_after,
    }
    problems = []
    if stale:
        problems.append(f"{len(stale)} worker(s) without a heartbeat for over {stale_after:.0f} s")
    if own is not None:
        own_id = own.get("worker_id")
        ages = dict(beats)
        if own_id is not None and own_id in ages:
            own = {**own, "heartbeat_age_seconds": round(ages[own_id], 1)}
        details["in_process"] = own
        if own.get("state") != "running":
            problems.append(f"the in-process worker is {own.get('state')}")
        elif own_id is None or own_id not in ages or ages[own_id] > stale_after:
            problems.append("the in-process worker's heartbeat is stale")
    if problems:
        return CheckResult(UNHEALTHY, error="; ".join(problems), details=details)
    return CheckResult(HEALTHY, details=details)


def liveness() -> dict[str, Any]:
    return {"status": "alive", "version": __version__}


async def readiness(
    pool: Any, breaker: CircuitBreaker | None, redis_breaker: CircuitBreaker | None
) -> tuple[bool, dict[str, Any]]:
    """Whether this process can serve now, and why."""
    database, _ = await check_database(pool, breaker)
    checks: dict[str, Any] = {"database": database.as_dict()}
    if redis_breaker is not None:
        checks["redis"] = {
            "status": HEALTHY if redis_breaker.closed else DEGRADED,
            "circuit": redis_breaker.snapshot(),
        }
    ready = database.status == HEALTHY
    return ready, {"status": "ready" if ready else "unready", "checks": checks}


async def health_report(
    *,
    pool: Any,
    database_breaker: CircuitBreaker | None,
    redis: Redis | None,
    redis_breaker: CircuitBreaker | None,
    environment: str,
    stale_after: float,
    worker: WorkerStatus | None = None,
) -> dict[str, Any]:
    """The whole report: unhealthy when the database is, degraded when an optional part is."""
    database, beats = await check_database(pool, database_breaker, workers=True)
    checks: dict[str, CheckResult] = {"database": database}
    if redis is not None:  # a blocking client with its own timeout: off the event loop
        checks["redis"] = await anyio.to_thread.run_sync(check_redis, redis, redis_breaker)
    if beats is not None:
        workers = check_workers(beats, stale_after, worker)
        if workers is not None:
            checks["workers"] = workers
    elif worker is not None:
        checks["workers"] = CheckResult(
            UNHEALTHY,
            error="heartbeats unknown while the database is unreachable",
            details={"in_process": worker.status()},
        )
    if database.status != HEALTHY:
        overall = UNHEALTHY
    elif all(check.status == HEALTHY for check in checks.values()):
        overall = HEALTHY
    else:
        overall = DEGRADED
    return {
        "status": overall,
        "version": __version__,
        "environment": environment,
        "checks": {name: result.as_dict() for name, result in checks.items()},
    }
