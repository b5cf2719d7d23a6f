"""Point-in-time recovery on a real (private) cluster: archive, base backup, restore point,
recover to it, and exactly the rows written before the point exist."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import Result

from openpolicy import db, embedded, schema
from openpolicy.config import get_settings
from openpolicy.ops import pitr
from openpolicy.ops.pg import OpsInputError


@pytest.fixture
def embedded_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The embedded default: no DATABASE_URL, a private cluster in a temporary data dir."""
    for variable in list(os.environ):
        if variable.startswith("OPENPOLICY_") or variable in {"DATABASE_URL", "REDIS_URL"}:
            monkeypatch.delenv(variable)
    data_dir = tmp_path / "pgdata"
    monkeypatch.setenv("OPENPOLICY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("OPENPOLICY_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    monkeypatch.setattr(db, "_cluster", None)
    cluster = db.embedded_cluster(get_settings())
    engine = create_engine(cluster.url("openpolicy"), poolclass=NullPool)
    schema.upgrade(engine)
    engine.dispose()
    try:
        yield data_dir
    finally:
        cluster.stop()
        cluster.detach()
        get_settings.cache_clear()


def _parties(data_dir: Path) -> list[str]:
    cluster = db.embedded_cluster(get_settings())
    engine = create_engine(cluster.url("openpolicy"), poolclass=NullPool)
    with engine.connect() as conn:
        names = conn.execute(text("SELECT short_name_en FROM parties ORDER BY 1")).scalars().all()
    engine.dispose()
    return list(names)


def _insert(name: str) -> None:
    cluster = db.embedded_cluster(get_settings())
    engine = create_engine(cluster.url("openpolicy"), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO parties (short_name_en) VALUES (:n)"), {"n": name})
    engine.dispose()


def test_recover_to_a_restore_point(embedded_env: Path, cli: Callable[..., Result]) -> None:
    enabled = cli("backup", "pitr", "enable", "--json")
    assert enabled.exit_code == 0, enabled.output
    assert json.loads(enabled.stdout)["archive_timeout"] == "60s"
    base = cli("backup", "base", "--json")
    assert base.exit_code == 0, base.output
    assert json.loads(base.stdout)["file"].endswith(".tar.zst")
    _insert("before-1")
    _insert("before-2")
    point = cli("backup", "restore-point", "before-deploy-1.4.0")
    assert point.exit_code == 0, point.output
    _insert("after-1")
    assert _parties(embedded_env) == ["after-1", "before-1", "before-2"]

    result = cli("backup", "pitr", "restore", "--to", "before-deploy-1.4.0", "--yes", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["swapped"] is True and report["integrity"]["passed"] is True
    assert Path(report["old_data_dir"]).name.startswith("pgdata.before-pitr-")
    assert _parties(embedded_env) == ["before-1", "before-2"]
    # The recovered server is a normal primary again, archiving on a new timeline.
    status = cli("backup", "pitr", "status", "--json")
    values = json.loads(status.stdout)
    assert values["archive_mode"] == "on" and values["current_wal"].startswith("00000002")
    _insert("after-recovery")
    assert "after-recovery" in _parties(embedded_env)
    # `--to latest` marks a restore point on the live server now: nothing committed is lost.
    latest = cli("backup", "pitr", "restore", "--to", "latest", "--yes", "--json")
    assert latest.exit_code == 0, latest.output
    assert json.loads(latest.stdout)["target"].startswith("restore point 'latest-")
    assert _parties(embedded_env) == ["after-recovery", "before-1", "before-2"]


def test_archive_command_is_copy_if_absent(tmp_path: Path) -> None:
    import subprocess

    archive = tmp_path / "wal"
    archive.mkdir()
    segment = tmp_path / "000000010000000000000001"
    segment.write_bytes(b"wal" * 100)
    command = pitr.archive_command(archive).replace("%p", str(segment)).replace("%f", segment.name)
    assert subprocess.run(["sh", "-c", command], check=False).returncode == 0
    assert (archive / segment.name).read_bytes() == segment.read_bytes()
    # Same content again: success (PostgreSQL retries after a crash).
    assert subprocess.run(["sh", "-c", command], check=False).returncode == 0
    # Different content under the same name: refused, the archived copy is kept.
    segment.write_bytes(b"other")
    assert subprocess.run(["sh", "-c", command], check=False).returncode != 0
    assert (archive / segment.name).read_bytes() == b"wal" * 100
    assert not list(archive.glob(".*partial"))


def test_bad_targets_are_clear_errors() -> None:
    with pytest.raises(OpsInputError, match="looks like a timestamp"):
        pitr.create_restore_point(None, "2026-03-01", Path("/nonexistent"))  # type: ignore[arg-type]
    with pytest.raises(OpsInputError, match="1 to 63 printable characters"):
        pitr.create_restore_point(None, "x" * 64, Path("/nonexistent"))  # type: ignore[arg-type]
    assert pitr.RecoveryTarget.parse("2026-03-01T04:05:00").time is not None
    assert pitr.RecoveryTarget.parse("before-deploy").name == "before-deploy"


def test_embedded_module_is_the_one_used() -> None:
    assert embedded.bin_dir().joinpath("pg_basebackup").exists()


def _kept_copy(report: dict[str, object]) -> tuple[Path, list[str]]:
    """The data directory a `--keep` drill left running, and the parties in its copy."""
    steps = report["steps"]
    assert isinstance(steps, list)
    data_dir = Path(next(s["result"] for s in steps if s["name"] == "extract base backup"))
    engine = create_engine(
        f"postgresql+psycopg://postgres@/openpolicy?host={data_dir.parent / 'socket'}",
        poolclass=NullPool,
    )
    with engine.connect() as conn:
        names = conn.execute(text("SELECT short_name_en FROM parties ORDER BY 1")).scalars().all()
    engine.dispose()
    return data_dir, list(names)


def _stop_kept(data_dir: Path) -> None:
    import shutil

    pitr._pg_ctl(get_settings(), data_dir, ["-w", "-m", "fast", "stop"])
    shutil.rmtree(data_dir.parent, ignore_errors=True)


def test_complete_recovery_drill_replays_archived_wal(
    embedded_env: Path, cli: Callable[..., Result]
) -> None:
    assert cli("backup", "pitr", "enable").exit_code == 0
    assert cli("backup", "base").exit_code == 0
    _insert("before-1")
    assert cli("backup", "restore-point", "before-deploy-1.4.0").exit_code == 0
    _insert("after-1")
    live = db.embedded_cluster(get_settings())
    from openpolicy.ops.pg import PgTarget

    pitr.switch_and_wait_archived(PgTarget.from_url(live.url("openpolicy")))

    to_point = cli(
        "dr", "drill", "--scenario", "complete-recovery", "--target", "before-deploy-1.4.0",
        "--keep", "--json",
    )  # fmt: skip
    assert to_point.exit_code == 0, to_point.output
    report = json.loads(to_point.stdout)
    assert report["passed"] is True, report["error"]
    assert report["backup"]["kind"] == "base backup + archived WAL"
    data_dir, parties = _kept_copy(report)
    try:
        assert parties == ["before-1"]
    finally:
        _stop_kept(data_dir)

    latest = cli("dr", "drill", "--scenario", "complete-recovery", "--keep", "--json")
    assert latest.exit_code == 0, latest.output
    report = json.loads(latest.stdout)
    assert report["passed"] is True, report["error"]
    assert "the end of the archive" in next(
        s["result"] for s in report["steps"] if s["name"] == "replay archived WAL"
    )
    assert report["recovered_to"] is not None and report["rpo_seconds"] >= 0
    data_dir, parties = _kept_copy(report)
    try:
        assert parties == ["after-1", "before-1"]
    finally:
        _stop_kept(data_dir)
    assert _parties(embedded_env) == ["after-1", "before-1"]  # the live one untouched
