"""Backup and restore figures of the operations issue, measured in one run.

    .venv/bin/python bench/restore.py --scale 1            # private embedded cluster
    .venv/bin/python bench/restore.py --database-url URL   # an existing database (no PITR part)
    .venv/bin/python bench/restore.py --copy-data-dir /tmp/openpolicy-bench/pgdata
                                        # a copy of the parliament-scale bench cluster

Prints: pg_dump time, pg_restore -j time and their ratio (goal ≤ 2), base-backup restore +
WAL replay to a restore point (goal ≤ 5 min), the WAL archive lag under continuous ingest
(goal ≤ 60 s: archive_timeout), and restore-to-serving of a DR drill (goal ≤ 30 min).
Without --database-url it fills a fresh private cluster with synthetic rows in our tables
(sized by --scale: 1 ≈ 70 k ballots and 20 k speeches), or, with --copy-data-dir, copies an
existing embedded data directory (the parliament-scale one of bench/generate.py) into
--workdir and runs the same sequence on the copy, on its own embedded server. The source is
only read: a running source server is copied with `pg_basebackup` over its Unix socket (read
from its postmaster.pid; we never attach to it, so exiting cannot stop it), a stopped one
with `cp -a`, checked afterwards to have stayed stopped.

WAL archive lag: every second the ingest runs, the segment holding the current insert
position is noted; its lag is the time until `pg_stat_archiver.last_archived_wal` reaches it
(polled every 0.25 s). Under a trickle of writes a segment is only closed by archive_timeout,
counted from the previous switch, so the first write into a segment waits up to
archive_timeout (whole seconds) plus the archive_command: the lag bound is archive_timeout +
the copy time, not archive_timeout. --compare-archive-timeout repeats the measurement with
another value on the same server.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from openpolicy import embedded, schema
from openpolicy.config import Settings
from openpolicy.ops import backups, dr, pitr
from openpolicy.ops.pg import (
    PgTarget,
    connect,
    create_database,
    drop_database,
    run_tool,
    target_from_settings,
)
from openpolicy.ops.restore import restore_into

WORDS = [
    "parliament",
    "house",
    "member",
    "bill",
    "motion",
    "division",
    "budget",
    "committee",
    "speaker",
    "minister",
    "government",
    "opposition",
    "amendment",
    "reading",
    "senate",
    "question",
    "order",
    "report",
    "tax",
    "health",
    "climate",
    "housing",
    "defence",
    "justice",
    "agriculture",
    "fisheries",
    "infrastructure",
    "transport",
]


def generate(url: Any, scale: float) -> dict[str, int]:
    """Synthetic but shaped like the real tables: 338 seats, ballots per division, Hansard."""
    members = int(400 * scale) + 338
    votes = int(200 * scale)
    debates = int(100 * scale)
    speeches_per_debate = 200
    bills = int(500 * scale)
    words = "(ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "])"
    statements = [
        "INSERT INTO parliamentary_sessions (id, parliament, session, code, start_date)"
        " VALUES (1, 45, 1, '45-1', DATE '2020-01-01')",
        "INSERT INTO parties (id, short_name_en)"
        " SELECT g, 'Party ' || g FROM generate_series(1, 6) g",
        "INSERT INTO constituencies (id, name_en, province)"
        " SELECT g, 'Riding ' || g, 'ON' FROM generate_series(1, 338) g",
        f"INSERT INTO elected_members (id, person_id, first_name, last_name, full_name)"
        f" SELECT g, 100000 + g, 'First' || g, 'Last' || g, 'First' || g || ' Last' || g"
        f" FROM generate_series(1, {members}) g",
        f"INSERT INTO member_terms (member_id, constituency_id, party_id, parliament, start_date)"
        f" SELECT g, 1 + (g - 1) % 338, 1 + g % 6, 45, DATE '2020-01-01'"
        f" FROM generate_series(1, {members}) g",
        f"INSERT INTO bills (id, session_id, number, title_en, title_fr, introduced_date,"
        f" search_en, search_fr)"
        f" SELECT g, 1, 'C-' || g, 'An Act respecting ' || {words}[1 + g % 26],"
        f" 'Loi concernant ' || {words}[1 + g % 26], DATE '2020-02-01',"
        f" to_tsvector('english', 'An Act respecting ' || {words}[1 + g % 26]),"
        f" to_tsvector('french', 'Loi concernant ' || {words}[1 + g % 26])"
        f" FROM generate_series(1, {bills}) g",
        f"INSERT INTO votes (id, session_id, number, date, subject_en, result, yeas, nays, paired)"
        f" SELECT g, 1, g, DATE '2020-03-01' + g % 1500, 'Division ' || g, 'agreed', 200, 138, 0"
        f" FROM generate_series(1, {votes}) g",
        f"INSERT INTO ballots (vote_id, member_id, party_id, value)"
        f" SELECT v, m, 1 + m % 6, CASE WHEN m <= 200 THEN 'yea' ELSE 'nay' END"
        f" FROM generate_series(1, {votes}) v, generate_series(1, 338) m",
        f"INSERT INTO debates (id, session_id, number, date)"
        f" SELECT g, 1, g, DATE '2020-03-01' + g FROM generate_series(1, {debates}) g",
        f"INSERT INTO speeches (debate_id, sequence, member_id, text_en, text_fr)"
        f" SELECT d, s, 1 + (d * s) % 338,"
        f" (SELECT string_agg({words}[1 + (d * 7 + s * 13 + w) % 26], ' ')"
        f"  FROM generate_series(1, 90) w),"
        f" (SELECT string_agg({words}[1 + (d * 11 + s * 3 + w) % 26], ' ')"
        f"  FROM generate_series(1, 90) w)"
        f" FROM generate_series(1, {debates}) d, generate_series(1, {speeches_per_debate}) s",
        "UPDATE speeches SET search_en = to_tsvector('english', text_en),"
        " search_fr = to_tsvector('french', text_fr)",
    ]
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
        for table in ("elected_members", "bills", "votes", "debates", "parties", "constituencies"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        counts = {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("ballots", "speeches", "elected_members", "votes", "bills")
        }
        counts["database_mb"] = int(
            conn.execute(text("SELECT pg_database_size(current_database()) / 1048576")).scalar_one()
        )
    engine.dispose()
    return counts


def measure_dump_restore(target: PgTarget, workdir: Path, jobs: int) -> dict[str, float]:
    dump = workdir / "bench.dump"
    started = time.perf_counter()
    run_tool(
        "pg_dump",
        ["--format=custom", f"--compress={backups.DUMP_COMPRESSION}", "--file", str(dump)],
        target,
    )
    dump_seconds = time.perf_counter() - started
    scratch = f"{target.database}_bench_restore"
    drop_database(target, scratch)
    create_database(target, scratch)
    restore_seconds = restore_into(dump, target.with_database(scratch), jobs=jobs)
    drop_database(target, scratch)
    return {
        "dump_seconds": dump_seconds,
        "dump_mb": dump.stat().st_size / 1048576,
        "restore_seconds": restore_seconds,
        "ratio": restore_seconds / dump_seconds,
    }


class Ingest:
    """Hansard arriving: a new sitting of the newest session, filled with speeches.

    Each batch copies real rows (text, tsvectors, speaker) of randomly chosen existing
    speeches under the new sitting's next sequence numbers, so it writes the heap, the
    unique key and the GIN indexes as the importer does.
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        with engine.begin() as conn:
            low, high = conn.execute(text("SELECT min(id), max(id) FROM speeches")).one()
            self.debate_id = int(
                conn.execute(
                    text(
                        "INSERT INTO debates (session_id, number, date)"
                        " SELECT session_id, max(number) + 1, max(date) + 1 FROM debates"
                        " WHERE session_id = (SELECT max(session_id) FROM debates)"
                        " GROUP BY session_id RETURNING id"
                    )
                ).scalar_one()
            )
        self.low, self.high = int(low), int(high)
        self.sequence = 0
        self.rows = 0
        self.random = random.Random(20261127)

    def batch(self, size: int = 20) -> None:
        ids = [self.random.randint(self.low, self.high) for _ in range(size)]
        with self.engine.begin() as conn:
            result = conn.execute(
                text(
                    "INSERT INTO speeches (debate_id, sequence, hansard_id, spoken_at, member_id,"
                    " speaker_name, party_abbreviation, intervention_type, order_of_business,"
                    " heading_en, heading_fr, text_en, text_fr, search_en, search_fr)"
                    " SELECT :debate, :base + row_number() OVER (ORDER BY s.id),"
                    " (:debate * 100000 + :base + row_number() OVER (ORDER BY s.id))::text,"
                    " spoken_at, member_id, speaker_name, party_abbreviation, intervention_type,"
                    " order_of_business, heading_en, heading_fr, text_en, text_fr, search_en,"
                    " search_fr FROM speeches s WHERE s.id = ANY(:ids)"
                ),
                {"debate": self.debate_id, "base": self.sequence, "ids": ids},
            )
        self.sequence += max(result.rowcount, 0)
        self.rows += max(result.rowcount, 0)


def measure_archive_lag(target: PgTarget, seconds: float, batch: int = 20) -> dict[str, float]:
    """Continuous ingest (`batch` speeches every 0.2 s); per second, how long until archived."""
    engine = create_engine(target.sqlalchemy_url(), poolclass=NullPool)
    ingest = Ingest(engine)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            ingest.batch(batch)
            stop.wait(0.2)

    pending: list[tuple[float, str]] = []
    lags: list[float] = []
    pause = threading.Event()

    def settle(conn: Any, now: float) -> None:
        nonlocal pending
        archived = conn.execute(text("SELECT last_archived_wal FROM pg_stat_archiver")).scalar()
        conn.commit()
        if archived:
            done = [p for p in pending if str(archived)[8:] >= p[1][8:]]
            lags.extend(now - t for t, _ in done)
            pending = [p for p in pending if p not in done]

    stats = "SELECT wal_bytes, archived_count FROM pg_stat_wal, pg_stat_archiver"
    with engine.connect() as conn:
        start_bytes, start_count = conn.execute(text(stats)).one()
        conn.commit()
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        started = time.monotonic()
        deadline = started + seconds
        next_sample = started
        while (now := time.monotonic()) < deadline:
            if now >= next_sample:
                wal = conn.execute(
                    text("SELECT pg_walfile_name(pg_current_wal_lsn())")
                ).scalar_one()
                pending.append((now, str(wal)))
                next_sample += 1.0
            settle(conn, now)
            pause.wait(0.25)
        stop.set()
        end_bytes, end_count = conn.execute(text(stats)).one()
        conn.commit()
        while pending and (now := time.monotonic()) < deadline + 90:
            settle(conn, now)
            pause.wait(0.25)
    stop.set()
    worker.join(timeout=10)
    engine.dispose()
    ordered = sorted(lags)
    return {
        "samples": float(len(lags)),
        "max_lag_seconds": ordered[-1] if ordered else float("nan"),
        "median_lag_seconds": statistics.median(ordered) if ordered else float("nan"),
        "p95_lag_seconds": ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan"),
        "over_60_samples": float(sum(1 for lag in lags if lag > 60)),
        "unarchived_samples": float(len(pending)),
        "rows": float(ingest.rows),
        "wal_mb_per_second": float(end_bytes - start_bytes) / 1048576 / seconds,
        "segments_archived": float(int(end_count) - int(start_count)),
    }


def _print_lag(lag: dict[str, float], seconds: float, timeout: int, batch: int) -> None:
    print(
        f"WAL archive lag under continuous ingest ({seconds:.0f} s, {batch} speeches / 0.2 s: "
        f"{lag['rows']:.0f} speeches, "
        f"{lag['wal_mb_per_second']:.2f} MB/s of WAL records, {lag['segments_archived']:.0f} "
        f"segments archived meanwhile; archive_timeout {timeout} s): "
        f"max {lag['max_lag_seconds']:.1f} s, "
        f"p95 {lag['p95_lag_seconds']:.1f} s, median {lag['median_lag_seconds']:.1f} s over "
        f"{lag['samples']:.0f} samples, {lag['over_60_samples']:.0f} over 60 s "
        f"({lag['unarchived_samples']:.0f} not archived within 90 s)  [goal ≤ 60 s: "
        f"{'met' if lag['max_lag_seconds'] <= 60 and not lag['unarchived_samples'] else 'NOT met'}]"
    )


# ----------------------------------------------------------------------------- data dir copy


def _source_server(data_dir: Path) -> tuple[Path, int] | None:
    """Socket directory and port of the server running on `data_dir` (read, never attached)."""
    status = embedded.status(data_dir)
    if not status.running or status.socket_dir is None or status.port is None:
        return None
    return status.socket_dir, status.port


def copy_data_dir(source: Path, destination: Path) -> str:
    """A consistent copy of `source` at `destination`, leaving the source untouched."""
    source = source.expanduser().resolve()
    server = _source_server(source)
    user = embedded.system_user()
    if server is not None:
        destination.mkdir(mode=0o700)
        if user is not None:
            shutil.chown(destination, user, user)
        socket_dir, port = server
        embedded.run_pg_tool(
            "pg_basebackup",
            [
                "-D",
                str(destination),
                "-h",
                str(socket_dir),
                "-p",
                str(port),
                "-U",
                embedded.SUPERUSER,
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-manifest",
                "--no-sync",
                "--label",
                "openpolicy bench/restore.py copy",
            ],
            timeout=7200,
        )
        how = f"pg_basebackup from the running server (socket {socket_dir})"
    else:
        control = (source / "global" / "pg_control").read_bytes()
        subprocess.run(["cp", "-a", str(source), str(destination)], check=True)
        if _source_server(source) is not None or (
            (source / "global" / "pg_control").read_bytes() != control
        ):
            raise SystemExit(
                f"{source} was started during the copy: the copy is not consistent, run again"
            )
        how = "cp -a of the stopped data directory"
    # What belongs to the source's server, not to the copy: its lock and socket files, the
    # processes attached to it (the copy would never stop), its log.
    for name in (".handle_pids.json", "postmaster.pid", "postmaster.opts", "log"):
        (destination / name).unlink(missing_ok=True)
    for stale in destination.glob(".s.PGSQL.*"):
        stale.unlink()
    return how


def start_copy(data_dir: Path) -> None:
    """Start the copy ourselves (recovery may outlast the wheel's 10 s start timeout)."""
    embedded.run_pg_tool(
        "pg_ctl",
        [
            "-D",
            str(data_dir),
            "-w",
            "-t",
            "1800",
            "-l",
            str(data_dir / "log"),
            "-o",
            '-h ""',
            "-o",
            f"-k {data_dir}",
            "start",
        ],
        timeout=1830,
    )


def counts_of(target: PgTarget) -> dict[str, int]:
    engine = create_engine(target.sqlalchemy_url(), poolclass=NullPool)
    with engine.connect() as conn:
        counts = {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("ballots", "speeches", "elected_members", "votes", "bills")
        }
        counts["database_mb"] = int(
            conn.execute(text("SELECT pg_database_size(current_database()) / 1048576")).scalar_one()
        )
    engine.dispose()
    return counts


@contextmanager
def work_directory(path: Path | None) -> Iterator[Path]:
    """`path` (created empty, removed at the end) or a temporary directory."""
    if path is None:
        with tempfile.TemporaryDirectory(prefix="openpolicy-bench-restore-") as tmp:
            yield Path(tmp)
        return
    path = path.expanduser().resolve()
    if path.exists():
        raise SystemExit(f"{path} exists: remove it (a previous run?) or choose another --workdir")
    path.mkdir(parents=True)
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _stop_if_running(data_dir: Path) -> None:
    """Stop our own server on `data_dir` (after a failure: the work directory is removed)."""
    if data_dir.exists() and embedded.status(data_dir).running:
        embedded.run_pg_tool("pg_ctl", ["-D", str(data_dir), "-w", "-m", "fast", "stop"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", help="Measure this database (skips PITR and lag).")
    parser.add_argument(
        "--copy-data-dir",
        type=Path,
        help="Copy this embedded data directory (running or stopped; only read) and measure "
        "the copy instead of synthetic data.",
    )
    parser.add_argument(
        "--database",
        default="openpolicy_bench",
        help="Database name inside the copied data directory.",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="Work directory, created and removed (default: a temporary directory; "
        "with --copy-data-dir: /tmp/openpolicy-bench-restore).",
    )
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore -j")
    parser.add_argument(
        "--ingest-seconds", type=float, default=75.0, help="Continuous ingest for the lag."
    )
    parser.add_argument(
        "--ingest-batch", type=int, default=20, help="Speeches per 0.2 s during the lag."
    )
    parser.add_argument(
        "--trickle-batch",
        type=int,
        help="Measure the lag also under this smaller batch (too little WAL to fill a "
        "segment within archive_timeout: the worst case).",
    )
    parser.add_argument(
        "--compare-archive-timeout",
        type=int,
        help="Measure the lag a second time with this archive_timeout (seconds).",
    )
    args = parser.parse_args()
    workdir_arg = args.workdir
    if workdir_arg is None and args.copy_data_dir is not None:
        workdir_arg = Path("/tmp/openpolicy-bench-restore")
    if args.copy_data_dir is not None and workdir_arg is not None:
        source = args.copy_data_dir.expanduser().resolve()
        inside = workdir_arg.expanduser().resolve()
        if inside == source or source in inside.parents or inside in source.parents:
            raise SystemExit("--workdir must be outside the copied data directory and vice versa")
    with work_directory(workdir_arg) as workdir:
        if args.database_url:
            target = PgTarget.from_url(args.database_url)
            print(f"database: {target.display()}")
            _print(measure_dump_restore(target, workdir, args.jobs))
            return
        settings = Settings(
            database_url=None,
            data_dir=workdir / "pgdata",
            backup_dir=workdir / "backups",
            dr_report_dir=workdir / "reports",
            backup_restore_jobs=args.jobs,
            embedded_database=args.database if args.copy_data_dir else "openpolicy",
        )
        try:
            _private_cluster(args, settings, workdir)
        finally:
            _stop_if_running(settings.data_dir)


def _private_cluster(args: argparse.Namespace, settings: Settings, workdir: Path) -> None:
    print(f"work directory: {workdir}", flush=True)
    if args.copy_data_dir is not None:
        started = time.perf_counter()
        how = copy_data_dir(args.copy_data_dir, settings.data_dir)
        copied = time.perf_counter() - started
        start_copy(settings.data_dir)
        target = target_from_settings(settings)
        print(
            f"copied {args.copy_data_dir} in {copied:.1f} s ({how}): {counts_of(target)}",
            flush=True,
        )
    else:
        target = target_from_settings(settings)
        engine = create_engine(target.sqlalchemy_url(), poolclass=NullPool)
        schema.upgrade(engine)
        engine.dispose()
        started = time.perf_counter()
        counts = generate(target.sqlalchemy_url(), args.scale)
        print(f"generated in {time.perf_counter() - started:.1f} s: {counts}", flush=True)
    figures: dict[str, Any] = measure_dump_restore(target, workdir, args.jobs)
    _print(figures)
    (workdir / "bench.dump").unlink(missing_ok=True)

    pitr.enable(settings, target)
    base = pitr.take_base_backup(settings, target)
    print(
        f"base backup: {base.size_bytes / 1048576:.1f} MB in {base.seconds:.1f} s (zstd)",
        flush=True,
    )
    timeouts = [settings.pitr_archive_timeout_seconds]
    if args.compare_archive_timeout is not None:
        timeouts.append(args.compare_archive_timeout)
    batches = [args.ingest_batch] + ([args.trickle_batch] if args.trickle_batch else [])
    for timeout in timeouts:
        pitr.enable(settings.model_copy(update={"pitr_archive_timeout_seconds": timeout}), target)
        for batch in batches:
            lag = measure_archive_lag(target, args.ingest_seconds, batch)
            _print_lag(lag, args.ingest_seconds, timeout, batch)
    pitr.enable(settings, target)
    point = pitr.create_restore_point(target, "bench-point", settings.backup_dir)
    with connect(target) as conn:
        row = conn.execute(
            "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)", (point["lsn"], base.start_lsn)
        ).fetchone()
    replay_mb = float(row[0]) / 1048576 if row else float("nan")
    report = pitr.restore(settings, "bench-point", confirm=lambda q: True, live=target, timeout=600)
    replay = report.steps.get("extract_base_backup", 0) + report.steps.get("recover", 0)
    print(
        f"base-backup restore + WAL replay to a restore point: {replay:.1f} s "
        f"(extract {report.steps.get('extract_base_backup', 0):.1f} s, start + replay of "
        f"{replay_mb:.0f} MB of WAL {report.steps.get('recover', 0):.1f} s; whole PITR "
        f"{report.total_seconds:.1f} s incl. integrity check "
        f"{report.steps.get('integrity_check', 0):.1f} s and swap "
        f"{report.steps.get('swap_and_start', 0):.1f} s)  "
        f"[goal ≤ 300 s: {'met' if replay <= 300 else 'NOT met'}]",
        flush=True,
    )
    if report.aside is not None:
        shutil.rmtree(report.aside, ignore_errors=True)  # the pre-PITR copy: disk space
    backups.create_backup(target, settings.backup_dir)
    drill = dr.drill(settings, "database-corruption")
    rto = drill.rto_seconds or float("nan")
    print(
        f"restore-to-serving (DR drill, detection → smoke tests pass): "
        f"{rto:.1f} s, passed={drill.passed}"
        f"{'' if drill.passed else ' ' + str(drill.error)}  "
        f"[goal ≤ 1800 s: {'met' if drill.passed and rto <= 1800 else 'NOT met'}]",
        flush=True,
    )
    for step in drill.steps:
        print(f"  drill step {step['name']}: {step['seconds']:.1f} s")
    from openpolicy.db import embedded_cluster

    embedded_cluster(settings).detach()  # the last handle: stops the server


def _print(figures: dict[str, Any]) -> None:
    print(
        f"pg_dump -Fc ({backups.DUMP_COMPRESSION}): {figures['dump_seconds']:.1f} s, "
        f"{figures['dump_mb']:.1f} MB; pg_restore -j: {figures['restore_seconds']:.1f} s; "
        f"restore/dump = {figures['ratio']:.2f}  "
        f"[goal ≤ 2: {'met' if figures['ratio'] <= 2 else 'NOT met'}]",
        flush=True,
    )


if __name__ == "__main__":
    main()
