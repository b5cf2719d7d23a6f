"""Party cohesion: how often each party's members voted together, per session — the
counterpart of a member's "votes against their party" (openpolicy.queries.record), counted
the same way from the per-party totals of every division with ballots on file."""

from __future__ import annotations

from typing import NamedTuple

from openpolicy.db import ReadConnection
from openpolicy.queries._sql import fetch_all


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


async def party_cohesion(conn: ReadConnection) -> list[PartyCohesion]:
    """Every party of every session with ballots on file, newest session first, larger
    caucuses first. Independents are not a party whose line one could break: left out."""
    return await fetch_all(
        conn,
        PartyCohesion,
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
          AND p.short_name_en <> 'Independent'
        GROUP BY ps.code, ps.parliament, ps.session, p.short_name_en, p.short_name_fr
        ORDER BY ps.parliament DESC, ps.session DESC, sum(t.yeas + t.nays) DESC,
                 p.short_name_en
        """,
    )
