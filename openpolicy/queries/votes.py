"""Recorded divisions: the list, one division with every ballot and the party breakdown,
and the ballots list (bulk exports of every ballot of a session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, LiteralString

from psycopg import sql

from openpolicy.errors import NotFoundError
from openpolicy.queries._sql import (
    Connection,
    Page,
    PageRequest,
    Row,
    SortKey,
    Where,
    fetch_all,
    fetch_list_page,
    fetch_one,
    make_page,
    session_filter_id,
    session_id,
)
from openpolicy.queries.reference import reference
from openpolicy.vocab import normalize_bill_number

SORTS = {
    "date": SortKey("date", "v.date", "date", "date of the division"),
}
DEFAULT_SORT = SORTS["date"]

FIELDS: tuple[str, ...] = (
    "session",
    "number",
    "date",
    "subject_en",
    "subject_fr",
    "result",
    "yeas",
    "nays",
    "paired",
    "document_type",
    "bill_number",
    "sitting",
)
_SELECT = """
    SELECT ps.code, v.number, v.date, v.subject_en, v.subject_fr, v.result, v.yeas, v.nays,
           v.paired, v.document_type, coalesce(b.number, v.bill_number), v.sitting_number
"""
_FROM = """
    FROM votes v
    JOIN parliamentary_sessions ps ON ps.id = v.session_id
    LEFT JOIN bills b ON b.id = v.bill_id
"""


@dataclass
class VoteFilters:
    """The documented filters of `GET /votes`."""

    session: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    result: str | None = None
    bill: str | None = None
    subject: str | None = None


def _where(conn: Connection, filters: VoteFilters) -> Where:
    where = Where()
    sid = session_filter_id(conn, filters.session)
    if sid is not None:
        where.add("v.session_id = %s", sid)
    if filters.date_from is not None:
        where.add("v.date >= %s", filters.date_from)
    if filters.date_to is not None:
        where.add("v.date <= %s", filters.date_to)
    if filters.result:
        where.add("v.result = %s", filters.result)
    if filters.bill:
        number = normalize_bill_number(filters.bill) or filters.bill.upper()
        where.add("coalesce(b.number, v.bill_number) = %s", number)
    if filters.subject:
        pattern = "%" + filters.subject.replace("\\", "\\\\").replace("%", "\\%") + "%"
        where.add("(v.subject_en ILIKE %s OR v.subject_fr ILIKE %s)", pattern, pattern)
    return where


def list_votes(conn: Connection, filters: VoteFilters, page: PageRequest) -> Page:
    return fetch_list_page(
        conn,
        page,
        select=_SELECT,
        from_=_FROM,
        where=_where(conn, filters),
        id_column="v.id",
        default_sort=DEFAULT_SORT,
        field_count=len(FIELDS),
    )


def export_votes(conn: Connection, filters: VoteFilters) -> tuple[sql.Composed, list[Any]]:
    where = _where(conn, filters)
    query = sql.SQL("{s} {f} WHERE {w} ORDER BY v.session_id, v.number").format(
        s=sql.SQL(_SELECT), f=sql.SQL(_FROM), w=where.sql()
    )
    return query, where.params


BALLOT_FIELDS: tuple[str, ...] = (
    "member_id",
    "name",
    "party",
    "constituency",
    "province",
    "value",
)


DIVISION_WITH_BALLOTS: LiteralString = """
    SELECT v.id, v.number, v.date, v.subject_en, v.subject_fr, v.result, v.yeas,
           v.nays, v.paired, v.document_type, v.sitting_number, v.bill_number,
           b.number, b.title_en, b.title_fr, b.short_title_en, b.short_title_fr,
           v.updated_at, bl.members, bl.parties, bl.ballot_values
    FROM votes v
    LEFT JOIN bills b ON b.id = v.bill_id
    LEFT JOIN LATERAL (
        SELECT array_agg(x.member_id) AS members, array_agg(x.party_id) AS parties,
               array_agg(x.value::text) AS ballot_values
        FROM ballots x WHERE x.vote_id = v.id) bl ON true
    WHERE v.session_id = %s AND v.number = %s
"""


def _division(row: Row, session: str) -> dict[str, Any]:
    bill_number = row[12] or row[11]
    return {
        "session": session,
        "number": row[1],
        "date": row[2],
        "subject_en": row[3],
        "subject_fr": row[4],
        "result": row[5],
        "yeas": row[6],
        "nays": row[7],
        "paired": row[8],
        "document_type": row[9],
        "sitting": row[10],
        "bill": None
        if bill_number is None
        else {
            "session": session,
            "number": bill_number,
            "title_en": row[13],
            "title_fr": row[14],
            "short_title_en": row[15],
            "short_title_fr": row[16],
        },
        "updated_at": row[17],
    }


def vote_detail(conn: Connection, session: str, number: int) -> dict[str, Any]:
    """One division: totals, result, bill, party breakdown and every ballot.

    The division and its ballots in one statement (the ballots as three arrays from the
    unique index's INCLUDE columns, an index-only scan; one statement costs the API less
    than a pipeline of two); names, parties and seats from the in-memory reference tables,
    not from joins per ballot.
    """
    sid = session_id(conn, session)
    found = fetch_one(conn, DIVISION_WITH_BALLOTS, (sid, number))
    if found is None:
        raise NotFoundError(f"no division {number} in session {session}")
    row = found
    rows = zip(row[18] or (), row[19] or (), row[20] or (), strict=True)
    known = reference(conn)
    day = row[2]
    named: list[tuple[tuple[str, str], int, str | None, str | None, str | None, str | None, str]]
    named = []
    for member_id, party_id, value in rows:
        member = known.members.get(member_id)
        term = member.term_on(day) if member is not None else None
        seat = known.constituencies.get(term[2]) if term is not None else None
        named.append(
            (
                member.sort_key if member is not None else ("", ""),
                member_id,
                member.name if member is not None else None,
                known.parties.get(party_id) if party_id is not None else None,
                seat[0] if seat else None,
                seat[1] if seat else None,
                value,
            )
        )
    named.sort(key=lambda b: (b[0], b[1]))
    ballots = [b[1:] for b in named]
    return {
        **_division(row, session),
        "party_breakdown": party_breakdown(ballots),
        "ballots": [
            {
                "member_id": b[0],
                "name": b[1],
                "party": b[2],
                "constituency": b[3],
                "province": b[4],
                "value": b[5],
            }
            for b in ballots
        ],
    }


def party_breakdown(ballots: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Yea/nay/paired per party, the party's majority, and whether it voted together."""
    counts: dict[str | None, list[int]] = {}
    for ballot in ballots:
        tally = counts.setdefault(ballot[2], [0, 0, 0])
        value = ballot[5]
        tally[0 if value == "yea" else 1 if value == "nay" else 2] += 1
    result = []
    for party, (yeas, nays, paired) in sorted(
        counts.items(), key=lambda item: (-sum(item[1]), item[0] or "")
    ):
        majority = "yea" if yeas > nays else "nay" if nays > yeas else None
        result.append(
            {
                "party": party,
                "yea": yeas,
                "nay": nays,
                "paired": paired,
                "total": yeas + nays + paired,
                "majority": majority,
                "voted_together": (yeas == 0) != (nays == 0),
            }
        )
    return result


@dataclass
class BallotFilters:
    """Filters of `GET /ballots` (the bulk list of individual ballots)."""

    session: str | None = None
    vote: int | None = None
    member: int | None = None
    party: str | None = None
    value: str | None = None


BALLOT_ORDER = SortKey("vote", "b.vote_id", "bigint", "division, then member id (stable)")
ALL_BALLOT_FIELDS: tuple[str, ...] = (
    "session",
    "vote_number",
    "date",
    "member_id",
    "name",
    "party",
    "value",
)
_BALLOT_SELECT = """
    SELECT ps.code, v.number, v.date, b.member_id, m.full_name, p.short_name_en, b.value
"""
_BALLOT_FROM = """
    FROM ballots b
    JOIN votes v ON v.id = b.vote_id
    JOIN parliamentary_sessions ps ON ps.id = v.session_id
    JOIN elected_members m ON m.id = b.member_id
    LEFT JOIN parties p ON p.id = b.party_id
"""


def _ballot_where(conn: Connection, filters: BallotFilters) -> Where:
    where = Where()
    sid = session_filter_id(conn, filters.session)
    if sid is not None:
        # An array of the session's divisions: ballots are then read in (vote_id, member_id)
        # index order from the first of them, not scanned from the first ballot ever.
        where.add("b.vote_id = ANY(ARRAY(SELECT id FROM votes WHERE session_id = %s))", sid)
    if filters.vote is not None:
        where.add("v.number = %s", filters.vote)
    if filters.member is not None:
        where.add("b.member_id = %s", filters.member)
    if filters.party:
        where.add(
            "b.party_id IN (SELECT id FROM parties WHERE lower(short_name_en) = lower(%s)"
            " OR lower(abbreviation) = lower(%s))",
            filters.party,
            filters.party,
        )
    if filters.value:
        where.add("b.value = %s", filters.value)
    return where


def list_ballots(conn: Connection, filters: BallotFilters, page: PageRequest) -> Page:
    """Ballots by division then member (the unique index's order: stable under inserts)."""
    where = _ballot_where(conn, filters)
    params: list[Any] = [*where.params]
    after: sql.Composable = sql.SQL("TRUE")
    if page.cursor is not None:
        after = sql.SQL("(b.vote_id, b.member_id) > (%s, %s)")
        params += [page.cursor[0], page.cursor[1]]
    query = sql.SQL(
        "{s}, b.vote_id, b.member_id {f} WHERE {w} AND {a} ORDER BY b.vote_id, b.member_id LIMIT %s"
    ).format(s=sql.SQL(_BALLOT_SELECT), f=sql.SQL(_BALLOT_FROM), w=where.sql(), a=after)
    rows = fetch_all(conn, query, [*params, page.limit + 1])
    return make_page(rows, page, len(ALL_BALLOT_FIELDS), len(ALL_BALLOT_FIELDS) + 1)


def export_ballots(conn: Connection, filters: BallotFilters) -> tuple[sql.Composed, list[Any]]:
    where = _ballot_where(conn, filters)
    query = sql.SQL("{s} {f} WHERE {w} ORDER BY b.vote_id, b.member_id").format(
        s=sql.SQL(_BALLOT_SELECT), f=sql.SQL(_BALLOT_FROM), w=where.sql()
    )
    return query, where.params


def vote_sessions(conn: Connection) -> list[str]:
    """Sessions that have recorded divisions, most recent first (web filter menu)."""
    rows = fetch_all(
        conn,
        "SELECT ps.code FROM parliamentary_sessions ps"
        " WHERE EXISTS (SELECT 1 FROM votes v WHERE v.session_id = ps.id)"
        " ORDER BY ps.parliament DESC, ps.session DESC",
    )
    return [r[0] for r in rows]
