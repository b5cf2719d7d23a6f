"""Serving a request leaves no reference cycles behind.

The app raises the collector's thresholds (openpolicy.app.GC_THRESHOLDS) because requests
free everything by reference counting; a cycle created per request would pile up between
collections and bring back the collector's pauses. Two such cycles were found with
bench/api.py: structlog building a bound logger per access-log line, and the search's query
estimate written as nested functions calling each other.
"""

from __future__ import annotations

import gc
import socket
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

from openpolicy.queries.search import estimate_share
from tests.api.conftest import api_settings, serve
from tests.support.services import LiveServer, RedisServer

PATHS = (
    "/api/v1/bills?limit=20",
    "/api/v1/bills/44-1/C-291",
    "/api/v1/votes/43-2/69",
    "/api/v1/members?limit=20",
    "/api/v1/search?q=canadians",
    "/api/v1/search?q=%22prime+minister%22&sort=newest",
    "/api/v1/search?q=tax+-carbon&lang=fr",
    "/api/v1/debates?limit=5",
    "/api/v1/no-such-thing",
)
ROUNDS = 20


@pytest.fixture(scope="module")
def uncached_server(api_database: URL, redis: RedisServer) -> Iterator[LiveServer]:
    """Every request runs its queries (the response cache would answer most of them)."""
    with serve(api_settings(api_database, redis, api_cache_enabled=False)) as server:
        yield server


class RawClient:
    """HTTP/1.1 on one kept-alive socket, bytes only: a client library in this process
    would make cycles of its own, counted with the server's."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def get(self, path: str) -> int:
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(self.buffer) < length:
            self.buffer += self.sock.recv(65536)
        self.buffer = self.buffer[length:]
        return int(head[9:12])

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    """The collector keeps what it finds unreachable (instead of freeing it) until the end."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        gc.collect()


def cyclic_garbage() -> Counter[str]:
    gc.garbage.clear()
    gc.collect()
    return Counter(type(o).__qualname__ for o in gc.garbage)


def test_requests_leave_no_reference_cycles(
    uncached_server: LiveServer, saved_garbage: list[object]
) -> None:
    client = RawClient(uncached_server.port)
    statuses = [client.get(path) for path in PATHS]  # warm: statements, tables, pools
    assert statuses.count(200) == len(PATHS) - 1 and statuses[-1] == 404, statuses
    before = cyclic_garbage()
    for _ in range(ROUNDS):
        assert [client.get(path) for path in PATHS] == statuses
    after = cyclic_garbage()
    client.close()
    assert not made_per_round(before, after)


def test_query_estimate_makes_no_cycle(saved_garbage: list[object]) -> None:
    shares = {"climat": 0.01, "chang": 0.02, "tax": 0.05}
    before = cyclic_garbage()
    for _ in range(ROUNDS):
        assert estimate_share("'climat' <-> 'chang' | !'tax'", shares, 0.001) > 0
    assert not made_per_round(before, cyclic_garbage())


def made_per_round(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    """Kinds of unreachable objects that grew by at least one per round: what was already
    unreachable is found again (SAVEALL keeps it), so only growth counts."""
    grown = {kind: after[kind] - before[kind] for kind in after}
    return {kind: count for kind, count in grown.items() if count >= ROUNDS}
