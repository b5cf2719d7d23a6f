"""Members: the list, one member with their terms, their voting record and their speeches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
    fetch_many,
    fetch_one,
    keyset,
    make_page,
)
from openpolicy.queries.record import record_page
from openpolicy.queries.reference import reference

SORTS = {
    "name": SortKey(
        "name",
        "lower(m.last_name || ', ' || m.first_name)",
        "text",
        "last name, then first name",
    ),
}
DEFAULT_SORT = SORTS["name"]

FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "first_name",
    "last_name",
    "honorific",
    "party",
    "constituency",
    "province",
    "parliament",
    "current",
    "person_id",
)
_SELECT = """
    SELECT m.id, m.full_name, m.first_name, m.last_name, m.honorific, p.short_name_en,
           c.name_en, c.province, t.parliament, {current}, m.person_id
"""
# Sitting now: an open term in the latest Parliament (an older open term is a member the
# source simply never closed, e.g. one not re-elected).
_CURRENT = (
    "(t.end_date IS NULL AND t.parliament IS NOT DISTINCT FROM"
    " (SELECT max(parliament) FROM member_terms))"
)


def _from(parliament: int | None) -> sql.Composable:
    """Members with their latest term (or their latest term in `parliament`)."""
    in_parliament = sql.SQL("AND t.parliament = %s") if parliament is not None else sql.SQL("")
    return sql.SQL(
        """
        FROM elected_members m
        JOIN LATERAL (
            SELECT t.* FROM member_terms t WHERE t.member_id = m.id {p}
            ORDER BY t.start_date DESC, t.id DESC LIMIT 1) t ON true
        JOIN constituencies c ON c.id = t.constituency_id
        LEFT JOIN parties p ON p.id = t.party_id
        """
    ).format(p=in_parliament)


@dataclass
class MemberFilters:
    """The documented filters of `GET /members`."""

    current: bool | None = None
    parliament: int | None = None
    party: str | None = None
    province: str | None = None
    constituency: str | None = None
    name: str | None = None


def _where(filters: MemberFilters) -> tuple[list[Any], Where]:
    lateral_params: list[Any] = [] if filters.parliament is None else [filters.parliament]
    where = Where()
    if filters.current is not None:
        where.add(_CURRENT + " = %s", filters.current)
    if filters.party:
        where.add(
            "(lower(p.short_name_en) = lower(%s) OR lower(p.abbreviation) = lower(%s)"
            " OR lower(p.short_name_fr) = lower(%s))",
            filters.party,
            filters.party,
            filters.party,
        )
    if filters.province:
        where.add("c.province = %s", filters.province.upper())
    if filters.constituency:
        where.add(
            "(c.name_en ILIKE %s OR c.name_fr ILIKE %s)",
            _contains(filters.constituency),
            _contains(filters.constituency),
        )
    if filters.name:
        where.add("m.full_name ILIKE %s", _contains(filters.name))
    return lateral_params, where


def _contains(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_members(conn: Connection, filters: MemberFilters, page: PageRequest) -> Page:
    lateral_params, where = _where(filters)
    return fetch_list_page(
        conn,
        page,
        select=sql.SQL(_SELECT).format(current=sql.SQL(_CURRENT)),
        from_=_from(filters.parliament),
        where=where,
        id_column="m.id",
        default_sort=DEFAULT_SORT,
        field_count=len(FIELDS),
        leading_params=lateral_params,
    )


def export_members(conn: Connection, filters: MemberFilters) -> tuple[sql.Composed, list[Any]]:
    lateral_params, where = _where(filters)
    query = sql.SQL("{s} {f} WHERE {w} ORDER BY m.last_name, m.first_name, m.id").format(
        s=sql.SQL(_SELECT).format(current=sql.SQL(_CURRENT)),
        f=_from(filters.parliament),
        w=where.sql(),
    )
    return query, [*lateral_params, *where.params]


def member_exists(conn: Connection, member_id: int) -> None:
    if fetch_one(conn, "SELECT 1 FROM elected_members WHERE id = %s", (member_id,)) is None:
        raise NotFoundError(f"no member with id {member_id}")


def member_detail(conn: Connection, member_id: int) -> dict[str, Any]:
    """A member and every term (seat, party, dates), newest first."""
    found, terms = fetch_many(
        conn,
        [
            (
                "SELECT id, full_name, first_name, last_name, honorific, person_id, photo_url,"
                " updated_at FROM elected_members WHERE id = %s",
                (member_id,),
            ),
            (
                """
                SELECT t.parliament, t.start_date, t.end_date, p.short_name_en,
                       p.short_name_fr, c.name_en, c.name_fr, c.province,
                       (t.end_date IS NULL AND t.parliament IS NOT DISTINCT FROM
                        (SELECT max(parliament) FROM member_terms))
                FROM member_terms t
                JOIN constituencies c ON c.id = t.constituency_id
                LEFT JOIN parties p ON p.id = t.party_id
                WHERE t.member_id = %s
                ORDER BY t.start_date DESC, t.id DESC
                """,
                (member_id,),
            ),
        ],
    )
    if not found:
        raise NotFoundError(f"no member with id {member_id}")
    row = found[0]
    latest = terms[0] if terms else None
    return {
        "id": row[0],
        "name": row[1],
        "first_name": row[2],
        "last_name": row[3],
        "honorific": row[4],
        "person_id": row[5],
        "photo_url": row[6],
        "updated_at": row[7],
        "current": latest is not None and bool(latest[8]),
        "party": latest[3] if latest else None,
        "constituency": latest[5] if latest else None,
        "province": latest[7] if latest else None,
        "terms": [
            {
                "parliament": t[0],
                "start_date": t[1],
                "end_date": t[2],
                "party": t[3],
                "party_fr": t[4],
                "constituency": t[5],
                "constituency_fr": t[6],
                "province": t[7],
            }
            for t in terms
        ],
    }


VOTE_RECORD_FIELDS: tuple[str, ...] = (
    "session",
    "number",
    "date",
    "subject_en",
    "subject_fr",
    "result",
    "bill_number",
    "ballot",
    "party",
    "party_majority",
    "dissent",
)
RECORD_SORT = SortKey("date", "v.date", "date", "date of the division")


def _member_terms(conn: Connection, member_id: int) -> list[Row]:
    """(start, end, party) of every term, from the in-memory reference (no round trip);
    an unknown member is a 404."""
    member = reference(conn).members.get(member_id)
    if member is None:
        member_exists(conn, member_id)  # added since the reference was read: ask the table
        return [
            tuple(row)
            for row in fetch_all(
                conn,
                "SELECT start_date, coalesce(end_date, '9999-12-31'::date), party_id"
                " FROM member_terms WHERE member_id = %s",
                (member_id,),
            )
        ]
    return [(t[0], t[1], t[3]) for t in member.terms]


def _record_query(terms: list[Row], tail: sql.Composable) -> tuple[sql.Composed, list[Any]]:
    """Divisions held while the member sat, with their ballot (NULL: did not vote) and
    their party's majority from vote_party_totals (one index lookup per division).

    The date span of the member's terms is written into the statement as constants, so
    even a cached generic plan (openpolicy.api.pool) is planned for this member's span; the
    ballot comes from the covering (member_id, vote_id) INCLUDE (value, party_id) index.
    Returns the statement and its leading parameters (the tail's come after).
    """
    starts = [t[0] for t in terms]
    ends = [t[1] for t in terms]
    parties = [t[2] for t in terms]
    lo = min(starts, default=dt.date.max)
    hi = max(ends, default=dt.date.min)
    query = sql.SQL(
        """
        WITH terms AS MATERIALIZED (
            SELECT * FROM unnest(%s::date[], %s::date[], %s::int[])
                AS t(start_date, end_date, party_id))
        SELECT ps.code, v.number, v.date, v.subject_en, v.subject_fr, v.result,
               v.bill_number, b.value, p.short_name_en,
               CASE WHEN pt.yeas > pt.nays THEN 'yea' WHEN pt.nays > pt.yeas THEN 'nay' END,
               (b.value IN ('yea', 'nay') AND pt.yeas <> pt.nays
                AND b.value <> CASE WHEN pt.yeas > pt.nays THEN 'yea' ELSE 'nay' END),
               v.date, v.id
        FROM votes v
        JOIN parliamentary_sessions ps ON ps.id = v.session_id
        JOIN LATERAL (
            SELECT t.party_id FROM terms t WHERE v.date BETWEEN t.start_date AND t.end_date
            ORDER BY t.start_date DESC LIMIT 1) t ON true
        LEFT JOIN ballots b ON b.vote_id = v.id AND b.member_id = %s
        LEFT JOIN parties p ON p.id = coalesce(b.party_id, t.party_id)
        LEFT JOIN vote_party_totals pt
               ON pt.vote_id = v.id AND pt.party_id = coalesce(b.party_id, t.party_id, 0)
        WHERE v.date BETWEEN {lo} AND {hi} AND {tail}
        """
    ).format(lo=sql.Literal(lo), hi=sql.Literal(hi), tail=tail)
    return query, [starts, ends, parties]


def _record_params(leading: list[Any], member_id: int, session: int | None) -> list[Any]:
    params = [*leading, member_id]
    if session is not None:
        params.append(session)
    return params


def member_votes(
    conn: Connection, member_id: int, page: PageRequest, session: int | None = None
) -> Page:
    """The member's voting record, newest first: every division held while they sat,
    `ballot` NULL where they did not vote, `dissent` where they voted against the majority
    of their own party.

    From the divisions held in memory and one index scan of the member's ballots
    (openpolicy.queries.record); a member added since the reference tables were read goes
    through the SQL record query."""
    known = reference(conn)
    member = known.members.get(member_id)
    if member is not None:
        rows = record_page(conn, known, member, member_id, page, session)
    else:
        rows = record_rows_sql(conn, member_id, page, session)
    return make_page(rows, page, len(VOTE_RECORD_FIELDS), len(VOTE_RECORD_FIELDS) + 1)


def record_rows_sql(
    conn: Connection, member_id: int, page: PageRequest, session: int | None = None
) -> list[Row]:
    """The same rows as `record.record_page`, from SQL alone (and the reference's terms)."""
    terms = _member_terms(conn, member_id)
    after, order, cursor_params, _sort = keyset(page, "v.id", RECORD_SORT)
    in_session = sql.SQL("v.session_id = %s") if session is not None else sql.SQL("TRUE")
    query, leading = _record_query(terms, sql.SQL("{s} AND {a}").format(s=in_session, a=after))
    statement = sql.SQL("{q} {o} LIMIT %s").format(q=query, o=order)
    params = _record_params(leading, member_id, session)
    return fetch_all(conn, statement, [*params, *cursor_params, page.limit + 1])


def export_member_votes(
    conn: Connection, member_id: int, session: int | None = None
) -> tuple[sql.Composed, list[Any]]:
    terms = _member_terms(conn, member_id)
    in_session = sql.SQL("v.session_id = %s") if session is not None else sql.SQL("TRUE")
    query, leading = _record_query(terms, in_session)
    statement = sql.SQL("{q} ORDER BY v.date DESC, v.id DESC").format(q=query)
    return statement, _record_params(leading, member_id, session)


SPEECH_FIELDS: tuple[str, ...] = (
    "id",
    "session",
    "debate_number",
    "date",
    "sequence",
    "time",
    "heading",
    "text",
)
SPEECH_SORT = SortKey("date", "d.date", "date", "date of the sitting")


def member_speeches(conn: Connection, member_id: int, page: PageRequest, lang: str = "en") -> Page:
    """The member's interventions, newest first, in one language."""
    member_exists(conn, member_id)
    after, order, cursor_params, _sort = keyset(page, "s.id", SPEECH_SORT)
    heading, text = ("s.heading_fr", "s.text_fr") if lang == "fr" else ("s.heading_en", "s.text_en")
    query = sql.SQL(
        """
        SELECT s.id, ps.code, d.number, d.date, s.sequence, s.spoken_at, {h}, {t}, d.date, s.id
        FROM speeches s
        JOIN debates d ON d.id = s.debate_id
        JOIN parliamentary_sessions ps ON ps.id = d.session_id
        WHERE s.member_id = %s AND {a}
        {o} LIMIT %s
        """
    ).format(h=sql.SQL(heading), t=sql.SQL(text), a=after, o=order)
    rows = fetch_all(conn, query, [member_id, *cursor_params, page.limit + 1])
    return make_page(rows, page, len(SPEECH_FIELDS), len(SPEECH_FIELDS) + 1)


def member_parties(conn: Connection) -> list[dict[str, Any]]:
    """Parties members have sat for, largest first (web filter menu and party colours)."""
    rows = fetch_all(
        conn,
        "SELECT p.short_name_en, p.short_name_fr, count(DISTINCT t.member_id)"
        " FROM parties p JOIN member_terms t ON t.party_id = p.id"
        " GROUP BY p.id ORDER BY count(DISTINCT t.member_id) DESC, p.short_name_en",
    )
    return [{"en": r[0], "fr": r[1], "members": r[2]} for r in rows]


def member_vote_summary(conn: Connection, member_id: int) -> dict[str, Any]:
    """Attendance and dissent over every division held while the member sat: divisions,
    ballots cast, and ballots against the majority of their own party (as member_votes)."""
    terms = _member_terms(conn, member_id)
    query, leading = _record_query(terms, sql.SQL("TRUE"))
    row = fetch_one(
        conn,
        sql.SQL(
            "SELECT count(*), count(r.value), count(*) FILTER (WHERE r.dissent)"
            " FROM ({q}) AS r(session, number, date, subject_en, subject_fr, result,"
            " bill_number, value, party, majority, dissent, sort_date, vote_id)"
        ).format(q=query),
        _record_params(leading, member_id, None),
    )
    divisions, voted, dissents = (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
    return {
        "divisions": divisions,
        "voted": voted,
        "dissents": dissents,
        "attendance": voted / divisions if divisions else None,
        "dissent_rate": dissents / voted if voted else None,
    }
