"""Ingest tests: a fresh migrated database per test (cloned from a template) and the
loopback stand-in for Parliament's servers, serving the real captures."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from openpolicy import embedded, schema
from openpolicy.config import Settings
from openpolicy.ingest.runner import connect
from tests.conftest import fresh_database
from tests.ingest.parliament import FIXTURES, Parliament, parliament_server

TEMPLATE = "ingest_template"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def ingest_template(pg_cluster: embedded.EmbeddedCluster) -> str:
    """A migrated database that each test's database is cloned from (fast)."""
    url = fresh_database(pg_cluster, TEMPLATE)
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return TEMPLATE


@pytest.fixture
def ingest_db(pg_cluster: embedded.EmbeddedCluster, ingest_template: str) -> Iterator[URL]:
    """A private, migrated, empty database for one test."""
    name = f"ingest_{next(_numbers)}"
    admin = create_engine(pg_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{ingest_template}"'))
    try:
        yield pg_cluster.url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def parliament() -> Iterator[Parliament]:
    with parliament_server() as server:
        yield server


def settings_for(database: URL, server: Parliament | None = None, **overrides: Any) -> Settings:
    """Settings pointing the real client at the loopback server, with fast retries."""
    base = server.url if server is not None else "http://127.0.0.1:9"
    values: dict[str, Any] = {
        "database_url": database.render_as_string(hide_password=False),
        "parl_base_url": base,
        "ourcommons_base_url": base,
        "http_requests_per_second": 1000.0,
        "http_backoff_seconds": 0.01,
        "http_timeout_seconds": 5.0,
        "http_max_retries": 2,
        "db_pool_size": 2,
        "db_max_overflow": 2,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def query(ingest_db: URL) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
    """Run SQL against the test's database and return all rows."""
    conn = connect(ingest_db, "openpolicy-test")

    def run(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in conn.execute(sql.encode(), params or None).fetchall()]

    yield run
    conn.close()


@pytest.fixture(scope="session")
def capture() -> Callable[[str], bytes]:
    def read(relative: str) -> bytes:
        return (FIXTURES / relative).read_bytes()

    return read


__all__ = ["FIXTURES", "Path", "psycopg", "settings_for"]
