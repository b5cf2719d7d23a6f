"""What importers share within one run: the connection and small lookup caches.

Reference rows (sessions, parties, constituencies) and the member index are read once per
run and kept in memory, so importing 330 ballots costs no per-ballot lookup query. A
document whose transaction rolls back may have added rows the caches saw: `forget()` drops
every cache after a rollback so nothing points at a row that no longer exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection, Cursor

from openpolicy.ingest.names import GENERAL_ELECTIONS, name_key, parliament_on
from openpolicy.parliaments import session_dates
from openpolicy.vocab import parse_session_code

__all__ = ["GENERAL_ELECTIONS", "ImportContext", "IngestCheckError", "name_key", "parliament_on"]

# Caucus short names as the members and ballots feeds print them, with what Hansard and the
# French site print. Unknown caucuses are stored with their short name only.
KNOWN_PARTIES: dict[str, tuple[str | None, str | None, str | None, str | None]] = {
    # short_name_en: (short_name_fr, name_en, abbreviation as in Hansard, colour)
    "Liberal": ("Libéral", "Liberal Party of Canada", "Lib.", "#D71920"),
    "Conservative": ("Conservateur", "Conservative Party of Canada", "CPC", "#1A4782"),
    "Bloc Québécois": ("Bloc Québécois", "Bloc Québécois", "BQ", "#33B2CC"),
    "NDP": ("NPD", "New Democratic Party", "NDP", "#F37021"),
    "Green Party": ("Parti vert", "Green Party of Canada", "GP", "#3D9B35"),
    "Independent": ("Indépendant", "Independent", "Ind.", "#888888"),
    "People's Party": ("Parti populaire", "People's Party of Canada", "PPC", "#4E2C84"),
}


class IngestCheckError(Exception):
    """A document is well-formed but contradicts itself or the official totals."""


@dataclass
class ImportContext:
    """One run's connection and caches. Importers execute; the runner commits."""

    conn: Connection[Any]
    sessions: dict[str, int] = field(default_factory=dict)
    parties: dict[str, int] = field(default_factory=dict)
    constituencies: dict[tuple[str, str], int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    _members: Any = None

    def cursor(self) -> Cursor[Any]:
        return self.conn.cursor()

    def forget(self) -> None:
        """Drop every cache (after a rollback)."""
        self.sessions.clear()
        self.parties.clear()
        self.constituencies.clear()
        self._members = None

    @property
    def members(self) -> Any:
        """The member index (`openpolicy.ingest.members.MemberIndex`), loaded on first use."""
        if self._members is None:
            from openpolicy.ingest.members import MemberIndex

            self._members = MemberIndex.load(self)
        return self._members

    # --- reference rows ---------------------------------------------------------------------

    def _get_or_create(
        self, select: str, insert: str, key: tuple[Any, ...], values: tuple[Any, ...]
    ) -> int:
        """SELECT, else INSERT … ON CONFLICT DO NOTHING, else SELECT (a concurrent insert)."""
        row = self.conn.execute(select.encode(), key).fetchone()
        if row is None:
            row = self.conn.execute(insert.encode(), values).fetchone()
        if row is None:
            row = self.conn.execute(select.encode(), key).fetchone()
        assert row is not None
        return int(row[0])

    def session_id(self, code: str) -> int:
        found = self.sessions.get(code)
        if found is None:
            parliament, number = parse_session_code(code)
            start, end = session_dates(parliament, number)
            found = self.sessions[code] = self._get_or_create(
                "SELECT id FROM parliamentary_sessions WHERE code = %s",
                "INSERT INTO parliamentary_sessions (parliament, session, code, start_date,"
                " end_date) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                (code,),
                (parliament, number, code, start, end),
            )
        return found

    def party_id(self, short_name: str | None) -> int | None:
        if not short_name:
            return None
        found = self.parties.get(short_name)
        if found is None:
            short_fr, name_en, abbreviation, colour = KNOWN_PARTIES.get(
                short_name, (None, None, None, None)
            )
            found = self.parties[short_name] = self._get_or_create(
                "SELECT id FROM parties WHERE short_name_en = %s",
                "INSERT INTO parties (short_name_en, short_name_fr, name_en, abbreviation, colour)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                (short_name,),
                (short_name, short_fr, name_en, abbreviation, colour),
            )
        return found

    def constituency_id(self, name: str, province: str) -> int:
        found = self.constituencies.get((name, province))
        if found is None:
            found = self.constituencies[(name, province)] = self._get_or_create(
                "SELECT id FROM constituencies WHERE name_en = %s AND province = %s",
                "INSERT INTO constituencies (name_en, province) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING RETURNING id",
                (name, province),
                (name, province),
            )
        return found
