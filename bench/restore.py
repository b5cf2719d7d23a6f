"""Backup and restore figures of the operations issue, measured in one run.

    .venv/bin/python bench/restore.py --scale 1            # private embedded cluster
    .venv/bin/python bench/restore.py --database-url URL   # an existing database (no PITR part)

Prints: pg_dump time, pg_restore -j time and their ratio (goal ≤ 2), base-backup restore +
WAL replay to a restore point (goal ≤ 5 min), the WAL archive lag under continuous ingest
(goal ≤ 60 s: archive_timeout), and restore-to-serving of a DR drill (goal ≤ 30 min).
Without --database-url it fills a fresh private cluster with synthetic rows in our tables
(sized by --scale: 1 ≈ 70 k ballots and 20 k speeches) until the parliament-scale generator
of the API issue exists.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from openpolicy import schema
from openpolicy.config import Settings
from openpolicy.ops import backups, dr, pitr
from openpolicy.ops.pg import PgTarget, create_database, drop_database, run_tool
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


def measure_archive_lag(target: PgTarget, seconds: float) -> dict[str, float]:
    """Continuous small ingest; for each second, how long until its WAL was archived."""
    engine = create_engine(target.sqlalchemy_url(), poolclass=NullPool)
    stop = threading.Event()

    def ingest() -> None:
        sequence = 1_000_000
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO speeches (debate_id, sequence, text_en, search_en)"
                        " SELECT 1, :s + g, 'continuous ingest', to_tsvector('continuous ingest')"
                        " FROM generate_series(1, 20) g"
                    ),
                    {"s": sequence},
                )
            sequence += 20
            stop.wait(0.2)

    worker = threading.Thread(target=ingest, daemon=True)
    worker.start()
    pending: list[tuple[float, str]] = []
    lags: list[float] = []
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    with engine.connect() as conn:
        while time.monotonic() < deadline or (pending and time.monotonic() < deadline + 90):
            now = time.monotonic()
            if now < deadline:
                wal = conn.execute(
                    text("SELECT pg_walfile_name(pg_current_wal_lsn())")
                ).scalar_one()
                pending.append((now, str(wal)))
            archived = conn.execute(text("SELECT last_archived_wal FROM pg_stat_archiver")).scalar()
            conn.commit()
            if archived:
                done = [p for p in pending if str(archived)[8:] >= p[1][8:]]
                lags.extend(now - t for t, _ in done)
                pending = [p for p in pending if p not in done]
            if now >= deadline:
                stop.set()
            pause.wait(1.0)
    stop.set()
    worker.join(timeout=10)
    engine.dispose()
    return {
        "samples": float(len(lags)),
        "max_lag_seconds": max(lags) if lags else float("nan"),
        "unarchived_samples": float(len(pending)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", help="Measure this database (skips PITR and lag).")
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore -j")
    parser.add_argument(
        "--ingest-seconds", type=float, default=75.0, help="Continuous ingest for the lag."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openpolicy-bench-restore-") as tmp:
        workdir = Path(tmp)
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
        )
        from openpolicy.ops.pg import target_from_settings

        target = target_from_settings(settings)
        engine = create_engine(target.sqlalchemy_url(), poolclass=NullPool)
        schema.upgrade(engine)
        engine.dispose()
        started = time.perf_counter()
        counts = generate(target.sqlalchemy_url(), args.scale)
        print(f"generated in {time.perf_counter() - started:.1f} s: {counts}")
        figures: dict[str, Any] = measure_dump_restore(target, workdir, args.jobs)
        _print(figures)

        pitr.enable(settings, target)
        base = pitr.take_base_backup(settings, target)
        print(f"base backup: {base.size_bytes / 1048576:.1f} MB in {base.seconds:.1f} s (zstd)")
        lag = measure_archive_lag(target, args.ingest_seconds)
        print(
            f"WAL archive lag under continuous ingest ({args.ingest_seconds:.0f} s, "
            f"archive_timeout {settings.pitr_archive_timeout_seconds} s): "
            f"max {lag['max_lag_seconds']:.1f} s over {lag['samples']:.0f} samples "
            f"({lag['unarchived_samples']:.0f} not archived within 90 s)  [goal ≤ 60 s]"
        )
        pitr.create_restore_point(target, "bench-point", settings.backup_dir)
        report = pitr.restore(
            settings, "bench-point", confirm=lambda q: True, live=target, timeout=600
        )
        replay = report.steps.get("extract_base_backup", 0) + report.steps.get("recover", 0)
        print(
            f"base-backup restore + WAL replay to a restore point: {replay:.1f} s "
            f"(whole PITR incl. check and swap {report.total_seconds:.1f} s)  [goal ≤ 300 s]"
        )
        backups.create_backup(target, settings.backup_dir)
        drill = dr.drill(settings, "database-corruption")
        print(
            f"restore-to-serving (DR drill, detection → smoke tests pass): "
            f"{drill.rto_seconds or float('nan'):.1f} s, passed={drill.passed}"
            f"{'' if drill.passed else ' ' + str(drill.error)}  [goal ≤ 1800 s]"
        )
        from openpolicy.db import embedded_cluster

        embedded_cluster(settings).detach()  # the last handle: stops the server


def _print(figures: dict[str, Any]) -> None:
    print(
        f"pg_dump -Fc ({backups.DUMP_COMPRESSION}): {figures['dump_seconds']:.1f} s, "
        f"{figures['dump_mb']:.1f} MB; pg_restore -j: {figures['restore_seconds']:.1f} s; "
        f"restore/dump = {figures['ratio']:.2f}  [goal ≤ 2]"
    )


if __name__ == "__main__":
    main()
