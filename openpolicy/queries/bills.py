"""Bills: the list with its filters, one bill with stages, divisions and debates, the stages
of a page of bills, and the choices of the filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, LiteralString, NamedTuple, TypedDict
from zoneinfo import ZoneInfo

from openpolicy.db import ReadConnection
from openpolicy.errors import NotFoundError
from openpolicy.queries._sql import (
    Where,
    contains,
    fetch_all,
    fetch_list_page,
    fetch_one,
    session_filter_id,
    session_id,
)
from openpolicy.queries.counts import count_list
from openpolicy.queries.export import Exported, list_export
from openpolicy.queries.paging import Page, PageRequest, SortKey
from openpolicy.queries.reference import per_version
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


class BillItem(NamedTuple):
    """A bill in a list (its fields are the list's and the CSV's columns, in order), then
    its place in the list."""

    session: str
    number: str
    title_en: str | None
    title_fr: str | None
    short_title_en: str | None
    short_title_fr: str | None
    type: str | None
    chamber: str | None
    status_en: str | None
    status_fr: str | None
    sponsor_id: int | None
    sponsor_name: str | None
    introduced: dt.date | None
    royal_assent: dt.date | None
    latest_activity_at: dt.datetime | None
    updated_at: dt.datetime
    sort_key: Any
    row_id: int


FIELDS: tuple[str, ...] = BillItem._fields[:-2]
_SELECT = """
    SELECT ps.code AS session, b.number, b.title_en, b.title_fr, b.short_title_en,
           b.short_title_fr, b.bill_type AS type, b.originating_chamber AS chamber,
           b.status_en, b.status_fr, b.sponsor_member_id AS sponsor_id,
           coalesce(m.full_name, b.sponsor_name) AS sponsor_name,
           b.introduced_date AS introduced, b.royal_assent_date AS royal_assent,
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
    statuses: tuple[str, ...] | None = None  # any of these exact English statuses
    type: str | None = None
    sponsor: int | None = None
    sponsors: tuple[int, ...] | None = None  # any of these members
    chamber: str | None = None
    updated_since: dt.datetime | None = None
    q: str | None = None
    # With `statuses` (the site's clean statuses): True, also every bill whose path ended
    # short of royal assent by an event saying so; False, none of those.
    ended: bool | None = None


# The words of a LEGISinfo stage event that ends a bill's path short of royal assent, as
# printed ("Bill Defeated at Second Reading", "Bill Defeated at Third Reading", "Bill Not
# Proceeded With", "Dropped from Senate Order Paper"), by how it ended. The bill page's
# tracker and the status filter read them alike.
ENDING_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("defeated", ("defeated", "negatived")),
    ("not_proceeded", ("not proceeded",)),
    ("dropped", ("dropped from",)),
    ("withdrawn", ("withdrawn",)),
)
_ENDING_PATTERN = "|".join(word for _, words in ENDING_WORDS for word in words)
_ENDED = (
    "(b.royal_assent_date IS NULL AND EXISTS (SELECT 1 FROM bill_events e"
    " WHERE e.bill_id = b.id AND e.stage_name_en ~* %s))"
)


async def _where(conn: ReadConnection, filters: BillFilters) -> Where:
    where = Where()
    sid = await session_filter_id(conn, filters.session)
    if sid is not None:
        where.add("b.session_id = %s", sid)
    if filters.status:
        pattern = contains(filters.status)
        where.add("(b.status_en ILIKE %s OR b.status_fr ILIKE %s)", pattern, pattern)
    if filters.statuses is not None:
        if filters.ended:
            where.add(
                "(b.status_en = ANY(%s) OR " + _ENDED + ")",
                list(filters.statuses),
                _ENDING_PATTERN,
            )
        else:
            where.add("b.status_en = ANY(%s)", list(filters.statuses))
            if filters.ended is False:
                where.add("NOT " + _ENDED, _ENDING_PATTERN)
    if filters.type:
        where.add("b.bill_type = %s", filters.type)
    if filters.sponsor is not None:
        where.add("b.sponsor_member_id = %s", filters.sponsor)
    if filters.sponsors is not None:
        where.add("b.sponsor_member_id = ANY(%s)", list(filters.sponsors))
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


async def list_bills(
    conn: ReadConnection, filters: BillFilters, page: PageRequest
) -> Page[BillItem]:
    """One page of bills, newest activity first unless `page.sort` says otherwise."""
    return await fetch_list_page(
        conn,
        BillItem,
        page,
        select=_SELECT,
        from_=_FROM,
        where=await _where(conn, filters),
        id_column="b.id",
        default_sort=DEFAULT_SORT,
    )


async def count_bills(conn: ReadConnection, filters: BillFilters) -> int:
    """How many bills match the filters (read once per data version and filter set)."""
    return await count_list(conn, _FROM, await _where(conn, filters))


async def export_bills(conn: ReadConnection, filters: BillFilters, page: PageRequest) -> Exported:
    """The statement streaming every matching bill (CSV / JSON Lines) in the page's order."""
    return list_export(
        BillItem,
        page,
        select=_SELECT,
        from_=_FROM,
        where=await _where(conn, filters),
        id_column="b.id",
        default_sort=DEFAULT_SORT,
    )


async def sponsored_bills(
    conn: ReadConnection, member_id: int, page: PageRequest
) -> Page[BillItem]:
    """Bills a member sponsored, newest activity first."""
    return await list_bills(conn, BillFilters(sponsor=member_id), page)


# LEGISinfo gives times in Ottawa local time: they are served with Ottawa's offset of the
# day (2023-06-22T12:00:00-04:00), the same instant as stored.
OTTAWA = ZoneInfo("America/Toronto")


def in_ottawa(value: dt.datetime | str | None) -> dt.datetime | None:
    """A stored time (or its ISO text from a JSON array) with Ottawa's offset of the day."""
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(OTTAWA)


class Stage(TypedDict):
    sequence: int
    chamber: str | None
    stage: str | None
    name_en: str | None
    name_fr: str | None
    date: str | None  # ISO date
    at: dt.datetime | None  # the stage's time, when the source gives one
    outcome: str | None


class LatestStage(TypedDict):
    """The latest stage a bill reached: what its displayed status follows."""

    stage: str | None
    chamber: str | None
    name_en: str | None
    name_fr: str | None


class Message(TypedDict):
    """A message between the chambers about a bill (or a step of considering one)."""

    sequence: int
    chamber: str | None  # the chamber that acted: house or senate
    name_en: str
    name_fr: str | None
    at: dt.datetime | None
    sitting: int | None  # that chamber's sitting number


class BillDivision(TypedDict):
    session: str
    number: int
    date: str
    subject_en: str | None
    subject_fr: str | None
    result: str
    yeas: int
    nays: int
    paired: int
    ballots_status: str  # recorded, printed or pending (as on /votes)


class BillDebate(TypedDict):
    session: str
    number: int
    date: str
    mentions: int


class Sponsor(TypedDict):
    id: int | None
    name: str | None


class BillDetail(TypedDict):
    session: str
    number: str
    legisinfo_id: int | None
    title_en: str | None
    title_fr: str | None
    short_title_en: str | None
    short_title_fr: str | None
    type: str | None
    chamber: str | None
    status_en: str | None
    status_fr: str | None
    latest_stage: LatestStage | None
    sponsor: Sponsor | None
    introduced: dt.date | None
    royal_assent: dt.date | None
    latest_activity_at: dt.datetime | None
    text_url: str | None
    updated_at: dt.datetime
    stages: list[Stage]
    messages: list[Message]
    divisions: list[BillDivision]
    debates: list[BillDebate]


class _DetailRow(NamedTuple):
    session: str
    number: str
    legisinfo_id: int | None
    title_en: str | None
    title_fr: str | None
    short_title_en: str | None
    short_title_fr: str | None
    type: str | None
    chamber: str | None
    status_en: str | None
    status_fr: str | None
    latest_stage: str | None
    latest_stage_chamber: str | None
    latest_stage_name_en: str | None
    latest_stage_name_fr: str | None
    sponsor_id: int | None
    sponsor_name: str | None
    introduced: dt.date | None
    royal_assent: dt.date | None
    latest_activity_at: dt.datetime | None
    text_url: str | None
    updated_at: dt.datetime
    stages: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    divisions: list[BillDivision]
    debates: list[BillDebate]


# One statement, one row: the lists come as JSON arrays built by PostgreSQL (dates as ISO
# strings). Measured on bench/api.py, a pipeline of four statements cost the API more
# Python time than the rest of the request.
_DETAIL: LiteralString = """
    SELECT ps.code AS session, b.number, b.legisinfo_id, b.title_en, b.title_fr,
           b.short_title_en, b.short_title_fr, b.bill_type AS type,
           b.originating_chamber AS chamber, b.status_en, b.status_fr, b.latest_stage,
           b.latest_stage_chamber, b.latest_stage_name_en, b.latest_stage_name_fr,
           b.sponsor_member_id AS sponsor_id,
           coalesce(m.full_name, b.sponsor_name) AS sponsor_name,
           b.introduced_date AS introduced, b.royal_assent_date AS royal_assent,
           b.latest_activity_at, b.text_url, b.updated_at,
           (SELECT coalesce(json_agg(json_build_object(
                       'sequence', e.sequence, 'chamber', e.chamber, 'stage', e.stage,
                       'name_en', e.stage_name_en, 'name_fr', e.stage_name_fr,
                       'date', e.event_date, 'at', e.event_at, 'outcome', e.outcome)
                       ORDER BY e.sequence), '[]')
            FROM bill_events e WHERE e.bill_id = b.id) AS stages,
           (SELECT coalesce(json_agg(json_build_object(
                       'sequence', g.sequence, 'chamber', g.chamber, 'name_en', g.name_en,
                       'name_fr', g.name_fr, 'at', g.sent_at, 'sitting', g.sitting_number)
                       ORDER BY g.sequence), '[]')
            FROM bill_messages g WHERE g.bill_id = b.id) AS messages,
           (SELECT coalesce(json_agg(json_build_object(
                       'session', vs.code, 'number', v.number, 'date', v.date,
                       'subject_en', v.subject_en, 'subject_fr', v.subject_fr,
                       'result', v.result, 'yeas', v.yeas, 'nays', v.nays, 'paired', v.paired,
                       'ballots_status', CASE v.ballots_source WHEN 'ballots' THEN 'recorded'
                                         WHEN 'hansard' THEN 'printed' ELSE 'pending' END)
                       ORDER BY v.date, v.number), '[]')
            FROM votes v JOIN parliamentary_sessions vs ON vs.id = v.session_id
            WHERE v.bill_id = b.id
               OR (v.bill_id IS NULL AND v.session_id = b.session_id
                   AND v.bill_number = b.number)) AS divisions,
           (SELECT coalesce(json_agg(json_build_object(
                       'session', ps.code, 'number', d.number, 'date', d.date,
                       'mentions', bm.speeches) ORDER BY d.date, d.number), '[]')
            FROM debate_bill_mentions bm JOIN debates d ON d.id = bm.debate_id
            WHERE bm.bill_number = b.number AND d.session_id = b.session_id) AS debates
    FROM bills b
    JOIN parliamentary_sessions ps ON ps.id = b.session_id
    LEFT JOIN elected_members m ON m.id = b.sponsor_member_id
    WHERE b.session_id = %s AND b.number = %s
"""


async def bill_detail(conn: ReadConnection, session: str, number: str) -> BillDetail:
    """One bill with its stages, the divisions held on it and the debates that mention it."""
    sid = await session_id(conn, session)
    normalized = normalize_bill_number(number)
    if normalized is None:
        raise NotFoundError(f"no bill {number} in session {session}")
    row = await fetch_one(conn, _DetailRow, _DETAIL, (sid, normalized))
    if row is None:
        raise NotFoundError(f"no bill {number} in session {session}")
    return {
        "session": row.session,
        "number": row.number,
        "legisinfo_id": row.legisinfo_id,
        "title_en": row.title_en,
        "title_fr": row.title_fr,
        "short_title_en": row.short_title_en,
        "short_title_fr": row.short_title_fr,
        "type": row.type,
        "chamber": row.chamber,
        "status_en": row.status_en,
        "status_fr": row.status_fr,
        "latest_stage": None
        if row.latest_stage is None
        else {
            "stage": row.latest_stage,
            "chamber": row.latest_stage_chamber,
            "name_en": row.latest_stage_name_en,
            "name_fr": row.latest_stage_name_fr,
        },
        "sponsor": None
        if row.sponsor_id is None and row.sponsor_name is None
        else {"id": row.sponsor_id, "name": row.sponsor_name},
        "introduced": row.introduced,
        "royal_assent": row.royal_assent,
        "latest_activity_at": in_ottawa(row.latest_activity_at),
        "text_url": row.text_url,
        "updated_at": row.updated_at,
        "stages": [
            {
                "sequence": stage["sequence"],
                "chamber": stage["chamber"],
                "stage": stage["stage"],
                "name_en": stage["name_en"],
                "name_fr": stage["name_fr"],
                "date": stage["date"],
                "at": in_ottawa(stage["at"]),
                "outcome": stage["outcome"],
            }
            for stage in row.stages
        ],
        "messages": [
            {
                "sequence": message["sequence"],
                "chamber": message["chamber"],
                "name_en": message["name_en"],
                "name_fr": message["name_fr"],
                "at": in_ottawa(message["at"]),
                "sitting": message["sitting"],
            }
            for message in row.messages
        ],
        "divisions": row.divisions,
        "debates": row.debates,
    }


class _StageRow(NamedTuple):
    bill_id: int
    sequence: int
    chamber: str | None
    stage: str | None
    name_en: str | None
    name_fr: str | None
    date: dt.date | None
    at: dt.datetime | None
    outcome: str | None


async def stages_of(conn: ReadConnection, bill_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Every stage of each bill (the bill list's `include=stages`), by bill id."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in bill_ids}
    for row in await fetch_all(
        conn,
        _StageRow,
        "SELECT bill_id, sequence, chamber, stage, stage_name_en AS name_en,"
        " stage_name_fr AS name_fr, event_date AS date, event_at AS at, outcome FROM bill_events"
        " WHERE bill_id = ANY(%s) ORDER BY bill_id, sequence",
        (bill_ids,),
    ):
        found[row.bill_id].append(
            {
                "sequence": row.sequence,
                "chamber": row.chamber,
                "stage": row.stage,
                "name_en": row.name_en,
                "name_fr": row.name_fr,
                "date": row.date,
                "at": in_ottawa(row.at),
                "outcome": row.outcome,
            }
        )
    return found


class Status(NamedTuple):
    en: str
    fr: str | None


class Person(NamedTuple):
    id: int
    name: str


class _Code(NamedTuple):
    code: str


class _Type(NamedTuple):
    type: str


@dataclass(frozen=True)
class BillFacets:
    """The choices of the bill filters: sessions with bills (newest first), statuses (EN
    with FR), bill types, sponsors by name."""

    sessions: list[str]
    statuses: list[Status]
    types: list[str]
    sponsors: list[Person]


async def _load_facets(conn: ReadConnection, version: int) -> BillFacets:
    sessions = await fetch_all(
        conn,
        _Code,
        "SELECT ps.code FROM parliamentary_sessions ps"
        " WHERE EXISTS (SELECT 1 FROM bills b WHERE b.session_id = ps.id)"
        " ORDER BY ps.parliament DESC, ps.session DESC",
    )
    statuses = await fetch_all(
        conn,
        Status,
        "SELECT status_en AS en, min(status_fr) AS fr FROM bills WHERE status_en IS NOT NULL"
        " GROUP BY status_en ORDER BY status_en",
    )
    types = await fetch_all(
        conn,
        _Type,
        "SELECT DISTINCT bill_type AS type FROM bills WHERE bill_type IS NOT NULL ORDER BY 1",
    )
    sponsors = await fetch_all(
        conn,
        Person,
        "SELECT m.id, m.full_name AS name FROM elected_members m"
        " WHERE EXISTS (SELECT 1 FROM bills b WHERE b.sponsor_member_id = m.id)"
        " ORDER BY m.last_name, m.first_name, m.id",
    )
    return BillFacets([r.code for r in sessions], statuses, [r.type for r in types], sponsors)


async def bill_facets(conn: ReadConnection) -> BillFacets:
    """The filter choices of the current data version (read again when it moves: they
    change only with the data, and reading them cost more than a page of bills)."""
    return await _facets.get(conn)


_facets = per_version(_load_facets)


class _SessionEnd(NamedTuple):
    code: str
    end_date: dt.date


async def _load_session_ends(conn: ReadConnection, version: int) -> dict[str, dt.date]:
    rows = await fetch_all(
        conn,
        _SessionEnd,
        "SELECT code, end_date FROM parliamentary_sessions WHERE end_date IS NOT NULL",
    )
    return {row.code: row.end_date for row in rows}


_session_ends = per_version(_load_session_ends)


async def session_end(conn: ReadConnection, session: str) -> dt.date | None:
    """The day a session ended (prorogation or dissolution), None while it sits: a bill
    without royal assent by then dies on the Order Paper. Read once per data version."""
    return (await _session_ends.get(conn)).get(session)
