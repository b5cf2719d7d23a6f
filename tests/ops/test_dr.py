"""DR drills on real PostgreSQL: restore somewhere safe, serve, smoke-test, measure."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from openpolicy.ops import backups
from tests.ops.conftest import OpsEnv, S3Server, load_small_dataset, run_script


def test_dry_run_prints_the_plan_and_touches_nothing(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    result = cli("dr", "drill", "--scenario", "database-corruption", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing is touched" in result.output
    assert "take a new backup" in result.output and "smoke-tests.sh" in result.output
    assert not ops_env.backup_dir.exists() and not ops_env.report_dir.exists()
    databases = ops_env.sql("SELECT count(*) FROM pg_database WHERE datname LIKE '%drill%'")
    assert databases == [(0,)]
    bad = cli("dr", "drill", "--scenario", "meteor", "--dry-run")
    assert bad.exit_code == 2 and "meteor" in bad.output


def test_database_corruption_drill_measures_rto_and_rpo(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    load_small_dataset(ops_env.engine)
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    result = cli("dr", "drill", "--scenario", "database-corruption", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["error"] is None
    assert report["backup"]["file"] == info.path.name
    assert 0 < report["rto_seconds"] < 120
    assert 0 <= report["rpo_seconds"] < 120
    assert report["integrity"]["passed"] is True
    assert "smoke tests against http://127.0.0.1:" in report["smoke"]["output"]
    assert [s["name"] for s in report["steps"]][-1] == "health and smoke tests".replace(
        "health and", "health check and"
    )
    markdown = next(p for p in report["report_files"] if p.endswith(".md"))
    text = Path(markdown).read_text()
    assert "# DR drill: database-corruption — PASSED" in text and "**RTO**" in text
    # The scratch database is gone; the live one is untouched.
    assert ops_env.sql(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'openpolicy_drill%'"
    ) == [(0,)]
    assert ops_env.sql("SELECT count(*) FROM ballots") == [(3,)]


def test_datacenter_failure_drill_restores_from_the_bucket_into_a_new_cluster(
    ops_env: OpsEnv, s3_server: S3Server, cli: Callable[..., Result]
) -> None:
    s3_server.configure(ops_env, f"dr-{uuid.uuid4().hex[:8]}")
    load_small_dataset(ops_env.engine)
    assert cli("backup", "create").exit_code == 0
    assert cli("backup", "upload").exit_code == 0
    ready = run_script("dr-health-check.sh")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "DR readiness: OK" in ready.stdout
    result = cli("dr", "drill", "--scenario", "datacenter-failure", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True, report["error"]
    assert report["backup"]["source"] == "object storage"
    assert "/pgdata" in report["steps"][2]["result"]  # a scratch cluster, not the live server
    assert report["rto_seconds"] > 0
