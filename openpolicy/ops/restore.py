"""Logical restore: into a new database, checked, and only then switched in.

The live database is never touched until a complete, verified copy exists next to it:

1. verify the dump (checksum + `pg_restore --list`);
2. `CREATE DATABASE <live>_restore_<time>` and `pg_restore -j N` into it;
3. run the integrity check on it (a failing copy is kept for inspection, not switched in);
4. ask (unless `--yes`), then, in ONE transaction, rename the live database aside
   (`<live>_corrupt_<time>`) and the restored one to the live name. Applications reconnect
   to the same name. Killed at any moment, the switch has happened entirely or not at all.

A restore that is interrupted (Ctrl-C, SIGTERM, SIGHUP, a failed step) drops its half-
restored database before it exits. One that could not clean up (SIGKILL, a power cut)
leaves a database marked "in progress" by its comment: the next restore reports and drops
it before it starts. A copy that fails the integrity check, or that the operator declines
to switch in, is kept on purpose and marked so.

Earlier versions renamed in two statements: one killed between them left no live
database, only its `<live>_corrupt_<time>` copy. `interrupted_switch` finds that state and
`recover_interrupted_switch` renames the copy back; a restore does it before it starts, the
embedded cluster before it would create an empty database, and `openpolicy db status`
reports it (`openpolicy backup recover-switch` recovers).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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
from openpolicy.ops.restore_switch import (
    InterruptedSwitch,
    database_name,
    end_sessions_and_rename,
    find_interrupted_switch,
    put_back_interrupted_switch,
)

# Faster index builds and no fsync wait per transaction while restoring into a new database
# nobody uses yet (both are per-session settings any role may change).
RESTORE_PGOPTIONS = "-c maintenance_work_mem=256MB -c synchronous_commit=off"
# How long a switch waits on another session's lock on the live or the restored database.
SWITCH_LOCK_TIMEOUT = 15.0
IN_PROGRESS = "openpolicy-restore in progress "
KEPT = "openpolicy-restore kept for inspection "
# Signals that end a restore cleanly (SIGINT already raises KeyboardInterrupt).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


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
    recovered = recover_interrupted_switch(live)
    if recovered is not None:
        announce(recovered.describe(recovered=True))
    for leftover in remove_leftovers(live):
        announce(f"dropped {leftover}: the half-restored database of an interrupted restore")
    moment = stamp(utc_now()).lower()
    scratch = database_name(live.database, f"restore_{moment}")
    aside = database_name(live.database, f"corrupt_{moment}")
    report = RestoreReport(dump.name, live.database, scratch)

    started = time.perf_counter()
    announce(f"verifying {dump.name}")
    verify_backup(dump)
    report.steps["verify"] = time.perf_counter() - started

    with _signals_end_cleanly():
        started = time.perf_counter()
        announce(f"restoring into new database {scratch}")
        create_database(live, scratch)
        _mark(live, scratch, IN_PROGRESS, dump)
        try:
            restore_into(dump, live.with_database(scratch), jobs=jobs)
            report.steps["restore"] = time.perf_counter() - started
            started = time.perf_counter()
            announce(f"running the integrity check on {scratch}")
            result = integrity.check_database(live.with_database(scratch))
        except BaseException as exc:  # any failure or signal: nothing half-restored stays
            try:
                drop_database(live, scratch)
            except OpsError as failed:  # marked in progress: the next restore drops it
                announce(f"could not drop {scratch} now ({failed}); the next restore will")
            if isinstance(exc, OpsError):
                raise RestoreError(
                    f"restore into {scratch} failed, nothing was switched: {exc}"
                ) from exc
            announce(f"interrupted: dropped {scratch}; nothing was switched")
            raise
    report.integrity = result.as_dict()
    report.steps["integrity_check"] = time.perf_counter() - started
    if not result.passed:
        _mark(live, scratch, KEPT, dump)
        raise RestoreError(
            f"the restored copy {scratch} fails the integrity check; the live database was not "
            f"touched and {scratch} is kept for inspection.\n{result.render_text()}"
        )
    _mark(live, scratch, KEPT, dump)  # from here on a complete, checked copy

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
    _mark(live, scratch, None, dump)
    try:
        switch_databases(live, scratch, aside if exists else None)
    except BaseException as exc:  # nothing was switched: the checked copy stays, described
        with suppress(OpsError):  # the server is gone: the error below says so
            _mark(live, scratch, KEPT, dump)
        if isinstance(exc, RestoreError):
            raise RestoreError(f"{exc.detail}; the restored copy is database {scratch!r}") from exc
        raise
    report.aside = aside if exists else None
    report.switched = True
    report.steps["switch"] = time.perf_counter() - started
    return report


def _mark(live: PgTarget, name: str, state: str | None, dump: Path) -> None:
    """Say in the database's comment what it is: a restore in progress (with the process
    that runs it), a copy kept on purpose, or nothing (about to become the live one)."""
    comment = None
    if state is not None:
        comment = state + json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "dump": dump.name,
                "started": utc_now().isoformat(),
            }
        )
    with connect(admin_target(live)) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(comment)
            )
        )


def leftovers(live: PgTarget) -> list[tuple[str, dict[str, Any]]]:
    """Databases of restores still marked in progress whose process is gone."""
    with connect(admin_target(live)) as conn:
        rows = conn.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE shobj_description(oid, 'pg_database') LIKE %s ORDER BY datname",
            (IN_PROGRESS + "%",),
        ).fetchall()
    found = []
    for name, comment in rows:
        try:
            owner = json.loads(comment[len(IN_PROGRESS) :])
        except ValueError:
            owner = {}
        if owner.get("host") == socket.gethostname() and _alive(owner.get("pid")):
            continue  # a restore running right now
        found.append((str(name), owner))
    return found


def remove_leftovers(live: PgTarget) -> list[str]:
    """Drop what interrupted restores left behind; returns what was dropped, described."""
    dropped = []
    for name, owner in leftovers(live):
        drop_database(live, name)
        since = f", started {owner['started']}" if owner.get("started") else ""
        source = f" from {owner['dump']}" if owner.get("dump") else ""
        dropped.append(f"{name}{source}{since}")
    return dropped


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _raise_system_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def _signals_end_cleanly() -> Iterator[None]:
    """SIGTERM, SIGHUP and SIGQUIT raise SystemExit while restoring, so the half-restored
    database is dropped (pg_restore is killed by `subprocess.run` on the way out)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_system_exit) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def switch_databases(
    live: PgTarget,
    replacement: str,
    aside: str | None,
    *,
    timeout: float = 30.0,
    lock_timeout: float = SWITCH_LOCK_TIMEOUT,
) -> None:
    """Rename `live` aside and `replacement` to the live name in ONE transaction.

    Either both renames commit or neither does: a kill, a power cut or a dropped connection
    at any point leaves the live database under its name (PostgreSQL allows `ALTER DATABASE
    … RENAME` in a transaction block; only CREATE/DROP DATABASE cannot be in one). Nothing is
    set on either database beforehand, so there is nothing to undo after a crash.

    A rename holds its database's lock until the transaction ends, and a new connection
    waits for that lock before it may use the database: from the first rename on, the
    application cannot connect to the live database, and once the switch commits the
    waiting connections are told it was renamed and reconnect to the new one. Each rename
    first ends the sessions of its database in the same round trip; a session that got in
    between (or is still exiting after 5 s) fails the rename with ObjectInUse, and the whole
    transaction is tried again until `timeout`. `lock_timeout` bounds how long the switch
    (and with it every new connection to the live database) waits on another session's
    lock on either database: past it nothing is switched.
    """
    name = live.database
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    with connect(admin_target(live)) as conn:
        while True:
            try:
                with conn.transaction():
                    conn.execute(
                        sql.SQL("SET LOCAL lock_timeout = {}").format(
                            sql.Literal(f"{max(1, int(lock_timeout * 1000))}ms")
                        )
                    )
                    if aside is not None:
                        end_sessions_and_rename(conn, name, aside)
                    end_sessions_and_rename(conn, replacement, name)
                return
            except psycopg.errors.ObjectInUse as exc:  # a session got in, or is still exiting
                if time.monotonic() > deadline:
                    raise RestoreError(
                        f"cannot switch {replacement} in as {name}: {exc}; nothing was switched"
                    ) from exc
                pause.wait(0.1)
            except psycopg.errors.LockNotAvailable as exc:
                raise RestoreError(
                    f"cannot switch {replacement} in as {name}: another session holds a lock on"
                    f" one of them (waited {lock_timeout:g} s); nothing was switched"
                ) from exc


def interrupted_switch(live: PgTarget) -> InterruptedSwitch | None:
    """The state a switch killed between its two renames (older versions) left, if it did."""
    with connect(admin_target(live)) as conn:
        return find_interrupted_switch(conn, live.database)


def recover_interrupted_switch(live: PgTarget) -> InterruptedSwitch | None:
    """Rename the live database's aside copy back when the live one is missing (see
    `interrupted_switch`); returns what was recovered, or None when nothing needed it."""
    with connect(admin_target(live)) as conn:
        return put_back_interrupted_switch(conn, live.database)
