"""Logical restore: into a new database, checked, and only then switched in.

The live database is never touched until a complete, verified copy exists next to it:

1. verify the dump (checksum + `pg_restore --list`);
2. `CREATE DATABASE <live>_restore_<time>` and `pg_restore -j N` into it;
3. run the integrity check on it (a failing copy is kept for inspection, not switched in);
4. ask (unless `--yes`), then rename the live database aside (`<live>_corrupt_<time>`) and
   the restored one to the live name. Applications reconnect to the same name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from openpolicy.ops import integrity
from openpolicy.ops.backups import stamp, utc_now, verify_backup
from openpolicy.ops.pg import (
    OpsError,
    PgTarget,
    admin_target,
    connect,
    create_database,
    database_exists,
    drop_database,
    run_tool,
)

# Faster index builds and no fsync wait per transaction while restoring into a new database
# nobody uses yet (both are per-session settings any role may change).
RESTORE_PGOPTIONS = "-c maintenance_work_mem=256MB -c synchronous_commit=off"
MAX_IDENTIFIER = 63


class RestoreError(OpsError):
    title = "Restore error"
    type_slug = "restore-error"


@dataclass
class RestoreReport:
    backup: str
    database: str
    restored_as: str
    aside: str | None = None
    switched: bool = False
    steps: dict[str, float] = field(default_factory=dict)
    integrity: dict[str, Any] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.steps.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup": self.backup,
            "database": self.database,
            "restored_as": self.restored_as,
            "old_database": self.aside,
            "switched": self.switched,
            "steps_seconds": {k: round(v, 3) for k, v in self.steps.items()},
            "total_seconds": round(self.total_seconds, 3),
            "integrity": self.integrity,
        }


def _name(base: str, suffix: str) -> str:
    """`base_suffix`, shortened so it stays a valid identifier."""
    return f"{base[: MAX_IDENTIFIER - len(suffix) - 1]}_{suffix}"


def restore_into(
    dump: Path, target: PgTarget, *, jobs: int = 2, pgoptions: str = RESTORE_PGOPTIONS
) -> float:
    """`pg_restore -j` into the existing empty database `target`; returns the seconds taken."""
    started = time.perf_counter()
    run_tool(
        "pg_restore",
        [
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--jobs={max(1, jobs)}",
            "--dbname",
            target.database,
            str(dump),
        ],
        target,
        extra_env={"PGOPTIONS": pgoptions},
    )
    return time.perf_counter() - started


def restore_backup(
    dump: Path,
    live: PgTarget,
    *,
    confirm: Callable[[str], bool],
    jobs: int = 2,
    announce: Callable[[str], None] = lambda message: None,
) -> RestoreReport:
    """Restore `dump` next to `live`, check it, and switch it in once confirmed."""
    moment = stamp(utc_now()).lower()
    scratch = _name(live.database, f"restore_{moment}")
    aside = _name(live.database, f"corrupt_{moment}")
    report = RestoreReport(dump.name, live.database, scratch)

    started = time.perf_counter()
    announce(f"verifying {dump.name}")
    verify_backup(dump)
    report.steps["verify"] = time.perf_counter() - started

    started = time.perf_counter()
    announce(f"restoring into new database {scratch}")
    create_database(live, scratch)
    try:
        restore_into(dump, live.with_database(scratch), jobs=jobs)
    except OpsError as exc:
        drop_database(live, scratch)
        raise RestoreError(f"restore into {scratch} failed, nothing was switched: {exc}") from exc
    report.steps["restore"] = time.perf_counter() - started

    started = time.perf_counter()
    announce(f"running the integrity check on {scratch}")
    result = integrity.check_database(live.with_database(scratch))
    report.integrity = result.as_dict()
    report.steps["integrity_check"] = time.perf_counter() - started
    if not result.passed:
        raise RestoreError(
            f"the restored copy {scratch} fails the integrity check; the live database was not "
            f"touched and {scratch} is kept for inspection.\n{result.render_text()}"
        )

    exists = database_exists(live, live.database)
    question = f"Replace {live.display()} with the restored copy of {dump.name}?" + (
        f" The current database is kept as {aside!r}." if exists else ""
    )
    if not confirm(question):
        raise RestoreError(
            f"not confirmed: nothing was switched; the restored copy is database {scratch!r}"
        )
    started = time.perf_counter()
    announce(f"switching {scratch} in as {live.database}")
    switch_databases(live, scratch, aside if exists else None)
    report.aside = aside if exists else None
    report.switched = True
    report.steps["switch"] = time.perf_counter() - started
    return report


def switch_databases(live: PgTarget, replacement: str, aside: str | None) -> None:
    """Rename `live` aside and `replacement` to the live name, with nobody connected to either.

    Connections are refused to the live database first, so application pools cannot sneak
    back in between terminating them and renaming it.
    """
    name = live.database
    with connect(admin_target(live)) as conn:
        if aside is not None:
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(
                    sql.Identifier(name)
                )
            )
            try:
                _rename_when_free(conn, name, aside)
            finally:
                target_name = aside if _exists(conn, aside) else name
                conn.execute(
                    sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
                        sql.Identifier(target_name)
                    )
                )
        _rename_when_free(conn, replacement, name)


def _exists(conn: Any, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    )


def _rename_when_free(conn: Any, old: str, new: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (old,),
        )
        try:
            conn.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(old), sql.Identifier(new)
                )
            )
            return
        except psycopg.errors.ObjectInUse as exc:  # a terminated backend is still exiting
            if time.monotonic() > deadline:
                raise RestoreError(f"cannot rename database {old} to {new}: {exc}") from exc
            pause.wait(0.1)
