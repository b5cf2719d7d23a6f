"""Real services for tests: Redis, uvicorn servers, and waiting on conditions (never the clock)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        pause.wait(0.02)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    """A private redis-server on a free loopback port, ready when yielded."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: run `bash scripts/test.sh` (it installs it)"
        )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # block on the server's own readiness line
        if "Ready to accept connections" in line:
            break
    else:
        raise RuntimeError(f"redis-server exited with {process.wait()}")
    # Keep draining its log so the pipe never fills.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    try:
        yield RedisServer(port, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _proxy_options(app: Any) -> dict[str, Any]:
    """uvicorn's X-Forwarded-* handling as `openpolicy serve` configures it: from the app's
    OPENPOLICY_TRUSTED_PROXIES, never uvicorn's default trust of 127.0.0.1."""
    settings = getattr(getattr(app, "state", None), "settings", None)
    if settings is None:
        return {}
    from openpolicy.proxies import ClientAddresses

    return ClientAddresses(settings.trusted_proxies).uvicorn_options()


class LiveServer:
    """An ASGI app served by a real uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            **_proxy_options(app),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_until(lambda: self.server.started, 30, f"uvicorn on {self.url}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
