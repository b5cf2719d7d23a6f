"""Several processes share one embedded cluster; it stops when the last one leaves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from openpolicy import embedded
from tests.support.services import wait_until

ATTACH = """
import sys
from pathlib import Path
from openpolicy import embedded
embedded.exit_cleanly_on_sigterm()
cluster = embedded.start(Path(sys.argv[1]), database="openpolicy")
print(cluster.pid, flush=True)
sys.stdin.read()  # stay attached until stdin closes
"""


def attach(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", ATTACH, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    server_pid = int(process.stdout.readline())
    return process, server_pid


def test_processes_share_one_cluster_and_the_last_one_stops_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    first, first_pid = attach(data_dir)
    second, second_pid = attach(data_dir)
    assert first_pid == second_pid  # the same server
    status = embedded.status(data_dir)
    assert status.running
    assert {first.pid, second.pid} <= set(status.attached_pids)

    assert first.stdin is not None
    first.stdin.close()
    assert first.wait(timeout=30) == 0
    assert embedded.status(data_dir).running  # the second process still needs it

    second.send_signal(signal.SIGTERM)  # as a process manager stops a service
    second.wait(timeout=30)
    wait_until(lambda: not embedded.status(data_dir).running, 30, "the server to stop")


def test_reused_across_restarts_and_survives_a_killed_process(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    killed, server_pid = attach(data_dir)
    killed.kill()  # no chance to detach
    killed.wait(timeout=30)
    # The next process prunes the dead handle, reuses the running server and data.
    survivor, again_pid = attach(data_dir)
    assert again_pid == server_pid
    handles = json.loads((data_dir / embedded.HANDLE_LIST).read_text())
    assert killed.pid not in handles
    assert survivor.stdin is not None
    survivor.stdin.close()
    survivor.wait(timeout=30)
    wait_until(lambda: not embedded.status(data_dir).running, 30, "the server to stop")
    # Started again later: same data directory, no new initdb.
    version_file = data_dir / "PG_VERSION"
    created = version_file.stat().st_mtime
    third, _ = attach(data_dir)
    assert third.stdin is not None
    third.stdin.close()
    third.wait(timeout=30)
    assert version_file.stat().st_mtime == created


def test_new_cluster_is_tuned_for_several_processes(tmp_path: Path) -> None:
    cluster = embedded.start(tmp_path / "pgdata")
    try:
        import psycopg

        with psycopg.connect(
            host=str(cluster.socket_dir), port=cluster.port, user="postgres", dbname="postgres"
        ) as conn:
            row = conn.execute("SHOW max_connections").fetchone()
        assert row is not None and int(row[0]) == embedded.MAX_CONNECTIONS
        if os.geteuid() == 0:
            owner = (tmp_path / "pgdata").stat().st_uid
            import pwd

            assert pwd.getpwuid(owner).pw_name == "embedded_postgres"  # never runs as root
    finally:
        cluster.detach()
