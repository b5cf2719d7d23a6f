"""Party cohesion: how often each party's members voted together, per session — the
counterpart of a member's "votes against their party" (openpolicy.queries.record), counted
the same way from the per-party totals of every division with ballots on file."""

from __future__ import annotations

from typing import NamedTuple

from psycopg import sql

from openpolicy.db import ReadConnection
from openpolicy.queries._sql import fetch_all, session_id

METHOD = (
    "For each division with every ballot on file, a party's unity is the gap between its "
    "yeas and its nays as a share of both (100% when all its members voted alike, 0% when "
    "they split evenly); `unity` is its average over the session (Rice's index). A ballot "
    "against the party is a yea or a nay opposite to the majority of the party's members in "
    "that division, as in each member's voting record. Independents are left out."
)
"""How the figures are counted, in words (the API serves it; the /parties page says the
same in the reader's language)."""


class PartyCohesion(NamedTuple):
    """One party in one session.

    `divisions`: divisions in which its members cast a yea or nay; `ballots`: those yeas and
    nays; `against`: ballots opposite to the party's majority in their division (none where
    the party split evenly); `split`: divisions in which at least one member broke ranks;
    `unity`: the mean over its divisions of |yeas − nays| / (yeas + nays) (Rice's index: 1
    when every member voted alike)."""

    session: str
    party: str
    party_fr: str | None
    divisions: int
    ballots: int
    against: int
    split: int
    unity: float

    @property
    def split_share(self) -> float:
        """Share of its divisions in which at least one member broke ranks."""
        return self.split / self.divisions if self.divisions else 0.0

    @property
    def against_share(self) -> float:
        """Share of its yeas and nays cast against the party's majority."""
        return self.against / self.ballots if self.ballots else 0.0


async def party_cohesion(conn: ReadConnection, session: str | None = None) -> list[PartyCohesion]:
    """Every party of every session with ballots on file (or of `session`, written 45-1:
    malformed is a 400, unknown a 404), newest session first, larger caucuses first.
    Independents are not a party whose line one could break: left out."""
    in_session: sql.Composable = sql.SQL("")
    params: list[int] = []
    if session is not None:
        in_session = sql.SQL("AND v.session_id = %s")
        params.append(await session_id(conn, session))
    return await fetch_all(
        conn,
        PartyCohesion,
        sql.SQL(
            """
        SELECT ps.code AS session, p.short_name_en AS party, p.short_name_fr AS party_fr,
               count(*)::int AS divisions, sum(t.yeas + t.nays)::int AS ballots,
               sum(CASE WHEN t.yeas <> t.nays THEN least(t.yeas, t.nays) ELSE 0 END)::int
                   AS against,
               (count(*) FILTER (WHERE t.yeas > 0 AND t.nays > 0))::int AS split,
               avg(abs(t.yeas - t.nays)::float8 / (t.yeas + t.nays)) AS unity
        FROM vote_party_totals t
        JOIN votes v ON v.id = t.vote_id
        JOIN parliamentary_sessions ps ON ps.id = v.session_id
        JOIN parties p ON p.id = t.party_id
        WHERE t.yeas + t.nays > 0 AND p.short_name_en IS NOT NULL
          AND p.short_name_en <> 'Independent' {s}
        GROUP BY ps.code, ps.parliament, ps.session, p.short_name_en, p.short_name_fr
        ORDER BY ps.parliament DESC, ps.session DESC, sum(t.yeas + t.nays) DESC,
                 p.short_name_en
        """
        ).format(s=in_session),
        params,
    )
