"""The read side's connection pool: psycopg 3 connections straight, no ORM in between.

Measured on the benchmark (bench/api.py): tuple rows from a psycopg pool with prepared
statements cost a fraction of an ORM round trip, and the API is read-only. Connections are
autocommit (no BEGIN/COMMIT round trips for single reads), prepare every statement from its
second use, and count their statements for Server-Timing and the query-count tests.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool
from sqlalchemy.engine import URL

from openpolicy.config import Settings
from openpolicy.queries._sql import configure_connection


def conninfo(url: URL) -> str:
    """A libpq connection string for a SQLAlchemy URL (TCP or the embedded Unix socket)."""
    params: dict[str, Any] = {}
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = url.port
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = url.password
    if url.database:
        params["dbname"] = url.database
    return make_conninfo(**params)


# A connection idle for less than this is trusted without a ping: the pre-ping round trip
# would cost more than the queries of a small request, and a connection that died since
# is discarded by the pool when its query fails.
PING_AFTER_IDLE_SECONDS = 5.0
_returned_at: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = (
    weakref.WeakKeyDictionary()
)


def _configure(conn: psycopg.Connection[Any]) -> None:
    configure_connection(conn)


def _returned(conn: psycopg.Connection[Any]) -> None:
    _returned_at[conn] = time.monotonic()


def _ping_if_idle(conn: psycopg.Connection[Any]) -> None:
    """Pre-ping (the db_pool_pre_ping setting) only connections idle for a while."""
    if time.monotonic() - _returned_at.get(conn, 0.0) > PING_AFTER_IDLE_SECONDS:
        ConnectionPool.check_connection(conn)


def create_read_pool(settings: Settings, url: URL, *, open_now: bool = True) -> ConnectionPool:
    """A pool sized like the engine's (pool size, overflow, timeout, recycle from Settings)."""
    pool = ConnectionPool(
        conninfo(url),
        min_size=min(settings.db_pool_size, 4),
        max_size=settings.db_pool_size + settings.db_max_overflow,
        timeout=settings.db_pool_timeout_seconds,
        max_lifetime=float(max(settings.db_pool_recycle_seconds, 60)),
        kwargs={
            "autocommit": True,
            "prepare_threshold": 1,
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": "openpolicy-api",
            # Statements are prepared (no parsing per request) but planned for their actual
            # parameters: a generic plan cannot know a search word's frequency or a page's
            # filters, and one bad generic plan stalls a whole connection.
            "options": "-c plan_cache_mode=force_custom_plan",
        },
        configure=_configure,
        check=_ping_if_idle if settings.db_pool_pre_ping else None,
        reset=_returned,
        name="openpolicy-api",
        open=False,
    )
    if open_now:
        pool.open(wait=False)
    return pool
