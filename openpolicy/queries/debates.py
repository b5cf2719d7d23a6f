"""Hansard sittings: the list; one sitting with its table of contents; its speeches a page
(or a part) at a time; one speech with its neighbours.

A sitting can hold several hundred speeches (half a megabyte of text): what one request
reads of them is bounded by the page it asks for, never by the sitting's length. The table
of contents is built by PostgreSQL from the headings alone.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString, NamedTuple, TypedDict

from psycopg import sql

from openpolicy.db import ReadConnection
from openpolicy.errors import NotFoundError
from openpolicy.markup import item_html
from openpolicy.queries._sql import (
    Where,
    database_of,
    fetch_all,
    fetch_list_page,
    fetch_one,
    make_page,
    pipelined,
    session_filter_id,
    session_id,
)
from openpolicy.queries.counts import count_list
from openpolicy.queries.export import Exported, list_export
from openpolicy.queries.freshness import version_of
from openpolicy.queries.paging import Page, PageRequest, SortKey
from openpolicy.queries.reference import per_version

SORTS = {"date": SortKey("date", "d.date", "date", "date of the sitting")}
DEFAULT_SORT = SORTS["date"]


class DebateItem(NamedTuple):
    """A sitting in a list (fields in CSV order), then its place in the list."""

    session: str
    number: int
    date: dt.date
    source_url_en: str | None
    source_url_fr: str | None
    sort_key: Any
    row_id: int


FIELDS: tuple[str, ...] = DebateItem._fields[:-2]
_SELECT = "SELECT ps.code AS session, d.number, d.date, d.source_url_en, d.source_url_fr"
_FROM = "FROM debates d JOIN parliamentary_sessions ps ON ps.id = d.session_id"


@dataclass
class DebateFilters:
    session: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


async def _where(conn: ReadConnection, filters: DebateFilters) -> Where:
    where = Where()
    sid = await session_filter_id(conn, filters.session)
    if sid is not None:
        where.add("d.session_id = %s", sid)
    if filters.date_from is not None:
        where.add("d.date >= %s", filters.date_from)
    if filters.date_to is not None:
        where.add("d.date <= %s", filters.date_to)
    return where


async def list_debates(
    conn: ReadConnection, filters: DebateFilters, page: PageRequest
) -> Page[DebateItem]:
    return await fetch_list_page(
        conn,
        DebateItem,
        page,
        select=_SELECT,
        from_=_FROM,
        where=await _where(conn, filters),
        id_column="d.id",
        default_sort=DEFAULT_SORT,
    )


async def count_debates(conn: ReadConnection, filters: DebateFilters) -> int:
    """How many sittings match the filters (read once per data version and filter set)."""
    return await count_list(conn, _FROM, await _where(conn, filters))


async def export_debates(
    conn: ReadConnection, filters: DebateFilters, page: PageRequest
) -> Exported:
    return list_export(
        DebateItem,
        page,
        select=_SELECT,
        from_=_FROM,
        where=await _where(conn, filters),
        id_column="d.id",
        default_sort=DEFAULT_SORT,
    )


class SubheadingEntry(TypedDict):
    """A run of items under one sub-heading (a petition's topic, "Speaker's Ruling")."""

    subheading: str
    sequence: int  # of its first item
    speeches: int  # items in the run


class ContentsEntry(TypedDict):
    """A run of items under one heading (the sitting's table of contents): the section it
    is in (the order of business as printed), and the sub-headings within it."""

    section: str | None
    heading: str
    order_of_business: str | None
    sequence: int  # of its first item
    speeches: int  # items in the run, of every kind
    subheadings: list[SubheadingEntry]


class _ContentsRow(NamedTuple):
    run: int
    section: str | None
    heading: str
    order_of_business: str | None
    subheading: str | None
    sequence: int
    speeches: int


def _contents(rows: Sequence[_ContentsRow]) -> list[ContentsEntry]:
    """Runs under a heading, each with its runs under a sub-heading (rows come one per
    sub-heading run, in order)."""
    entries: list[ContentsEntry] = []
    current_run: int | None = None
    for row in rows:
        if row.run != current_run:
            current_run = row.run
            entries.append(
                {
                    "section": row.section,
                    "heading": row.heading,
                    "order_of_business": row.order_of_business,
                    "sequence": row.sequence,
                    "speeches": 0,
                    "subheadings": [],
                }
            )
        entry = entries[-1]
        entry["speeches"] += row.speeches
        if row.subheading is not None:
            entry["subheadings"].append(
                {"subheading": row.subheading, "sequence": row.sequence, "speeches": row.speeches}
            )
    return entries


class Sitting(TypedDict):
    id: int
    session: str
    number: int
    date: dt.date
    source_url_en: str | None
    source_url_fr: str | None
    hansard_document_id: int | None
    updated_at: dt.datetime
    lang: str
    speech_count: int
    last_sequence: int
    house_speaker: str | None  # the Speaker of the House that day, as the sitting names
    contents: list[ContentsEntry]  # empty for a part: see `sitting_contents`


class _SittingRow(NamedTuple):
    id: int
    number: int
    date: dt.date
    source_url_en: str | None
    source_url_fr: str | None
    hansard_document_id: int | None
    updated_at: dt.datetime
    speech_count: int
    last_sequence: int | None
    speaker_name: str | None


_SITTING: LiteralString = """
    SELECT d.id, d.number, d.date, d.source_url_en, d.source_url_fr, d.hansard_document_id,
           d.updated_at,
           (SELECT count(*) FROM speeches s WHERE s.debate_id = d.id) AS speech_count,
           (SELECT max(s.sequence) FROM speeches s WHERE s.debate_id = d.id) AS last_sequence,
           d.speaker_name
    FROM debates d WHERE d.session_id = %s AND d.number = %s
"""

# Runs of consecutive items under one heading (items without one are skipped and do not
# break a run; a new section starts a new run), and within them runs under one sub-heading:
# the three levels a reader jumps between.
_CONTENTS = """
    WITH headed AS (
        SELECT s.sequence, {sec} AS section, {h} AS heading, {sub} AS subheading,
               s.order_of_business,
               CASE WHEN ROW({sec}, {h}) IS DISTINCT FROM lag(ROW({sec}, {h}))
                         OVER (ORDER BY s.sequence)
                    THEN 1 ELSE 0 END AS starts
        FROM speeches s
        WHERE s.debate_id = ({sitting}) AND {h} IS NOT NULL
          AND s.sequence BETWEEN %s AND %s),
    runs AS (
        SELECT *, sum(starts) OVER (ORDER BY sequence) AS run,
               CASE WHEN starts = 1
                      OR subheading IS DISTINCT FROM lag(subheading) OVER (ORDER BY sequence)
                    THEN 1 ELSE 0 END AS substarts
        FROM headed),
    subruns AS (SELECT *, sum(substarts) OVER (ORDER BY sequence) AS subrun FROM runs)
    SELECT run, min(section) AS section, min(heading) AS heading,
           (array_agg(order_of_business ORDER BY sequence))[1] AS order_of_business,
           min(subheading) AS subheading, min(sequence) AS sequence, count(*) AS speeches
    FROM subruns GROUP BY run, subrun ORDER BY run, subrun
"""
_SITTING_ID = sql.SQL("SELECT id FROM debates WHERE session_id = %s AND number = %s")


def _levels(language: str, fallback: bool) -> dict[str, sql.SQL]:
    """The section, heading and sub-heading columns in one language (`fallback`: the
    French ones, else the English)."""
    levels = {}
    for key, column in (("sec", "section"), ("h", "heading"), ("sub", "subheading")):
        if language == "en":
            expression = f"s.{column}_en"
        elif fallback:
            expression = f"coalesce(s.{column}_fr, s.{column}_en)"
        else:
            expression = f"s.{column}_fr"
        levels[key] = sql.SQL(expression)
    return levels


_CONTENTS_SQL = {
    (language, fallback): sql.SQL(_CONTENTS)
    .format(**_levels(language, fallback), sitting=_SITTING_ID)
    .as_bytes(None)
    for language, fallback in (("en", False), ("fr", False), ("fr", True))
}


class SittingSpeech(NamedTuple):
    """An item of a sitting in one language (a speech, a note, a written question or its
    answer, a division table), then its place (sequence, id)."""

    id: int
    sequence: int
    time: dt.time | None
    kind: str  # speech, note, question, answer, division
    note_type: str | None
    member_id: int | None
    speaker_name: str | None
    speaker_role: str | None  # in the language asked where the edition gives it
    speaker_riding: str | None
    party: str | None
    type: str | None
    order_of_business: str | None
    section: str | None
    heading: str | None
    subheading: str | None
    text: str | None
    html: str | None  # the stored fragment; `speech_html` gives what to serve
    question_number: int | None
    division_number: int | None
    text_lang: str  # the language `heading` and `text` are in
    other_edition: bool  # the speech is also in the other language (a link is worth it)
    sort_key: int
    row_id: int


SITTING_SPEECH_FIELDS: tuple[str, ...] = (
    "id",
    "sequence",
    "time",
    "kind",
    "note_type",
    "member_id",
    "speaker_name",
    "speaker_role",
    "speaker_riding",
    "party",
    "type",
    "section",
    "heading",
    "subheading",
    "text",
    "html",
    "question_number",
    "division_number",
)
SPEECH_ORDER = SortKey("sequence", "s.sequence", "bigint", "order of the speeches in the sitting")

_SPEECHES = """
    SELECT s.id, s.sequence, s.spoken_at AS time, s.kind, s.note_type, s.member_id,
           s.speaker_name, {role} AS speaker_role, s.speaker_riding,
           s.party_abbreviation AS party, s.intervention_type AS type, s.order_of_business,
           {sec} AS section, {h} AS heading, {sub} AS subheading, {t} AS text, {html} AS html,
           s.question_number, v.number AS division_number, {l} AS text_lang,
           {o} AS other_edition, s.sequence AS sort_key, s.id AS row_id
    FROM speeches s LEFT JOIN votes v ON v.id = s.vote_id
    WHERE s.debate_id = ({sitting}) AND s.sequence > %s AND s.sequence <= %s
    ORDER BY s.sequence
    LIMIT %s
"""


def _speeches_sql(lang: str, fallback: bool) -> bytes:
    if lang != "fr":
        parts = ("s.text_en", "s.html_en", "s.speaker_role", "'en'", "s.text_fr IS NOT NULL")
    elif not fallback:
        parts = (
            "s.text_fr",
            "s.html_fr",
            "coalesce(s.speaker_role_fr, s.speaker_role)",
            "'fr'",
            "s.text_en IS NOT NULL",
        )
    else:
        parts = (
            "coalesce(s.text_fr, s.text_en)",
            "CASE WHEN s.text_fr IS NULL THEN s.html_en ELSE s.html_fr END",
            "coalesce(s.speaker_role_fr, s.speaker_role)",
            "CASE WHEN s.text_fr IS NULL AND s.text_en IS NOT NULL THEN 'en' ELSE 'fr' END",
            # Shown in English already where the French is missing: no link to it.
            "s.text_fr IS NOT NULL AND s.text_en IS NOT NULL",
        )
    t, markup, role, language, other = parts
    return (
        sql.SQL(_SPEECHES)
        .format(
            **_levels("fr" if lang == "fr" else "en", fallback),
            t=sql.SQL(t),
            html=sql.SQL(markup),
            role=sql.SQL(role),
            l=sql.SQL(language),
            o=sql.SQL(other),
            sitting=_SITTING_ID,
        )
        .as_bytes(None)
    )


def speech_html(speech: SittingSpeech) -> SittingSpeech:
    """The item with what to serve as its markup: the stored fragment, or its paragraphs."""
    return speech._replace(html=item_html(speech.html, speech.text))


_SPEECH_STATEMENTS = {
    (lang, fallback): _speeches_sql(lang, fallback)
    for lang in ("en", "fr")
    for fallback in (False, True)
}
LAST = 2**31 - 1


def _heading_and_text(lang: str, fallback: bool) -> tuple[str, bool]:
    return ("fr" if lang == "fr" else "en"), (fallback and lang == "fr")


async def sitting(
    conn: ReadConnection,
    session: str,
    number: int,
    lang: str = "en",
    *,
    speeches: PageRequest | None = None,
    part: tuple[int, int] | None = None,
    fallback: bool = False,
) -> tuple[Sitting, Page[SittingSpeech]]:
    """A sitting and one page of its speeches in one language: `speeches` (a page after a
    cursor, with the whole table of contents) or `part` (the speeches whose sequence is
    within [first, last]; the table of contents comes from `sitting_contents`, read once
    per data version). `fallback`: the French text and headings, or the English ones
    (marked by `text_lang`) where the French edition has none.

    Two or three statements in one round trip (a pipeline); for a part, what they read is
    bounded by the part, never by the sitting's length."""
    sid = await session_id(conn, session)
    language, fall_back = _heading_and_text(lang, fallback)
    levels = (language, fall_back and language == "fr")
    if part is not None:
        after, upto, limit = part[0] - 1, part[1], part[1] - part[0] + 1
        page = PageRequest(limit=limit)
    else:
        page = speeches or PageRequest()
        after = int(page.cursor[0]) if page.cursor is not None else 0
        upto, limit = LAST, page.limit
    statements: list[tuple[type[Any], bytes | str, Any]] = [
        (_SittingRow, _SITTING, (sid, number)),
        (
            SittingSpeech,
            _SPEECH_STATEMENTS[(language, fall_back)],
            (sid, number, after, upto, limit + 1),
        ),
    ]
    if part is None:  # a part's page reads the contents once per data version instead
        statements.append((_ContentsRow, _CONTENTS_SQL[levels], (sid, number, 0, LAST)))
    found, rows, *contents = await pipelined(conn, *statements)
    if not found:
        raise NotFoundError(f"no sitting {number} in session {session}")
    row: _SittingRow = found[0]
    detail: Sitting = {
        "id": row.id,
        "session": session,
        "number": row.number,
        "date": row.date,
        "source_url_en": row.source_url_en,
        "source_url_fr": row.source_url_fr,
        "hansard_document_id": row.hansard_document_id,
        "updated_at": row.updated_at,
        "lang": language,
        "speech_count": row.speech_count,
        "last_sequence": row.last_sequence or 0,
        "house_speaker": row.speaker_name,
        "contents": _contents(contents[0]) if contents else [],
    }
    rows = [speech_html(speech) for speech in rows]
    if part is not None:
        return detail, Page(rows[:limit], None, limit)
    return detail, make_page(rows, page)


@dataclass(frozen=True, eq=False)
class SittingContents:
    """The table of contents of a whole sitting in one language, as read at one data
    version. `key` says which (database, version, sitting, language): equal keys, equal
    contents, so what is built from them (the contents' HTML) can be kept by key."""

    key: tuple[Any, ...]
    entries: tuple[ContentsEntry, ...]

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SittingContents) and other.key == self.key


CONTENTS_KEPT = 512  # sittings × languages whose contents a process keeps
_contents_kept: OrderedDict[tuple[Any, ...], SittingContents] = OrderedDict()


async def sitting_contents(
    conn: ReadConnection, session: str, number: int, lang: str = "en", *, fallback: bool = False
) -> SittingContents:
    """The whole sitting's table of contents: its runs of headings, read from the heading
    columns alone (grouped by PostgreSQL, no text leaves the server) and kept per data
    version, so every part of a long sitting shows the whole contents while reading only
    its own speeches; an ingest moves the version and the next request reads them anew."""
    sid = await session_id(conn, session)
    language, fall_back = _heading_and_text(lang, fallback)
    levels = (language, fall_back and language == "fr")
    key = (database_of(conn), await version_of(conn), sid, number, levels)
    kept = _contents_kept.get(key)
    if kept is not None:
        _contents_kept.move_to_end(key)
        return kept
    rows = await fetch_all(conn, _ContentsRow, _CONTENTS_SQL[levels], (sid, number, 0, LAST))
    contents = SittingContents(key, tuple(_contents(rows)))
    _contents_kept[key] = contents
    while len(_contents_kept) > CONTENTS_KEPT:
        _contents_kept.popitem(last=False)
    return contents


class _Code(NamedTuple):
    code: str


async def _load_debate_sessions(conn: ReadConnection, version: int) -> list[str]:
    """Sessions that have Hansard sittings, most recent first (web filter menu)."""
    rows = await fetch_all(
        conn,
        _Code,
        "SELECT ps.code FROM parliamentary_sessions ps"
        " WHERE EXISTS (SELECT 1 FROM debates d WHERE d.session_id = ps.id)"
        " ORDER BY ps.parliament DESC, ps.session DESC",
    )
    return [r.code for r in rows]


class SpeechSitting(TypedDict):
    session: str
    number: int
    date: dt.date
    source_url_en: str | None
    source_url_fr: str | None


class SpeechDetail(TypedDict):
    id: int
    sequence: int
    time: dt.time | None
    kind: str
    note_type: str | None
    member_id: int | None
    speaker_name: str | None
    speaker_role: str | None
    speaker_role_fr: str | None
    speaker_riding: str | None
    party: str | None
    type: str | None
    order_of_business: str | None
    section_en: str | None
    section_fr: str | None
    heading_en: str | None
    heading_fr: str | None
    subheading_en: str | None
    subheading_fr: str | None
    text_en: str | None
    text_fr: str | None
    html_en: str | None
    html_fr: str | None
    question_number: int | None
    division_number: int | None
    debate: SpeechSitting
    previous: int | None
    next: int | None


class _SpeechRow(NamedTuple):
    id: int
    sequence: int
    time: dt.time | None
    kind: str
    note_type: str | None
    member_id: int | None
    speaker_name: str | None
    speaker_role: str | None
    speaker_role_fr: str | None
    speaker_riding: str | None
    party: str | None
    type: str | None
    order_of_business: str | None
    section_en: str | None
    section_fr: str | None
    heading_en: str | None
    heading_fr: str | None
    subheading_en: str | None
    subheading_fr: str | None
    text_en: str | None
    text_fr: str | None
    html_en: str | None
    html_fr: str | None
    question_number: int | None
    division_number: int | None
    number: int
    date: dt.date
    source_url_en: str | None
    source_url_fr: str | None
    previous: int | None
    next: int | None


_SPEECH: LiteralString = """
    SELECT s.id, s.sequence, s.spoken_at AS time, s.kind, s.note_type, s.member_id,
           s.speaker_name, s.speaker_role, s.speaker_role_fr, s.speaker_riding,
           s.party_abbreviation AS party, s.intervention_type AS type, s.order_of_business,
           s.section_en, s.section_fr, s.heading_en, s.heading_fr, s.subheading_en,
           s.subheading_fr, s.text_en, s.text_fr, s.html_en, s.html_fr, s.question_number,
           v.number AS division_number, d.number, d.date, d.source_url_en, d.source_url_fr,
           (SELECT max(p.sequence) FROM speeches p
             WHERE p.debate_id = d.id AND p.sequence < s.sequence) AS previous,
           (SELECT min(n.sequence) FROM speeches n
             WHERE n.debate_id = d.id AND n.sequence > s.sequence) AS next
    FROM debates d JOIN speeches s ON s.debate_id = d.id
    LEFT JOIN votes v ON v.id = s.vote_id
    WHERE d.session_id = %s AND d.number = %s AND s.sequence = %s
"""


async def speech_detail(
    conn: ReadConnection, session: str, number: int, sequence: int
) -> SpeechDetail:
    """One item of a sitting in both languages, with its sitting and neighbours."""
    sid = await session_id(conn, session)
    row = await fetch_one(conn, _SpeechRow, _SPEECH, (sid, number, sequence))
    if row is None:
        raise NotFoundError(f"no speech {sequence} in sitting {number} of session {session}")
    return {
        "id": row.id,
        "sequence": row.sequence,
        "time": row.time,
        "kind": row.kind,
        "note_type": row.note_type,
        "member_id": row.member_id,
        "speaker_name": row.speaker_name,
        "speaker_role": row.speaker_role,
        "speaker_role_fr": row.speaker_role_fr,
        "speaker_riding": row.speaker_riding,
        "party": row.party,
        "type": row.type,
        "order_of_business": row.order_of_business,
        "section_en": row.section_en,
        "section_fr": row.section_fr,
        "heading_en": row.heading_en,
        "heading_fr": row.heading_fr,
        "subheading_en": row.subheading_en,
        "subheading_fr": row.subheading_fr,
        "text_en": row.text_en,
        "text_fr": row.text_fr,
        "html_en": item_html(row.html_en, row.text_en),
        "html_fr": item_html(row.html_fr, row.text_fr),
        "question_number": row.question_number,
        "division_number": row.division_number,
        "debate": {
            "session": session,
            "number": row.number,
            "date": row.date,
            "source_url_en": row.source_url_en,
            "source_url_fr": row.source_url_fr,
        },
        "previous": row.previous,
        "next": row.next,
    }


_debate_sessions = per_version(_load_debate_sessions)


async def debate_sessions(conn: ReadConnection) -> list[str]:
    """Sessions that have Hansard sittings, most recent first (web filter menu), read
    once per data version."""
    return await _debate_sessions.get(conn)


class Topic(NamedTuple):
    """A heading of a sitting: where its first speech is, and how many speeches it holds."""

    heading: str
    heading_lang: str  # the heading's language (English where no French edition is on file)
    sequence: int
    speeches: int


class LatestSitting(NamedTuple):
    session: str
    number: int
    date: dt.date
    topics: list[Topic]  # the most discussed, in the order of the sitting


class _LatestRow(NamedTuple):
    id: int
    session: str
    number: int
    date: dt.date


async def latest_sitting_topics(
    conn: ReadConnection, lang: str, limit: int = 8
) -> LatestSitting | None:
    """The newest sitting and what it was about: its `limit` headings with the most
    speeches, in the order they came up (what the home page says the House discussed)."""
    latest = await fetch_one(
        conn,
        _LatestRow,
        "SELECT d.id, ps.code AS session, d.number, d.date FROM debates d"
        " JOIN parliamentary_sessions ps ON ps.id = d.session_id"
        " WHERE EXISTS (SELECT 1 FROM speeches s WHERE s.debate_id = d.id)"
        " ORDER BY d.date DESC, d.id DESC LIMIT 1",
    )
    if latest is None:
        return None
    heading: LiteralString = (
        "coalesce(s.heading_fr, s.heading_en)" if lang == "fr" else "s.heading_en"
    )
    heading_lang: LiteralString = (
        "CASE WHEN s.heading_fr IS NOT NULL THEN 'fr' ELSE 'en' END" if lang == "fr" else "'en'"
    )
    topics = await fetch_all(
        conn,
        Topic,
        sql.SQL(
            """
            SELECT heading, heading_lang, sequence, speeches FROM (
                SELECT {h} AS heading, min({hl}) AS heading_lang, min(s.sequence) AS sequence,
                       count(*) AS speeches
                FROM speeches s WHERE s.debate_id = %s AND {h} IS NOT NULL
                GROUP BY {h} ORDER BY count(*) DESC, min(s.sequence) LIMIT %s) t
            ORDER BY sequence
            """
        ).format(h=sql.SQL(heading), hl=sql.SQL(heading_lang)),
        (latest.id, limit),
    )
    return LatestSitting(latest.session, latest.number, latest.date, topics)
