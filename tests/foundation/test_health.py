"""/health tells the truth about the database and Redis, and recovers on its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openpolicy import embedded
from openpolicy.app import create_app
from openpolicy.config import Settings
from tests.support.services import LiveServer, RedisServer, free_port, wait_until


def test_healthy_with_database_and_redis(settings: Settings) -> None:
    with LiveServer(create_app(settings)) as server:
        response = httpx.get(f"{server.url}/health")
        live = httpx.get(f"{server.url}/livez")
        ready = httpx.get(f"{server.url}/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["version"]
    assert body["checks"]["database"]["status"] == "healthy"
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert body["checks"]["database"]["circuit"]["state"] == "closed"
    assert body["checks"]["redis"]["status"] == "healthy"
    assert response.headers["cache-control"] == "no-store"
    assert live.status_code == 200 and live.json()["status"] == "alive"
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_redis_unreachable_only_degrades(settings: Settings) -> None:
    """Redis is optional: /health says degraded (HTTP 200), the process stays ready."""
    from pydantic import SecretStr

    broken = settings.model_copy(
        update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0")}
    )
    with LiveServer(create_app(broken)) as server:
        response = httpx.get(f"{server.url}/health")
        ready = httpx.get(f"{server.url}/readyz")
        live = httpx.get(f"{server.url}/livez")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["redis"]["status"] == "unhealthy"
    assert response.json()["checks"]["database"]["status"] == "healthy"
    assert ready.status_code == 200 and ready.json()["checks"]["database"]["status"] == "healthy"
    assert live.status_code == 200


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[embedded.EmbeddedCluster]:
    """A cluster of its own, so stopping it cannot disturb other tests."""
    cluster = embedded.start(tmp_path / "pgdata", database="openpolicy")
    yield cluster
    cluster.detach()


def test_unhealthy_and_unready_while_database_is_down_then_back(
    own_cluster: embedded.EmbeddedCluster, redis: RedisServer
) -> None:
    settings = Settings(
        database_url=own_cluster.url("openpolicy").render_as_string(hide_password=False),
        redis_url=redis.url,
        db_pool_size=2,
        db_max_overflow=0,
    )
    with LiveServer(create_app(settings)) as server:
        assert httpx.get(f"{server.url}/health").status_code == 200

        own_cluster.stop()
        down = httpx.get(f"{server.url}/health")
        assert down.status_code == 503
        assert down.json()["status"] == "unhealthy"
        assert down.json()["checks"]["database"]["status"] == "unhealthy"
        assert "database unreachable" in down.json()["checks"]["database"]["error"]
        unready = httpx.get(f"{server.url}/readyz")
        assert unready.status_code == 503 and unready.json()["status"] == "unready"
        assert httpx.get(f"{server.url}/livez").status_code == 200  # never restart for this
        metrics = httpx.get(f"{server.url}/metrics").text
        assert "database_up 0.0" in metrics

        own_cluster.start_again()
        # The circuit probes on its own; readiness comes back without a restart.
        wait_until(
            lambda: httpx.get(f"{server.url}/readyz").status_code == 200,
            30,
            "/readyz to answer 200 again",
        )
        back = httpx.get(f"{server.url}/health")
        assert back.status_code == 200
        assert back.json()["status"] == "healthy"


def test_metrics_in_prometheus_text_format(settings: Settings) -> None:
    with LiveServer(create_app(settings)) as server:
        httpx.get(f"{server.url}/health")
        httpx.get(f"{server.url}/no/such/page")
        response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'http_requests_total{method="GET",route="/health",status="200"}' in text
    assert 'route="unmatched",status="404"' in text  # raw paths never become labels
    assert "/no/such/page" not in text
    assert "database_up 1.0" in text
    assert "db_pool_capacity" in text
    assert "http_request_duration_seconds_bucket" in text
