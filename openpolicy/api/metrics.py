"""Gauges of the server's connection pools (the read pool and the write pool, summed),
refreshed when Prometheus scrapes /metrics."""

from __future__ import annotations

import weakref
from typing import Any

from prometheus_client import Gauge
from psycopg_pool import AsyncConnectionPool

from openpolicy.ops.metrics import REGISTRY, register_scrape_hook

READ_POOL_SIZE = Gauge(
    "api_db_pool_size", "Connections open in the API's read pool.", registry=REGISTRY
)
READ_POOL_AVAILABLE = Gauge(
    "api_db_pool_available", "Idle connections in the API's read pool.", registry=REGISTRY
)
READ_POOL_WAITING = Gauge(
    "api_db_pool_waiting", "Requests waiting for a read connection.", registry=REGISTRY
)
READ_POOL_MAX = Gauge(
    "api_db_pool_max", "Most connections the API's read pool may open.", registry=REGISTRY
)

_pools: weakref.WeakSet[AsyncConnectionPool] = weakref.WeakSet()


def register_pool(pool: AsyncConnectionPool) -> None:
    _pools.add(pool)
    register_scrape_hook(_refresh)


def _refresh(engine: Any) -> None:
    size = available = waiting = maximum = 0
    for pool in list(_pools):
        if pool.closed:
            continue
        stats = pool.get_stats()
        size += stats.get("pool_size", 0)
        available += stats.get("pool_available", 0)
        waiting += stats.get("requests_waiting", 0)
        maximum += pool.max_size
    READ_POOL_SIZE.set(size)
    READ_POOL_AVAILABLE.set(available)
    READ_POOL_WAITING.set(waiting)
    READ_POOL_MAX.set(maximum)
