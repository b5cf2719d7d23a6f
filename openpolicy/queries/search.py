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
    database_of,
    fetch_all,
    fetch_one,
    fetch_value,
    planned_per_call,
    session_filter_id,
)
from openpolicy.queries.freshness import version_of
from openpolicy.queries.reference import MAX_DATABASES

CONFIGS: dict[str, LiteralString] = {"en": "english", "fr": "french"}
RELEVANCE_CANDIDATES = 150
GIN_ALONE_BELOW = 2500  # expected matches under which the GIN index alone does it all
OVERSHOOT = 1.3  # windows are sized to hold this many times the matches still wanted
# Measured costs (µs) that choose a window's plan: reading one speech and testing its
# tsvector; adding one match to a GIN bitmap; fetching one matching row through a bitmap.
SCAN_ROW_US = 1.7
GIN_TID_US = 0.34
HEAP_ROW_US = 1.0
# A sentence or two: up to two fragments of about 30 words around the matches.
HEADLINE = (
    'MaxWords=32, MinWords=16, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … ",'
    " StartSel=<mark>, StopSel=</mark>"
)
# Titles and subjects are short: highlighted whole.
TITLE_HEADLINE = "HighlightAll=true, StartSel=<mark>, StopSel=</mark>"
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
    matches: list[Match] = field(default_factory=list)  # speeches: every match seen


# --- what the search needs to know, kept per data version ---------------------------------


@dataclass
class Corpus:
    """Sittings newest first and the lexeme statistics of both languages."""

    version: int
    read_at: float
    sittings: list[tuple[int, dt.date, int]]  # (debate id, date, session id), newest first
    speeches: float
    frequencies: dict[str, tuple[dict[str, float], float]]  # column -> (lexeme share, floor)


# Per database (host, port, name): a data version labels one database's data, so a process
# reading two (a primary and its replicas, a test session's clusters) never windows or ranks
# one's search with the other's sittings and statistics. Bounded like reference.PerVersion.
_corpora: dict[tuple[str, str, str], Corpus] = {}


async def corpus(conn: ReadConnection) -> Corpus:
    """Read once per data version of each database (and at most every STATS_SECONDS for the
    statistics). Requests that find it stale while another reads it read their own copy: a
    read costs a few ms, once per ingest."""
    version = await version_of(conn)
    database = database_of(conn)
    cached = _corpora.get(database)
    if (
        cached is not None
        and cached.version == version
        and time.monotonic() - cached.read_at < STATS_SECONDS
    ):
        return cached
    fresh = await _load_corpus(conn, version)
    current = _corpora.get(database)
    if current is None or current.version <= version:
        if current is None and len(_corpora) >= MAX_DATABASES:
            _corpora.pop(next(iter(_corpora)))
        _corpora[database] = fresh
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


class Parsed(NamedTuple):
    """A query in the forms the search uses.

    `stemmed`: the language configuration's tsquery (what the GIN index finds). `exact`:
    the typed words the language keeps (not its stop words), as a `simple` tsquery (to
    highlight them) and as a case-insensitive regular expression (`exact_pattern`, to rank
    the matches that have them above those with only another form of their stems, e.g.
    "housing" above "House"). `required`: one regular expression per quoted word or phrase,
    each of which a match must contain as typed (`"housing"` finds "housing", not "House";
    `"the house"` that phrase); none with `or`, where a quoted part is one alternative.

    Regular expressions rather than an unstemmed tsvector: none is stored, and parsing a
    speech's text costs about 60 times matching an expression against it (measured on the
    sample: 1.7 ms against 27 µs a speech, reading the text included)."""

    stemmed: str
    exact: str | None
    exact_pattern: str | None
    required: tuple[str, ...]


_parsed: dict[tuple[str, str], Parsed] = {}
_QUOTED = re.compile(r'"([^"]*)"')
_OR = re.compile(r"(?i)(?:^|\s)or(?:\s|$)")
_WORDS = re.compile(r"[^\W_]+")


def _typed_words(q: str) -> str:
    """The words a match should contain as typed: `q` without its excluded words (`-word`),
    the `or` operator and quotes."""
    return " ".join(
        token
        for token in q.replace('"', " ").split()
        if not token.startswith("-") and token.lower() != "or"
    )


def _phrase_pattern(words: list[str]) -> str:
    """`\\mright\\W+to\\W+housing\\M`: the words in order, whole, whatever separates them
    (PostgreSQL's regular expressions know Unicode letters in a UTF-8 database)."""
    return "\\m" + "\\W+".join(words) + "\\M"


class _ParseRow(NamedTuple):
    stemmed: str | None
    kept: list[str] | None


async def parse_query(conn: ReadConnection, config: LiteralString, q: str) -> Parsed:
    """The query's forms (one statement); an empty stemmed parse is a 400.

    Parses are kept, bounded like the list statements (openpolicy.queries._sql): a parse
    depends only on the text search configuration, which changes with a migration and a
    restart, never with the data."""
    key = (config, q)
    parsed = _parsed.get(key)
    if parsed is None:
        row = await fetch_one(
            conn,
            _ParseRow,
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text AS stemmed,"
            # the typed words but for the language's stop words, lower-cased
            " array(SELECT DISTINCT lower(w) FROM regexp_split_to_table(%s, '[^[:alnum:]]+') AS w"
            "       WHERE w <> '' AND numnode(plainto_tsquery(%s::regconfig, w)) > 0) AS kept",
            (config, q, _typed_words(q), config),
        )
        kept = sorted(row.kept or []) if row else []
        quoted = [_WORDS.findall(part.lower()) for part in _QUOTED.findall(q)]
        required = (
            tuple(_phrase_pattern(words) for words in quoted if words)
            if not _OR.search(_QUOTED.sub(" ", q))
            else ()
        )
        parsed = Parsed(
            str(row.stemmed) if row and row.stemmed else "",
            " | ".join("'" + word.replace("'", "''") + "'" for word in kept) or None,
            "\\m(" + "|".join(kept) + ")\\M" if kept else None,
            required,
        )
        if len(_parsed) >= PARSED_KEPT:
            _parsed.clear()
        _parsed[key] = parsed
    if not parsed.stemmed:
        raise BadRequestError(
            f"q: {q!r} has no searchable words in {config} (only stop words or punctuation)",
            parameter="q",
        )
    return parsed


def _required_sql(column: sql.Composable, required: tuple[str, ...]) -> sql.Composable:
    """` AND col ~* p1 AND col ~* p2`: every quoted part, as typed."""
    return sql.SQL("").join(
        sql.SQL(" AND {c} ~* {p}").format(c=column, p=sql.Literal(pattern)) for pattern in required
    )


async def _tsquery(conn: ReadConnection, config: LiteralString, q: str) -> str:
    """The stemmed tsquery as text (reused as a literal); an empty parse is a 400."""
    return (await parse_query(conn, config, q)).stemmed


class _Hit(NamedTuple):
    id: int
    debate_id: int
    member_id: int | None
    party: str | None
    rank: float


class Match(NamedTuple):
    """A match the search saw: what facets and the trend count (no text)."""

    debate_id: int
    date: dt.date
    session_id: int
    member_id: int | None
    party: str | None


EXACT_BONUS = 1.0  # ts_rank stays under 1: any exact form ranks above every stem-only match
EXACT_POOL = 400  # candidates reranked when the search saw every match (else the newest 150)


def _score(rank: float, exact_count: int) -> float:
    """Relevance: the stems' `ts_rank`, plus 1 and a little per occurrence (up to ten) of
    the words as typed."""
    bonus = EXACT_BONUS + min(exact_count, 10) / 100 if exact_count > 0 else 0.0
    return round(float(rank) + bonus, 6)


async def search_speeches(conn: ReadConnection, search: SpeechSearch) -> SearchResult:
    """Speeches matching `q`, newest first or ranked, with highlighted snippets."""
    config = CONFIGS[search.lang]
    column: LiteralString = "search_fr" if search.lang == "fr" else "search_en"
    text_column: LiteralString = "text_fr" if search.lang == "fr" else "text_en"
    parsed = await parse_query(conn, config, search.q)
    tsquery = parsed.stemmed
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
    # Quoted words and phrases must appear as typed: tested on the stem matches only, on
    # the text itself (no vector of unstemmed words is stored).
    required = _required_sql(sql.SQL("w.txt"), parsed.required)
    if parsed.required:
        share_factor *= 0.5
    text_of: sql.Composable = (
        sql.SQL(", s.{t} AS txt").format(t=sql.SQL(text_column)) if parsed.required else sql.SQL("")
    )

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
                "SELECT id, debate_id, member_id, party, {rank} FROM (SELECT s.id, s.debate_id,"
                " s.member_id, s.party_abbreviation AS party, s.{col} AS tsv{txt}"
                " FROM speeches s WHERE {restrict}{extra} OFFSET 0) w"
                " WHERE tsv @@ {q}::tsquery{required}"
            )
        else:
            template = (
                "SELECT id, debate_id, member_id, party, {rank} FROM (SELECT s.id, s.debate_id,"
                " s.member_id, s.party_abbreviation AS party, s.{col} AS tsv{txt}"
                " FROM speeches s WHERE {restrict}{extra} AND s.{col} @@ {q}::tsquery) w"
                " WHERE TRUE{required}"
            )
        plans.append("alone" if alone else "scan" if scan else "gin")
        rows = await fetch_all(
            conn,
            _Hit,
            sql.SQL(template).format(
                rank=rank_sql,
                col=sql.SQL(column),
                txt=text_of,
                restrict=restrict,
                extra=extra,
                q=query_literal,
                required=required,
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

    exact_ids: set[int] = set()
    next_cursor: tuple[Any, int] | None
    scores: dict[int, float] = {}
    if newest:
        page_rows = found[: search.limit]
        last = page_rows[-1] if page_rows else None
        next_cursor = (
            (date_of[last.debate_id].isoformat(), int(last.id))
            if last is not None and len(found) > search.limit
            else None
        )
        if parsed.exact_pattern and page_rows:
            exact_ids = {
                speech_id
                for speech_id, rank in (
                    await _exact_ranks(
                        conn, [r.id for r in page_rows], text_column, parsed.exact_pattern
                    )
                ).items()
                if rank > 0
            }
    else:
        # The bounded candidates, reranked: speeches with the words as typed first. When
        # the search saw every match and they are few, all of them are candidates.
        pool = found[: EXACT_POOL if exhausted else RELEVANCE_CANDIDATES]
        exact = (
            await _exact_ranks(conn, [r.id for r in pool], text_column, parsed.exact_pattern)
            if parsed.exact_pattern and pool
            else {}
        )
        for r in pool:
            scores[r.id] = _score(r.rank, exact.get(r.id, 0))
        exact_ids = {speech_id for speech_id, rank in exact.items() if rank > 0}
        candidates = sorted(pool, key=lambda r: (scores[r.id], r.id), reverse=True)
        if search.cursor is not None:
            after = (round(float(search.cursor[0]), 6), search.cursor[1])
            candidates = [r for r in candidates if (scores[r.id], r.id) < after]
        page_rows = candidates[: search.limit]
        last = page_rows[-1] if page_rows else None
        next_cursor = (
            (scores[last.id], int(last.id))
            if last is not None and len(candidates) > search.limit
            else None
        )
    exact_total = exhausted and search.cursor is None
    items = await _speech_items(
        conn, [r.id for r in page_rows], search.lang, parsed, exact_ids, search.snippets
    )
    for item in items:
        item["rank"] = None if newest else scores[item["id"]]
        item["exact"] = item["id"] in exact_ids
    by_id = {s[0]: s for s in known.sittings}
    return SearchResult(
        items,
        len(found),
        "eq" if exact_total else "gte",
        next_cursor,
        {"plans": plans, "candidates": len(found), "share": share},
        estimated_total=len(found) if exact_total else max(len(found), round(in_scope)),
        matches=[
            Match(r.debate_id, date_of[r.debate_id], by_id[r.debate_id][2], r.member_id, r.party)
            for r in found
        ],
    )


class _ExactRank(NamedTuple):
    id: int
    occurrences: int


async def _exact_ranks(
    conn: ReadConnection, ids: list[int], text_column: LiteralString, pattern: str | None
) -> dict[int, int]:
    """How often each speech has the query's words as typed (0 where only other forms of
    the stems occur). Bounded by the candidates: one text per speech."""
    if not pattern or not ids:
        return {}
    rows = await fetch_all(
        conn,
        _ExactRank,
        sql.SQL(
            "SELECT s.id, regexp_count(coalesce(s.{t}, ''), %s, 1, 'i') AS occurrences"
            " FROM speeches s WHERE s.id = ANY(%s::bigint[])"
        ).format(t=sql.SQL(text_column)),
        (pattern, ids),
    )
    return {r.id: int(r.occurrences) for r in rows}


class _SpeechHit(NamedTuple):
    id: int
    session: str
    debate_number: int
    date: dt.date
    sequence: int
    kind: str
    member_id: int | None
    speaker_name: str | None
    speaker_role: str | None
    speaker_role_fr: str | None
    party: str | None
    heading: str | None
    subheading: str | None
    text_lang: str
    snippet: str | None


async def _speech_items(
    conn: ReadConnection,
    ids: list[int],
    lang: str,
    parsed: Parsed,
    exact_ids: set[int],
    snippets: bool = True,
) -> list[dict[str, Any]]:
    """The page's speeches in order, each with a snippet of a sentence or two: the words as
    typed highlighted where the speech has them, else the stems' matches."""
    if not ids:
        return []
    config = CONFIGS[lang]
    text: LiteralString = "s.text_fr" if lang == "fr" else "s.text_en"
    heading: LiteralString = "s.heading_fr" if lang == "fr" else "s.heading_en"
    subheading: LiteralString = "s.subheading_fr" if lang == "fr" else "s.subheading_en"
    rows = await fetch_all(
        conn,
        _SpeechHit,
        sql.SQL(
            """
            SELECT s.id, ps.code AS session, d.number AS debate_number, d.date, s.sequence,
                   s.kind, s.member_id, s.speaker_name, s.speaker_role, s.speaker_role_fr,
                   s.party_abbreviation AS party, {h} AS heading, {sh} AS subheading,
                   %s AS text_lang,
                   CASE WHEN NOT %s THEN NULL
                        WHEN page.exact THEN ts_headline('simple', coalesce({t}, ''),
                                                         %s::tsquery, %s)
                        ELSE ts_headline(%s::regconfig, coalesce({t}, ''), %s::tsquery, %s)
                   END AS snippet
            FROM unnest(%s::bigint[], %s::boolean[]) WITH ORDINALITY AS page(id, exact, position)
            JOIN speeches s ON s.id = page.id
            JOIN debates d ON d.id = s.debate_id
            JOIN parliamentary_sessions ps ON ps.id = d.session_id
            ORDER BY page.position
            """
        ).format(h=sql.SQL(heading), sh=sql.SQL(subheading), t=sql.SQL(text)),
        (
            lang,
            snippets,
            parsed.exact or parsed.stemmed,
            HEADLINE,
            config,
            parsed.stemmed,
            HEADLINE,
            ids,
            [i in exact_ids for i in ids],
        ),
    )
    return [r._asdict() for r in rows]


TITLE_CANDIDATES = 300  # bills and divisions reranked by exact forms (the best by stem)


class _Candidate(NamedTuple):
    id: int
    rank: float
    exact: int
    total: int


def _ranked_page(
    candidates: list[_Candidate], cursor: tuple[Any, int] | None, limit: int
) -> tuple[list[tuple[int, float]], tuple[Any, int] | None]:
    """A page of (id, score) by score, words as typed first, after `cursor`; the next one."""
    scored = sorted(
        ((c.id, _score(c.rank, c.exact)) for c in candidates),
        key=lambda pair: (pair[1], pair[0]),
        reverse=True,
    )
    if cursor is not None:
        after = (round(float(cursor[0]), 6), int(cursor[1]))
        scored = [pair for pair in scored if (pair[1], pair[0]) < after]
    page = scored[:limit]
    return page, ((page[-1][1], page[-1][0]) if len(scored) > limit else None)


class _BillHit(NamedTuple):
    id: int
    session: str
    number: str
    title_en: str | None
    title_fr: str | None
    short_title_en: str | None
    short_title_fr: str | None
    status_en: str | None
    status_fr: str | None
    latest_activity_at: dt.datetime | None
    snippet: str | None


@planned_per_call
async def search_bills(
    conn: ReadConnection,
    q: str,
    lang: str,
    session: str | None,
    limit: int,
    offset_cursor: tuple[Any, int] | None,
) -> SearchResult:
    """Bills whose number or titles match: the best TITLE_CANDIDATES by `ts_rank_cd`,
    reranked with the words as typed first; the count is exact (a few thousand bills)."""
    config = CONFIGS[lang]
    parsed = await parse_query(conn, config, q)
    column: LiteralString = "b.search_fr" if lang == "fr" else "b.search_en"
    words: LiteralString = (
        "concat_ws(' ', b.number, b.short_title_fr, b.title_fr)"
        if lang == "fr"
        else "concat_ws(' ', b.number, b.short_title_en, b.title_en)"
    )
    sid = await session_filter_id(conn, session)
    candidates = await fetch_all(
        conn,
        _Candidate,
        sql.SQL(
            """
            WITH hits AS (
                SELECT b.id, ts_rank_cd({c}, %(q)s::tsquery) AS rank FROM bills b
                WHERE {c} @@ %(q)s::tsquery
                  AND (%(session)s::int IS NULL OR b.session_id = %(session)s::int)
                  {r}
            ), best AS (SELECT id, rank FROM hits ORDER BY rank DESC, id DESC LIMIT %(n)s)
            SELECT best.id, best.rank,
                   CASE WHEN %(exact)s::text IS NULL THEN 0
                        ELSE regexp_count({w}, %(exact)s::text, 1, 'i') END AS exact,
                   (SELECT count(*) FROM hits) AS total
            FROM best JOIN bills b ON b.id = best.id
            """
        ).format(
            c=sql.SQL(column), w=sql.SQL(words), r=_required_sql(sql.SQL(words), parsed.required)
        ),
        {
            "q": parsed.stemmed,
            "session": sid,
            "exact": parsed.exact_pattern,
            "n": TITLE_CANDIDATES,
        },
    )
    total = candidates[0].total if candidates else 0
    page, next_cursor = _ranked_page(candidates, offset_cursor, limit)
    rows = await fetch_all(
        conn,
        _BillHit,
        sql.SQL(
            """
            SELECT b.id, ps.code AS session, b.number, b.title_en, b.title_fr,
                   b.short_title_en, b.short_title_fr, b.status_en, b.status_fr,
                   b.latest_activity_at,
                   ts_headline(%s::regconfig, {w}, %s::tsquery, %s) AS snippet
            FROM unnest(%s::int[]) WITH ORDINALITY AS page(id, position)
            JOIN bills b ON b.id = page.id
            JOIN parliamentary_sessions ps ON ps.id = b.session_id
            ORDER BY page.position
            """
        ).format(w=sql.SQL(words)),
        (config, parsed.stemmed, TITLE_HEADLINE, [bill_id for bill_id, _score in page]),
    )
    scores = dict(page)
    items = [{**r._asdict(), "rank": scores[r.id]} for r in rows]
    for item in items:
        del item["id"]
    return SearchResult(items, total, "eq", next_cursor)


@planned_per_call
async def count_bills(conn: ReadConnection, q: str, lang: str, session: str | None) -> int:
    """How many bills `search_bills` finds (its exact total), without ranking them: what a
    search of another kind shows in its count of bills."""
    parsed = await parse_query(conn, CONFIGS[lang], q)
    column: LiteralString = "b.search_fr" if lang == "fr" else "b.search_en"
    words: LiteralString = (
        "concat_ws(' ', b.number, b.short_title_fr, b.title_fr)"
        if lang == "fr"
        else "concat_ws(' ', b.number, b.short_title_en, b.title_en)"
    )
    total = await fetch_value(
        conn,
        sql.SQL(
            "SELECT count(*) FROM bills b WHERE {c} @@ %(q)s::tsquery"
            " AND (%(session)s::int IS NULL OR b.session_id = %(session)s::int){r}"
        ).format(c=sql.SQL(column), r=_required_sql(sql.SQL(words), parsed.required)),
        {"q": parsed.stemmed, "session": await session_filter_id(conn, session)},
    )
    return int(total)


class _DivisionHit(NamedTuple):
    id: int
    session: str
    number: int
    date: dt.date
    subject_en: str | None
    subject_fr: str | None
    result: str
    yeas: int
    nays: int
    paired: int | None
    bill_number: str | None
    snippet: str | None


@planned_per_call
async def search_divisions(
    conn: ReadConnection,
    q: str,
    lang: str,
    session: str | None,
    limit: int,
    offset_cursor: tuple[Any, int] | None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> SearchResult:
    """Recorded divisions whose subject or bill number match: the newest TITLE_CANDIDATES
    matches, ranked with the words as typed first; the count is exact (the House holds a
    few hundred divisions a session)."""
    config = CONFIGS[lang]
    parsed = await parse_query(conn, config, q)
    column: LiteralString = "v.search_fr" if lang == "fr" else "v.search_en"
    words: LiteralString = (
        "concat_ws(' ', v.bill_number, coalesce(v.subject_fr, v.subject_en))"
        if lang == "fr"
        else "concat_ws(' ', v.bill_number, v.subject_en)"
    )
    sid = await session_filter_id(conn, session)
    candidates = await fetch_all(
        conn,
        _Candidate,
        sql.SQL(
            """
            WITH hits AS (
                SELECT v.id, v.date, ts_rank_cd({c}, %(q)s::tsquery) AS rank FROM votes v
                WHERE {c} @@ %(q)s::tsquery
                  AND (%(session)s::int IS NULL OR v.session_id = %(session)s::int)
                  AND (%(from)s::date IS NULL OR v.date >= %(from)s::date)
                  AND (%(to)s::date IS NULL OR v.date <= %(to)s::date)
                  {r}
            ), newest AS (SELECT id, rank FROM hits ORDER BY date DESC, id DESC LIMIT %(n)s)
            SELECT newest.id, newest.rank,
                   CASE WHEN %(exact)s::text IS NULL THEN 0
                        ELSE regexp_count({w}, %(exact)s::text, 1, 'i') END AS exact,
                   (SELECT count(*) FROM hits) AS total
            FROM newest JOIN votes v ON v.id = newest.id
            """
        ).format(
            c=sql.SQL(column), w=sql.SQL(words), r=_required_sql(sql.SQL(words), parsed.required)
        ),
        {
            "q": parsed.stemmed,
            "session": sid,
            "from": date_from,
            "to": date_to,
            "exact": parsed.exact_pattern,
            "n": TITLE_CANDIDATES,
        },
    )
    total = candidates[0].total if candidates else 0
    page, next_cursor = _ranked_page(candidates, offset_cursor, limit)
    subject: LiteralString = (
        "coalesce(v.subject_fr, v.subject_en)" if lang == "fr" else "v.subject_en"
    )
    rows = await fetch_all(
        conn,
        _DivisionHit,
        sql.SQL(
            """
            SELECT v.id, ps.code AS session, v.number, v.date, v.subject_en, v.subject_fr,
                   v.result, v.yeas, v.nays, v.paired, v.bill_number,
                   ts_headline(%s::regconfig, coalesce({s}, ''), %s::tsquery, %s) AS snippet
            FROM unnest(%s::int[]) WITH ORDINALITY AS page(id, position)
            JOIN votes v ON v.id = page.id
            JOIN parliamentary_sessions ps ON ps.id = v.session_id
            ORDER BY page.position
            """
        ).format(s=sql.SQL(subject)),
        (config, parsed.stemmed, TITLE_HEADLINE, [vote_id for vote_id, _score in page]),
    )
    scores = dict(page)
    items = [{**r._asdict(), "rank": scores[r.id]} for r in rows]
    for item in items:
        del item["id"]
    return SearchResult(items, total, "eq", next_cursor)


@planned_per_call
async def count_divisions(
    conn: ReadConnection,
    q: str,
    lang: str,
    session: str | None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> int:
    """How many divisions `search_divisions` finds (its exact total), without ranking them."""
    parsed = await parse_query(conn, CONFIGS[lang], q)
    column: LiteralString = "v.search_fr" if lang == "fr" else "v.search_en"
    words: LiteralString = (
        "concat_ws(' ', v.bill_number, coalesce(v.subject_fr, v.subject_en))"
        if lang == "fr"
        else "concat_ws(' ', v.bill_number, v.subject_en)"
    )
    total = await fetch_value(
        conn,
        sql.SQL(
            "SELECT count(*) FROM votes v WHERE {c} @@ %(q)s::tsquery"
            " AND (%(session)s::int IS NULL OR v.session_id = %(session)s::int)"
            " AND (%(from)s::date IS NULL OR v.date >= %(from)s::date)"
            " AND (%(to)s::date IS NULL OR v.date <= %(to)s::date){r}"
        ).format(c=sql.SQL(column), r=_required_sql(sql.SQL(words), parsed.required)),
        {
            "q": parsed.stemmed,
            "session": await session_filter_id(conn, session),
            "from": date_from,
            "to": date_to,
        },
    )
    return int(total)


class _MemberHit(NamedTuple):
    id: int
    name: str
    party: str | None
    constituency: str | None
    province: str | None
    current: bool | None
    total: int


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
                (SELECT max(parliament) FROM member_terms)) AS current,
               count(*) OVER () AS total
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
    for item in items:
        del item["total"]
    return SearchResult(items, rows[0].total if rows else 0, "eq", None)
