"""Values read once per data version: the small reference tables, and `per_version` for any
other table a module keeps in memory (the divisions of the voting record, filter choices).

Members, parties, seats, sessions and terms are a few thousand rows that every division,
bill list and voting record names. Joining them in SQL for each of 338 ballots costs more
than the ballots themselves (hash tables rebuilt per query); kept here, a division is one
index-only scan and dictionary lookups. A copy is replaced whenever the data version moves,
so it is never older than the data it labels.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from openpolicy.db import ReadConnection
from openpolicy.queries._sql import database_of, fetch_all
from openpolicy.queries.freshness import version_of

T = TypeVar("T")
MAX_DATABASES = 8  # a primary and its replicas; more only in a test session


class PerVersion(Generic[T]):
    """A value read from the database once per data version, shared by every request of
    the process until the version moves. Requests that need it while one of them reads it
    wait for that read (one read after an ingest, not one per request in flight).

    Kept per database (host, port, name): a version number labels one database's data, so
    a process reading two (a test session's clusters, a primary and its replicas) never
    serves one's tables under the other's version."""

    def __init__(self, load: Callable[[ReadConnection, int], Awaitable[T]]) -> None:
        self._load = load
        self._current: dict[tuple[str, str, str], tuple[int, T]] = {}
        self._loading: dict[tuple[object, ...], asyncio.Event] = {}

    async def get(self, conn: ReadConnection) -> T:
        version = await version_of(conn)
        database = database_of(conn)
        cached = self._current.get(database)
        if cached is not None and cached[0] == version:
            return cached[1]
        key = (asyncio.get_running_loop(), database, version)
        loading = self._loading.get(key)
        if loading is not None:
            await loading.wait()
            cached = self._current.get(database)
            if cached is not None and cached[0] == version:
                return cached[1]
            return await self._load(conn, version)  # the reader failed: read our own
        done = self._loading[key] = asyncio.Event()
        try:
            value = await self._load(conn, version)
            current = self._current.get(database)
            if current is None or current[0] <= version:
                if current is None and len(self._current) >= MAX_DATABASES:
                    self._current.pop(next(iter(self._current)))
                self._current[database] = (version, value)
            return value
        finally:
            del self._loading[key]
            done.set()


def per_version(load: Callable[[ReadConnection, int], Awaitable[T]]) -> PerVersion[T]:
    return PerVersion(load)


class Term(NamedTuple):
    start: dt.date
    end: dt.date  # date.max-like 9999-12-31 while open
    constituency_id: int
    party_id: int | None


@dataclass(frozen=True)
class Member:
    name: str
    sort_key: tuple[str, str]
    terms: tuple[Term, ...]  # oldest first

    def term_on(self, day: dt.date) -> Term | None:
        """The latest-starting term covering `day` (a member has a handful of terms)."""
        for term in reversed(self.terms):
            if term.start <= day <= term.end:
                return term
        return None


class Seat(NamedTuple):
    name: str
    province: str


@dataclass(frozen=True)
class Reference:
    version: int
    members: dict[int, Member]
    parties: dict[int, str]  # id -> short name (EN)
    constituencies: dict[int, Seat]
    sessions: dict[int, str]  # id -> "45-1"


async def reference(conn: ReadConnection) -> Reference:
    """The reference data of the current data version (read again when it moves)."""
    return await _reference.get(conn)


class _TermRow(NamedTuple):
    member_id: int
    start: dt.date
    end: dt.date
    constituency_id: int
    party_id: int | None


class _MemberRow(NamedTuple):
    id: int
    full_name: str
    last_name: str
    first_name: str


class _NameRow(NamedTuple):
    id: int
    name: str


class _SeatRow(NamedTuple):
    id: int
    name: str
    province: str


TERMS_SQL = (
    "SELECT member_id, start_date AS start, coalesce(end_date, '9999-12-31'::date) AS end,"
    " constituency_id, party_id FROM member_terms"
)


def terms_by_member(rows: list[_TermRow]) -> dict[int, tuple[Term, ...]]:
    terms: dict[int, list[Term]] = {}
    for row in rows:
        terms.setdefault(row.member_id, []).append(
            Term(row.start, row.end, row.constituency_id, row.party_id)
        )
    return {member_id: tuple(found) for member_id, found in terms.items()}


async def member_terms(conn: ReadConnection, member_id: int) -> tuple[Term, ...]:
    """One member's terms, oldest first, read from the table (a member the reference of
    this data version does not know yet)."""
    rows = await fetch_all(
        conn,
        _TermRow,
        TERMS_SQL + " WHERE member_id = %s ORDER BY start_date, id",
        (member_id,),
    )
    return terms_by_member(rows).get(member_id, ())


async def _load(conn: ReadConnection, version: int) -> Reference:
    terms = terms_by_member(
        await fetch_all(conn, _TermRow, TERMS_SQL + " ORDER BY member_id, start_date, id")
    )
    members = {
        row.id: Member(
            row.full_name,
            (row.last_name.casefold(), row.first_name.casefold()),
            terms.get(row.id, ()),
        )
        for row in await fetch_all(
            conn, _MemberRow, "SELECT id, full_name, last_name, first_name FROM elected_members"
        )
    }
    parties = {
        row.id: row.name
        for row in await fetch_all(conn, _NameRow, "SELECT id, short_name_en AS name FROM parties")
    }
    constituencies = {
        row.id: Seat(row.name, row.province)
        for row in await fetch_all(
            conn, _SeatRow, "SELECT id, name_en AS name, province FROM constituencies"
        )
    }
    sessions = {
        row.id: row.name
        for row in await fetch_all(
            conn, _NameRow, "SELECT id, code AS name FROM parliamentary_sessions"
        )
    }
    return Reference(version, members, parties, constituencies, sessions)


_reference = per_version(_load)
