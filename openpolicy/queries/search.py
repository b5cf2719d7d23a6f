"""Bilingual full-text search on the stored tsvectors (GIN), newest-first or by relevance.

Why it is shaped like this (figures in bench/api.py's report):

* `ORDER BY date` over a join lets PostgreSQL walk sittings newest-first and test every
  speech's tsvector until it has a page: fast for common words, seconds for rare ones.
  `ORDER BY ts_rank` over every match costs hundreds of times a BM25 engine at a million
  speeches. Neither plan is safe for every word, and the planner cannot know which.
* So each search first estimates how many speeches match, from the column's statistics
  (`pg_stats.most_common_elems`, read once and kept): no query, microseconds. Then:
  - a rare query (a few thousand matches in scope at most) is answered by the GIN index
    alone: every match is seen, the count is exact, the cost is the matches';
  - otherwise sittings are searched **newest first in windows** sized from the estimate to
    hold about twice the page: a common word reads one small window sitting by sitting
    (GIN kept out, as building a bitmap of 300,000 matches costs more than reading 400
    speeches); a middling one uses the GIN bitmap ANDed with the window's sittings (a cost
    model with measured constants picks). A window that falls short is followed by one sized
    from the rate of matches it actually found.
* Relevance ranks a **bounded candidate set**: the newest `RELEVANCE_CANDIDATES` matches,
  ranked with `ts_rank`.
* Hit counts are exact when the search saw every match anyway, and otherwise a lower bound
  (`total_relation: "gte"`) with the statistics' estimate beside it: counting every match of
  a common word would cost many times the search itself.
* A window's statement carries its values as literals and is never prepared: PostgreSQL
  plans it for this word and these sittings (the API's connections otherwise run cached
  generic plans), without the two round trips of switching the connection's plan mode.
  The page's rows and snippets are one prepared statement whose plan never changes, and a
  query's parse is kept in memory (it depends only on the text search configuration).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, LiteralString, NamedTuple

from psycopg import sql

from openpolicy.db import ReadConnection
from openpolicy.errors import BadRequestError
from openpolicy.queries._sql import (
    fetch_all,
    fetch_one,
    fetch_value,
    planned_per_call,
    session_filter_id,
)
from openpolicy.queries.freshness import version_of

CONFIGS: dict[str, LiteralString] = {"en": "english", "fr": "french"}
RELEVANCE_CANDIDATES = 150
GIN_ALONE_BELOW = 2500  # expected matches under which the GIN index alone does it all
OVERSHOOT = 1.3  # windows are sized to hold this many times the matches still wanted
# Measured costs (µs) that choose a window's plan: reading one speech and testing its
# tsvector; adding one match to a GIN bitmap; fetching one matching row through a bitmap.
SCAN_ROW_US = 1.7
GIN_TID_US = 0.34
HEAP_ROW_US = 1.0
HEADLINE = "MaxWords=24, MinWords=8, StartSel=<mark>, StopSel=</mark>"
STATS_SECONDS = 600.0
PARSED_KEPT = 4096  # distinct (configuration, q) parses kept before starting afresh


@dataclass
class SpeechSearch:
    """A speech search: the query and its filters."""

    q: str
    lang: str = "en"
    member: int | None = None
    party: str | None = None
    session: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"  # or "newest"
    limit: int = 20
    cursor: tuple[Any, int] | None = None
    snippets: bool = True


@dataclass
class SearchResult:
    items: list[dict[str, Any]]
    total: int
    total_relation: str  # "eq" or "gte"
    next_cursor: tuple[Any, int] | None
    stats: dict[str, Any] = field(default_factory=dict)
    estimated_total: int | None = None


# --- what the search needs to know, kept per data version ---------------------------------


@dataclass
class Corpus:
    """Sittings newest first and the lexeme statistics of both languages."""

    version: int
    read_at: float
    sittings: list[tuple[int, dt.date, int]]  # (debate id, date, session id), newest first
    speeches: float
    frequencies: dict[str, tuple[dict[str, float], float]]  # column -> (lexeme share, floor)


_corpus: Corpus | None = None


async def corpus(conn: ReadConnection) -> Corpus:
    """Read once per data version (and at most every STATS_SECONDS for the statistics).
    Requests that find it stale while another reads it read their own copy: a read costs
    a few ms, once per ingest."""
    global _corpus
    version = await version_of(conn)
    cached = _corpus
    if (
        cached is not None
        and cached.version == version
        and time.monotonic() - cached.read_at < STATS_SECONDS
    ):
        return cached
    fresh = await _load_corpus(conn, version)
    if _corpus is None or _corpus.version <= version:
        _corpus = fresh
    return fresh


class _Sitting(NamedTuple):
    id: int
    date: dt.date
    session_id: int


class _LexemeStats(NamedTuple):
    lexemes: list[str] | None
    frequencies: list[float] | None


async def _load_corpus(conn: ReadConnection, version: int) -> Corpus:
    sittings = [
        (r.id, r.date, r.session_id)
        for r in await fetch_all(
            conn, _Sitting, "SELECT id, date, session_id FROM debates ORDER BY date DESC, id DESC"
        )
    ]
    total = await fetch_value(
        conn, "SELECT reltuples FROM pg_class WHERE oid = 'speeches'::regclass"
    )
    speeches = float(total) if total and total > 0 else 0.0
    if speeches <= 0:
        count = await fetch_value(conn, "SELECT count(*) FROM speeches")
        speeches = float(count or 0)
    frequencies: dict[str, tuple[dict[str, float], float]] = {}
    for column in ("search_en", "search_fr"):
        stats = await fetch_one(
            conn,
            _LexemeStats,
            "SELECT most_common_elems::text::text[] AS lexemes,"
            " most_common_elem_freqs AS frequencies FROM pg_stats"
            " WHERE tablename = 'speeches' AND attname = %s AND schemaname = current_schema()",
            (column,),
        )
        if stats and stats.lexemes and stats.frequencies:
            shares = dict(zip(stats.lexemes, stats.frequencies[: len(stats.lexemes)], strict=False))
            floor = min(shares.values()) / 2 if shares else 0.0001
            frequencies[column] = (shares, floor)
        else:
            frequencies[column] = ({}, 0.001)
    return Corpus(version, time.monotonic(), sittings, speeches, frequencies)


_TOKEN = re.compile(r"'(?:[^']|'')*'(?::[A-Z*]+)?|<->|<\d+>|[&|!()]")


def estimate_share(tsquery: str, shares: dict[str, float], floor: float) -> float:
    """The share of speeches a tsquery matches, from lexeme frequencies (AND: the rarest,
    OR: the sum, NOT and phrase as their parts): what the planner estimates, for free."""
    try:
        return max(min(_ShareEstimate(tsquery, shares, floor).disjunction(), 1.0), 0.0)
    except IndexError:
        return floor


class _ShareEstimate:
    """A recursive-descent walk of a tsquery's text. A class rather than nested functions:
    closures that call each other form reference cycles, garbage only the cyclic collector
    frees (its pauses showed in the API's tail latency)."""

    def __init__(self, tsquery: str, shares: dict[str, float], floor: float) -> None:
        self.tokens: list[str] = _TOKEN.findall(tsquery)
        self.position = 0
        self.shares = shares
        self.floor = floor

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        self.position += 1
        return str(self.tokens[self.position - 1])

    def primary(self) -> float:
        token = self.take()
        if token == "(":
            value = self.disjunction()
            if self.peek() == ")":
                self.take()
            return value
        if token == "!":
            self.primary()
            return 1.0
        lexeme = token.split("'")[1].replace("''", "'") if token.startswith("'") else ""
        return self.shares.get(lexeme, self.floor)

    def phrase(self) -> float:
        value = self.primary()
        while (self.peek() or "").startswith("<"):
            self.take()
            value = min(value, self.primary()) / 2  # words side by side: rarer than either
        return value

    def conjunction(self) -> float:
        value = self.phrase()
        while self.peek() == "&":
            self.take()
            value = min(value, self.phrase())
        return value

    def disjunction(self) -> float:
        value = self.conjunction()
        while self.peek() == "|":
            self.take()
            value = min(1.0, value + self.conjunction())
        return value


_parsed: dict[tuple[str, str], str] = {}


async def _tsquery(conn: ReadConnection, config: LiteralString, q: str) -> str:
    """The parsed query as text (reused as a literal); an empty parse is a 400.

    Parses are kept, bounded like the list statements (openpolicy.queries._sql): a parse
    depends only on the text search configuration, which changes with a migration and a
    restart, never with the data."""
    key = (config, q)
    parsed = _parsed.get(key)
    if parsed is None:
        found = await fetch_value(
            conn, "SELECT websearch_to_tsquery(%s::regconfig, %s)::text", (config, q)
        )
        parsed = str(found) if found else ""
        if len(_parsed) >= PARSED_KEPT:
            _parsed.clear()
        _parsed[key] = parsed
    if not parsed:
        raise BadRequestError(
            f"q: {q!r} has no searchable words in {config} (only stop words or punctuation)",
            parameter="q",
        )
    return parsed


class _Hit(NamedTuple):
    id: int
    debate_id: int
    rank: float


async def search_speeches(conn: ReadConnection, search: SpeechSearch) -> SearchResult:
    """Speeches matching `q`, newest first or ranked, with highlighted snippets."""
    config = CONFIGS[search.lang]
    column: LiteralString = "search_fr" if search.lang == "fr" else "search_en"
    text_column: LiteralString = "s.text_fr" if search.lang == "fr" else "s.text_en"
    tsquery = await _tsquery(conn, config, search.q)
    known = await corpus(conn)
    newest = search.sort == "newest"

    # Sittings in scope, newest first (session and dates filter them here).
    session_id = await session_filter_id(conn, search.session)
    sittings = [
        s
        for s in known.sittings
        if (session_id is None or s[2] == session_id)
        and (search.date_from is None or s[1] >= search.date_from)
        and (search.date_to is None or s[1] <= search.date_to)
    ]
    date_of = {s[0]: s[1] for s in known.sittings}
    cursor_key = (
        (dt.date.fromisoformat(str(search.cursor[0])), search.cursor[1])
        if newest and search.cursor is not None
        else None
    )
    if cursor_key is not None:
        sittings = [s for s in sittings if s[1] <= cursor_key[0]]

    # Values are literals in the window statements (planned for them, never prepared).
    extra: sql.Composable = sql.SQL("")
    share_factor = 1.0
    if search.member is not None:
        extra = sql.SQL(" AND s.member_id = {m}").format(m=sql.Literal(int(search.member)))
        share_factor = 0.002  # one member's share of the speeches
    if search.party:
        extra = sql.SQL(
            "{e} AND s.party_abbreviation IN (SELECT abbreviation FROM parties"
            " WHERE lower(short_name_en) = lower({p}) OR lower(abbreviation) = lower({p})"
            " OR lower(short_name_fr) = lower({p}))"
        ).format(e=extra, p=sql.Literal(search.party))
        share_factor *= 0.3
    query_literal = sql.Literal(tsquery)

    per_sitting = known.speeches / max(len(known.sittings), 1)
    shares, floor = known.frequencies.get(column, ({}, 0.001))
    share = estimate_share(tsquery, shares, floor) * share_factor
    in_scope = share * per_sitting * len(sittings)
    wanted = search.limit + 1 if newest else RELEVANCE_CANDIDATES
    rank_sql: sql.Composable = (
        sql.SQL("0::real AS rank")
        if newest
        else sql.SQL("ts_rank(tsv, {q}::tsquery) AS rank").format(q=query_literal)
    )
    scope = {s[0] for s in sittings}

    found: list[_Hit] = []  # newest first
    plans: list[str] = []
    start = 0
    rate = max(share * per_sitting, 1e-6)  # expected matches per sitting, then observed
    alone = share * known.speeches <= GIN_ALONE_BELOW
    while start < len(sittings) and len(found) < wanted:
        size = max(1, math.ceil(OVERSHOOT * (wanted - len(found)) / rate))
        if alone or start + size > start + (len(sittings) - start) / 3 + 1:
            # Rare, or most of what is left: the GIN index alone, filtered to the scope.
            alone = True
            chunk, start = sittings[start:], len(sittings)
        else:
            chunk, start = sittings[start : start + size], start + size
        window_rows = len(chunk) * per_sitting
        scan_cost = window_rows * SCAN_ROW_US
        gin_cost = share * known.speeches * GIN_TID_US + rate * len(chunk) * HEAP_ROW_US
        scan = not alone and scan_cost <= gin_cost
        restrict: sql.Composable = sql.SQL("TRUE")
        if not alone:
            restrict = sql.SQL("s.debate_id = ANY({ids}::int[])").format(
                ids=sql.Literal([c[0] for c in chunk])
            )
        if scan:
            # Read the window's speeches by sitting and test each tsvector (OFFSET 0 keeps
            # the GIN index out): bounded by the window, however common the word.
            template: LiteralString = (
                "SELECT id, debate_id, {rank} FROM (SELECT s.id, s.debate_id, s.{col} AS tsv"
                " FROM speeches s WHERE {restrict}{extra} OFFSET 0) w"
                " WHERE tsv @@ {q}::tsquery"
            )
        else:
            template = (
                "SELECT id, debate_id, {rank} FROM (SELECT s.id, s.debate_id, s.{col} AS tsv"
                " FROM speeches s WHERE {restrict}{extra} AND s.{col} @@ {q}::tsquery) w"
            )
        plans.append("alone" if alone else "scan" if scan else "gin")
        rows = await fetch_all(
            conn,
            _Hit,
            sql.SQL(template).format(
                rank=rank_sql, col=sql.SQL(column), restrict=restrict, extra=extra, q=query_literal
            ),
            prepare=False,
        )
        if alone:
            later = {c[0] for c in chunk}
            rows = [r for r in rows if r.debate_id in later and r.debate_id in scope]
        rows.sort(key=lambda r: (date_of[r.debate_id], r.id), reverse=True)
        if cursor_key is not None:
            rows = [r for r in rows if (date_of[r.debate_id], r.id) < cursor_key]
        found.extend(rows)
        if not alone and chunk:  # learn the real rate for the next window
            rate = max(len(rows) / len(chunk), rate / 8, 1e-6)
    exhausted = start >= len(sittings)

    next_cursor: tuple[Any, int] | None
    if newest:
        page_rows = found[: search.limit]
        last = page_rows[-1] if page_rows else None
        next_cursor = (
            (date_of[last.debate_id].isoformat(), int(last.id))
            if last is not None and len(found) > search.limit
            else None
        )
    else:
        candidates = sorted(
            found[:RELEVANCE_CANDIDATES],
            key=lambda r: (round(float(r.rank), 6), r.id),
            reverse=True,
        )
        if search.cursor is not None:
            after = (round(float(search.cursor[0]), 6), search.cursor[1])
            candidates = [r for r in candidates if (round(float(r.rank), 6), r.id) < after]
        page_rows = candidates[: search.limit]
        last = page_rows[-1] if page_rows else None
        next_cursor = (
            (round(float(last.rank), 6), int(last.id))
            if last is not None and len(candidates) > search.limit
            else None
        )
    exact = exhausted and search.cursor is None
    items = await _speech_items(
        conn, [r.id for r in page_rows], config, text_column, tsquery, search.snippets
    )
    ranks = {r.id: r.rank for r in page_rows}
    for item in items:
        item["rank"] = None if newest else round(float(ranks[item["id"]]), 6)
    return SearchResult(
        items,
        len(found),
        "eq" if exact else "gte",
        next_cursor,
        {"plans": plans, "candidates": len(found), "share": share},
        estimated_total=len(found) if exact else max(len(found), round(in_scope)),
    )


class _SpeechHit(NamedTuple):
    id: int
    session: str
    debate_number: int
    date: dt.date
    sequence: int
    member_id: int | None
    speaker_name: str | None
    speaker_role: str | None  # a presiding officer is named by role: "The Deputy Speaker"
    party: str | None
    kind: str  # speech, note, question, answer
    heading: str | None
    subheading: str | None
    snippet: str | None


async def _speech_items(
    conn: ReadConnection,
    ids: list[int],
    config: LiteralString,
    text_column: LiteralString,
    tsquery: str,
    snippets: bool = True,
) -> list[dict[str, Any]]:
    if not ids:
        return []
    french = text_column.endswith("_fr")
    heading: LiteralString = "s.heading_fr" if french else "s.heading_en"
    subheading: LiteralString = "s.subheading_fr" if french else "s.subheading_en"
    role: LiteralString = (
        "coalesce(s.speaker_role_fr, s.speaker_role)" if french else "s.speaker_role"
    )
    rows = await fetch_all(
        conn,
        _SpeechHit,
        sql.SQL(
            """
            SELECT s.id, ps.code AS session, d.number AS debate_number, d.date, s.sequence,
                   s.member_id, s.speaker_name, {role} AS speaker_role,
                   s.party_abbreviation AS party, s.kind, {h} AS heading, {sub} AS subheading,
                   CASE WHEN %s THEN ts_headline(%s::regconfig, coalesce({t}, ''),
                                                 %s::tsquery, %s) END AS snippet
            FROM unnest(%s::bigint[]) WITH ORDINALITY AS page(id, position)
            JOIN speeches s ON s.id = page.id
            JOIN debates d ON d.id = s.debate_id
            JOIN parliamentary_sessions ps ON ps.id = d.session_id
            ORDER BY page.position
            """
        ).format(
            h=sql.SQL(heading),
            sub=sql.SQL(subheading),
            role=sql.SQL(role),
            t=sql.SQL(text_column),
        ),
        (snippets, config, tsquery, HEADLINE, ids),
    )
    return [r._asdict() for r in rows]


class _BillHit(NamedTuple):
    id: int
    rank: float
    session: str
    number: str
    title_en: str | None
    title_fr: str | None
    status_en: str | None
    snippet: str | None
    total: int


@planned_per_call
async def search_bills(
    conn: ReadConnection,
    q: str,
    lang: str,
    session: str | None,
    limit: int,
    offset_cursor: tuple[Any, int] | None,
) -> SearchResult:
    """Bills whose titles match, ranked (a few thousand bills: ranking every match is cheap)."""
    config = CONFIGS[lang]
    tsquery = await _tsquery(conn, config, q)
    column: LiteralString = "b.search_fr" if lang == "fr" else "b.search_en"
    title: LiteralString = "b.title_fr" if lang == "fr" else "b.title_en"
    sid = await session_filter_id(conn, session)
    in_session = sql.SQL("AND b.session_id = %s") if sid is not None else sql.SQL("")
    after = sql.SQL("")
    params: list[Any] = [tsquery, config, tsquery, HEADLINE, tsquery]
    if sid is not None:
        params.append(sid)
    if offset_cursor is not None:
        after = sql.SQL("WHERE (rank, id) < (%s::real, %s)")
    query = sql.SQL(
        """
        WITH hits AS (
            SELECT b.id, ts_rank_cd({c}, %s::tsquery) AS rank, ps.code AS session, b.number,
                   b.title_en, b.title_fr, b.status_en,
                   ts_headline(%s::regconfig, coalesce({t}, ''), %s::tsquery, %s) AS snippet
            FROM bills b JOIN parliamentary_sessions ps ON ps.id = b.session_id
            WHERE {c} @@ %s::tsquery {s}
        )
        SELECT id, rank, session, number, title_en, title_fr, status_en, snippet,
               count(*) OVER () AS total FROM hits {a}
        ORDER BY rank DESC, id DESC LIMIT %s
        """
    ).format(c=sql.SQL(column), t=sql.SQL(title), s=in_session, a=after)
    if offset_cursor is not None:
        params += [offset_cursor[0], offset_cursor[1]]
    rows = await fetch_all(conn, _BillHit, query, [*params, limit + 1])
    total = rows[0].total if rows else 0
    page = rows[:limit]
    items = [
        {
            "session": r.session,
            "number": r.number,
            "title_en": r.title_en,
            "title_fr": r.title_fr,
            "status_en": r.status_en,
            "snippet": r.snippet,
            "rank": round(float(r.rank), 6),
        }
        for r in page
    ]
    next_cursor = (float(page[-1].rank), int(page[-1].id)) if len(rows) > limit else None
    return SearchResult(items, total, "eq", next_cursor)


class _MemberHit(NamedTuple):
    id: int
    name: str
    party: str | None
    constituency: str | None
    province: str | None
    current: bool | None


@planned_per_call
async def search_members(conn: ReadConnection, q: str, limit: int) -> SearchResult:
    """Members by name (accent- and case-insensitive words, `simple` configuration)."""
    rows = await fetch_all(
        conn,
        _MemberHit,
        """
        SELECT m.id, m.full_name AS name, p.short_name_en AS party, c.name_en AS constituency,
               c.province,
               (t.end_date IS NULL AND t.parliament IS NOT DISTINCT FROM
                (SELECT max(parliament) FROM member_terms)) AS current
        FROM elected_members m
        JOIN LATERAL (SELECT * FROM member_terms t WHERE t.member_id = m.id
                      ORDER BY t.start_date DESC LIMIT 1) t ON true
        JOIN constituencies c ON c.id = t.constituency_id
        LEFT JOIN parties p ON p.id = t.party_id
        WHERE to_tsvector('simple', m.full_name) @@ websearch_to_tsquery('simple', %s)
           OR m.full_name ILIKE %s
        ORDER BY current DESC, m.last_name, m.first_name, m.id
        LIMIT %s
        """,
        (q, "%" + q.replace("%", "\\%").replace("_", "\\_") + "%", limit + 1),
    )
    items = [r._asdict() for r in rows[:limit]]
    return SearchResult(items, len(items), "eq" if len(rows) <= limit else "gte", None)
