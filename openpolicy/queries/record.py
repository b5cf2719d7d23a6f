"""A member's voting record, built from divisions held in memory and one index scan.

Every division held while a member sat, newest first, with their ballot or NULL, their
party's majority and a dissent flag: in SQL that is a nested loop over up to 500 divisions
with three index probes each (ballot, party totals, party), which cost PostgreSQL about
4 ms per page of 500 on the parliament-scale dataset (bench/api.py). The divisions (a few
thousand rows) and the per-party totals are read once per data version, like
`openpolicy.queries.reference`; a page then asks PostgreSQL only for the member's ballots
on the page's divisions, one index-only scan of (member_id, vote_id) INCLUDE (value,
party_id).

The rows have the shape the SQL record query returns (`members.VOTE_RECORD_FIELDS`, then
the sort date and the division id), with the same three-valued logic for `dissent`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from openpolicy.errors import BadRequestError
from openpolicy.queries._sql import Connection, PageRequest, Row, fetch_all
from openpolicy.queries.reference import Member, PerVersion, Reference

# (date, id, session code, number, subject EN, subject FR, result, bill number, session id)
Division = tuple[dt.date, int, str, int, str | None, str | None, str, str | None, int]


@dataclass(frozen=True)
class Divisions:
    version: int
    oldest_first: list[Division]  # by (date, id)
    keys: list[tuple[dt.date, int]]  # (date, id) of each, for bisect
    # (vote id, party id or 0) -> the party's majority, None on a tie; absent: no ballots
    majority: dict[tuple[int, int], str | None]
    # vote id -> the leading fields of a record row (session … bill number)
    heads: dict[int, tuple[str, int, dt.date, str | None, str | None, str, str | None]]


def divisions(conn: Connection) -> Divisions:
    """The divisions of the current data version (read again when it moves)."""
    return _divisions.get(conn)


def _load(conn: Connection, version: int) -> Divisions:
    rows: list[Division] = [
        (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
        for r in fetch_all(
            conn,
            "SELECT v.date, v.id, ps.code, v.number, v.subject_en, v.subject_fr, v.result,"
            " v.bill_number, v.session_id FROM votes v"
            " JOIN parliamentary_sessions ps ON ps.id = v.session_id ORDER BY v.date, v.id",
        )
    ]
    majority = {
        (r[0], r[1]): "yea" if r[2] > r[3] else "nay" if r[3] > r[2] else None
        for r in fetch_all(conn, "SELECT vote_id, party_id, yeas, nays FROM vote_party_totals")
    }
    heads = {r[1]: (r[2], r[3], r[0], r[4], r[5], r[6], r[7]) for r in rows}
    return Divisions(version, rows, [(r[0], r[1]) for r in rows], majority, heads)


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
    held: Divisions, member: Member, page: PageRequest, session: int | None
) -> Iterator[tuple[Division, int | None]]:
    """Divisions during the member's terms in page order, after the cursor, with the party
    of the term covering each (the latest-starting one, as the SQL's LATERAL)."""
    if not member.terms:
        return
    lo = min(t[0] for t in member.terms)
    hi = max(t[1] for t in member.terms)
    after = _cursor_key(page)
    keys = held.keys
    if page.descending:
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
        if session is not None and division[8] != session:
            continue
        term = member.term_on(division[0])
        if term is not None:
            yield division, term[3]


def record_page(
    conn: Connection,
    known: Reference,
    member: Member,
    member_id: int,
    page: PageRequest,
    session: int | None,
) -> list[Row]:
    """Up to `page.limit + 1` record rows (the extra one tells a next page exists)."""
    held = divisions(conn)
    chosen: list[tuple[Division, int | None]] = []
    for item in _walk(held, member, page, session):
        chosen.append(item)
        if len(chosen) > page.limit:
            break
    if not chosen:
        return []
    # The member's ballots in the page's span of division ids: one index-only range scan
    # of (member_id, vote_id); ballots outside the page are simply not looked up.
    ids = [d[1] for d, _party in chosen]
    ballots: dict[int, tuple[str, int | None]] = {
        r[0]: (r[1], r[2])
        for r in fetch_all(
            conn,
            "SELECT vote_id, value, party_id FROM ballots"
            " WHERE member_id = %s AND vote_id BETWEEN %s AND %s",
            (member_id, min(ids), max(ids)),
        )
    }
    parties = known.parties
    majorities = held.majority
    heads = held.heads
    rows: list[Row] = []
    for division, term_party in chosen:
        vote_id = division[1]
        ballot = ballots.get(vote_id)
        if ballot is None:
            value, party_id = None, term_party
        else:
            value, party_id = ballot[0], ballot[1] if ballot[1] is not None else term_party
        key = (vote_id, party_id if party_id is not None else 0)
        majority = majorities.get(key, _NO_TOTALS)
        rows.append(
            heads[vote_id]
            + (
                value,
                parties.get(party_id) if party_id is not None else None,
                None if majority is _NO_TOTALS else majority,
                _dissent(value, majority),
                division[0],
                vote_id,
            )
        )
    return rows


_NO_TOTALS = "no totals"  # the party cast no ballot in the division (no totals row)


def _dissent(value: str | None, majority: str | None) -> bool | None:
    """SQL's `value IN ('yea','nay') AND yeas <> nays AND value <> majority side`: false
    as soon as one part is false, else NULL where the ballot or the totals are missing."""
    if value is not None and value not in ("yea", "nay"):
        return False  # paired
    if majority is _NO_TOTALS:
        return None
    if majority is None:
        return False  # the party split evenly
    if value is None:
        return None
    return value != majority


_divisions = PerVersion(_load)
