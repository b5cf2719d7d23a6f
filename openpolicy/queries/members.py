"""Members: the list, one member with their terms, the terms of a page of members, their
speeches, and the parties members sat for. Their voting record is
`openpolicy.queries.record`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, LiteralString, NamedTuple, TypedDict

from psycopg import sql

from openpolicy.db import ReadConnection
from openpolicy.errors import NotFoundError
from openpolicy.queries._sql import (
    Where,
    contains,
    database_of,
    fetch_all,
    fetch_list_page,
    fetch_value,
    keyset,
    make_page,
)
from openpolicy.queries.counts import count_list
from openpolicy.queries.export import Exported, list_export
from openpolicy.queries.freshness import version_of
from openpolicy.queries.paging import Page, PageRequest, SortKey
from openpolicy.queries.reference import per_version

SORTS = {
    "name": SortKey(
        "name",
        "lower(m.last_name || ', ' || m.first_name)",
        "text",
        "last name, then first name",
    ),
}
DEFAULT_SORT = SORTS["name"]


class MemberItem(NamedTuple):
    """A member in a list (fields in CSV order), then their place in the list."""

    id: int
    name: str
    first_name: str | None
    last_name: str | None
    honorific: str | None
    party: str | None
    constituency: str | None
    province: str | None
    parliament: int | None
    current: bool
    person_id: int | None
    sort_key: str
    row_id: int


FIELDS: tuple[str, ...] = MemberItem._fields[:-2]
# Sitting now: an open term in the latest Parliament (an older open term is a member the
# source simply never closed, e.g. one not re-elected).
_CURRENT: LiteralString = (
    "(t.end_date IS NULL AND t.parliament IS NOT DISTINCT FROM"
    " (SELECT max(parliament) FROM member_terms))"
)
_SELECT: LiteralString = (
    "SELECT m.id, m.full_name AS name, m.first_name, m.last_name, m.honorific,"
    " p.short_name_en AS party, c.name_en AS constituency, c.province, t.parliament,"
    f" {_CURRENT} AS current, m.person_id"
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
        pattern = contains(filters.constituency)
        where.add("(c.name_en ILIKE %s OR c.name_fr ILIKE %s)", pattern, pattern)
    if filters.name:
        where.add("m.full_name ILIKE %s", contains(filters.name))
    return lateral_params, where


async def list_members(
    conn: ReadConnection, filters: MemberFilters, page: PageRequest
) -> Page[MemberItem]:
    lateral_params, where = _where(filters)
    return await fetch_list_page(
        conn,
        MemberItem,
        page,
        select=_SELECT,
        from_=_from(filters.parliament),
        where=where,
        id_column="m.id",
        default_sort=DEFAULT_SORT,
        leading_params=lateral_params,
    )


async def count_members(conn: ReadConnection, filters: MemberFilters) -> int:
    """How many members match the filters: the list's own FROM and WHERE, counted once per
    data version and filter set (a few thousand rows at most)."""
    lateral_params, where = _where(filters)
    return await count_list(conn, _from(filters.parliament), where, lateral_params)


class MemberName(NamedTuple):
    name: str
    constituency: str | None


MAX_NAME_LISTS = 256  # distinct (database, version, filters) kept; cleared when full
_names: dict[tuple[Any, ...], list[MemberName]] = {}


async def member_names(conn: ReadConnection, filters: MemberFilters) -> list[MemberName]:
    """The names (and latest seat) of every member the filters other than `name` match, A
    to Z: what the name field may suggest on a page of the list (the list's own FROM and
    WHERE, so a suggestion always finds someone)."""
    others = replace(filters, name=None)
    # Read once per data version and filter set, like the list's count: every page of the
    # list (either language, any name typed) carries the same suggestions.
    key = (database_of(conn), await version_of(conn), repr(others))
    found = _names.get(key)
    if found is not None:
        return found
    lateral_params, where = _where(others)
    query = sql.SQL(
        "SELECT m.full_name AS name, c.name_en AS constituency {f} WHERE {w} ORDER BY {o}, m.id"
    ).format(f=_from(filters.parliament), w=where.sql(), o=sql.SQL(DEFAULT_SORT.expression))
    names = await fetch_all(conn, MemberName, query, [*lateral_params, *where.params])
    if len(_names) >= MAX_NAME_LISTS:
        _names.clear()
    _names[key] = names
    return names


async def export_members(
    conn: ReadConnection, filters: MemberFilters, page: PageRequest
) -> Exported:
    lateral_params, where = _where(filters)
    return list_export(
        MemberItem,
        page,
        select=_SELECT,
        from_=_from(filters.parliament),
        where=where,
        id_column="m.id",
        default_sort=DEFAULT_SORT,
        leading_params=lateral_params,
    )


async def member_exists(conn: ReadConnection, member_id: int) -> None:
    """Nothing, or a 404 naming the member id."""
    if await fetch_value(conn, "SELECT 1 FROM elected_members WHERE id = %s", (member_id,)) is None:
        raise NotFoundError(f"no member with id {member_id}")


class MemberTerm(TypedDict):
    parliament: int | None
    start_date: dt.date
    end_date: dt.date | None
    party: str | None
    party_fr: str | None
    constituency: str
    constituency_fr: str | None
    province: str


class MemberDetail(TypedDict):
    id: int
    name: str
    first_name: str | None
    last_name: str | None
    honorific: str | None
    person_id: int | None
    photo_url: str | None
    updated_at: dt.datetime
    current: bool
    party: str | None
    constituency: str | None
    province: str | None
    terms: list[MemberTerm]


class _DetailRow(NamedTuple):
    id: int
    name: str
    first_name: str | None
    last_name: str | None
    honorific: str | None
    person_id: int | None
    photo_url: str | None
    updated_at: dt.datetime
    terms: list[dict[str, Any]]
    current: bool | None


# The member and their terms in one statement (terms newest first, as JSON built by
# PostgreSQL; dates come back as ISO strings and are read back as dates below).
_DETAIL: LiteralString = """
    SELECT m.id, m.full_name AS name, m.first_name, m.last_name, m.honorific, m.person_id,
           m.photo_url, m.updated_at,
           coalesce((SELECT json_agg(json_build_object(
                       'parliament', t.parliament, 'start_date', t.start_date,
                       'end_date', t.end_date, 'party', p.short_name_en,
                       'party_fr', p.short_name_fr, 'constituency', c.name_en,
                       'constituency_fr', c.name_fr, 'province', c.province)
                       ORDER BY t.start_date DESC, t.id DESC)
            FROM member_terms t
            JOIN constituencies c ON c.id = t.constituency_id
            LEFT JOIN parties p ON p.id = t.party_id
            WHERE t.member_id = m.id), '[]') AS terms,
           (SELECT t.end_date IS NULL AND t.parliament IS NOT DISTINCT FROM
                   (SELECT max(parliament) FROM member_terms)
            FROM member_terms t WHERE t.member_id = m.id
            ORDER BY t.start_date DESC, t.id DESC LIMIT 1) AS current
    FROM elected_members m WHERE m.id = %s
"""


def _date(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


async def member_detail(conn: ReadConnection, member_id: int) -> MemberDetail:
    """A member and every term (seat, party, dates), newest first."""
    rows = await fetch_all(conn, _DetailRow, _DETAIL, (member_id,))
    if not rows:
        raise NotFoundError(f"no member with id {member_id}")
    row = rows[0]
    terms: list[MemberTerm] = [
        {
            "parliament": t["parliament"],
            "start_date": dt.date.fromisoformat(t["start_date"]),
            "end_date": _date(t["end_date"]),
            "party": t["party"],
            "party_fr": t["party_fr"],
            "constituency": t["constituency"],
            "constituency_fr": t["constituency_fr"],
            "province": t["province"],
        }
        for t in row.terms
    ]
    latest = terms[0] if terms else None
    return {
        "id": row.id,
        "name": row.name,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "honorific": row.honorific,
        "person_id": row.person_id,
        "photo_url": row.photo_url,
        "updated_at": row.updated_at,
        "current": bool(row.current),
        "party": latest["party"] if latest else None,
        "constituency": latest["constituency"] if latest else None,
        "province": latest["province"] if latest else None,
        "terms": terms,
    }


class _TermRow(NamedTuple):
    member_id: int
    parliament: int | None
    start_date: dt.date
    end_date: dt.date | None
    party: str | None
    constituency: str
    province: str


async def terms_of(conn: ReadConnection, member_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Every term of each member (the member list's `include=terms`), newest first."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in member_ids}
    for row in await fetch_all(
        conn,
        _TermRow,
        "SELECT t.member_id, t.parliament, t.start_date, t.end_date,"
        " p.short_name_en AS party, c.name_en AS constituency, c.province"
        " FROM member_terms t"
        " JOIN constituencies c ON c.id = t.constituency_id"
        " LEFT JOIN parties p ON p.id = t.party_id WHERE t.member_id = ANY(%s)"
        " ORDER BY t.member_id, t.start_date DESC",
        (member_ids,),
    ):
        found[row.member_id].append(
            {
                "parliament": row.parliament,
                "start_date": row.start_date,
                "end_date": row.end_date,
                "party": row.party,
                "constituency": row.constituency,
                "province": row.province,
            }
        )
    return found


class SpeechItem(NamedTuple):
    """One of a member's interventions (fields in CSV order), then its place."""

    id: int
    session: str
    debate_number: int
    date: dt.date
    sequence: int
    time: dt.time | None
    heading: str | None
    text: str | None
    sort_key: dt.date
    row_id: int


SPEECH_FIELDS: tuple[str, ...] = SpeechItem._fields[:-2]
SPEECH_SORT = SortKey("date", "d.date", "date", "date of the sitting")


async def member_speeches(
    conn: ReadConnection,
    member_id: int,
    page: PageRequest,
    lang: str = "en",
    *,
    known_member: bool = False,
) -> Page[SpeechItem]:
    """The member's interventions, newest first, in one language (an unknown member is a
    404 unless the caller already knows the member exists)."""
    if not known_member:
        await member_exists(conn, member_id)
    after, order, cursor_params, _sort = keyset(page, "s.id", SPEECH_SORT)
    heading, text = ("s.heading_fr", "s.text_fr") if lang == "fr" else ("s.heading_en", "s.text_en")
    query = sql.SQL(
        """
        SELECT s.id, ps.code AS session, d.number AS debate_number, d.date, s.sequence,
               s.spoken_at AS time, {h} AS heading, {t} AS text, d.date AS sort_key,
               s.id AS row_id
        FROM speeches s
        JOIN debates d ON d.id = s.debate_id
        JOIN parliamentary_sessions ps ON ps.id = d.session_id
        WHERE s.member_id = %s AND {a}
        {o} LIMIT %s
        """
    ).format(h=sql.SQL(heading), t=sql.SQL(text), a=after, o=order)
    rows = await fetch_all(conn, SpeechItem, query, [member_id, *cursor_params, page.limit + 1])
    return make_page(rows, page)


class Party(NamedTuple):
    en: str
    fr: str | None
    members: int


async def member_parties(conn: ReadConnection) -> list[Party]:
    """Parties members have sat for, largest first (web filter menu and party colours);
    read once per data version."""
    return await _parties.get(conn)


async def _load_parties(conn: ReadConnection, version: int) -> list[Party]:
    return await fetch_all(
        conn,
        Party,
        "SELECT p.short_name_en AS en, p.short_name_fr AS fr,"
        " count(DISTINCT t.member_id) AS members"
        " FROM parties p JOIN member_terms t ON t.party_id = p.id"
        " GROUP BY p.id ORDER BY count(DISTINCT t.member_id) DESC, p.short_name_en",
    )


_parties = per_version(_load_parties)
