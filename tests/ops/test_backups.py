"""Logical backups: dated dumps with a checksum and manifest, verified, listed, pruned."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from typer.testing import Result

from openpolicy.ops import backups, retention
from openpolicy.ops.backup_metrics import refresh_backup_gauge
from openpolicy.ops.metrics import REGISTRY
from tests.ops.conftest import OpsEnv, load_small_dataset, run_openpolicy


def test_create_writes_a_verified_dated_dump(ops_env: OpsEnv, cli: Callable[..., Result]) -> None:
    load_small_dataset(ops_env.engine)
    result = cli("backup", "create", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    dump = ops_env.backup_dir / info["name"]
    assert info["name"].startswith(f"{ops_env.database}-") and info["name"].endswith("Z.dump")
    assert info["verified"] is True
    sidecar = (ops_env.backup_dir / (info["name"] + ".sha256")).read_text()
    assert sidecar == f"{backups.sha256_file(dump)}  {dump.name}\n"
    manifest = json.loads((ops_env.backup_dir / (info["name"] + ".json")).read_text())
    assert manifest["alembic_revision"] and manifest["server_version"].startswith("18")
    listed = cli("backup", "list", "--json")
    assert [d["name"] for d in json.loads(listed.stdout)["dumps"]] == [dump.name]
    verified = cli("backup", "verify", dump.name)
    assert verified.exit_code == 0 and "checksum matches" in verified.output
    # The success is recorded in the database, where every replica's gauge reads it.
    rows = ops_env.sql("SELECT details FROM audit_events WHERE action = 'backup.verified'")
    assert rows[0][0]["file"] == dump.name


def test_damaged_or_foreign_files_fail_verification(ops_env: OpsEnv) -> None:
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    with info.path.open("r+b") as handle:
        handle.seek(200)
        original = handle.read(4)
        handle.seek(200)
        handle.write(bytes(b ^ 0xFF for b in original))
    result = run_openpolicy("backup", "verify", str(info.path))
    assert result.returncode == 1
    assert "checksum mismatch" in result.stderr and "damaged" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    missing = run_openpolicy("backup", "verify", "nope.dump")
    assert missing.returncode == 3 and "no backup file nope.dump" in missing.stderr
    foreign = ops_env.backup_dir / "notes.dump"
    foreign.write_text("not a dump")
    (ops_env.backup_dir / "notes.dump.sha256").write_text(
        f"{backups.sha256_file(foreign)}  notes.dump\n"
    )
    bad = run_openpolicy("backup", "verify", str(foreign))
    assert bad.returncode == 1 and "pg_restore failed" in bad.stderr


def test_prune_keeps_recent_and_the_newest_verified(ops_env: OpsEnv) -> None:
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    now = backups.utc_now()
    # Three older copies of the same dump, 40, 35 and 2 days old.
    for days in (40, 35, 2):
        moment = now - timedelta(days=days)
        name = f"{ops_env.database}-{backups.stamp(moment)}.dump"
        copy = ops_env.backup_dir / name
        shutil.copy(info.path, copy)
        backups.checksum_path(copy).write_text(f"{info.sha256}  {name}\n")
        manifest = json.loads(backups.manifest_path(info.path).read_text())
        manifest.update(file=name, created_at=moment.isoformat())
        backups.manifest_path(copy).write_text(json.dumps(manifest))
    result = retention.prune_backups(ops_env.backup_dir, 30)
    remaining = [b.path.name for b in backups.list_backups(ops_env.backup_dir)]
    assert len(remaining) == 2 and info.path.name in remaining
    assert len(result.deleted) == 6  # two dumps, each with checksum and manifest
    # With only old backups left, the newest verified one is never deleted.
    info.path.unlink()
    backups.manifest_path(info.path).unlink()
    retention.prune_backups(ops_env.backup_dir, 1)
    assert len(backups.list_backups(ops_env.backup_dir)) == 1
    bad = run_openpolicy("backup", "prune", "--keep-days", "0")
    assert bad.returncode == 2 and "--keep-days must be at least 1 (got 0)" in bad.stderr


def test_backup_age_gauge_reads_the_database(ops_env: OpsEnv) -> None:
    engine = create_engine(ops_env.url, poolclass=NullPool)
    refresh_backup_gauge(engine, force=True)
    assert REGISTRY.get_sample_value("backup_last_success_timestamp") == 0.0
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    refresh_backup_gauge(engine, force=True)
    value = REGISTRY.get_sample_value("backup_last_success_timestamp")
    assert value == info.created_at.timestamp()
    engine.dispose()
