"""An ingest worker killed with SIGKILL: /health says so, and a new worker takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.faults.conftest import Stack, record
from tests.support.services import wait_until

FAULT = "worker killed (SIGKILL)"


def _worker_ids(stack: Stack) -> set[int]:
    return {row[0] for row in stack.sql("SELECT id FROM procrastinate_workers")}


def _start_worker(stack: Stack) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "openpolicy.cli", "worker"],
        env=stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_worker_is_reported_and_replaced(stack: Stack) -> None:
    before = _worker_ids(stack)
    victim = _start_worker(stack)
    try:
        wait_until(lambda: len(_worker_ids(stack) - before) == 1, 60, "the worker to register")
        (victim_id,) = _worker_ids(stack) - before
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        # Its heartbeat goes stale: /health reports that worker (degraded, still 200).
        wait_until(
            lambda: any(
                entry["id"] == victim_id
                for entry in stack.health()["checks"]["workers"].get("stale", [])
            ),
            60,
            "/health to report the killed worker",
        )
        health = stack.health()
        record(
            FAULT, "/health", f"{health['status']}: {health['checks']['workers']['error']}", None
        )
        assert health["status"] == "degraded"
        assert stack.get("/readyz")[0].status_code == 200  # serving is not affected
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait(timeout=30)
    # A new worker prunes the dead one's registration (its jobs go back to the queue).
    replacement = _start_worker(stack)
    try:
        wait_until(
            lambda: (
                victim_id not in _worker_ids(stack)
                and stack.health()["checks"]["workers"]["status"] == "healthy"
            ),
            60,
            "the replacement to take over",
        )
        record("worker replaced", "/health", stack.health()["status"], None)
        assert stack.health()["status"] == "healthy"
    finally:
        replacement.send_signal(signal.SIGTERM)
        replacement.wait(timeout=60)


def test_the_in_process_worker_is_restarted_when_its_registration_vanishes(stack: Stack) -> None:
    """A worker whose heartbeat row is gone (pruned by another worker that judged it dead,
    or the database restored under it) is ended by its supervisor and started again."""
    own = stack.health()["checks"]["workers"]["in_process"]
    assert own["state"] == "running"
    stack.sql("DELETE FROM procrastinate_workers WHERE id = %s", (own["worker_id"],))
    wait_until(
        lambda: stack.health()["checks"]["workers"]["in_process"]["restarts"] > own["restarts"],
        60,
        "the supervisor to notice and restart the worker",
    )
    wait_until(
        lambda: stack.health()["checks"]["workers"]["status"] == "healthy",
        90,
        "the new worker to heartbeat",
    )
    again = stack.health()["checks"]["workers"]["in_process"]
    record(
        "in-process worker's row deleted",
        "/health",
        f"restarted ({again['restarts']}), healthy",
        None,
    )
    assert again["state"] == "running" and again["worker_id"] != own["worker_id"]
