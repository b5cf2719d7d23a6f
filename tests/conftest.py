"""The test session's real services: one embedded PostgreSQL cluster and one redis-server.

The schema is built by running the migrations (never create_all). Tests that write get a
session inside a transaction that is rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from openpolicy import embedded, schema
from openpolicy.config import Settings
from tests.support.offline import loopback_only
from tests.support.services import RedisServer, redis_server

TEST_DATABASE = "openpolicy_test"


@pytest.fixture(scope="session", autouse=True)
def _no_internet() -> Iterator[None]:
    """No test reaches the internet (tests/support/offline.py)."""
    with loopback_only():
        yield


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[embedded.EmbeddedCluster]:
    """A private PostgreSQL 18 cluster for the whole test session."""
    data_dir = tmp_path_factory.mktemp("postgres") / "pgdata"
    cluster = embedded.start(data_dir)
    yield cluster
    cluster.detach()


def fresh_database(cluster: embedded.EmbeddedCluster, name: str) -> URL:
    """Drop and create database `name` in `cluster`; return its URL."""
    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return cluster.url(name)


@pytest.fixture(scope="session")
def database_url(pg_cluster: embedded.EmbeddedCluster) -> URL:
    """The test database, migrated to head."""
    url = fresh_database(pg_cluster, TEST_DATABASE)
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def settings(database_url: URL, redis: RedisServer) -> Settings:
    """Settings pointing at the session's database and Redis (no env file involved)."""
    return Settings(
        database_url=database_url.render_as_string(hide_password=False),
        redis_url=redis.url,
        db_pool_size=5,
        db_max_overflow=5,
    )


@pytest.fixture(scope="session")
def engine(database_url: URL) -> Iterator[Engine]:
    engine = create_engine(database_url, pool_size=5, max_overflow=5, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end of the test, commits included."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No OpenPolicy variables from the caller's environment; cwd is an empty folder."""
    import os

    for name in list(os.environ):
        if name.startswith("OPENPOLICY_") or name in {
            "DATABASE_URL",
            "REDIS_URL",
            "MAINTENANCE_MODE",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path
