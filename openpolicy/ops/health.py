"""Health of the service and of each dependency, as `/health` and the scripts report it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from openpolicy import __version__
from openpolicy.db import ping

HEALTHY = "healthy"
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


def check_database(engine: Engine) -> CheckResult:
    """One round trip; the error names the cause without leaking credentials."""
    started = time.perf_counter()
    try:
        ping(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else "error"
        return CheckResult(UNHEALTHY, error=f"database unreachable: {reason}")
    return CheckResult(HEALTHY, latency_ms=(time.perf_counter() - started) * 1000)


def check_redis(client: Redis) -> CheckResult:
    started = time.perf_counter()
    try:
        client.ping()
    except RedisError as exc:
        return CheckResult(UNHEALTHY, error=f"redis unreachable: {exc}")
    return CheckResult(HEALTHY, latency_ms=(time.perf_counter() - started) * 1000)


def health_report(engine: Engine, redis: Redis | None, environment: str) -> dict[str, Any]:
    """The whole report: overall status is unhealthy when any dependency is."""
    checks = {"database": check_database(engine)}
    if redis is not None:
        checks["redis"] = check_redis(redis)
    overall = HEALTHY if all(c.status == HEALTHY for c in checks.values()) else UNHEALTHY
    return {
        "status": overall,
        "version": __version__,
        "environment": environment,
        "checks": {name: result.as_dict() for name, result in checks.items()},
    }
