"""`backup restore` interrupted by a signal, and killed outright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.faults.conftest import Stack, record
from tests.support.services import wait_until

RESTORED = "SELECT datname FROM pg_database WHERE datname LIKE '%%\\_restore\\_%%' ORDER BY 1"


def _children(pid: int, name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == pid and comm == name:
            found.append(int(entry.name))
    return found


def _restoring_into_a_database(pid: int) -> bool:
    """The pg_restore that writes (`-d …`), not the `--list` that verifies the dump first."""
    try:
        arguments = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"--list" not in arguments and b"-l" not in arguments


def _restoring(stack: Stack, dump: str, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """A restore stopped in the middle of pg_restore (its pg_restore SIGSTOPped)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "openpolicy.cli", "backup", "restore", dump, "--yes", *extra],
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found: list[int] = []

    def pg_restore_running() -> bool:
        found[:] = [
            pid for pid in _children(process.pid, "pg_restore") if _restoring_into_a_database(pid)
        ]
        return bool(found)

    wait_until(pg_restore_running, 120, "pg_restore to start")
    os.kill(found[0], signal.SIGSTOP)
    return process, found[0]


def _restore_databases(stack: Stack) -> list[str]:
    admin = stack.database.set(database="postgres")
    import psycopg

    from openpolicy.db import conninfo

    with psycopg.connect(conninfo(admin), autocommit=True) as conn:
        return [row[0] for row in conn.execute(RESTORED).fetchall()]


def test_interrupted_restores_leave_nothing_half_restored(stack: Stack) -> None:
    created = stack.cli("backup", "create", "--json")
    assert created.returncode == 0, created.stdout + created.stderr
    dump = json.loads(created.stdout)["path"]
    backups = Path(stack.env["OPENPOLICY_BACKUP_DIR"])
    assert oct(backups.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in backups.iterdir() if p.is_file()} == {"0o600"}
    bills = stack.sql("SELECT count(*) FROM bills")[0][0]

    # 1. SIGTERM in the middle of pg_restore: the restore drops its database and exits.
    process, pg_restore = _restoring(stack, dump)
    assert len(_restore_databases(stack)) == 1
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    record("restore: SIGTERM mid-pg_restore", f"exit {process.returncode}",
           f"leftover databases: {len(_restore_databases(stack))}", None)  # fmt: skip
    assert process.returncode != 0
    assert "dropped" in output
    assert _restore_databases(stack) == []
    assert not Path(f"/proc/{pg_restore}").exists() or _zombie(pg_restore)

    # 2. SIGKILL: nothing can clean up now; the next restore reports and drops the leftover.
    process, pg_restore = _restoring(stack, dump)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    os.kill(pg_restore, signal.SIGKILL)
    (leftover,) = _restore_databases(stack)
    copy = stack.database.set(database="openpolicy_copy").render_as_string(hide_password=False)
    next_run = stack.cli("backup", "restore", dump, "--yes", "--target-url", copy)
    assert next_run.returncode == 0, next_run.stdout + next_run.stderr
    record("restore: SIGKILL, then the next restore", "exit 0",
           f"reported and dropped {leftover}", None)  # fmt: skip
    assert f"dropped {leftover}" in next_run.stdout + next_run.stderr
    assert leftover not in _restore_databases(stack)

    # The live database never noticed.
    assert stack.sql("SELECT count(*) FROM bills")[0][0] == bills
    assert stack.get("/api/v1/bills?limit=2")[0].status_code == 200


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return True
