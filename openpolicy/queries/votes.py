"""Recorded divisions: the list, one division with every ballot and the party breakdown,
the breakdowns of a page of divisions, and the ballots list (bulk exports of every ballot
of a session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, LiteralString, NamedTuple, TypedDict

from psycopg import sql

from openpolicy.db import ReadConnection
from openpolicy.errors import NotFoundError
from openpolicy.queries._sql import (
    Where,
    contains,
    fetch_all,
    fetch_list_page,
    fetch_one,
    make_page,
    session_filter_id,
    session_id,
)
from openpolicy.queries.counts import count_list
from openpolicy.queries.export import Exported, list_export
from openpolicy.queries.paging import Page, PageRequest, SortKey
from openpolicy.queries.reference import per_version, reference
from openpolicy.vocab import normalize_bill_number

SORTS = {
    "date": SortKey("date", "v.date", "date", "date of the division"),
}
DEFAULT_SORT = SORTS["date"]


class VoteItem(NamedTuple):
    """A division in a list (fields in CSV order), then its place in the list."""

    session: str
    number: int
    date: dt.date
    subject_en: str | None
    subject_fr: str | None
    result: str
    yeas: int
    nays: int
    paired: int
    document_type: str | None
    bill_number: str | None
    sitting: int | None
    ballots_status: str  # recorded, printed or pending (see BALLOTS_STATUS)
    sort_key: Any
    row_id: int


FIELDS: tuple[str, ...] = VoteItem._fields[:-2]
# Where a division's ballots come from: its ballots document ("recorded"), the names printed
# in the sitting's division table while there is none ("printed"), or nowhere yet: the
# division is known by its official totals only ("pending").
BALLOTS_STATUS: LiteralString = (
    "CASE v.ballots_source WHEN 'ballots' THEN 'recorded' WHEN 'hansard' THEN 'printed'"
    " ELSE 'pending' END"
)
_SELECT = f"""
    SELECT ps.code AS session, v.number, v.date, v.subject_en, v.subject_fr, v.result,
           v.yeas, v.nays, v.paired, v.document_type,
           coalesce(b.number, v.bill_number) AS bill_number, v.sitting_number AS sitting,
           {BALLOTS_STATUS} AS ballots_status
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


async def _where(conn: ReadConnection, filters: VoteFilters) -> Where:
    where = Where()
    sid = await session_filter_id(conn, filters.session)
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
        pattern = contains(filters.subject)
        where.add("(v.subject_en ILIKE %s OR v.subject_fr ILIKE %s)", pattern, pattern)
    return where


async def list_votes(
    conn: ReadConnection, filters: VoteFilters, page: PageRequest
) -> Page[VoteItem]:
    return await fetch_list_page(
        conn,
        VoteItem,
        page,
        select=_SELECT,
        from_=_FROM,
        where=await _where(conn, filters),
        id_column="v.id",
        default_sort=DEFAULT_SORT,
    )


async def count_votes(conn: ReadConnection, filters: VoteFilters) -> int:
    """How many divisions match the filters (read once per data version and filter set)."""
    return await count_list(conn, _FROM, await _where(conn, filters))


async def export_votes(conn: ReadConnection, filters: VoteFilters, page: PageRequest) -> Exported:
    return list_export(
        VoteItem,
        page,
        select=_SELECT,
        from_=_FROM,
        where=await _where(conn, filters),
        id_column="v.id",
        default_sort=DEFAULT_SORT,
    )


class PartyTally(TypedDict):
    party: str | None
    yea: int
    nay: int
    paired: int
    total: int
    majority: str | None  # "yea", "nay", or None on a tie
    voted_together: bool


def tally(party: str | None, yeas: int, nays: int, paired: int) -> PartyTally:
    """One party's yea/nay/paired, its majority, and whether it voted together."""
    return {
        "party": party,
        "yea": yeas,
        "nay": nays,
        "paired": paired,
        "total": yeas + nays + paired,
        "majority": "yea" if yeas > nays else "nay" if nays > yeas else None,
        "voted_together": (yeas == 0) != (nays == 0),
    }


class _TotalsRow(NamedTuple):
    vote_id: int
    party: str | None
    yeas: int
    nays: int
    paired: int


async def party_breakdowns(
    conn: ReadConnection, vote_ids: list[int]
) -> dict[int, list[PartyTally]]:
    """The party breakdown of each division (the list's `include=party_breakdown`)."""
    found: dict[int, list[PartyTally]] = {i: [] for i in vote_ids}
    for row in await fetch_all(
        conn,
        _TotalsRow,
        "SELECT t.vote_id, p.short_name_en AS party, t.yeas, t.nays, t.paired"
        " FROM vote_party_totals t LEFT JOIN parties p ON p.id = t.party_id"
        " WHERE t.vote_id = ANY(%s)"
        " ORDER BY t.vote_id, t.yeas + t.nays + t.paired DESC, p.short_name_en",
        (vote_ids,),
    ):
        found[row.vote_id].append(tally(row.party, row.yeas, row.nays, row.paired))
    return found


class BallotOf(TypedDict):
    member_id: int
    name: str | None
    party: str | None
    constituency: str | None
    province: str | None
    value: str


BALLOT_FIELDS: tuple[str, ...] = tuple(BallotOf.__annotations__)


class DivisionBill(TypedDict):
    session: str
    number: str
    title_en: str | None
    title_fr: str | None
    short_title_en: str | None
    short_title_fr: str | None


class VoteDetail(TypedDict):
    session: str
    number: int
    date: dt.date
    subject_en: str | None
    subject_fr: str | None
    result: str
    yeas: int
    nays: int
    paired: int
    document_type: str | None
    sitting: int | None
    ballots_status: str
    bill: DivisionBill | None
    updated_at: dt.datetime
    party_breakdown: list[PartyTally]
    ballots: list[BallotOf]


class _DivisionRow(NamedTuple):
    number: int
    date: dt.date
    subject_en: str | None
    subject_fr: str | None
    result: str
    yeas: int
    nays: int
    paired: int
    document_type: str | None
    sitting: int | None
    ballots_status: str
    bill_number: str | None
    title_en: str | None
    title_fr: str | None
    short_title_en: str | None
    short_title_fr: str | None
    updated_at: dt.datetime
    members: list[int] | None
    parties: list[int | None] | None
    ballot_values: list[str] | None


# The division and its ballots in one statement: the ballots as three arrays from the unique
# index's INCLUDE columns (an index-only scan; one statement costs less than a pipeline of
# two); names, parties and seats come from the in-memory reference tables, not from joins
# per ballot.
_DIVISION: LiteralString = f"""
    SELECT v.number, v.date, v.subject_en, v.subject_fr, v.result, v.yeas, v.nays, v.paired,
           v.document_type, v.sitting_number AS sitting, {BALLOTS_STATUS} AS ballots_status,
           coalesce(b.number, v.bill_number) AS bill_number,
           b.title_en, b.title_fr, b.short_title_en, b.short_title_fr, v.updated_at,
           bl.members, bl.parties, bl.ballot_values
    FROM votes v
    LEFT JOIN bills b ON b.id = v.bill_id
    LEFT JOIN LATERAL (
        SELECT array_agg(x.member_id) AS members, array_agg(x.party_id) AS parties,
               array_agg(x.value::text) AS ballot_values
        FROM ballots x WHERE x.vote_id = v.id) bl ON true
    WHERE v.session_id = %s AND v.number = %s
"""


async def vote_detail(conn: ReadConnection, session: str, number: int) -> VoteDetail:
    """One division: totals, result, bill, party breakdown and every ballot (by name)."""
    sid = await session_id(conn, session)
    row = await fetch_one(conn, _DivisionRow, _DIVISION, (sid, number))
    if row is None:
        raise NotFoundError(f"no division {number} in session {session}")
    known = await reference(conn)
    day = row.date
    named: list[tuple[tuple[str, str], int, BallotOf]] = []
    for member_id, party_id, value in zip(
        row.members or (), row.parties or (), row.ballot_values or (), strict=True
    ):
        member = known.members.get(member_id)
        term = member.term_on(day) if member is not None else None
        seat = known.constituencies.get(term.constituency_id) if term is not None else None
        named.append(
            (
                member.sort_key if member is not None else ("", ""),
                member_id,
                {
                    "member_id": member_id,
                    "name": member.name if member is not None else None,
                    "party": known.parties.get(party_id) if party_id is not None else None,
                    "constituency": seat.name if seat else None,
                    "province": seat.province if seat else None,
                    "value": value,
                },
            )
        )
    named.sort(key=lambda b: (b[0], b[1]))
    ballots = [b[2] for b in named]
    return {
        "session": session,
        "number": row.number,
        "date": row.date,
        "subject_en": row.subject_en,
        "subject_fr": row.subject_fr,
        "result": row.result,
        "yeas": row.yeas,
        "nays": row.nays,
        "paired": row.paired,
        "document_type": row.document_type,
        "sitting": row.sitting,
        "ballots_status": row.ballots_status,
        "bill": None
        if row.bill_number is None
        else {
            "session": session,
            "number": row.bill_number,
            "title_en": row.title_en,
            "title_fr": row.title_fr,
            "short_title_en": row.short_title_en,
            "short_title_fr": row.short_title_fr,
        },
        "updated_at": row.updated_at,
        "party_breakdown": party_breakdown(ballots),
        "ballots": ballots,
    }


def party_breakdown(ballots: list[BallotOf]) -> list[PartyTally]:
    """Yea/nay/paired per party, largest party first."""
    counts: dict[str | None, list[int]] = {}
    for ballot in ballots:
        counted = counts.setdefault(ballot["party"], [0, 0, 0])
        value = ballot["value"]
        counted[0 if value == "yea" else 1 if value == "nay" else 2] += 1
    return [
        tally(party, yeas, nays, paired)
        for party, (yeas, nays, paired) in sorted(
            counts.items(), key=lambda item: (-sum(item[1]), item[0] or "")
        )
    ]


@dataclass
class BallotFilters:
    """Filters of `GET /ballots` (the bulk list of individual ballots)."""

    session: str | None = None
    vote: int | None = None
    member: int | None = None
    party: str | None = None
    value: str | None = None


BALLOT_ORDER = SortKey("vote", "b.vote_id", "bigint", "division, then member id (stable)")


class BallotItem(NamedTuple):
    """One ballot in the bulk list (fields in CSV order), then its place in the list."""

    session: str
    vote_number: int
    date: dt.date
    member_id: int
    name: str
    party: str | None
    value: str
    sort_key: int
    row_id: int


ALL_BALLOT_FIELDS: tuple[str, ...] = BallotItem._fields[:-2]
_BALLOT_SELECT = """
    SELECT ps.code AS session, v.number AS vote_number, v.date, b.member_id,
           m.full_name AS name, p.short_name_en AS party, b.value
"""
_BALLOT_FROM = """
    FROM ballots b
    JOIN votes v ON v.id = b.vote_id
    JOIN parliamentary_sessions ps ON ps.id = v.session_id
    JOIN elected_members m ON m.id = b.member_id
    LEFT JOIN parties p ON p.id = b.party_id
"""


async def _ballot_where(conn: ReadConnection, filters: BallotFilters) -> Where:
    where = Where()
    sid = await session_filter_id(conn, filters.session)
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


async def list_ballots(
    conn: ReadConnection, filters: BallotFilters, page: PageRequest
) -> Page[BallotItem]:
    """Ballots by division then member (the unique index's order: stable under inserts)."""
    where = await _ballot_where(conn, filters)
    params: list[Any] = [*where.params]
    after: sql.Composable = sql.SQL("TRUE")
    if page.cursor is not None:
        after = sql.SQL("(b.vote_id, b.member_id) > (%s, %s)")
        params += [page.cursor[0], page.cursor[1]]
    query = sql.SQL(
        "{s}, b.vote_id AS sort_key, b.member_id AS row_id {f} WHERE {w} AND {a}"
        " ORDER BY b.vote_id, b.member_id LIMIT %s"
    ).format(s=sql.SQL(_BALLOT_SELECT), f=sql.SQL(_BALLOT_FROM), w=where.sql(), a=after)
    rows = await fetch_all(conn, BallotItem, query, [*params, page.limit + 1])
    return make_page(rows, page)


async def export_ballots(
    conn: ReadConnection, filters: BallotFilters, page: PageRequest
) -> Exported:
    """Every matching ballot in the list's one stable order."""
    where = await _ballot_where(conn, filters)
    query = sql.SQL(
        "{s}, b.vote_id AS sort_key, b.member_id AS row_id {f} WHERE {w}"
        " ORDER BY b.vote_id, b.member_id"
    ).format(s=sql.SQL(_BALLOT_SELECT), f=sql.SQL(_BALLOT_FROM), w=where.sql())
    return Exported(BallotItem, query, where.params)


class _Code(NamedTuple):
    code: str


async def _load_vote_sessions(conn: ReadConnection, version: int) -> list[str]:
    """Sessions that have recorded divisions, most recent first (web filter menu)."""
    rows = await fetch_all(
        conn,
        _Code,
        "SELECT ps.code FROM parliamentary_sessions ps"
        " WHERE EXISTS (SELECT 1 FROM votes v WHERE v.session_id = ps.id)"
        " ORDER BY ps.parliament DESC, ps.session DESC",
    )
    return [r.code for r in rows]


_vote_sessions = per_version(_load_vote_sessions)


async def vote_sessions(conn: ReadConnection) -> list[str]:
    """Sessions that have recorded divisions, most recent first (web filter menu), read
    once per data version."""
    return await _vote_sessions.get(conn)
