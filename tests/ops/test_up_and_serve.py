"""`openpolicy serve` and `up` as an operator runs them: readable logs on the terminal, JSON
in the log file, and `up` stopping the embedded database it started, whatever ran since."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from openpolicy import embedded
from tests.ops.conftest import OPENPOLICY, OpsEnv, run_openpolicy
from tests.support.services import free_port, wait_until


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """An `openpolicy` server process with its terminal output in `log`; stopped at the end."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(OPENPOLICY), *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_prints_readable_lines_and_keeps_json_in_the_log_file(
    ops_env: OpsEnv, tmp_path: Path
) -> None:
    port = free_port()
    log_file = tmp_path / "logs" / "openpolicy.log"
    env = ops_env.env() | {"OPENPOLICY_LOG_FILE": str(log_file), "OPENPOLICY_LOG_JSON": "false"}
    terminal = tmp_path / "terminal.txt"
    with running(["serve", "--host", "127.0.0.1", "--port", str(port)], env, terminal):
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), 60, "the server")
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/bills", timeout=10).status_code == 200

        def logged() -> bool:
            return log_file.exists() and "/api/v1/bills" in log_file.read_text()

        wait_until(logged, 30, "the access line in the log file")
        wait_until(lambda: "GET /api/v1/bills 200" in terminal.read_text(), 30, "the terminal")
    lines = terminal.read_text().splitlines()
    assert not [line for line in lines if line.lstrip().startswith("{")], lines
    assert any("logging to" in line and str(log_file) in line for line in lines)
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    request = next(e for e in entries if e.get("path") == "/api/v1/bills")
    assert request["status"] == 200 and request["method"] == "GET"
    shown = run_openpolicy("logs", "--file", str(log_file), "--level", "info", env=env)
    assert "GET /api/v1/bills 200" in shown.stdout


def test_up_stops_the_database_it_started_after_pitr_enable_and_restore(tmp_path: Path) -> None:
    """Both restart the embedded server under `up` (`pitr restore` even swaps its data
    directory): Ctrl-C on `up` still stops it, and `up`'s terminal holds no JSON."""
    data_dir = tmp_path / "pgdata"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPENPOLICY_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env |= {
        "OPENPOLICY_DATA_DIR": str(data_dir),
        "OPENPOLICY_BACKUP_DIR": str(tmp_path / "backups"),
        "OPENPOLICY_LOG_FILE": str(tmp_path / "openpolicy.log"),
        "OPENPOLICY_LOAD_SAMPLE_WHEN_EMPTY": "false",
    }
    port = free_port()
    with running(
        ["up", "--no-worker", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "up.txt"
    ) as up:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), 120, "openpolicy up")
        first = embedded.status(data_dir).pid
        enabled = run_openpolicy("backup", "pitr", "enable", env=env)
        assert enabled.returncode == 0, enabled.stderr
        assert "restarted" in enabled.stdout
        restarted = embedded.status(data_dir)
        assert restarted.running and restarted.pid != first
        assert up.pid in restarted.attached_pids
        for step in (("backup", "base"), ("backup", "restore-point", "before-the-test")):
            done = run_openpolicy(*step, env=env)
            assert done.returncode == 0, (step, done.stderr)
        recovered = run_openpolicy(
            "backup", "pitr", "restore", "--to", "before-the-test", "--yes", env=env
        )
        assert recovered.returncode == 0, recovered.stdout + recovered.stderr
        swapped = embedded.status(data_dir)
        assert swapped.running and swapped.pid != restarted.pid
        assert up.pid in swapped.attached_pids
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), 120, "up after the swap")
        up.send_signal(signal.SIGINT)  # Ctrl-C
        up.wait(timeout=60)
    wait_until(lambda: not embedded.status(data_dir).running, 60, "the server to stop")
    assert not (data_dir / "postmaster.pid").exists()
    terminal = (tmp_path / "up.txt").read_text().splitlines()
    assert any("serving on http://127.0.0.1" in line for line in terminal), terminal
    assert not [line for line in terminal if line.lstrip().startswith("{")], terminal
