"""The database engine, its connection pool, and the session scope.

`database_url()` is the one place that decides where the data lives: the configured
DATABASE_URL, or the embedded cluster (started on demand). Nothing connects at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from openpolicy.config import Settings

if TYPE_CHECKING:
    from openpolicy.embedded import EmbeddedCluster

_cluster: EmbeddedCluster | None = None


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


def create_db_engine(settings: Settings, url: URL | None = None) -> Engine:
    """An engine with the pool sized from settings."""
    return create_engine(
        url if url is not None else database_url(settings),
        poolclass=QueuePool,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": "openpolicy",
        },
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error. Callers own transactions."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


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
    """Size, checked-out connections and overflow of this process's pool."""
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
