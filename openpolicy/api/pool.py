"""The read side's connection pool: psycopg 3 connections straight, no ORM in between.

Measured on the benchmark (bench/api.py): tuple rows from a psycopg pool with prepared
statements cost a fraction of an ORM round trip, and the API is read-only. Connections are
autocommit (no BEGIN/COMMIT round trips for single reads), prepare every statement from its
second use, and count their statements for Server-Timing and the query-count tests.

Prepared statements run a cached generic plan (`plan_cache_mode=force_generic_plan`):
planning a list page or a detail page's joins took several times longer than running them
(0.37 ms against 0.06 ms for a page of bills), and PostgreSQL's own choice keeps planning
any statement with a LIMIT parameter. Searches switch to per-call plans for their own
statements (`openpolicy.queries._sql.planned_per_call`): their best plan depends on each
word's frequency.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool, ConnectionPool
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


# A connection checked out less than this ago is trusted without a ping: the pre-ping round
# trip would cost more than the queries of a small request, and a connection that died
# since is discarded by the pool when its query fails. The time is kept at checkout, not
# at return: a pool `reset` callback makes psycopg_pool hand every returned connection to
# a background worker, and measured on bench/api.py most requests then queued for one.
PING_AFTER_IDLE_SECONDS = 5.0
_checked_out_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


def _idle_for(conn: Any) -> float:
    now = time.monotonic()
    idle = now - _checked_out_at.get(conn, float("-inf"))
    _checked_out_at[conn] = now
    return idle


def _configure(conn: psycopg.Connection[Any]) -> None:
    configure_connection(conn)


def _ping_if_idle(conn: psycopg.Connection[Any]) -> None:
    """Pre-ping (the db_pool_pre_ping setting) only connections idle for a while."""
    if _idle_for(conn) > PING_AFTER_IDLE_SECONDS:
        ConnectionPool.check_connection(conn)


def _pool_options(settings: Settings, url: URL) -> dict[str, Any]:
    """What both read pools share: sizing from Settings and the connections' options."""
    return {
        "conninfo": conninfo(url),
        "min_size": min(settings.db_pool_size, 4),
        "max_size": settings.db_pool_size + settings.db_max_overflow,
        "timeout": settings.db_pool_timeout_seconds,
        "max_lifetime": float(max(settings.db_pool_recycle_seconds, 60)),
        "kwargs": _connection_kwargs(settings),
        "open": False,
    }


def _connection_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "autocommit": True,
        "prepare_threshold": 1,
        "connect_timeout": settings.db_connect_timeout_seconds,
        "application_name": "openpolicy-api",
        "options": "-c plan_cache_mode=force_generic_plan",
    }


def create_read_pool(settings: Settings, url: URL, *, open_now: bool = True) -> ConnectionPool:
    """A pool sized like the engine's (pool size, overflow, timeout, recycle from Settings):
    the threads of the web site, exports, key checks and the audit trail."""
    pool: ConnectionPool = ConnectionPool(
        **_pool_options(settings, url),
        configure=_configure,
        check=_ping_if_idle if settings.db_pool_pre_ping else None,
        name="openpolicy-api",
    )
    if open_now:
        pool.open(wait=False)
    return pool


async def _ping_if_idle_async(conn: psycopg.AsyncConnection[Any]) -> None:
    if _idle_for(conn) > PING_AFTER_IDLE_SECONDS:
        await AsyncConnectionPool.check_connection(conn)


def create_async_read_pool(settings: Settings, url: URL) -> AsyncConnectionPool:
    """The API's JSON endpoints: the same sizing, connections used from the event loop
    (openpolicy.api.green). Opened in the app's lifespan, which runs in that loop."""
    return AsyncConnectionPool(
        **_pool_options(settings, url),
        check=_ping_if_idle_async if settings.db_pool_pre_ping else None,
        name="openpolicy-api-async",
    )
