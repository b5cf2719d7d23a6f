"""Bills: the list with its filters, and one bill with stages, divisions and debates."""

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
    SortKey,
    Where,
    fetch_list_page,
    fetch_many,
    fetch_one,
    session_filter_id,
    session_id,
)
from openpolicy.vocab import normalize_bill_number

SORTS = {
    "latest_activity": SortKey(
        "latest_activity",
        "coalesce(b.latest_activity_at, '0001-01-01 00:00:00+00'::timestamptz)",
        "timestamptz",
        "time of the latest stage or event (bills without one last)",
    ),
    "introduced": SortKey(
        "introduced",
        "coalesce(b.introduced_date, '0001-01-01'::date)",
        "date",
        "date of first reading in the originating chamber",
    ),
    "updated": SortKey("updated", "b.updated_at", "timestamptz", "when OpenPolicy last changed it"),
}
DEFAULT_SORT = SORTS["latest_activity"]

# Columns of a list item, in CSV order. The row tuple matches this order, then sort value, id.
FIELDS: tuple[str, ...] = (
    "session",
    "number",
    "title_en",
    "title_fr",
    "short_title_en",
    "short_title_fr",
    "type",
    "chamber",
    "status_en",
    "status_fr",
    "sponsor_id",
    "sponsor_name",
    "introduced",
    "royal_assent",
    "latest_activity_at",
    "updated_at",
)
_SELECT = """
    SELECT ps.code, b.number, b.title_en, b.title_fr, b.short_title_en, b.short_title_fr,
           b.bill_type, b.originating_chamber, b.status_en, b.status_fr, b.sponsor_member_id,
           coalesce(m.full_name, b.sponsor_name), b.introduced_date, b.royal_assent_date,
           b.latest_activity_at, b.updated_at
"""
_FROM = """
    FROM bills b
    JOIN parliamentary_sessions ps ON ps.id = b.session_id
    LEFT JOIN elected_members m ON m.id = b.sponsor_member_id
"""


@dataclass
class BillFilters:
    """The documented filters of `GET /bills` (all optional, AND-ed)."""

    session: str | None = None
    status: str | None = None
    type: str | None = None
    sponsor: int | None = None
    chamber: str | None = None
    updated_since: dt.datetime | None = None
    q: str | None = None


def _where(conn: Connection, filters: BillFilters) -> Where:
    where = Where()
    sid = session_filter_id(conn, filters.session)
    if sid is not None:
        where.add("b.session_id = %s", sid)
    if filters.status:
        pattern = f"%{_escape_like(filters.status)}%"
        where.add("(b.status_en ILIKE %s OR b.status_fr ILIKE %s)", pattern, pattern)
    if filters.type:
        where.add("b.bill_type = %s", filters.type)
    if filters.sponsor is not None:
        where.add("b.sponsor_member_id = %s", filters.sponsor)
    if filters.chamber:
        where.add("b.originating_chamber = %s", filters.chamber)
    if filters.updated_since is not None:
        where.add("b.updated_at >= %s", filters.updated_since)
    if filters.q:
        number = normalize_bill_number(filters.q)
        if number is not None and number.replace("-", "").isalnum() and len(filters.q) <= 8:
            where.add("b.number = %s", number)
        else:
            where.add(
                "(b.search_en @@ websearch_to_tsquery('english', %s)"
                " OR b.search_fr @@ websearch_to_tsquery('french', %s))",
                filters.q,
                filters.q,
            )
    return where


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_bills(conn: Connection, filters: BillFilters, page: PageRequest) -> Page:
    """One page of bills; rows are tuples in FIELDS order (then sort key and id)."""
    return fetch_list_page(
        conn,
        page,
        select=_SELECT,
        from_=_FROM,
        where=_where(conn, filters),
        id_column="b.id",
        default_sort=DEFAULT_SORT,
        field_count=len(FIELDS),
    )


def export_bills(conn: Connection, filters: BillFilters) -> tuple[sql.Composed, list[Any]]:
    """The statement streaming every matching bill (CSV / JSON Lines), in FIELDS order."""
    where = _where(conn, filters)
    query = sql.SQL("{select} {from_} WHERE {where} ORDER BY b.session_id, b.id").format(
        select=sql.SQL(_SELECT), from_=sql.SQL(_FROM), where=where.sql()
    )
    return query, where.params


def sponsored_bills(conn: Connection, member_id: int, page: PageRequest) -> Page:
    """Bills a member sponsored, newest activity first."""
    return list_bills(conn, BillFilters(sponsor=member_id), page)


def bill_detail(conn: Connection, session: str, number: str) -> dict[str, Any]:
    """One bill with its stages, the divisions held on it and the debates that mention it."""
    sid = session_id(conn, session)
    normalized = normalize_bill_number(number)
    if normalized is None:
        raise NotFoundError(f"no bill {number} in session {session}")
    # One statement, one row: the lists come as JSON arrays built by PostgreSQL (dates as
    # ISO strings). Measured on bench/api.py, a pipeline of four statements cost the API
    # more Python time than the rest of the request.
    row = fetch_one(conn, DETAIL, (sid, normalized))
    if row is None:
        raise NotFoundError(f"no bill {number} in session {session}")
    return {
        "session": row[1],
        "number": row[2],
        "legisinfo_id": row[3],
        "title_en": row[4],
        "title_fr": row[5],
        "short_title_en": row[6],
        "short_title_fr": row[7],
        "type": row[8],
        "chamber": row[9],
        "status_en": row[10],
        "status_fr": row[11],
        "sponsor": None
        if row[12] is None and row[13] is None
        else {"id": row[12], "name": row[13]},
        "introduced": row[14],
        "royal_assent": row[15],
        "latest_activity_at": row[16],
        "text_url": row[17],
        "updated_at": row[18],
        "stages": row[19],
        "divisions": row[20],
        "debates": row[21],
    }


DETAIL: LiteralString = """
    SELECT b.id, ps.code, b.number, b.legisinfo_id, b.title_en, b.title_fr,
           b.short_title_en, b.short_title_fr, b.bill_type, b.originating_chamber,
           b.status_en, b.status_fr, b.sponsor_member_id,
           coalesce(m.full_name, b.sponsor_name), b.introduced_date,
           b.royal_assent_date, b.latest_activity_at, b.text_url, b.updated_at,
           (SELECT coalesce(json_agg(json_build_object(
                       'sequence', e.sequence, 'chamber', e.chamber, 'stage', e.stage,
                       'name_en', e.stage_name_en, 'name_fr', e.stage_name_fr,
                       'date', e.event_date, 'outcome', e.outcome) ORDER BY e.sequence), '[]')
            FROM bill_events e WHERE e.bill_id = b.id),
           (SELECT coalesce(json_agg(json_build_object(
                       'session', vs.code, 'number', v.number, 'date', v.date,
                       'subject_en', v.subject_en, 'subject_fr', v.subject_fr,
                       'result', v.result, 'yeas', v.yeas, 'nays', v.nays, 'paired', v.paired)
                       ORDER BY v.date, v.number), '[]')
            FROM votes v JOIN parliamentary_sessions vs ON vs.id = v.session_id
            WHERE v.bill_id = b.id
               OR (v.bill_id IS NULL AND v.session_id = b.session_id
                   AND v.bill_number = b.number)),
           (SELECT coalesce(json_agg(json_build_object(
                       'session', ps.code, 'number', d.number, 'date', d.date,
                       'mentions', bm.speeches) ORDER BY d.date, d.number), '[]')
            FROM debate_bill_mentions bm JOIN debates d ON d.id = bm.debate_id
            WHERE bm.bill_number = b.number AND d.session_id = b.session_id)
    FROM bills b
    JOIN parliamentary_sessions ps ON ps.id = b.session_id
    LEFT JOIN elected_members m ON m.id = b.sponsor_member_id
    WHERE b.session_id = %s AND b.number = %s
"""


def bill_facets(conn: Connection) -> dict[str, Any]:
    """The choices of the bill filters (web filter menus): sessions with bills, newest
    first; statuses (EN with FR); bill types; sponsors by name."""
    sessions, statuses, types, sponsors = fetch_many(
        conn,
        [
            (
                "SELECT ps.code FROM parliamentary_sessions ps"
                " WHERE EXISTS (SELECT 1 FROM bills b WHERE b.session_id = ps.id)"
                " ORDER BY ps.parliament DESC, ps.session DESC",
                None,
            ),
            (
                "SELECT status_en, min(status_fr) FROM bills WHERE status_en IS NOT NULL"
                " GROUP BY status_en ORDER BY status_en",
                None,
            ),
            (
                "SELECT DISTINCT bill_type FROM bills WHERE bill_type IS NOT NULL"
                " ORDER BY bill_type",
                None,
            ),
            (
                "SELECT m.id, m.full_name FROM elected_members m"
                " WHERE EXISTS (SELECT 1 FROM bills b WHERE b.sponsor_member_id = m.id)"
                " ORDER BY m.last_name, m.first_name, m.id",
                None,
            ),
        ],
    )
    return {
        "sessions": [r[0] for r in sessions],
        "statuses": [{"en": r[0], "fr": r[1]} for r in statuses],
        "types": [r[0] for r in types],
        "sponsors": [{"id": r[0], "name": r[1]} for r in sponsors],
    }
