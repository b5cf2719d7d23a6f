"""The web site over the real bundled sample, served by a real uvicorn on loopback.

One fresh database per test session gets the migrations and the ingest developer's sample
loader (real MPs, bills, a division with 330 ballots, Hansard EN/FR); every web test reads
it and none writes civic data. Expected values in the tests are read off tests/fixtures/.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from openpolicy import embedded, schema
from openpolicy.app import create_app
from openpolicy.config import Settings
from openpolicy.ingest.sample import load_sample
from tests.conftest import fresh_database
from tests.support.services import LiveServer, RedisServer

WEB_DATABASE = "openpolicy_web_test"


@pytest.fixture(scope="session")
def sample_database(pg_cluster: embedded.EmbeddedCluster) -> URL:
    """A database of its own holding the whole bundled sample (loaded once per session)."""
    url = fresh_database(pg_cluster, WEB_DATABASE)
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    reports = load_sample(url, Settings(database_url=url.render_as_string(hide_password=False)))
    assert all(report.status == "succeeded" for report in reports), reports
    return url


@pytest.fixture(scope="session")
def web_settings(sample_database: URL, redis: RedisServer) -> Settings:
    return Settings(
        database_url=sample_database.render_as_string(hide_password=False),
        redis_url=redis.url,
        db_pool_size=4,
        db_max_overflow=4,
        site_url="https://openpolicy.example",
        api_access_log=False,  # one JSON line per request would drown the test output
    )


@pytest.fixture(scope="session")
def web_server(web_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(web_settings)) as server:
        yield server


@pytest.fixture(scope="session")
def http(web_server: LiveServer) -> Iterator[httpx.Client]:
    """A client that asks for pages the way a browser does."""
    with httpx.Client(
        base_url=web_server.url,
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        timeout=30,
    ) as client:
        yield client
