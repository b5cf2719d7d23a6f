"""One vocabulary for naming a backup: `latest`, a name, a path or a time, in every command."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from typer.testing import Result

from openpolicy.ops import backups
from openpolicy.ops.backups import BackupNotFoundError
from openpolicy.ops.catalogue import parse_moment, resolve_dump
from tests.ops.conftest import OpsEnv, S3Server, run_openpolicy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T04:05Z", "2026-03-01T04:05:00+00:00"),
        ("2026-03-01 04:05", "2026-03-01T04:05:00+00:00"),
        ("2026-03-01T04:05:00-05:00", "2026-03-01T04:05:00-05:00"),
        ("2026-03-01", "2026-03-01T23:59:59.999999+00:00"),
    ],
)
def test_times_are_read_in_utc_unless_zoned(text: str, expected: str) -> None:
    moment = parse_moment(text)
    assert moment is not None and moment.isoformat() == expected


@pytest.mark.parametrize(
    "text", ["latest", "openpolicy-20260301T030000Z.dump", "before-deploy-1.4.0", "2026", ""]
)
def test_names_are_not_times(text: str) -> None:
    assert parse_moment(text) is None


def taken_earlier(info: backups.BackupInfo, hours: float) -> backups.BackupInfo:
    """A real dump made to look `hours` older: renamed, its checksum and manifest rewritten."""
    moment = info.created_at - timedelta(hours=hours)
    name = f"{info.database}-{backups.stamp(moment)}.dump"
    path = info.path.with_name(name)
    info.path.rename(path)
    backups.checksum_path(info.path).unlink()
    backups.checksum_path(path).write_text(f"{info.sha256}  {name}\n")
    manifest = json.loads(backups.manifest_path(info.path).read_text())
    backups.manifest_path(info.path).unlink()
    manifest.update(file=name, created_at=moment.isoformat())
    backups.manifest_path(path).write_text(json.dumps(manifest))
    return backups.read_backup(path)


def test_every_word_names_the_same_dumps(ops_env: OpsEnv) -> None:
    older = taken_earlier(backups.create_backup(ops_env.target, ops_env.backup_dir), 2)
    newer = backups.create_backup(ops_env.target, ops_env.backup_dir)
    unverified = backups.create_backup(ops_env.target, ops_env.backup_dir, verify=False)
    assert older.created_at < newer.created_at < unverified.created_at
    settings = ops_env.settings()
    assert resolve_dump(settings, "latest") == newer.path
    assert resolve_dump(settings, "latest", verified=False) == unverified.path
    assert resolve_dump(settings, older.path.name) == older.path
    assert resolve_dump(settings, str(newer.path)) == newer.path
    assert resolve_dump(settings, older.created_at.isoformat()) == older.path
    between = older.created_at + (newer.created_at - older.created_at) / 2
    assert resolve_dump(settings, between.isoformat()) == older.path
    earlier = (older.created_at - timedelta(days=1)).isoformat()
    with pytest.raises(BackupNotFoundError, match="no verified dump taken by"):
        resolve_dump(settings, earlier)


def test_verify_takes_latest_and_a_time(ops_env: OpsEnv, cli: Callable[..., Result]) -> None:
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    latest = cli("backup", "verify", "latest")
    assert latest.exit_code == 0, latest.output
    assert info.path.name in latest.output
    by_time = cli("backup", "verify", info.created_at.isoformat())
    assert by_time.exit_code == 0 and info.path.name in by_time.output
    before = run_openpolicy("backup", "verify", "2001-01-01")
    assert before.returncode == 3 and "no dump taken by 2001-01-01T23:59:59" in before.stderr


def test_download_takes_latest_and_a_time(
    ops_env: OpsEnv, s3_server: S3Server, cli: Callable[..., Result]
) -> None:
    s3_server.configure(ops_env, f"ops-{uuid.uuid4().hex[:8]}")
    older = taken_earlier(backups.create_backup(ops_env.target, ops_env.backup_dir), 2)
    newer = backups.create_backup(ops_env.target, ops_env.backup_dir)
    assert cli("backup", "upload").exit_code == 0
    for path in ops_env.backup_dir.glob("*.dump*"):
        path.unlink()
    by_time = cli("backup", "download", older.created_at.isoformat())
    assert by_time.exit_code == 0, by_time.output
    assert (ops_env.backup_dir / older.path.name).is_file()
    latest = cli("backup", "download", "latest")
    assert latest.exit_code == 0 and (ops_env.backup_dir / newer.path.name).is_file()
    missing = run_openpolicy("backup", "download", "openpolicy-20010101T000000Z.dump")
    assert (
        missing.returncode == 3 and "no backup openpolicy-20010101T000000Z.dump" in missing.stderr
    )
    # Restoring by a time the disk no longer has fetches it from the bucket.
    (ops_env.backup_dir / older.path.name).unlink()
    assert resolve_dump(ops_env.settings(), older.created_at.isoformat()).name == older.path.name
