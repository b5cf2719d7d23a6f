"""The API's query functions on an async psycopg connection, without a thread per request.

The read side (`openpolicy.queries`) is written once, as plain blocking calls, and the web
site runs it in threads. The API runs the same functions in a greenlet (SQLAlchemy's
`greenlet_spawn`, the mechanism of its asyncio extension): each `execute` or `fetchall`
below hands the awaitable to the event loop and resumes when PostgreSQL has answered.
Measured on bench/api.py, the thread hop (queue, wake-up, GIL hand-over) cost more Python
time than a small request's whole handler, and 40 threads contending for the GIL made the
tail latency.

Code that runs inside must never block on a threading lock another request could hold:
that request's greenlet may be suspended on this very thread (see the reference and
search caches).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy.util import await_only, greenlet_spawn

from openpolicy.queries._sql import Connection, current_stats

T = TypeVar("T")


class GreenCursor:
    """The results of one statement, fetched through the event loop."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: psycopg.AsyncCursor[Any]) -> None:
        self._cursor = cursor

    def fetchall(self) -> list[Any]:
        return await_only(self._cursor.fetchall())

    def fetchone(self) -> Any | None:
        return await_only(self._cursor.fetchone())


class GreenConnection:
    """An `AsyncConnection` behind the blocking `Connection` protocol of the queries.

    Results come in PostgreSQL's binary format (same Python values). Counts statements for
    Server-Timing and the query-count tests, as the sync pool's counting cursor does.
    """

    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None
    ) -> GreenCursor:
        stats = current_stats()
        if stats is None:
            return GreenCursor(await_only(self._conn.execute(query, params, prepare=prepare)))
        started = time.perf_counter()
        try:
            return GreenCursor(await_only(self._conn.execute(query, params, prepare=prepare)))
        finally:
            stats.count += 1
            stats.seconds += time.perf_counter() - started

    def pipeline(self) -> AbstractContextManager[None]:
        return _pipeline(self._conn)


@contextmanager
def _pipeline(conn: psycopg.AsyncConnection[Any]) -> Iterator[None]:
    manager = conn.pipeline()
    await_only(manager.__aenter__())
    try:
        yield
    except BaseException as exc:
        if not await_only(manager.__aexit__(type(exc), exc, exc.__traceback__)):
            raise
    else:
        await_only(manager.__aexit__(None, None, None))


async def run_queries(conn: psycopg.AsyncConnection[Any], work: Callable[[Connection], T]) -> T:
    """`work(connection)` with its database calls awaited on the running event loop."""
    return await greenlet_spawn(work, GreenConnection(conn))
