"""The log file and `openpolicy logs`: levels, times, rotation, following."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openpolicy.logs import parse_since, render_human
from tests.support.services import wait_until

OPENPOLICY = Path(sys.executable).parent / "openpolicy"

WRITER = """
import logging, sys
from openpolicy.config import Settings
from openpolicy import logs
settings = Settings(log_file=sys.argv[1], log_file_max_bytes=int(sys.argv[2]), log_json=False)
logs.configure(settings, log_file=True)
log = logging.getLogger("openpolicy.test")
for n in range(int(sys.argv[3])):
    log.info("entry %d", n, extra={"n": n})
log.warning("the archiver is behind")
log.error("the worker lost its connection")
logs.write_access_line(
    b'{"event":"request","level":"info","timestamp":"2026-03-01T04:05:06.000Z","method":"GET",'
    b'"path":"/api/v1/bills","status":200,"duration_ms":1.5,"cache":"hit"}'
)
"""


def write_logs(
    path: Path, count: int = 3, max_bytes: int = 10_000_000
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WRITER, str(path), str(max_bytes), str(count)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def logs_command(*args: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OPENPOLICY), "logs", "--file", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"},
    )


def test_durations_and_times_for_since() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_since("10m", now) == now - timedelta(minutes=10)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("1.5d", now) == now - timedelta(hours=36)
    assert parse_since("2026-03-01T04:05Z", now) == datetime(2026, 3, 1, 4, 5, tzinfo=UTC)
    assert parse_since("2026-03-01 04:05", now) == datetime(2026, 3, 1, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="use a duration"):
        parse_since("yesterday", now)


def test_terminal_is_readable_and_the_file_holds_json(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "openpolicy.log"
    written = write_logs(path)
    terminal = written.stderr.splitlines()
    assert any(line.endswith("openpolicy.test  the archiver is behind") for line in terminal)
    assert not any(line.startswith("{") for line in terminal)  # readable, not JSON
    assert any("access  GET /api/v1/bills 200 1.5 ms cache hit" in line for line in terminal)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert entries[0]["event"] == "entry 0" and entries[0]["n"] == 0
    assert entries[0]["level"] == "info" and entries[0]["logger"] == "openpolicy.test"
    assert entries[-1]["path"] == "/api/v1/bills"


def test_logs_filters_by_level_and_time(tmp_path: Path) -> None:
    path = tmp_path / "openpolicy.log"
    write_logs(path)
    errors = logs_command("--level", "error", path=path)
    assert errors.returncode == 0, errors.stderr
    assert errors.stdout.splitlines() == [
        line for line in errors.stdout.splitlines() if "ERROR" in line
    ]
    assert "the worker lost its connection" in errors.stdout
    assert "archiver" not in errors.stdout
    warnings = logs_command("--level", "warning", "--format", "json", path=path)
    assert [json.loads(line)["event"] for line in warnings.stdout.splitlines()] == [
        "the archiver is behind",
        "the worker lost its connection",
    ]
    recent = logs_command("--since", "10m", "--format", "json", path=path)
    events = [json.loads(line)["event"] for line in recent.stdout.splitlines()]
    assert "entry 0" in events and "request" not in events  # the access line is from March
    last = logs_command("--lines", "2", path=path)
    assert len(last.stdout.splitlines()) == 2
    bad = logs_command("--since", "yesterday", path=path)
    assert bad.returncode == 2 and "use a duration" in bad.stderr
    missing = logs_command(path=tmp_path / "nothing.log")
    assert missing.returncode == 3 and "no log file at" in missing.stderr


def test_rotated_files_are_read_in_order(tmp_path: Path) -> None:
    path = tmp_path / "openpolicy.log"
    write_logs(path, count=3000, max_bytes=100_000)
    assert (tmp_path / "openpolicy.log.1").exists()
    result = logs_command("--format", "json", "--level", "info", path=path)
    numbers = [json.loads(line).get("n") for line in result.stdout.splitlines()]
    kept = [n for n in numbers if n is not None]
    assert kept == sorted(kept) and kept[-1] == 2999


def test_follow_prints_new_entries_across_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "openpolicy.log"
    path.write_text(json.dumps({"event": "before", "level": "info"}) + "\n")
    process = subprocess.Popen(
        [str(OPENPOLICY), "logs", "--file", str(path), "--follow", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(json.loads(line)["event"])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: seen == ["before"], 30, "the existing entry")
        with path.open("a") as handle:
            handle.write(json.dumps({"event": "appended", "level": "warning"}) + "\n")
        wait_until(lambda: "appended" in seen, 30, "the appended entry")
        path.rename(tmp_path / "openpolicy.log.1")  # what the writer does when it rotates
        path.write_text(json.dumps({"event": "after rotation", "level": "error"}) + "\n")
        wait_until(lambda: "after rotation" in seen, 30, "the entry of the new file")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert seen == ["before", "appended", "after rotation"]


def test_an_access_entry_reads_as_a_request() -> None:
    line = render_human(
        {
            "event": "request",
            "level": "info",
            "timestamp": "2026-03-01T04:05:06.123Z",
            "method": "GET",
            "path": "/api/v1/votes",
            "status": 503,
            "duration_ms": 0.8,
        }
    )
    assert line == "04:05:06 INFO     access  GET /api/v1/votes 503 0.8 ms"


def test_follow_ends_by_itself_when_its_reader_goes_away(tmp_path: Path) -> None:
    """`openpolicy logs --follow | head -n 2` ends once head has its lines and exits, as
    `tail -f` does: no Ctrl-C, no waiting for a next entry to fail on, exit 0, no trace.
    The reader here is this test, which closes its end of the pipe as head would."""
    path = tmp_path / "openpolicy.log"
    path.write_text(json.dumps({"event": "the server started", "level": "info"}) + "\n")
    process = subprocess.Popen(
        [str(OPENPOLICY), "logs", "--file", str(path), "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        first = process.stdout.readline()  # what was there: now it follows
        assert first.rstrip().endswith("the server started"), first
        with path.open("a") as handle:
            handle.write(json.dumps({"event": "the worker lost its connection", "level": "error"}))
            handle.write("\n")
        second = process.stdout.readline()  # written after it started: followed
        assert "ERROR" in second and second.rstrip().endswith("the worker lost its connection")
        process.stdout.close()  # the reader has what it wanted and goes away
        assert process.wait(timeout=60) == 0
        errors = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in errors and "Broken pipe" not in errors, errors
