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
import re
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

# Faster index builds and no fsync wait per transaction while restoring into a new database
# nobody uses yet (both are per-session settings any role may change).
RESTORE_PGOPTIONS = "-c maintenance_work_mem=256MB -c synchronous_commit=off"
MAX_IDENTIFIER = 63
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
    recovered = recover_interrupted_switch(live)
    if recovered is not None:
        announce(recovered.describe(recovered=True))
    for leftover in remove_leftovers(live):
        announce(f"dropped {leftover}: the half-restored database of an interrupted restore")
    moment = stamp(utc_now()).lower()
    scratch = _name(live.database, f"restore_{moment}")
    aside = _name(live.database, f"corrupt_{moment}")
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
                        _end_sessions_and_rename(conn, name, aside)
                    _end_sessions_and_rename(conn, replacement, name)
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


def _end_sessions_and_rename(conn: Any, old: str, new: str) -> None:
    """End every other session of `old` and rename it, in one round trip (one simple query:
    the smallest window for a session to get in between)."""
    conn.execute(
        sql.SQL(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = {old_name} AND pid <> pg_backend_pid();"
            " ALTER DATABASE {old} RENAME TO {new}"
        ).format(old_name=sql.Literal(old), old=sql.Identifier(old), new=sql.Identifier(new))
    )


def _exists(conn: Any, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    )


# --- what a two-step switch of an older version could leave behind ----------------------


@dataclass(frozen=True)
class InterruptedSwitch:
    """No live database, and the copy a restore's switch renamed it to before it stopped."""

    live: str
    aside: str
    restored: str | None  # that restore's checked copy, when it is still there

    def describe(self, *, recovered: bool) -> str:
        copy = (
            f"; the restored copy {self.restored!r} is kept (restore again to switch a checked"
            " copy in)"
            if self.restored
            else ""
        )
        if recovered:
            return (
                f"database {self.live!r} was missing: a restore had renamed it to {self.aside!r}"
                f" and was stopped before it switched the restored copy in. {self.aside!r} is"
                f" back as {self.live!r}{copy}"
            )
        return (
            f"database {self.live!r} is missing: a restore renamed it to {self.aside!r} and was"
            " stopped before it switched the restored copy in; `openpolicy backup"
            f" recover-switch` renames {self.aside!r} back{copy}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"live": self.live, "aside": self.aside, "restored_copy": self.restored}


def _aside_prefix(live: str) -> tuple[str, int]:
    """What `_name(live, "corrupt_<stamp>")` keeps before the stamp, and the stamp's length."""
    length = len(stamp(utc_now()))
    named = _name(live, "corrupt_" + "0" * length)
    return named[:-length], length


def _interrupted_switch(conn: Any, live: str) -> InterruptedSwitch | None:
    """The newest aside copy that shows the two-step switch stopped halfway: the restored copy
    of the same restore is still there (a completed switch renamed it to the live name), or
    the copy still refuses connections (the switch refused them just before renaming it).
    Aside copies of completed restores alone never qualify: a live database dropped on
    purpose is not brought back from one."""
    if _exists(conn, live):
        return None
    prefix, length = _aside_prefix(live)
    shape = re.compile(r"\d{8}t\d{6}z")
    rows = conn.execute(
        "SELECT datname, datallowconn FROM pg_database WHERE starts_with(datname, %s)",
        (prefix,),
    ).fetchall()
    asides = {
        str(name)[len(prefix) :]: bool(allowed)
        for name, allowed in rows
        if len(name) == len(prefix) + length and shape.fullmatch(str(name)[len(prefix) :])
    }
    for moment in sorted(asides, reverse=True):  # the stamps sort by time: newest first
        restored = _name(live, f"restore_{moment}")
        copy_left = _exists(conn, restored)
        if copy_left or not asides[moment]:
            return InterruptedSwitch(live, prefix + moment, restored if copy_left else None)
    return None


def interrupted_switch(live: PgTarget) -> InterruptedSwitch | None:
    """The state a switch killed between its two renames (older versions) left, if it did."""
    with connect(admin_target(live)) as conn:
        return _interrupted_switch(conn, live.database)


def recover_interrupted_switch(live: PgTarget) -> InterruptedSwitch | None:
    """Rename the live database's aside copy back when the live one is missing (see
    `interrupted_switch`); returns what was recovered, or None when nothing needed it."""
    with connect(admin_target(live)) as conn:
        return recover_interrupted_switch_on(conn, live.database)


def recover_interrupted_switch_on(conn: Any, live: str) -> InterruptedSwitch | None:
    """`recover_interrupted_switch` on an autocommit connection to the server's maintenance
    database (the embedded cluster has one before any PgTarget exists)."""
    found = _interrupted_switch(conn, live)
    if found is None:
        return None
    deadline = time.monotonic() + 30.0
    pause = threading.Event()
    while True:
        try:
            with conn.transaction():
                _end_sessions_and_rename(conn, found.aside, live)
                # The two-step switch refused connections to the database it renamed aside,
                # and a kill kept it that way.
                conn.execute(
                    sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
                        sql.Identifier(live)
                    )
                )
            return found
        except psycopg.errors.ObjectInUse as exc:
            if time.monotonic() > deadline:
                raise RestoreError(f"cannot rename {found.aside} back to {live}: {exc}") from exc
            pause.wait(0.1)
