"""DR drills on real PostgreSQL: restore somewhere safe, serve, smoke-test, measure."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from openpolicy.ops import backups
from tests.ops.conftest import OpsEnv, S3Server, load_small_dataset, run_openpolicy, run_script


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
    result = run_openpolicy("dr", "drill", "--scenario", "datacenter-failure", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    # The drill reports cleanly: the scratch cluster is stopped once, by us, not killed.
    assert "Failed postgres command" not in result.stderr and "killing" not in result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is True, report["error"]
    assert report["backup"]["source"] == "object storage"
    assert "/pgdata" in report["steps"][2]["result"]  # a scratch cluster, not the live server
    assert report["rto_seconds"] > 0


def test_complete_recovery_plan_touches_nothing(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    result = cli(
        "dr", "drill", "--scenario", "complete-recovery", "--target", "before-x", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert "replay archived WAL to it" in result.output and "before-x" in result.output
    assert "stands in for off-site" in result.output
    assert not ops_env.backup_dir.exists() and not ops_env.report_dir.exists()


def test_complete_recovery_from_the_bucket_alone_reports_cleanly(
    ops_env: OpsEnv, s3_server: S3Server
) -> None:
    """Everything here lost, the backup directory too: the bucket's dump brings it back, and
    the drill's output is the drill's (no "Failed postgres command … killing it instead")."""
    s3_server.configure(ops_env, f"dr-{uuid.uuid4().hex[:8]}")
    load_small_dataset(ops_env.engine)
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    assert run_openpolicy("backup", "upload").returncode == 0
    for path in ops_env.backup_dir.glob("*"):
        path.unlink()  # the local copies are gone with the data centre
    result = run_openpolicy("dr", "drill", "--scenario", "complete-recovery", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is True, report["error"]
    assert report["backup"]["source"] == "object storage"
    assert report["backup"]["file"] == info.path.name and report["backup"]["kind"] == "dump"
    assert report["recovered_to"] == info.created_at.isoformat()
    assert report["steps"][0]["name"] == "copy the off-site backups"
    assert "Failed postgres command" not in result.stderr and "killing" not in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_openpolicy(
        "dr", "drill", "--scenario", "complete-recovery", "--target", "before-nothing"
    )
    assert missing.returncode == 3 and "is a restore point" in missing.stdout + missing.stderr


def test_scripts_dr_drill_is_the_drill(ops_env: OpsEnv) -> None:
    dry = run_script("dr-drill.sh", "complete-recovery", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "DR drill plan (complete-recovery), dry run" in dry.stdout
    assert run_script("dr-drill.sh", "meteor").returncode == 2
    assert "Usage: scripts/dr-drill.sh" in run_script("dr-drill.sh", "--help").stdout
