"""The db command group against a real database, through the real console entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from openpolicy import embedded
from tests.conftest import fresh_database


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openpolicy.cli", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def scratch_url(pg_cluster: embedded.EmbeddedCluster) -> str:
    url: URL = fresh_database(pg_cluster, "cli_scratch")
    return url.render_as_string(hide_password=False)


def test_upgrade_current_downgrade_cycle(scratch_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": scratch_url}
    current = run_cli("db", "current", env=env, cwd=tmp_path)
    assert current.returncode == 0, current.stderr
    assert current.stdout.startswith("empty")

    upgraded = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "(was empty)" in upgraded.stdout
    assert "up to date" in run_cli("db", "current", env=env, cwd=tmp_path).stdout

    down = run_cli("db", "downgrade", "-1", env=env, cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert "behind" in run_cli("db", "current", env=env, cwd=tmp_path).stdout


def test_upgrade_sql_touches_nothing(scratch_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": scratch_url}
    result = run_cli("db", "upgrade", "--sql", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"^CREATE TABLE ", result.stdout, flags=re.MULTILINE)) >= 18
    assert run_cli("db", "current", env=env, cwd=tmp_path).stdout.startswith("empty")


def test_pool_status_reports_size_checked_out_and_overflow(
    scratch_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": scratch_url, "OPENPOLICY_DB_POOL_SIZE": "9"}
    result = run_cli("db", "pool-status", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["pool_size"] == 9
    assert report["max_overflow"] == 40
    assert report["this_process"]["checked_out"] == 0
    assert report["this_process"]["overflow"] == 0
    assert report["server_max_connections"] >= 100
    assert any(c["application"] == "openpolicy" for c in report["server_connections"])


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = run_cli("db", "current", env=env, cwd=tmp_path)
    assert result.returncode == 4
    assert "database unreachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_status_of_an_embedded_cluster_not_started(tmp_path: Path) -> None:
    env = {"OPENPOLICY_DATA_DIR": str(tmp_path / "never-started")}
    result = run_cli("db", "status", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    import json

    status = json.loads(result.stdout)
    assert status["mode"] == "embedded"
    assert status["initialized"] is False
    assert status["running"] is False
