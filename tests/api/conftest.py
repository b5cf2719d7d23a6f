"""API tests: the bundled real sample, loaded once by the ingest pipeline into its own
database, served by real uvicorn servers on loopback with the session's redis-server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from openpolicy import embedded, schema
from openpolicy.app import create_app
from openpolicy.config import Settings
from openpolicy.db import conninfo
from openpolicy.ingest.sample import load_sample
from tests.conftest import fresh_database
from tests.support.services import LiveServer, RedisServer

API_DATABASE = "openpolicy_api"


@pytest.fixture(scope="session")
def api_database(pg_cluster: embedded.EmbeddedCluster) -> URL:
    """A database holding the bundled sample, imported by the real ingest pipeline."""
    url = fresh_database(pg_cluster, API_DATABASE)
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    reports = load_sample(url, Settings(database_url=url.render_as_string(hide_password=False)))
    assert all(r.status in {"succeeded", "partial"} for r in reports), reports
    return url


def api_settings(database: URL, redis: RedisServer | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.render_as_string(hide_password=False),
        "redis_url": redis.url if redis is not None else None,
        "db_pool_size": 2,
        "db_max_overflow": 6,
        "api_rate_limit_anonymous_per_minute": 1_000_000,
        "api_rate_limit_key_per_minute": 1_000_000,
        "api_key_cache_seconds": 0,
        "maintenance_cache_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def serve(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings)) as server:
        yield server


@pytest.fixture(scope="session")
def api_server(api_database: URL, redis: RedisServer) -> Iterator[LiveServer]:
    with serve(api_settings(api_database, redis)) as server:
        yield server


@pytest.fixture
def client(api_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.url, timeout=30) as http:
        yield http


@pytest.fixture
def sql(api_database: URL) -> Iterator[psycopg.Connection[Any]]:
    """A psycopg connection to the sample database (autocommit: each statement commits)."""
    with psycopg.connect(conninfo(api_database), autocommit=True) as conn:
        yield conn


Get = Callable[..., httpx.Response]


def queries(response: httpx.Response) -> int:
    """Statements the request sent to PostgreSQL, from its Server-Timing header."""
    match = re.search(r'db;desc="(\d+) queries"', response.headers.get("server-timing", ""))
    assert match is not None, response.headers
    return int(match.group(1))


def fresh_get(client: httpx.Client, redis: RedisServer, path: str) -> httpx.Response:
    """GET `path` twice with the response cache emptied before the second: the answer is
    rendered while the per-process caches (reference tables, session ids) are warm."""
    from redis import Redis

    client.get(path)
    with Redis.from_url(redis.url) as cache:
        cache.flushdb()
    response = client.get(path)
    assert response.headers.get("x-cache") == "miss", response.headers
    return response


def bump(sql: psycopg.Connection[Any], client: httpx.Client, *statements: str) -> int:
    """Run `statements` and bump the data version in one transaction, as an importer does;
    return once the server has heard the NOTIFY (its ETags carry the new version)."""
    from openpolicy.dataversion import bump_data_version
    from tests.support.services import wait_until

    with sql.transaction():
        for statement in statements:
            sql.execute(statement)
        version = bump_data_version(sql)
    prefix = f'"{version:x}-'
    wait_until(
        lambda: client.get("/api/v1/sessions").headers["etag"].startswith(prefix),
        30,
        f"the server to see data version {version}",
    )
    return version


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body
