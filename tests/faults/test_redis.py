"""Redis stopped, then hung with SIGSTOP and resumed, under a serving process."""

from __future__ import annotations

import time

from tests.faults.conftest import (
    ANONYMOUS_LIMIT,
    OLD_REDIS_WAIT_SECONDS,
    Stack,
    new_address,
    record,
)
from tests.support.services import wait_until

REQUESTS = 20


def _burst(stack: Stack, fault: str) -> None:
    """REQUESTS cacheable requests, different each: with the old client each one waited at
    least one Redis timeout, so together they took REQUESTS x that."""
    started = time.perf_counter()
    for n in range(REQUESTS):
        response, seconds = stack.get(f"/api/v1/bills?limit={n + 1}")
        assert response.status_code == 200, response.text[:300]
        if n in (0, REQUESTS - 1):
            record(fault, f"/api/v1/bills #{n + 1}", "200", seconds)
    elapsed = time.perf_counter() - started
    record(fault, f"{REQUESTS} API requests in all", "200", elapsed)
    assert elapsed < REQUESTS * OLD_REDIS_WAIT_SECONDS


def _limit_still_holds(stack: Stack, fault: str) -> None:
    """Without Redis the process counts alone: the limit still applies."""
    client = new_address()
    minute = time.time() // 60
    statuses = [
        stack.get("/api/v1/ping", client=client)[0].status_code for _ in range(ANONYMOUS_LIMIT + 3)
    ]
    if time.time() // 60 != minute:
        return  # a new window began mid-burst: nothing to conclude
    record(
        fault,
        f"{ANONYMOUS_LIMIT + 3} pings, limit {ANONYMOUS_LIMIT}/min",
        f"{statuses.count(429)} x 429",
        None,
    )
    assert statuses == [200] * ANONYMOUS_LIMIT + [429] * 3


def test_redis_stopped(stack: Stack) -> None:
    fault = "redis stopped"
    stack.redis.stop()
    try:
        _burst(stack, fault)
        _limit_still_holds(stack, fault)
        ready, seconds = stack.get("/readyz")
        record(fault, "/readyz", str(ready.status_code), seconds)
        assert ready.status_code == 200  # Redis only degrades
        health = stack.health()
        record(fault, "/health", health["status"], None)
        assert health["status"] == "degraded"
        assert health["checks"]["redis"]["status"] == "unhealthy"
    finally:
        stack.redis.start()
    wait_until(lambda: stack.health()["status"] == "healthy", 60, "/health healthy again")
    record("redis started again", "/health", "healthy", None)


def test_redis_hung_then_resumed(stack: Stack) -> None:
    fault = "redis hung (SIGSTOP)"
    stack.redis.hang()
    try:
        _burst(stack, fault)
        _limit_still_holds(stack, fault)
        ping, seconds = stack.get("/api/v1/ping")
        record(fault, "/api/v1/ping", str(ping.status_code), seconds)
        assert ping.status_code == 200
        assert stack.get("/readyz")[0].status_code == 200
        health = stack.health()
        record(fault, "/health", health["status"], None)
        assert health["status"] == "degraded"
        assert health["checks"]["redis"]["circuit"]["state"] != "closed"
    finally:
        stack.redis.resume()
    wait_until(lambda: stack.health()["status"] == "healthy", 60, "/health healthy again")
    record("redis resumed", "/health", "healthy", None)
    # And the shared cache is used again: a repeated request is a hit.
    stack.get("/api/v1/parties")
    wait_until(
        lambda: stack.get("/api/v1/parties")[0].headers.get("x-cache") == "hit",
        60,
        "a cache hit through Redis",
    )
