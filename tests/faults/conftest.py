"""Fault tests: a real `openpolicy up` (API, site and in-process worker) over its own
PostgreSQL cluster and its own redis-server, faults injected into those processes (stopped,
SIGSTOPped, SIGKILLed), never simulated.

Bounds on latency are generous on purpose (a loaded machine must not break them): each
says "before the old hang would have ended", never "within N ms". Every measurement goes
into the fault table printed at the end of the run (docs/operations.md quotes it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL

from openpolicy import embedded
from openpolicy.api import keys
from openpolicy.db import conninfo
from tests.support.services import free_port, wait_until

# The hang the issue measured: a request waited out the 30 s pool timeout.
OLD_HANG_SECONDS = 30.0
# With Redis hung, every request waited at least one 2 s socket timeout.
OLD_REDIS_WAIT_SECONDS = 2.0
ANONYMOUS_LIMIT = 40

FAULT_TABLE: list[tuple[str, str, str, str]] = []


def record(fault: str, request: str, status: str, seconds: float | None) -> None:
    shown = "" if seconds is None else f"{seconds * 1000:.0f} ms"
    FAULT_TABLE.append((fault, request, status, shown))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FAULT_TABLE:
        return
    terminalreporter.section("fault table (tests/faults)")
    terminalreporter.write_line("| fault | request | answer | latency |")
    terminalreporter.write_line("|---|---|---|---|")
    for row in FAULT_TABLE:
        terminalreporter.write_line("| " + " | ".join(row) + " |")


@dataclass
class Redis:
    """A redis-server we can stop, hang and start again on the same port."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not installed (scripts/test.sh installs it)"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

        def answering() -> bool:
            try:
                import redis

                return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
            except Exception:
                return False

        wait_until(answering, 30, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def hang(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


@dataclass
class Stack:
    cluster: embedded.EmbeddedCluster
    database: URL
    redis: Redis
    process: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]
    key: str
    log: Path
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=OLD_HANG_SECONDS * 2))

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(conninfo(self.database), autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "openpolicy.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def get(
        self, path: str, *, client: str | None = None, key: str | None = None, **headers: str
    ) -> tuple[httpx.Response, float]:
        """One request (from `client`, through the trusted proxy on 127.0.0.1) and how long
        it took."""
        sent = dict(headers)
        sent["X-Forwarded-For"] = client or new_address()
        if key is not None:
            sent["X-API-Key"] = key
        started = time.perf_counter()
        response = self.http.get(self.url + path, headers=sent)
        return response, time.perf_counter() - started

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get(self.url + "/health").json()
        return body

    def alive(self) -> bool:
        return self.process.poll() is None


def new_address() -> str:
    """A client address of its own (documentation range), so limits never collide."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`openpolicy up` (sample loaded by `up` itself) on its own cluster and Redis."""
    work = tmp_path_factory.mktemp("faults")
    cluster = embedded.start(work / "pgdata", database="openpolicy")
    database = cluster.url("openpolicy")
    (work / "redis").mkdir()
    redis = Redis(work / "redis")
    redis.start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database.render_as_string(hide_password=False),
        "REDIS_URL": redis.url,
        "OPENPOLICY_PORT": str(port),
        "OPENPOLICY_TRUSTED_PROXIES": "127.0.0.1",
        "OPENPOLICY_API_RATE_LIMIT_ANONYMOUS_PER_MINUTE": str(ANONYMOUS_LIMIT),
        "OPENPOLICY_WORKER_HEARTBEAT_SECONDS": "1",
        "OPENPOLICY_BREAKER_COOLDOWN_SECONDS": "1",
        "OPENPOLICY_AUDIT_FLUSH_SECONDS": "0.2",
        "OPENPOLICY_API_KEY_CACHE_SECONDS": "60",
        "OPENPOLICY_API_ACCESS_LOG": "false",
        "OPENPOLICY_BACKUP_DIR": str(work / "backups"),
        "OPENPOLICY_LOG_LEVEL": "warning",
        # A scheduled ingest run must never leave the machine: the official sources are
        # a closed port on loopback here.
        "OPENPOLICY_PARL_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "OPENPOLICY_OURCOMMONS_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "OPENPOLICY_HTTP_MAX_RETRIES": "0",
    }
    log = work / "up.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "openpolicy.cli", "up"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        try:
            return httpx.get(url + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(serving, 120, "openpolicy up to serve")
        with psycopg.connect(conninfo(database), autocommit=True) as conn:
            key, _ = keys.create(conn, name="faults", service="faults", scopes=["read"])
        stack = Stack(cluster, database, redis, process, url, env, key, log)
        wait_until(
            lambda: stack.health()["checks"].get("workers", {}).get("status") == "healthy",
            60,
            "the in-process worker to heartbeat",
        )
        yield stack
        stack.http.close()
    except AssertionError:
        raise AssertionError(log.read_text(errors="replace")[-4000:]) from None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        redis.stop()
        if embedded.status(work / "pgdata").running:
            cluster.stop()
        cluster.detach()
