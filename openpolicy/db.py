"""The one place that opens connections to PostgreSQL (docs/architecture.md says why so).

* **Reads** — the API and the web site alike — go through one `ReadPool`: a psycopg
  `AsyncConnectionPool` of autocommit connections that keep their statements prepared and
  run cached generic plans, used from `async def` query functions (openpolicy.queries) on
  the server's event loop. A `ReadPool` carries the `DataVersionWatcher` of the database it
  reads, so a pool pointed at a streaming replica follows that replica's data version.
  With DATABASE_REPLICA_URLS the primary's pool holds one such pool per replica, and
  `pick()` chooses where each request reads: the replicas in turn, the primary when none
  is up. Other channels ride on the primary watcher's connection (`listen`): the
  maintenance switch.
* **Failing fast.** The server's pools sit behind the database's circuit breaker
  (openpolicy.breaker): a request waits at most `db_acquire_timeout_seconds` for a
  connection, and while the circuit is open it is refused at once with a 503 and
  `Retry-After`; a probe finds the database back, the pools drop the connections the outage
  broke, and requests resume. Replicas are not behind it: a replica that stops or hangs is
  left out by its own watcher (`pick`), so it never opens the primary's circuit.
* **Writes** — ingest, the command line, operations — open plain psycopg connections with
  `connect()` (or `connect_async()` for a command that reads through the query functions).
  The server's own few writes (audit trail, API-key use) and the key checks that must see
  them go through a small `WritePool` on the primary.
* **Schema changes** — Alembic, and the operations commands written with SQLAlchemy — use
  `create_db_engine()`.

`database_url()` decides where the data lives: DATABASE_URL, or the embedded cluster
(started on demand). Nothing connects at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import sqlalchemy.exc
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import QueuePool

from openpolicy.breaker import CircuitBreaker, guard_database_async
from openpolicy.config import Settings
from openpolicy.dataversion import CHANNEL, VERSION_SQL, WATCH_SQL

if TYPE_CHECKING:
    from openpolicy.embedded import EmbeddedCluster

log = logging.getLogger("openpolicy.db")

_cluster: EmbeddedCluster | None = None

# What a database that cannot be reached raises, whichever connection was asked: no
# connection could be opened, or the pool had none to give in time.
DATABASE_DOWN: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    PoolTimeout,
    sqlalchemy.exc.OperationalError,
)


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    """The embedded cluster of this process, started (or attached to) on first use."""
    global _cluster
    if _cluster is None:
        from openpolicy import embedded

        _cluster = embedded.start(settings.data_dir, database=settings.embedded_database)
    return _cluster


def database_url(settings: Settings) -> URL:
    """Where the data lives: DATABASE_URL, or the embedded cluster's socket."""
    if settings.database_url is not None:
        url = make_url(settings.database_url.get_secret_value())
        # Accept the URLs operators paste (postgres://, postgresql://) and use psycopg 3.
        if url.drivername in {"postgres", "postgresql"}:
            url = url.set(drivername="postgresql+psycopg")
        return url
    return embedded_cluster(settings).url(settings.embedded_database)


def conninfo(url: URL | str) -> str:
    """A libpq connection string for a database URL (TCP or the embedded Unix socket)."""
    parsed = url if isinstance(url, URL) else make_url(url)
    params: dict[str, Any] = {}
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    if parsed.host:
        params["host"] = parsed.host
    if parsed.port:
        params["port"] = parsed.port
    if parsed.username:
        params["user"] = parsed.username
    if parsed.password:
        params["password"] = parsed.password
    if parsed.database:
        params["dbname"] = parsed.database
    return make_conninfo(**params)


def _target(where: Settings | URL | str) -> str:
    if isinstance(where, Settings):
        return conninfo(database_url(where))
    if isinstance(where, URL) or "://" in where:
        return conninfo(where)
    return where  # already a libpq string


# --- query accounting ---------------------------------------------------------------------


@dataclass
class QueryStats:
    """Statements sent and time spent in the database by one request (Server-Timing, the
    access log, and the query-count tests)."""

    count: int = 0
    seconds: float = 0.0


_stats: contextvars.ContextVar[QueryStats | None] = contextvars.ContextVar(
    "openpolicy_query_stats", default=None
)


def track_queries() -> QueryStats:
    """Start counting the statements of the current request (its task's context)."""
    stats = QueryStats()
    _stats.set(stats)
    return stats


def current_stats() -> QueryStats | None:
    return _stats.get()


class CountingCursor(psycopg.AsyncCursor[Any]):
    """The read connections' cursor: counts and times its statements."""

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> CountingCursor:
        stats = _stats.get()
        if stats is None:
            await super().execute(query, params, **kwargs)
            return self
        started = time.perf_counter()
        try:
            await super().execute(query, params, **kwargs)
        finally:
            stats.count += 1
            stats.seconds += time.perf_counter() - started
        return self


class CountingServerCursor(psycopg.AsyncServerCursor[Any]):
    """The streaming (server-side) counterpart, for exports."""

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> CountingServerCursor:
        stats = _stats.get()
        if stats is not None:
            stats.count += 1
        await super().execute(query, params, **kwargs)
        return self


# --- the read side ------------------------------------------------------------------------

ReadConnection = psycopg.AsyncConnection[Any]

# A connection checked out less than this ago is trusted without a ping: the pre-ping round
# trip would cost more than the queries of a small request, and a connection that died
# since is discarded by the pool when its query fails. The time is kept at checkout, not
# at return: a pool `reset` callback makes psycopg_pool hand every returned connection to
# a background worker, and measured on bench/api.py most requests then queued for one.
PING_AFTER_IDLE_SECONDS = 5.0
_checked_out_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


async def _ping_if_idle(conn: ReadConnection) -> None:
    """The pool's pre-ping, for connections idle a while (not counted as the request's)."""
    now = time.monotonic()
    idle = now - _checked_out_at.get(conn, now)
    _checked_out_at[conn] = now
    if idle > PING_AFTER_IDLE_SECONDS:
        token = _stats.set(None)
        try:
            await AsyncConnectionPool.check_connection(conn)
        finally:
            _stats.reset(token)


async def _configure_read(conn: ReadConnection) -> None:
    conn.cursor_factory = CountingCursor
    conn.server_cursor_factory = CountingServerCursor
    _checked_out_at[conn] = time.monotonic()  # just connected: no ping needed yet


# Called with the watcher's connection when it connects and on each notice of its channel.
Listener = Callable[[ReadConnection], Awaitable[None]]


class DataVersionWatcher:
    """The data version of one database as this process knows it: `current()` is
    (version, changed_at), or None while unknown (then a request reads the row itself).

    A task on the event loop holds its own connection to the database its pool reads.
    On a primary it LISTENs on the data-version channel (`bump_data_version` NOTIFYs at
    commit, so the version never runs ahead of the data) and reads the row again on every
    notification and at least every `REFRESH_SECONDS`. A hot standby refuses LISTEN, and
    replays the row with the data it labels: there the row is polled every
    `POLL_SECONDS`, so the version follows the replica, never the primary. Each read also
    notes whether the database is a standby and how old its last replayed transaction is
    (`replay_lag`); a read that does not answer within `READ_TIMEOUT_SECONDS` counts as
    the database being down, so a hung replica is left out like a stopped one.

    Other channels ride on the same connection (`listen(channel, callback)`, before
    `start`): the maintenance switch does. Each callback runs when the connection is made
    and on every notice of its channel; `listening` is True only once they all ran, and
    only on a primary (a process that is not listening reads such state itself).
    """

    REFRESH_SECONDS = 5.0
    POLL_SECONDS = 0.5
    WAIT_SECONDS = 0.5
    RETRY_SECONDS = 1.0
    READ_TIMEOUT_SECONDS = 2.0

    def __init__(self, target: str, *, application_name: str = "openpolicy-version") -> None:
        self.target = target
        self.application_name = application_name
        self.listening = False
        self.standby = False
        self.replay_lag: float | None = None  # seconds, on a standby that replayed one
        self.connects = 0  # connections made so far: a new one means the database came back
        self._connection: ReadConnection | None = None
        self.listeners: dict[str, Listener] = {}
        self._value: tuple[int, dt.datetime | None] | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def listen(self, channel: str, callback: Listener) -> None:
        """Also LISTEN on `channel` and call `callback` (see the class docstring)."""
        self.listeners[channel] = callback

    def current(self) -> tuple[int, dt.datetime | None] | None:
        return self._value

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop it watches from (to stop it from another thread)."""
        return self._task.get_loop() if self._task is not None else None

    async def start(self, wait: float = 5.0) -> None:
        """Start watching; return once the version is known (or after `wait` seconds)."""
        self._ready = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="data-version")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), wait)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._value = None

    async def _read(self, conn: ReadConnection) -> None:
        try:
            async with asyncio.timeout(self.READ_TIMEOUT_SECONDS):
                row = await (await conn.execute(WATCH_SQL)).fetchone()
        except TimeoutError:
            raise psycopg.OperationalError(
                f"no answer to the data version read in {self.READ_TIMEOUT_SECONDS} s"
            ) from None
        assert row is not None  # WATCH_SQL always returns one row
        if conn is not self._connection:
            self._connection = conn
            self.connects += 1
        version, changed_at, self.standby, self.replay_lag = row
        self._value = (int(version or 0), changed_at)

    async def _run(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.target, autocommit=True, application_name=self.application_name
                ) as conn:
                    primary = True
                    try:
                        for channel in (CHANNEL, *self.listeners):
                            await conn.execute(f"LISTEN {channel}")
                    except psycopg.errors.ReadOnlySqlTransaction:
                        primary = False  # a hot standby: poll the replayed row
                    await self._read(conn)
                    if primary:
                        for listener in self.listeners.values():
                            await listener(conn)
                    self.listening = primary
                    self._ready.set()
                    refreshed = time.monotonic()
                    while True:
                        heard: set[str] = {CHANNEL}
                        if primary:
                            heard = set()
                            async for notice in conn.notifies(
                                timeout=self.WAIT_SECONDS, stop_after=1
                            ):
                                heard.add(notice.channel)
                            for channel in heard & self.listeners.keys():
                                await self.listeners[channel](conn)
                        else:
                            await asyncio.sleep(self.POLL_SECONDS)
                        if CHANNEL in heard or time.monotonic() - refreshed >= self.REFRESH_SECONDS:
                            await self._read(conn)
                            refreshed = time.monotonic()
            except psycopg.Error as exc:
                self._value = None
                self.listening = False
                log.warning("data version watcher: %s; reading per request meanwhile", exc)
                self._ready.set()
                await asyncio.sleep(self.RETRY_SECONDS)


class ReadPool:
    """The read side's connections: one pool, one kind of connection, for the API and the
    web site alike (and any replica, by its URL).

    Connections are autocommit (no BEGIN/COMMIT round trips for single reads), prepare
    every statement from its second use, count their statements, and run cached generic
    plans (`plan_cache_mode=force_generic_plan`): planning a list page or a detail page's
    joins took several times longer than running them (0.37 ms against 0.06 ms for a page
    of bills). Query functions whose best plan depends on the values (search windows)
    send their values as literals, never prepared.

    With a `breaker` (the server's), `connection()` fails fast: see the module docstring.
    """

    def __init__(
        self,
        settings: Settings,
        url: URL | str,
        *,
        name: str = "openpolicy-read",
        replicas: Sequence[URL | str] = (),
        breaker: CircuitBreaker | None = None,
    ):
        self.url = url
        self.conninfo = _target(url)
        self.name = name
        self.breaker = breaker
        self.pool = AsyncConnectionPool(
            self.conninfo,
            min_size=min(settings.db_pool_size, 4),
            max_size=settings.db_pool_size + settings.db_max_overflow,
            # The request path's wait, not the pool timeout of ingest and operations.
            timeout=settings.db_acquire_timeout_seconds,
            reconnect_timeout=RECONNECT_SECONDS,
            max_lifetime=float(max(settings.db_pool_recycle_seconds, 60)),
            kwargs={
                "autocommit": True,
                "prepare_threshold": 1,
                "connect_timeout": settings.db_connect_timeout_seconds,
                "application_name": name,
                "options": "-c plan_cache_mode=force_generic_plan",
            },
            configure=_configure_read,
            check=_ping_if_idle if settings.db_pool_pre_ping else None,
            name=name,
            open=False,
        )
        self.version = DataVersionWatcher(
            make_conninfo(self.conninfo, connect_timeout=settings.db_connect_timeout_seconds),
            application_name=f"{name}-version",
        )
        # Streaming replicas of this (primary) database, each a pool of its own.
        self.replicas = [
            ReadPool(settings, replica, name=f"{name}-replica{number}")
            for number, replica in enumerate(replicas, start=1)
        ]
        self.max_lag_seconds = settings.database_replica_max_lag_seconds
        self.behind_since: float | None = None  # as a replica: first seen behind the primary
        self.checked_connects = 0  # the watcher's connects when the pool was last checked
        self._checking: Any = None
        self._turn = 0

    async def open(self) -> None:
        """Open in the event loop that will use the connections (the app's lifespan)."""
        await self.pool.open(wait=False)
        _check_on_recovery(self.pool, self.breaker)
        await self.version.start()
        self.checked_connects = self.version.connects  # a new pool: nothing broken to drop
        for replica in self.replicas:
            await replica.open()

    async def close(self) -> None:
        for replica in self.replicas:
            await replica.close()
        await self.version.stop()
        await self.pool.close()  # waits at most 5 s for connections in use

    def pick(self) -> ReadPool:
        """Where one request reads: the next replica in turn that is up and current enough,
        else this pool (the primary). The request then takes its data version and its
        connection from the pool picked, so what it serves is labelled with the version of
        the data it read.

        A replica is up while its watcher knows its version (the watcher polls it every
        half second; a replica that stops or hangs is left out at its next poll). It is
        current enough unless it has been behind the primary's data version for longer
        than `database_replica_max_lag_seconds` and its last replayed transaction is older
        than that too: a replica a few seconds behind, or one replaying a long ingest,
        serves; one whose replication stopped does not, until it catches up."""
        replicas = self.replicas
        if not replicas:
            return self
        count = len(replicas)
        first = self._turn
        self._turn = (first + 1) % count
        for step in range(count):
            replica = replicas[(first + step) % count]
            if self._serves(replica):
                return replica
        return self

    def _serves(self, replica: ReadPool) -> bool:
        known = replica.version.current()
        if known is None:
            return False
        if replica.checked_connects != replica.version.connects:
            replica.check_soon()
            return False
        primary = self.version.current()
        if primary is None or known[0] >= primary[0]:
            replica.behind_since = None
            return True
        now = time.monotonic()
        if replica.behind_since is None:
            replica.behind_since = now
        if now - replica.behind_since <= self.max_lag_seconds:
            return True
        lag = replica.version.replay_lag
        return lag is not None and lag <= self.max_lag_seconds

    def check_soon(self) -> None:
        """Drop the pool's connections that an outage broke (a replica back from a restart
        would otherwise fail one request per dead connection), then let `pick` choose it
        again. Runs on the watcher's event loop; callable from any thread."""
        loop = self.version.loop
        if self._checking is not None or loop is None:
            return
        self._checking = asyncio.run_coroutine_threadsafe(self._check(), loop)

    async def _check(self) -> None:
        connects = self.version.connects
        try:
            await self.pool.check()
            self.checked_connects = connects
        except psycopg.Error as exc:
            log.warning("read pool %s: checking its connections failed: %s", self.name, exc)
        finally:
            self._checking = None

    def connection(self) -> AbstractAsyncContextManager[ReadConnection]:
        if self.breaker is None:
            return self.pool.connection()
        return _guarded(self.pool, self.breaker)

    async def data_version(self, conn: ReadConnection) -> tuple[int, dt.datetime | None]:
        """The version of the data this pool reads: the watcher's, else read on `conn`."""
        known = self.version.current()
        if known is not None:
            return known
        row = await (await conn.execute(VERSION_SQL)).fetchone()
        return (int(row[0]), row[1]) if row else (0, None)


class WritePool:
    """The server's own writes (audit trail, API-key use) and the reads that must see them
    at once (API-key checks): a few autocommit connections to the primary, failing fast
    behind the primary's `breaker` like the read pool."""

    def __init__(
        self,
        settings: Settings,
        url: URL | str,
        *,
        name: str = "openpolicy-write",
        breaker: CircuitBreaker | None = None,
    ):
        self.breaker = breaker
        self.pool = AsyncConnectionPool(
            _target(url),
            min_size=1,
            max_size=4,
            timeout=settings.db_acquire_timeout_seconds,
            reconnect_timeout=RECONNECT_SECONDS,
            max_lifetime=float(max(settings.db_pool_recycle_seconds, 60)),
            kwargs={
                "autocommit": True,
                "connect_timeout": settings.db_connect_timeout_seconds,
                "application_name": name,
            },
            name=name,
            open=False,
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)
        _check_on_recovery(self.pool, self.breaker)

    async def close(self) -> None:
        await self.pool.close()  # waits at most 5 s for connections in use

    def connection(self) -> AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]:
        if self.breaker is None:
            return self.pool.connection()
        return _guarded(self.pool, self.breaker)


# How long a pool keeps retrying a lost connection in the background: one retry. While the
# database is down the breaker refuses requests at once and probes by itself; once it
# closes, the next request makes the pool connect straight away. A longer window left the
# pool asleep in its exponential backoff (1, 2, 4… s) when the database came back, and
# requests timed out waiting for it (tests/faults/test_database.py).
RECONNECT_SECONDS = 1.0


@contextlib.asynccontextmanager
async def _guarded(
    pool: AsyncConnectionPool[Any], breaker: CircuitBreaker
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """A connection of `pool` behind `breaker`: refused at once while it is open, failures
    to reach the database reported to it (and answered 503 with Retry-After)."""
    async with guard_database_async(breaker), pool.connection() as conn:
        yield conn


def _check_on_recovery(pool: AsyncConnectionPool[Any], breaker: CircuitBreaker | None) -> None:
    """When `breaker` finds the database back, drop the connections the outage broke before
    requests resume (each would fail one request, and could open the circuit again). The
    probe runs in a thread of its own; the check runs in the pool's event loop."""
    if breaker is None:
        return
    loop = asyncio.get_running_loop()

    def check() -> None:
        asyncio.run_coroutine_threadsafe(pool.check(), loop).result(timeout=10)

    breaker.before_closing(check)


# --- the write side -----------------------------------------------------------------------


def connect(
    where: Settings | URL | str,
    *,
    autocommit: bool = False,
    application_name: str = "openpolicy",
    **kwargs: Any,
) -> psycopg.Connection[Any]:
    """A plain connection for ingest, the command line and operations (the caller owns its
    transactions). `where` is the settings, a database URL or a libpq string."""
    return psycopg.connect(
        _target(where), autocommit=autocommit, application_name=application_name, **kwargs
    )


@contextlib.asynccontextmanager
async def connect_async(
    where: Settings | URL | str, *, application_name: str = "openpolicy-cli", **kwargs: Any
) -> AsyncIterator[ReadConnection]:
    """One read connection outside the server (the command line, benchmarks, the worker's
    watchdog), configured like the pool's, for calling the query functions."""
    conn = await psycopg.AsyncConnection.connect(
        _target(where),
        autocommit=True,
        prepare_threshold=1,
        application_name=application_name,
        **kwargs,
    )
    await _configure_read(conn)
    try:
        yield conn
    finally:
        await conn.close()


def create_db_engine(
    settings: Settings, url: URL | None = None, *, pool_timeout: float | None = None
) -> Engine:
    """A SQLAlchemy engine (Alembic, and the operations code written with it). The serving
    app passes its short `pool_timeout`, so an operations request answers 503 instead of
    waiting the pool timeout of ingest and the command line."""
    return create_engine(
        url if url is not None else database_url(settings),
        poolclass=QueuePool,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_timeout=settings.db_pool_timeout_seconds if pool_timeout is None else pool_timeout,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": "openpolicy",
        },
    )


@dataclass(frozen=True)
class PoolStatus:
    size: int
    checked_out: int
    overflow: int
    max_overflow: int
    idle: int

    @property
    def capacity(self) -> int:
        return self.size + self.max_overflow

    def as_dict(self) -> dict[str, int]:
        return {
            "size": self.size,
            "checked_out": self.checked_out,
            "overflow": max(self.overflow, 0),
            "max_overflow": self.max_overflow,
            "idle": self.idle,
            "capacity": self.capacity,
        }


def pool_status(engine: Engine) -> PoolStatus:
    """Size, checked-out connections and overflow of this process's engine pool."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return PoolStatus(size=0, checked_out=0, overflow=0, max_overflow=0, idle=0)
    return PoolStatus(
        size=pool.size(),
        checked_out=pool.checkedout(),
        overflow=pool.overflow(),
        max_overflow=pool._max_overflow,
        idle=pool.checkedin(),
    )


def ping(engine: Engine) -> None:
    """One round trip to the database; raises when it is unreachable."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
