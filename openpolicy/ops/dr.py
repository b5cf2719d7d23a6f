"""Disaster-recovery drills: prove, with a stopwatch, that the backups bring the service back.

A drill never touches the live database. Three scenarios:

- `database-corruption`: the dump `--target` names (`latest` by default, a name, a path or a
  time) restored into a scratch database next to the live one;
- `datacenter-failure`: that dump, from the bucket when one is configured, restored into a
  brand-new scratch cluster standing in for the other data centre;
- `complete-recovery`: everything here is lost, the backup directory included: from what is
  off-site (the bucket, copied whole; without one the backup directory stands in), a
  brand-new cluster is brought to `--target` by replaying archived WAL over the newest base
  backup before it (`latest`: to the end of the archive; a restore point; a time), or, with
  no base backups, from the dump `--target` names.

Then the integrity check, an application instance on the copy, the health check and smoke
tests against it, and a report with the measured RTO (detection → serving) and RPO
(detection → the newest transaction the copy holds, or when its dump was taken).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from openpolicy.config import Settings
from openpolicy.errors import NotFoundError
from openpolicy.ops import integrity
from openpolicy.ops.backups import (
    WAL_DIR,
    BackupInfo,
    create_backup,
    latest_verified,
    read_backup,
    stamp,
    utc_now,
    verify_backup,
)
from openpolicy.ops.catalogue import LATEST, parse_moment, remote_dump_name, resolve_dump
from openpolicy.ops.pg import (
    OpsError,
    OpsInputError,
    PgTarget,
    create_database,
    drop_database,
    target_from_settings,
)
from openpolicy.ops.restore import restore_into

SCENARIOS = ("database-corruption", "datacenter-failure", "complete-recovery")
REPO_SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


class DrillError(OpsError):
    title = "DR drill error"
    type_slug = "dr-drill-error"


class DrillNotFoundError(NotFoundError, DrillError):
    """What `--target` names is not among the backups (exit 3)."""


@dataclass
class DrillReport:
    scenario: str
    started_at: datetime
    target: str = LATEST
    recovered_to: datetime | None = None  # the newest transaction (or dump) the copy holds
    dry_run: bool = False
    backup: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    integrity: dict[str, Any] = field(default_factory=dict)
    smoke: dict[str, Any] = field(default_factory=dict)
    passed: bool = False
    error: str | None = None
    report_files: list[str] = field(default_factory=list)
    exit_code: int = 0  # of the command: 1 failed, 3 nothing to restore, 4 database unreachable

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "started_at": self.started_at.isoformat(),
            "target": self.target,
            "recovered_to": self.recovered_to.isoformat() if self.recovered_to else None,
            "dry_run": self.dry_run,
            "passed": self.passed,
            "error": self.error,
            "rto_seconds": None if self.rto_seconds is None else round(self.rto_seconds, 2),
            "rpo_seconds": None if self.rpo_seconds is None else round(self.rpo_seconds, 2),
            "backup": self.backup,
            "steps": self.steps,
            "integrity": self.integrity,
            "smoke": self.smoke,
        }

    def render_markdown(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [
            f"# DR drill: {self.scenario} — {verdict}",
            "",
            f"- Started (detection): {self.started_at.isoformat()}",
            f"- **RTO** (detection → serving): {_seconds(self.rto_seconds)}",
            f"- **RPO** (detection → the newest data recovered): {_seconds(self.rpo_seconds)}",
            f"- Target: `{self.target}`; recovered to "
            f"{self.recovered_to.isoformat() if self.recovered_to else '?'}",
            f"- Backup: `{self.backup.get('file', '?')}` ({self.backup.get('source', '?')}, "
            f"taken {self.backup.get('created_at', '?')})",
        ]
        if self.error:
            lines.append(f"- Error: {self.error}")
        lines += ["", "| step | seconds | result |", "|---|---:|---|"]
        for step in self.steps:
            lines.append(f"| {step['name']} | {step['seconds']:.2f} | {step.get('result', '')} |")
        if self.integrity:
            lines += [
                "",
                f"Integrity check: {'passed' if self.integrity.get('passed') else 'FAILED'} "
                f"({len(self.integrity.get('checks', []))} checks).",
            ]
        if self.smoke:
            lines += ["", "Smoke tests:", "", "```", self.smoke.get("output", "").strip(), "```"]
        return "\n".join(lines) + "\n"


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    minutes, seconds = divmod(value, 60)
    return f"{value:.1f} s" if value < 60 else f"{int(minutes)} min {seconds:.0f} s ({value:.0f} s)"


def plan(
    settings: Settings, scenario: str, *, take_backup: bool = False, target: str = LATEST
) -> list[str]:
    """What a drill would do, touching nothing (no database connection, no network)."""
    _check_scenario(scenario)
    if scenario == "complete-recovery":
        return _complete_plan(settings, target)
    newest = latest_verified(settings.backup_dir)
    remote = scenario == "datacenter-failure" and bool(settings.s3_bucket)
    named = "the newest dump" if target == LATEST else f"the dump {target!r} names"
    if remote:
        where = f"s3://{settings.s3_bucket}/{settings.s3_prefix or ''}"
        source = f"download {named} from {where}"
    elif take_backup or (newest is None and target == LATEST):
        source = f"take a new backup into {settings.backup_dir} (`openpolicy backup create`)"
    elif target != LATEST:
        source = f"use {named} in {settings.backup_dir}"
    else:
        assert newest is not None
        taken = newest.created_at.isoformat()
        source = f"use the newest verified backup {newest.path.name} (taken {taken})"
    where = (
        "a new scratch PostgreSQL cluster in a temporary directory (the other data centre)"
        if scenario == "datacenter-failure"
        else "a new scratch database next to the live one (the live database is not touched)"
    )
    smoke = (
        "scripts/health-check.sh and scripts/smoke-tests.sh"
        if _scripts_available()
        else "GET /health (scripts/ not found)"
    )
    return [
        f"1. start the clock (detection) for scenario {scenario}",
        f"2. {source}",
        "3. verify it (checksum + pg_restore --list)",
        f"4. restore it with pg_restore -j {settings.backup_restore_jobs} into {where}",
        "5. run the integrity check on the restored copy",
        "6. start an application instance on the restored copy (loopback, free port)",
        f"7. run {smoke} against it; stop the clock when they pass (RTO)",
        "8. stop the instance, drop the scratch database or cluster",
        f"9. write the report (JSON and Markdown) into {settings.dr_report_dir}",
    ]


def _complete_plan(settings: Settings, target: str) -> list[str]:
    from openpolicy.ops.pitr import list_base_backups

    if settings.s3_bucket:
        where = f"s3://{settings.s3_bucket}/{settings.s3_prefix or ''}"
        material = (
            f"copy everything in {where} into a temporary directory (nothing here is trusted)"
        )
        found = "the copy"
    else:
        material = f"use {settings.backup_dir} (no bucket configured: it stands in for off-site)"
        found = f"{len(list_base_backups(settings.backup_dir))} base backup(s) there"
    point = "the end of the archive" if target == LATEST else target
    return [
        "1. start the clock (detection) for scenario complete-recovery",
        f"2. {material}",
        f"3. with base backups and archived WAL ({found}): extract the newest base backup "
        f"taken before {point} into a brand-new data directory and replay archived WAL to it; "
        f"without them: restore the dump {target!r} names into a brand-new scratch cluster",
        "4. run the integrity check on the recovered copy",
        "5. start an application instance on it (loopback, free port)",
        "6. run the health check and smoke tests against it; stop the clock when they pass",
        "7. stop the instance and the scratch cluster, delete the copies",
        f"8. write the report (JSON and Markdown) into {settings.dr_report_dir}",
    ]


def _check_scenario(scenario: str) -> None:
    if scenario not in SCENARIOS:
        raise OpsInputError(f"--scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")


def _scripts_available() -> bool:
    return (REPO_SCRIPTS / "health-check.sh").exists() and (
        REPO_SCRIPTS / "smoke-tests.sh"
    ).exists()


class _Clock:
    def __init__(self, report: DrillReport, announce: Callable[[str], None]) -> None:
        self.report = report
        self.announce = announce
        self.origin = time.perf_counter()

    @contextmanager
    def step(self, name: str) -> Iterator[dict[str, Any]]:
        self.announce(name)
        entry: dict[str, Any] = {"name": name}
        started = time.perf_counter()
        try:
            yield entry
        except BaseException as exc:
            entry.setdefault("result", f"failed: {exc}")
            raise
        finally:
            entry["seconds"] = round(time.perf_counter() - started, 3)
            self.report.steps.append(entry)

    def elapsed(self) -> float:
        return time.perf_counter() - self.origin


def drill(
    settings: Settings,
    scenario: str,
    *,
    take_backup: bool = False,
    keep: bool = False,
    target: str = LATEST,
    announce: Callable[[str], None] = lambda message: None,
) -> DrillReport:
    """Run the drill end to end and write its report (also when it fails)."""
    _check_scenario(scenario)
    report = DrillReport(scenario=scenario, started_at=utc_now(), target=target)
    clock = _Clock(report, announce)
    cleanups: list[Callable[[], None]] = []
    try:
        _run(settings, scenario, report, clock, cleanups, take_backup=take_backup)
        report.passed = True
    except OpsError as exc:
        report.error = exc.detail.splitlines()[0]
        report.exit_code = exc.exit_code
    finally:
        if not keep:
            for cleanup in reversed(cleanups):
                with suppress(Exception):
                    cleanup()
        write_report(settings, report)
    return report


def _run(
    settings: Settings,
    scenario: str,
    report: DrillReport,
    clock: _Clock,
    cleanups: list[Callable[[], None]],
    *,
    take_backup: bool,
) -> None:
    if scenario == "complete-recovery":
        scratch = _complete_recovery(settings, report, clock, cleanups)
    else:
        with clock.step("obtain backup") as entry:
            backup, source = _obtain_backup(
                settings, scenario, take_backup, report.target, cleanups
            )
            report.backup = _backup_facts(backup, source)
            report.recovered_to = backup.created_at
            entry["result"] = f"{backup.path.name} ({source})"
        scratch = _restore_dump(settings, scenario, backup, clock, cleanups)
    if report.recovered_to is not None:
        report.rpo_seconds = max(0.0, (report.started_at - report.recovered_to).total_seconds())
    with clock.step("integrity check") as entry:
        result = integrity.check_database(scratch)
        report.integrity = result.as_dict()
        entry["result"] = "passed" if result.passed else f"{result.problems} problem(s)"
        if not result.passed:
            raise DrillError(
                f"the restored copy fails the integrity check:\n{result.render_text()}"
            )
    with clock.step("start application instance") as entry:
        url = _start_app(scratch, cleanups)
        entry["result"] = url
    with clock.step("health check and smoke tests") as entry:
        report.smoke = run_smoke(url)
        entry["result"] = "passed" if report.smoke["passed"] else "FAILED"
        if not report.smoke["passed"]:
            raise DrillError(f"smoke tests failed against the restored copy ({url})")
    report.rto_seconds = clock.elapsed()


def _backup_facts(backup: BackupInfo, source: str) -> dict[str, Any]:
    return {
        "file": backup.path.name,
        "path": str(backup.path),
        "source": source,
        "kind": "dump",
        "created_at": backup.created_at.isoformat(),
        "size_bytes": backup.size_bytes,
    }


def _obtain_backup(
    settings: Settings,
    scenario: str,
    take_backup: bool,
    target: str,
    cleanups: list[Callable[[], None]],
) -> tuple[BackupInfo, str]:
    """The dump the drill restores: the one `target` names, from the bucket for a data-centre
    failure when one is configured; a new one with --take-backup (or when none exists yet)."""
    if scenario == "datacenter-failure" and settings.s3_bucket:
        from openpolicy.ops import storage

        name = remote_dump_name(settings, target)
        workdir = Path(tempfile.mkdtemp(prefix="openpolicy-dr-download-"))
        cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
        path = storage.download(settings, name, workdir)
        return read_backup(path), "object storage"
    if not take_backup and (target != LATEST or latest_verified(settings.backup_dir)):
        return read_backup(resolve_dump(settings, target)), "backup directory"
    live = target_from_settings(settings)
    return create_backup(live, settings.backup_dir), "taken by the drill"


def _restore_dump(
    settings: Settings,
    scenario: str,
    backup: BackupInfo,
    clock: _Clock,
    cleanups: list[Callable[[], None]],
) -> PgTarget:
    with clock.step("verify backup") as entry:
        verify_backup(backup.path)
        entry["result"] = "checksum and contents ok"
    with clock.step("prepare scratch database") as entry:
        scratch = _scratch_target(settings, scenario, cleanups)
        entry["result"] = scratch.display()
    with clock.step("restore") as entry:
        restore_into(backup.path, scratch, jobs=settings.backup_restore_jobs)
        entry["result"] = f"pg_restore -j {settings.backup_restore_jobs}"
    return scratch


# ----------------------------------------------------------------------------- complete recovery


def _complete_recovery(
    settings: Settings, report: DrillReport, clock: _Clock, cleanups: list[Callable[[], None]]
) -> PgTarget:
    """A brand-new cluster at `report.target`, from what is off-site only."""
    from openpolicy.ops.pitr import list_base_backups

    with clock.step("copy the off-site backups") as entry:
        backup_dir, source = _offsite_copy(settings, cleanups, clock.announce)
        entry["result"] = f"{backup_dir} ({source})"
    target = report.target
    names_a_dump = target.endswith(".dump") or "/" in target
    wal_dir = _wal_dir(settings, backup_dir, source)
    replayable = bool(list_base_backups(backup_dir)) and wal_dir.is_dir() and any(wal_dir.iterdir())
    if replayable and not names_a_dump:
        return _replay(settings, backup_dir, wal_dir, source, report, clock, cleanups)
    if not names_a_dump and target != LATEST and parse_moment(target) is None:
        raise DrillNotFoundError(
            f"--target {target!r} is a restore point: recovering to it needs base backups and "
            f"archived WAL, and {backup_dir} has none"
        )
    with clock.step("obtain backup") as entry:
        local = settings.model_copy(update={"backup_dir": backup_dir, "s3_bucket": None})
        backup = read_backup(resolve_dump(local, target))
        report.backup = _backup_facts(backup, source)
        report.recovered_to = backup.created_at
        entry["result"] = f"{backup.path.name} ({source})"
    return _restore_dump(settings, "datacenter-failure", backup, clock, cleanups)


def _offsite_copy(
    settings: Settings, cleanups: list[Callable[[], None]], announce: Callable[[str], None]
) -> tuple[Path, str]:
    """The bucket copied whole into a temporary directory, or the backup directory when no
    bucket is configured (it then stands in for the off-site copy)."""
    if not settings.s3_bucket:
        return settings.backup_dir, "backup directory: no bucket configured"
    from openpolicy.ops import storage

    workdir = Path(tempfile.mkdtemp(prefix="openpolicy-dr-offsite-"))
    cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    announce(f"copying s3://{settings.s3_bucket}/{settings.s3_prefix or ''} into {workdir}")
    storage.mirror(settings, workdir)
    return workdir, "object storage"


def _wal_dir(settings: Settings, backup_dir: Path, source: str) -> Path:
    from openpolicy.ops.pitr import archive_dir

    if source == "object storage":
        return backup_dir / WAL_DIR
    return archive_dir(settings)


def _replay(
    settings: Settings,
    backup_dir: Path,
    wal_dir: Path,
    source: str,
    report: DrillReport,
    clock: _Clock,
    cleanups: list[Callable[[], None]],
) -> PgTarget:
    """Base backup + archived WAL into a brand-new data directory, replayed to the target,
    then promoted: the cluster a complete recovery serves from."""
    import psycopg

    from openpolicy import embedded
    from openpolicy.ops import pitr
    from openpolicy.ops.pg import grant_server_access

    point = None if report.target == LATEST else pitr.RecoveryTarget.parse(report.target)
    with clock.step("choose base backup") as entry:
        if point is None:
            base = pitr.list_base_backups(backup_dir)[0]
        else:
            base = pitr.choose_base_backup(backup_dir, point)
        report.backup = {
            "file": base.path.name,
            "path": str(base.path),
            "source": source,
            "kind": "base backup + archived WAL",
            "created_at": base.created_at.isoformat(),
            "size_bytes": base.size_bytes,
        }
        entry["result"] = f"{base.path.name} ({source})"
    workdir = Path(tempfile.mkdtemp(prefix="openpolicy-dr-recovery-"))
    data_dir, socket_dir = workdir / "pgdata", workdir / "socket"
    running = False

    def stop() -> None:
        if running:
            with suppress(OpsError):
                pitr._pg_ctl(settings, data_dir, ["-w", "-m", "fast", "stop"])
        shutil.rmtree(workdir, ignore_errors=True)

    cleanups.append(stop)
    with clock.step("extract base backup") as entry:
        pitr._extract(base, data_dir)
        if point is None:
            _replay_to_the_end(data_dir, wal_dir)
        else:
            pitr._write_recovery_config(data_dir, wal_dir, point)
        socket_dir.mkdir()
        user = embedded.system_user()
        grant_server_access(workdir, user)
        if source == "object storage":
            grant_server_access(wal_dir, user)
        entry["result"] = str(data_dir)
    with clock.step("replay archived WAL") as entry:
        pitr._pg_ctl(
            settings,
            data_dir,
            [
                "-w",
                "-t",
                "600",
                "-l",
                str(data_dir / "log"),
                "-o",
                # never archive into the real archive, never listen on TCP
                f"-h '' -k {socket_dir} -c archive_mode=off",
                "start",
            ],
            timeout=630,
        )
        running = True
        login: dict[str, Any] = {
            "host": str(socket_dir),
            "user": embedded.SUPERUSER,
            "dbname": "postgres",
        }
        _wait_recovered(login, data_dir, 600)
        with psycopg.connect(autocommit=True, **login) as conn:
            if _in_recovery(conn):  # paused at the target: go on, and end recovery there
                conn.execute("SELECT pg_wal_replay_resume()")
            pause = threading.Event()
            while _in_recovery(conn):  # promotion after a paused target takes a moment
                pause.wait(0.1)
            row = conn.execute("SELECT pg_last_xact_replay_timestamp()").fetchone()
        report.recovered_to = row[0] if row and row[0] else base.finished_at or base.created_at
        where = "the end of the archive" if point is None else point.describe()
        entry["result"] = f"to {where}: newest transaction {report.recovered_to.isoformat()}"
    database = _database_name(settings)
    return PgTarget(str(socket_dir), None, embedded.SUPERUSER, None, database)


def _wait_recovered(login: dict[str, Any], data_dir: Path, timeout: float) -> None:
    """Until replay paused at its target, or ended (the end of the archive) and promoted."""
    import psycopg

    from openpolicy.ops import pitr

    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if not pitr._server_running(data_dir):
            raise DrillError(f"WAL replay failed: {pitr._log_reason(data_dir)}")
        try:
            with psycopg.connect(autocommit=True, connect_timeout=5, **login) as conn:
                if not _in_recovery(conn):
                    return
                row = conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()
                if row and row[0] == "paused":
                    return
        except psycopg.OperationalError:
            pass  # still starting
        pause.wait(0.2)
    raise DrillError(f"WAL replay did not finish within {timeout:.0f} s")


def _in_recovery(conn: Any) -> bool:
    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    return bool(row and row[0])


def _replay_to_the_end(data_dir: Path, wal_dir: Path) -> None:
    """Recovery settings without a target: replay every archived segment, then promote."""
    from openpolicy.ops import pitr

    command = pitr.restore_command(wal_dir).replace("'", "''")
    with (data_dir / "postgresql.auto.conf").open("a") as handle:
        handle.write(
            f"\n# --- openpolicy dr drill: complete recovery ---\n"
            f"restore_command = '{command}'\nrecovery_target_timeline = 'latest'\n"
        )
    (data_dir / "recovery.signal").write_text("")


def _database_name(settings: Settings) -> str:
    """The live database's name, without connecting to (or starting) anything."""
    if settings.database_url is None:
        return settings.embedded_database
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url.get_secret_value()).database or "openpolicy"


def _scratch_target(
    settings: Settings, scenario: str, cleanups: list[Callable[[], None]]
) -> PgTarget:
    name = f"openpolicy_drill_{stamp(utc_now()).lower()}"
    if scenario == "database-corruption":
        live = target_from_settings(settings)
        create_database(live, name)
        scratch = live.with_database(name)
        cleanups.append(lambda: drop_database(live, name))
        return scratch
    from openpolicy import embedded

    workdir = Path(tempfile.mkdtemp(prefix="openpolicy-dr-cluster-"))
    cluster = embedded.start(workdir / "pgdata", database=name)

    def stop_cluster() -> None:
        with suppress(Exception):
            cluster.stop()
        with suppress(Exception):
            cluster.detach()
        shutil.rmtree(workdir, ignore_errors=True)

    cleanups.append(stop_cluster)
    return PgTarget.from_url(cluster.url(name))


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_app(target: PgTarget, cleanups: list[Callable[[], None]]) -> str:
    """`openpolicy serve` on the restored copy, on a free loopback port; ready when returned."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OPENPOLICY_ENV_FILE", "REDIS_URL", "OPENPOLICY_REDIS_URL"}
        and k not in {"MAINTENANCE_MODE", "OPENPOLICY_MAINTENANCE_MODE"}
    }
    env["DATABASE_URL"] = target.sqlalchemy_url().render_as_string(hide_password=False)
    env["OPENPOLICY_LOG_LEVEL"] = "warning"
    workdir = Path(tempfile.mkdtemp(prefix="openpolicy-dr-app-"))
    log = (workdir / "app.log").open("w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openpolicy.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)

    cleanups.append(stop)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    pause = threading.Event()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            tail = log.read().strip().splitlines()[-3:]
            raise DrillError(f"the application instance exited: {' / '.join(tail)}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return url
        pause.wait(0.1)
    raise DrillError(f"the application instance on {url} did not become healthy within 60 s")


def run_smoke(url: str) -> dict[str, Any]:
    """The deploy scripts' health check and smoke tests (or GET /health without scripts)."""
    if not _scripts_available():
        response = httpx.get(f"{url}/health", timeout=10)
        passed = response.status_code == 200
        return {
            "passed": passed,
            "tool": "GET /health",
            "output": f"/health {response.status_code}",
        }
    outputs = []
    passed = True
    for script in ("health-check.sh", "smoke-tests.sh"):
        result = subprocess.run(
            ["bash", str(REPO_SCRIPTS / script), url],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        outputs.append(f"$ scripts/{script} {url}\n{result.stdout}{result.stderr}")
        passed = passed and result.returncode == 0
    return {"passed": passed, "tool": "scripts", "output": "\n".join(outputs)}


def write_report(settings: Settings, report: DrillReport) -> list[Path]:
    directory = settings.dr_report_dir
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / f"dr-drill-{report.scenario}-{stamp(report.started_at)}"
    json_path = base.with_suffix(".json")
    md_path = base.with_suffix(".md")
    report.report_files = [str(json_path), str(md_path)]
    json_path.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    md_path.write_text(report.render_markdown())
    return [json_path, md_path]


def readiness(settings: Settings, *, verify: bool = False) -> dict[str, Any]:
    """Is DR possible right now? Newest backup fresh (and intact), archiving healthy, off-site."""
    problems: list[str] = []
    facts: dict[str, Any] = {}
    newest = latest_verified(settings.backup_dir)
    if newest is None:
        problems.append(f"no verified backup in {settings.backup_dir}")
    else:
        age_hours = newest.age_seconds() / 3600
        facts["newest_backup"] = newest.path.name
        facts["newest_backup_age_hours"] = round(age_hours, 2)
        if age_hours > settings.backup_max_age_hours:
            problems.append(
                f"newest verified backup {newest.path.name} is {age_hours:.1f} h old "
                f"(limit {settings.backup_max_age_hours:g} h)"
            )
        if verify:
            try:
                verify_backup(newest.path)
                facts["newest_backup_verified_now"] = True
            except OpsError as exc:
                problems.append(exc.detail)
    if settings.s3_bucket:
        from openpolicy.ops import storage

        try:
            remote = storage.latest_remote_dump(settings)
        except OpsError as exc:
            problems.append(exc.detail)
            remote = None
        facts["newest_offsite_backup"] = remote.name if remote else None
        if remote is None:
            problems.append(f"no complete dump in s3://{settings.s3_bucket}")
        elif newest is not None and remote.name != newest.path.name:
            problems.append(f"newest backup {newest.path.name} is not uploaded yet")
    else:
        facts["newest_offsite_backup"] = "no bucket configured"
    return {"ok": not problems, "problems": problems, **facts}
