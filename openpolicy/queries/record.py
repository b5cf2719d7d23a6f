"""A member's voting record — the one implementation behind the API's record, its exports,
the member page's recent ballots, its attendance and dissent summary, and the feeds.

Every division held while a member sat, newest first, with their ballot or None, their
party's majority and a dissent flag. In SQL that is a nested loop over up to 500 divisions
with three index probes each, about 4 ms of PostgreSQL per page of 500 on the
parliament-scale dataset (bench/api.py). Here the divisions (a few thousand rows) and the
per-party majorities are read once per data version, like `openpolicy.queries.reference`;
a page then asks PostgreSQL only for the member's ballots on the page's divisions, one
index-only scan of (member_id, vote_id) INCLUDE (value, party_id).

`dissent` is three-valued: true where the ballot went against the majority of the
member's party in that division, false where it did not (or was paired, or the party split
evenly), None where the ballot or the party's totals are missing.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, TypedDict

from openpolicy.db import ReadConnection
from openpolicy.errors import BadRequestError, NotFoundError
from openpolicy.queries._sql import fetch_all, fetch_value, make_page, session_filter_id
from openpolicy.queries.export import Exported
from openpolicy.queries.paging import Page, PageRequest, SortKey
from openpolicy.queries.reference import Member, Reference, member_terms, per_version, reference

RECORD_SORT = SortKey("date", "v.date", "date", "date of the division")


class RecordItem(NamedTuple):
    """One division of a member's record (fields in CSV order), then its place."""

    session: str
    number: int
    date: dt.date
    subject_en: str | None
    subject_fr: str | None
    result: str
    bill_number: str | None
    ballot: str | None
    party: str | None
    party_majority: str | None
    dissent: bool | None
    sort_key: dt.date
    row_id: int


VOTE_RECORD_FIELDS: tuple[str, ...] = RecordItem._fields[:-2]


class Division(NamedTuple):
    date: dt.date
    id: int
    session: str
    number: int
    subject_en: str | None
    subject_fr: str | None
    result: str
    bill_number: str | None
    session_id: int


class _Majority(NamedTuple):
    vote_id: int
    party_id: int
    yeas: int
    nays: int


@dataclass(frozen=True)
class Divisions:
    version: int
    oldest_first: list[Division]  # by (date, id)
    keys: list[tuple[dt.date, int]]  # (date, id) of each, for bisect
    # (vote id, party id or 0) -> the party's majority, None on a tie; absent: no ballots
    majority: dict[tuple[int, int], str | None]
    ids: list[int]  # the divisions' ids, oldest first (as `keys`)
    years: list[int]  # the calendar year of each, oldest first (as `keys`)
    by_id: dict[int, Division]
    year_of: dict[int, int]  # division id -> calendar year
    # party id (0: none) -> the divisions its majority voted yea in, and nay in
    yea_majority: dict[int, frozenset[int]]
    nay_majority: dict[int, frozenset[int]]


async def _load(conn: ReadConnection, version: int) -> Divisions:
    rows = await fetch_all(
        conn,
        Division,
        "SELECT v.date, v.id, ps.code AS session, v.number, v.subject_en, v.subject_fr,"
        " v.result, v.bill_number, v.session_id FROM votes v"
        " JOIN parliamentary_sessions ps ON ps.id = v.session_id"
        # Ballots pending: whether a member voted is not known yet.
        " WHERE EXISTS (SELECT 1 FROM ballots b WHERE b.vote_id = v.id)"
        " ORDER BY v.date, v.id",
    )
    majority = {
        (r.vote_id, r.party_id): "yea" if r.yeas > r.nays else "nay" if r.nays > r.yeas else None
        for r in await fetch_all(
            conn, _Majority, "SELECT vote_id, party_id, yeas, nays FROM vote_party_totals"
        )
    }
    sides: dict[tuple[str, int], set[int]] = {}
    for (vote_id, party_id), side in majority.items():
        if side is not None:
            sides.setdefault((side, party_id), set()).add(vote_id)
    return Divisions(
        version,
        rows,
        [(r.date, r.id) for r in rows],
        majority,
        [r.id for r in rows],
        [r.date.year for r in rows],
        {r.id: r for r in rows},
        {r.id: r.date.year for r in rows},
        {party: frozenset(ids) for (side, party), ids in sides.items() if side == "yea"},
        {party: frozenset(ids) for (side, party), ids in sides.items() if side == "nay"},
    )


_divisions = per_version(_load)


async def divisions(conn: ReadConnection) -> Divisions:
    """The divisions of the current data version (read again when it moves)."""
    return await _divisions.get(conn)


async def _member(conn: ReadConnection, known: Reference, member_id: int) -> Member:
    """The member from the reference tables; one added since they were read (a write that
    did not move the data version) from the table; an unknown one is a 404."""
    member = known.members.get(member_id)
    if member is not None:
        return member
    name = await fetch_value(
        conn, "SELECT full_name FROM elected_members WHERE id = %s", (member_id,)
    )
    if name is None:
        raise NotFoundError(f"no member with id {member_id}")
    return Member(str(name), ("", ""), await member_terms(conn, member_id))


def _cursor_key(page: PageRequest) -> tuple[dt.date, int] | None:
    if page.cursor is None:
        return None
    value, row_id = page.cursor
    try:
        return dt.date.fromisoformat(str(value)), row_id
    except ValueError:
        raise BadRequestError(
            "cursor: not a cursor returned by this API (use pagination.next_cursor as is)",
            parameter="cursor",
        ) from None


def _walk(
    held: Divisions,
    member: Member,
    descending: bool,
    after: tuple[dt.date, int] | None,
    session: int | None,
) -> Iterator[tuple[Division, int | None]]:
    """Divisions during the member's terms in record order, after the cursor, with the
    party of the term covering each (the latest-starting one)."""
    if not member.terms:
        return
    lo = min(t.start for t in member.terms)
    hi = max(t.end for t in member.terms)
    keys = held.keys
    if descending:
        end = bisect.bisect_right(keys, (hi, 2**63))
        if after is not None:
            end = min(end, bisect.bisect_left(keys, after))
        indexes: range = range(end - 1, bisect.bisect_left(keys, (lo, -1)) - 1, -1)
    else:
        start = bisect.bisect_left(keys, (lo, -1))
        if after is not None:
            start = max(start, bisect.bisect_right(keys, after))
        indexes = range(start, bisect.bisect_right(keys, (hi, 2**63)))
    for index in indexes:
        division = held.oldest_first[index]
        if session is not None and division.session_id != session:
            continue
        term = member.term_on(division.date)
        if term is not None:
            yield division, term.party_id


class _Ballot(NamedTuple):
    vote_id: int
    value: str
    party_id: int | None


async def _rows(
    conn: ReadConnection,
    known: Reference,
    held: Divisions,
    member_id: int,
    chosen: list[tuple[Division, int | None]],
) -> list[RecordItem]:
    """Record rows of the chosen divisions, with the member's ballots on them."""
    if not chosen:
        return []
    # The member's ballots in the chosen span of division ids: one index-only range scan of
    # (member_id, vote_id); ballots outside the span are simply not looked up.
    ids = [d.id for d, _party in chosen]
    ballots = {
        b.vote_id: b
        for b in await fetch_all(
            conn,
            _Ballot,
            "SELECT vote_id, value, party_id FROM ballots"
            " WHERE member_id = %s AND vote_id BETWEEN %s AND %s",
            (member_id, min(ids), max(ids)),
        )
    }
    parties = known.parties
    majorities = held.majority
    rows: list[RecordItem] = []
    for division, term_party in chosen:
        ballot = ballots.get(division.id)
        if ballot is None:
            value, party_id = None, term_party
        else:
            value = ballot.value
            party_id = ballot.party_id if ballot.party_id is not None else term_party
        majority = majorities.get(
            (division.id, party_id if party_id is not None else 0), _NO_TOTALS
        )
        rows.append(
            RecordItem(
                division.session,
                division.number,
                division.date,
                division.subject_en,
                division.subject_fr,
                division.result,
                division.bill_number,
                value,
                parties.get(party_id) if party_id is not None else None,
                None if majority is _NO_TOTALS else majority,
                _dissent(value, majority),
                division.date,
                division.id,
            )
        )
    return rows


async def record_page(
    conn: ReadConnection, member_id: int, page: PageRequest, session: str | None = None
) -> Page[RecordItem]:
    """One page of the member's record (newest first unless `page.descending` is false),
    optionally within one session (`45-1`). An unknown member is a 404."""
    known = await reference(conn)
    member = await _member(conn, known, member_id)
    held = await divisions(conn)
    sid = await session_filter_id(conn, session)
    chosen: list[tuple[Division, int | None]] = []
    for item in _walk(held, member, page.descending, _cursor_key(page), sid):
        chosen.append(item)
        if len(chosen) > page.limit:
            break
    return make_page(await _rows(conn, known, held, member_id, chosen), page)


EXPORT_BATCH = 1000


async def _record_stream(
    conn: ReadConnection, member_id: int, session: int | None
) -> AsyncGenerator[RecordItem, None]:
    """The whole record, newest first, in batches (CSV and JSON Lines exports)."""
    known = await reference(conn)
    member = await _member(conn, known, member_id)
    held = await divisions(conn)
    batch: list[tuple[Division, int | None]] = []
    for item in _walk(held, member, True, None, session):
        batch.append(item)
        if len(batch) >= EXPORT_BATCH:
            for row in await _rows(conn, known, held, member_id, batch):
                yield row
            batch = []
    for row in await _rows(conn, known, held, member_id, batch):
        yield row


class RecordSummary(TypedDict):
    divisions: int
    voted: int
    dissents: int
    attendance: float | None
    dissent_rate: float | None


class _BallotGroup(NamedTuple):
    value: str
    party_id: int | None
    vote_ids: list[int]


class YearTally(NamedTuple):
    """One calendar year of a member's record: divisions held while they sat, ballots they
    cast on them, and ballots against the majority of their own party."""

    year: int
    divisions: int
    voted: int
    dissents: int

    @property
    def participation(self) -> float | None:
        """Share of the year's divisions in which the member cast a ballot."""
        return self.voted / self.divisions if self.divisions else None

    @property
    def dissent_rate(self) -> float | None:
        """Share of the ballots they cast that went against their party's majority."""
        return self.dissents / self.voted if self.voted else None


async def record_by_year(conn: ReadConnection, member_id: int) -> list[YearTally]:
    """Attendance and dissent year by year over the whole record (oldest first) — the
    counts of the record's rows, without building them. Years of a term without a division
    (the House not sitting, or no division on file) are left out."""
    known = await reference(conn)
    member = await _member(conn, known, member_id)
    held = await divisions(conn)
    # The divisions during the member's terms: slices of the date-ordered ids, merged where
    # terms touch or overlap so that no division counts twice.
    spans = sorted(
        (
            bisect.bisect_left(held.keys, (term.start, -1)),
            bisect.bisect_right(held.keys, (term.end, 2**63)),
        )
        for term in member.terms
    )
    merged: list[list[int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        elif first < last:
            merged.append([first, last])
    held_in_term: Counter[int] = Counter()
    in_term: set[int] = set()
    for first, last in merged:
        held_in_term.update(held.years[first:last])
        in_term.update(held.ids[first:last])
    # The member's ballots grouped by (value, party): a handful of rows of id arrays; the
    # counts are set operations against the per-party majorities held in memory, and
    # counting by year runs in C (Counter over a map), not a Python loop per ballot.
    groups = await fetch_all(
        conn,
        _BallotGroup,
        "SELECT value, party_id, array_agg(vote_id) AS vote_ids FROM ballots"
        " WHERE member_id = %s GROUP BY value, party_id",
        (member_id,),
        binary=True,
    )
    year_of = held.year_of.__getitem__
    voted: Counter[int] = Counter()
    dissents: Counter[int] = Counter()
    for group in groups:
        cast = in_term.intersection(group.vote_ids)
        voted.update(map(year_of, cast))
        if group.value not in ("yea", "nay"):
            continue
        against = held.nay_majority if group.value == "yea" else held.yea_majority
        if group.party_id is not None:
            dissented: set[int] = cast & against.get(group.party_id, frozenset())
        else:  # no party on the ballot: the party of the term covering it
            dissented = set()
            for vote_id in cast:
                covering = member.term_on(held.by_id[vote_id].date)
                party = covering.party_id if covering is not None and covering.party_id else 0
                if vote_id in against.get(party, frozenset()):
                    dissented.add(vote_id)
        dissents.update(map(year_of, dissented))
    counts = {year: [held_in_term[year], voted[year], dissents[year]] for year in held_in_term}
    return [YearTally(year, *counts[year]) for year in sorted(counts)]


async def record_summary(conn: ReadConnection, member_id: int) -> RecordSummary:
    """Attendance and dissent over the whole record: divisions held while the member sat,
    ballots cast on them, and ballots against the majority of their own party."""
    return summarise(await record_by_year(conn, member_id))


def summarise(years: list[YearTally]) -> RecordSummary:
    """The whole record's counts and rates from its years."""
    total = sum(y.divisions for y in years)
    voted = sum(y.voted for y in years)
    dissents = sum(y.dissents for y in years)
    return {
        "divisions": total,
        "voted": voted,
        "dissents": dissents,
        "attendance": voted / total if total else None,
        "dissent_rate": dissents / voted if voted else None,
    }


METHOD = (
    "Participation is the share of the recorded divisions held while the member sat (every "
    "day of each of their terms, divisions with ballots on file) in which they cast a "
    "ballot, paired ballots included. A vote against their party is a yea or a nay opposite "
    "to the majority of their own party's members in that division; paired ballots, and "
    "divisions where the party split evenly, never count as one. `dissent_rate` is those "
    "votes as a share of the ballots they cast."
)
"""How the figures are counted, in words (the API serves it; the member's page says the
same in the reader's language)."""


class YearFigures(TypedDict):
    year: int
    divisions: int
    voted: int
    dissents: int
    participation: float | None
    dissent_rate: float | None


class Participation(TypedDict):
    member_id: int
    name: str
    divisions: int
    voted: int
    dissents: int
    participation: float | None
    dissent_rate: float | None
    years: list[YearFigures]
    method: str


async def participation(conn: ReadConnection, member_id: int) -> Participation:
    """A member's participation and votes against their party, over the whole record and
    year by year, with the method in words: the figures of the member's page, as the API
    serves them. An unknown member is a 404."""
    member = await _member(conn, await reference(conn), member_id)
    years = await record_by_year(conn, member_id)
    whole = summarise(years)
    return {
        "member_id": member_id,
        "name": member.name,
        "divisions": whole["divisions"],
        "voted": whole["voted"],
        "dissents": whole["dissents"],
        "participation": whole["attendance"],
        "dissent_rate": whole["dissent_rate"],
        "years": [
            {
                "year": y.year,
                "divisions": y.divisions,
                "voted": y.voted,
                "dissents": y.dissents,
                "participation": y.participation,
                "dissent_rate": y.dissent_rate,
            }
            for y in years
        ],
        "method": METHOD,
    }


_NO_TOTALS: Any = "no totals"  # the party cast no ballot in the division (no totals row)


def _dissent(value: str | None, majority: str | None) -> bool | None:
    """False as soon as one part of "a yea or nay, against a party that did not split
    evenly" is false; else None where the ballot or the totals are missing."""
    if value is not None and value not in ("yea", "nay"):
        return False  # paired
    if majority is _NO_TOTALS:
        return None
    if majority is None:
        return False  # the party split evenly
    if value is None:
        return None
    return value != majority


async def export_record(
    conn: ReadConnection, member_id: int, session: str | None = None
) -> Exported:
    """The whole record for CSV and JSON Lines, newest first (an unknown member is a 404
    before the first byte is sent)."""
    await _member(conn, await reference(conn), member_id)
    sid = await session_filter_id(conn, session)
    return Exported(stream=_record_stream(conn, member_id, sid))
