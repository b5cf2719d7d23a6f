"""Hansard sittings: the list, and one sitting with its speeches and table of contents."""

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
    SortKey,
    Where,
    fetch_all,
    fetch_list_page,
    fetch_many,
    fetch_one,
    session_filter_id,
    session_id,
)

SORTS = {"date": SortKey("date", "d.date", "date", "date of the sitting")}
DEFAULT_SORT = SORTS["date"]

FIELDS: tuple[str, ...] = ("session", "number", "date", "source_url_en", "source_url_fr")
_SELECT = "SELECT ps.code, d.number, d.date, d.source_url_en, d.source_url_fr"
_FROM = "FROM debates d JOIN parliamentary_sessions ps ON ps.id = d.session_id"


@dataclass
class DebateFilters:
    session: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _where(conn: Connection, filters: DebateFilters) -> Where:
    where = Where()
    sid = session_filter_id(conn, filters.session)
    if sid is not None:
        where.add("d.session_id = %s", sid)
    if filters.date_from is not None:
        where.add("d.date >= %s", filters.date_from)
    if filters.date_to is not None:
        where.add("d.date <= %s", filters.date_to)
    return where


def list_debates(conn: Connection, filters: DebateFilters, page: PageRequest) -> Page:
    return fetch_list_page(
        conn,
        page,
        select=_SELECT,
        from_=_FROM,
        where=_where(conn, filters),
        id_column="d.id",
        default_sort=DEFAULT_SORT,
        field_count=len(FIELDS),
    )


def export_debates(conn: Connection, filters: DebateFilters) -> tuple[sql.Composed, list[Any]]:
    where = _where(conn, filters)
    query = sql.SQL("{s} {f} WHERE {w} ORDER BY d.date, d.id").format(
        s=sql.SQL(_SELECT), f=sql.SQL(_FROM), w=where.sql()
    )
    return query, where.params


def debate_detail(conn: Connection, session: str, number: int, lang: str = "en") -> dict[str, Any]:
    """A sitting with every speech in one language and its headings as a table of contents."""
    sid = session_id(conn, session)
    heading, text = ("s.heading_fr", "s.text_fr") if lang == "fr" else ("s.heading_en", "s.text_en")
    found, speeches = fetch_many(
        conn,
        [
            (
                "SELECT d.id, d.number, d.date, d.source_url_en, d.source_url_fr,"
                " d.hansard_document_id, d.updated_at FROM debates d"
                " WHERE d.session_id = %s AND d.number = %s",
                (sid, number),
            ),
            (
                sql.SQL(
                    """
                    SELECT s.id, s.sequence, s.spoken_at, s.member_id, s.speaker_name,
                           s.speaker_role, s.party_abbreviation, s.intervention_type,
                           s.order_of_business, {h}, {t}
                    FROM speeches s
                    WHERE s.debate_id = (SELECT id FROM debates WHERE session_id = %s
                                         AND number = %s)
                    ORDER BY s.sequence
                    """
                ).format(h=sql.SQL(heading), t=sql.SQL(text)),
                (sid, number),
            ),
        ],
    )
    if not found:
        raise NotFoundError(f"no sitting {number} in session {session}")
    row = found[0]
    contents: list[dict[str, Any]] = []
    for speech in speeches:
        title = speech[9]
        if title and (not contents or contents[-1]["heading"] != title):
            contents.append(
                {
                    "heading": title,
                    "order_of_business": speech[8],
                    "sequence": speech[1],
                    "speeches": 0,
                }
            )
        if contents and title == contents[-1]["heading"]:
            contents[-1]["speeches"] += 1
    return {
        "session": session,
        "number": row[1],
        "date": row[2],
        "source_url_en": row[3],
        "source_url_fr": row[4],
        "hansard_document_id": row[5],
        "updated_at": row[6],
        "lang": lang,
        "contents": contents,
        "speeches": [
            {
                "id": s[0],
                "sequence": s[1],
                "time": s[2],
                "member_id": s[3],
                "speaker_name": s[4],
                "speaker_role": s[5],
                "party": s[6],
                "type": s[7],
                "heading": s[9],
                "text": s[10],
            }
            for s in speeches
        ],
    }


def debate_sessions(conn: Connection) -> list[str]:
    """Sessions that have Hansard sittings, most recent first (web filter menu)."""
    rows = fetch_all(
        conn,
        "SELECT ps.code FROM parliamentary_sessions ps"
        " WHERE EXISTS (SELECT 1 FROM debates d WHERE d.session_id = ps.id)"
        " ORDER BY ps.parliament DESC, ps.session DESC",
    )
    return [r[0] for r in rows]


def speech_detail(conn: Connection, session: str, number: int, sequence: int) -> dict[str, Any]:
    """One intervention of a sitting in both languages, with its sitting and neighbours."""
    sid = session_id(conn, session)
    row = fetch_one(
        conn,
        """
        SELECT s.id, s.sequence, s.spoken_at, s.member_id, s.speaker_name, s.speaker_role,
               s.party_abbreviation, s.intervention_type, s.order_of_business, s.heading_en,
               s.heading_fr, s.text_en, s.text_fr, d.number, d.date, d.source_url_en,
               d.source_url_fr,
               (SELECT max(p.sequence) FROM speeches p
                 WHERE p.debate_id = d.id AND p.sequence < s.sequence),
               (SELECT min(n.sequence) FROM speeches n
                 WHERE n.debate_id = d.id AND n.sequence > s.sequence)
        FROM debates d JOIN speeches s ON s.debate_id = d.id
        WHERE d.session_id = %s AND d.number = %s AND s.sequence = %s
        """,
        (sid, number, sequence),
    )
    if row is None:
        raise NotFoundError(f"no speech {sequence} in sitting {number} of session {session}")
    return {
        "id": row[0],
        "sequence": row[1],
        "time": row[2],
        "member_id": row[3],
        "speaker_name": row[4],
        "speaker_role": row[5],
        "party": row[6],
        "type": row[7],
        "order_of_business": row[8],
        "heading_en": row[9],
        "heading_fr": row[10],
        "text_en": row[11],
        "text_fr": row[12],
        "debate": {
            "session": session,
            "number": row[13],
            "date": row[14],
            "source_url_en": row[15],
            "source_url_fr": row[16],
        },
        "previous": row[17],
        "next": row[18],
    }
