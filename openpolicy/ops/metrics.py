"""Prometheus metrics: HTTP traffic, the database pool and scrape-time gauges.

Metrics live in one registry per process. Values that other replicas or the worker change
(source freshness, backup age) are read from the database when Prometheus scrapes, through
hooks that other modules register, so every replica reports the same truth.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from openpolicy.db import ping, pool_status

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
DATABASE_UP = Gauge(
    "database_up", "1 when the database answered the last scrape.", registry=REGISTRY
)
DB_POOL_SIZE = Gauge("db_pool_size", "Connections the pool keeps open.", registry=REGISTRY)
DB_POOL_CHECKED_OUT = Gauge(
    "db_pool_checked_out", "Connections in use right now.", registry=REGISTRY
)
DB_POOL_OVERFLOW = Gauge("db_pool_overflow", "Connections above the pool size.", registry=REGISTRY)
DB_POOL_CAPACITY = Gauge(
    "db_pool_capacity",
    "Most connections the pool may open (size + max overflow).",
    registry=REGISTRY,
)

ScrapeHook = Callable[[Engine], None]
_scrape_hooks: list[ScrapeHook] = []


def register_scrape_hook(hook: ScrapeHook) -> None:
    """Run `hook(engine)` before each scrape (idempotent registration)."""
    if hook not in _scrape_hooks:
        _scrape_hooks.append(hook)


def render_metrics(engine: Engine | None) -> tuple[bytes, str]:
    """The exposition text and its content type, with scrape-time gauges refreshed."""
    if engine is not None:
        status = pool_status(engine)
        DB_POOL_SIZE.set(status.size)
        DB_POOL_CHECKED_OUT.set(status.checked_out)
        DB_POOL_OVERFLOW.set(max(status.overflow, 0))
        DB_POOL_CAPACITY.set(status.capacity)
        try:
            ping(engine)
            DATABASE_UP.set(1)
        except SQLAlchemyError:
            DATABASE_UP.set(0)
        for hook in _scrape_hooks:
            try:
                hook(engine)
            except SQLAlchemyError:  # a failing hook must not take /metrics down
                DATABASE_UP.set(0)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
