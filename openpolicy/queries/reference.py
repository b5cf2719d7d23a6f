"""The small reference tables, held in memory per data version.

Members, parties, seats, sessions and terms are a few thousand rows that every division,
bill list and voting record names. Joining them in SQL for each of 338 ballots costs more
than the ballots themselves (hash tables rebuilt per query); kept here, a division is one
index-only scan and dictionary lookups. The copy is replaced whenever the data version
moves, so it is never older than the data it labels.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.util.concurrency import await_only, in_greenlet

from openpolicy.queries._sql import Connection, fetch_all
from openpolicy.queries.freshness import current_data_version

T = TypeVar("T")

# The data version this request already read (set by the API per request): saves a round
# trip. Outside a request the version is read from the database.
request_version: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "openpolicy_request_version", default=None
)


@dataclass(frozen=True)
class Member:
    name: str
    sort_key: tuple[str, str]
    # (start, end or date.max, constituency id, party id), oldest first
    terms: tuple[tuple[dt.date, dt.date, int, int | None], ...]

    def term_on(self, day: dt.date) -> tuple[dt.date, dt.date, int, int | None] | None:
        """The latest-starting term covering `day` (a member has a handful of terms)."""
        for term in reversed(self.terms):
            if term[0] <= day <= term[1]:
                return term
        return None


@dataclass(frozen=True)
class Reference:
    version: int
    members: dict[int, Member]
    parties: dict[int, str]
    constituencies: dict[int, tuple[str, str]]  # id -> (name, province)
    sessions: dict[int, str]  # id -> "45-1"


class PerVersion(Generic[T]):
    """A value read from the database once per data version, shared by every request of
    the process until the version moves.

    Never blocks on its lock: in the API a request holding it may be suspended in a
    greenlet on this very thread (openpolicy.api.green). A request of the same event loop
    that finds it taken awaits the loader instead (one read after an ingest, not one per
    request in flight); anyone else (a web thread, another loop) reads its own copy."""

    def __init__(self, load: Callable[[Connection, int], T]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._current: tuple[int, T] | None = None
        self._loading: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    def get(self, conn: Connection) -> T:
        version = request_version.get()
        if version is None:
            version, _changed = current_data_version(conn)
        cached = self._current
        if cached is not None and cached[0] == version:
            return cached[1]
        if not self._lock.acquire(blocking=False):
            loading = self._loading
            if loading is not None and in_greenlet() and loading[0] is _running_loop():
                await_only(loading[1].wait())
                cached = self._current
                if cached is not None and cached[0] == version:
                    return cached[1]
            return self._load(conn, version)
        loop = _running_loop() if in_greenlet() else None
        loading = (loop, asyncio.Event()) if loop is not None else None
        self._loading = loading
        try:
            cached = self._current
            if cached is not None and cached[0] == version:
                return cached[1]
            value = self._load(conn, version)
            self._current = (version, value)
            return value
        finally:
            self._loading = None
            self._lock.release()
            if loading is not None:
                loading[1].set()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def reference(conn: Connection) -> Reference:
    """The reference data of the current data version (read again when it moves)."""
    return _reference.get(conn)


def _load(conn: Connection, version: int) -> Reference:
    terms: dict[int, list[tuple[dt.date, dt.date, int, int | None]]] = {}
    for member_id, start, end, constituency, party in fetch_all(
        conn,
        "SELECT member_id, start_date, coalesce(end_date, '9999-12-31'::date),"
        " constituency_id, party_id FROM member_terms ORDER BY member_id, start_date, id",
    ):
        terms.setdefault(member_id, []).append((start, end, constituency, party))
    members = {
        row[0]: Member(row[1], (row[2].casefold(), row[3].casefold()), tuple(terms.get(row[0], ())))
        for row in fetch_all(
            conn, "SELECT id, full_name, last_name, first_name FROM elected_members"
        )
    }
    parties = {row[0]: row[1] for row in fetch_all(conn, "SELECT id, short_name_en FROM parties")}
    constituencies = {
        row[0]: (row[1], row[2])
        for row in fetch_all(conn, "SELECT id, name_en, province FROM constituencies")
    }
    sessions = {
        row[0]: row[1] for row in fetch_all(conn, "SELECT id, code FROM parliamentary_sessions")
    }
    return Reference(version, members, parties, constituencies, sessions)


_reference = PerVersion(_load)
