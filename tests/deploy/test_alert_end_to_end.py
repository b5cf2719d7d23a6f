"""End to end: a real Prometheus scrapes the running app and ScraperFailure goes pending.

The app serves the shipped alert rules' inputs from `/metrics`; a source whose last success
is 25 hours old must make Prometheus's own API report the ScraperFailure alert as pending
(its `for: 10m` makes firing too slow to wait for; pending proves the rule matched), while a
fresh source must not.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from openpolicy import embedded, schema
from openpolicy.app import create_app
from openpolicy.config import Settings
from tests.conftest import fresh_database
from tests.support.services import LiveServer, free_port, wait_until

from .conftest import DEPLOY, require_tool


@pytest.fixture
def app_with_a_stale_source(pg_cluster: embedded.EmbeddedCluster) -> Iterator[LiveServer]:
    url = fresh_database(pg_cluster, "alerts_end_to_end")
    engine = create_engine(url)
    schema.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO data_sources (name, status, last_run_at, last_success_at) VALUES"
                " ('hansard', 'failed', now(), now() - interval '25 hours'),"
                " ('members', 'ok', now(), now() - interval '1 hour')"
            )
        )
    engine.dispose()
    settings = Settings(database_url=url.render_as_string(hide_password=False), db_pool_size=2)
    with LiveServer(create_app(settings)) as server:
        yield server


def prometheus_config(app_port: int, rules_dir: Path) -> dict[str, Any]:
    """The shipped config, pointed at the test app, evaluating every second."""
    config: dict[str, Any] = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(rules_dir / "*.yml")]
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "openpolicy")
    job["static_configs"] = [{"targets": [f"127.0.0.1:{app_port}"], "labels": {"service": "test"}}]
    config["scrape_configs"] = [job]
    return config


@pytest.fixture
def prometheus(app_with_a_stale_source: LiveServer, tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus", "apt-get install prometheus")
    rules_dir = tmp_path / "rules"
    shutil.copytree(DEPLOY / "prometheus" / "rules", rules_dir)
    config_file = tmp_path / "prometheus.yml"
    config_file.write_text(
        yaml.safe_dump(prometheus_config(app_with_a_stale_source.port, rules_dir))
    )
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_file}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, 30, "Prometheus to be ready")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def alerts(prometheus_url: str) -> list[dict[str, Any]]:
    body = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=5).json()
    result: list[dict[str, Any]] = body["data"]["alerts"]
    return result


def test_stale_source_makes_scraper_failure_pending(prometheus: str) -> None:
    def scraper_failure_for_hansard() -> bool:
        return any(
            a["labels"]["alertname"] == "ScraperFailure"
            and a["labels"].get("source") == "hansard"
            and a["state"] in {"pending", "firing"}
            for a in alerts(prometheus)
        )

    wait_until(scraper_failure_for_hansard, 60, "ScraperFailure to become pending")

    current = alerts(prometheus)
    failing_sources = {
        a["labels"].get("source") for a in current if a["labels"]["alertname"] == "ScraperFailure"
    }
    assert failing_sources == {"hansard"}  # the fresh source does not alert
    target = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]
    assert [t["health"] for t in target["activeTargets"]] == ["up"]
    assert not any(a["labels"]["alertname"] == "DatabaseDown" for a in current)
