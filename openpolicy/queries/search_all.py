"""One search over everything the site holds: speeches, bills, divisions and members, with
the count of each kind, facets of the speeches (party, member, session, year) and the trend
of the words month by month — what the search page shows and `GET /api/v1/search?type=all`
returns.

Cost: the speech search is the bounded one of `openpolicy.queries.search` (windows of
sittings, never every match of a common word); bills, divisions and members are a few
thousand rows each, counted exactly. Facets and the trend count the speech matches the
search saw: every match when the search saw them all (`exact`), else the matches of the
sittings it read, newest first (the facets then say "among the N newest matches"), and the
trend is left out rather than drawn from a part of the years.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from openpolicy.db import ReadConnection
from openpolicy.queries import search
from openpolicy.queries._sql import custom_plans, fetch_all
from openpolicy.queries.reference import per_version, reference

KINDS = ("speech", "bill", "division", "member")
FACET_MEMBERS = 10  # most frequent speakers listed in the member facet


@dataclass
class SearchRequest:
    """What a reader or a program asked: the words, the kind (None: everything) and the
    filters. Member and party filters concern speeches only; dates speeches and divisions;
    the session speeches, bills and divisions."""

    q: str
    lang: str = "en"
    kind: str | None = None
    member: int | None = None
    party: str | None = None
    session: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    limit: int = 20
    preview: int = 5  # results of each kind when searching everything
    cursor: tuple[Any, int] | None = None


class FacetValue(NamedTuple):
    value: str  # what the filter takes: party name, member id, session code, year
    label: str
    hits: int


class MonthCount(NamedTuple):
    month: dt.date  # its first day
    hits: int


@dataclass
class Facets:
    """Counts of the speech matches seen, by party, speaker, session and year."""

    seen: int
    exact: bool  # every match was seen
    parties: list[FacetValue] = field(default_factory=list)
    members: list[FacetValue] = field(default_factory=list)
    sessions: list[FacetValue] = field(default_factory=list)
    years: list[FacetValue] = field(default_factory=list)


@dataclass
class Overview:
    results: dict[str, search.SearchResult]  # the kinds listed (asked, or all), in KINDS order
    counts: dict[str, tuple[int, str]]  # kind -> (count, "eq" exact or "gte" at least)
    facets: Facets | None
    trend: list[MonthCount] | None  # speeches per month, when every match was seen


def applicable(request: SearchRequest) -> tuple[str, ...]:
    """The kinds a search with these filters can find."""
    if request.member is not None or request.party:
        return ("speech",)
    if request.date_from or request.date_to:
        return ("speech", "division")
    return KINDS


async def search_everything(conn: ReadConnection, request: SearchRequest) -> Overview:
    """Every applicable kind searched; the asked kind (or each, previewed) with its items."""
    kinds = applicable(request)
    results: dict[str, search.SearchResult] = {}
    counts: dict[str, tuple[int, str]] = {}
    if "speech" in kinds:
        chosen = request.kind in (None, "speech")
        results["speech"] = await search.search_speeches(
            conn,
            search.SpeechSearch(
                q=request.q,
                lang=request.lang,
                member=request.member,
                party=request.party,
                session=request.session,
                date_from=request.date_from,
                date_to=request.date_to,
                # Only counted: the cheapest order, no snippets.
                sort=request.sort if chosen else "newest",
                limit=_limit(request, "speech") if chosen else 1,
                cursor=request.cursor if request.kind == "speech" else None,
                snippets=chosen,
            ),
        )
        if not chosen:
            results["speech"].items = []
    # Bills, divisions and members are planned for the words searched: one setting for all.
    async with custom_plans(conn):
        for kind in kinds:
            if kind == "speech":
                continue
            if request.kind not in (None, kind):
                counts[kind] = (await _count_only(conn, request, kind), "eq")
            else:
                results[kind] = await _search_kind(conn, request, kind)
    counts = {kind: counts.get(kind) or _count(results[kind]) for kind in kinds}
    speeches = results.get("speech")
    facets = trend = None
    if speeches is not None and (request.kind in (None, "speech")) and request.cursor is None:
        facets = await _facets(conn, speeches)
        if speeches.total_relation == "eq" and speeches.matches:
            trend = monthly(speeches.matches)
    return Overview(results, counts, facets, trend)


def _limit(request: SearchRequest, kind: str) -> int:
    """The asked kind's page size; a preview of each kind when searching everything."""
    return request.limit if request.kind == kind else request.preview


async def _search_kind(
    conn: ReadConnection, request: SearchRequest, kind: str
) -> search.SearchResult:
    """Bills, divisions or members found, with their items."""
    cursor = request.cursor if request.kind == kind else None
    if kind == "bill":
        return await search.search_bills(
            conn, request.q, request.lang, request.session, _limit(request, kind), cursor
        )
    if kind == "division":
        return await search.search_divisions(
            conn,
            request.q,
            request.lang,
            request.session,
            _limit(request, kind),
            cursor,
            request.date_from,
            request.date_to,
        )
    return await search.search_members(conn, request.q, _limit(request, kind))


async def _count_only(conn: ReadConnection, request: SearchRequest, kind: str) -> int:
    """How many of a kind the search finds, when another kind was asked: counted, not
    ranked."""
    if kind == "bill":
        return await search.count_bills(conn, request.q, request.lang, request.session)
    if kind == "division":
        return await search.count_divisions(
            conn, request.q, request.lang, request.session, request.date_from, request.date_to
        )
    return (await search.search_members(conn, request.q, 0)).total


def _count(found: search.SearchResult) -> tuple[int, str]:
    if found.total_relation == "eq":
        return found.total, "eq"
    return max(found.total, found.estimated_total or 0), "gte"


class _Abbreviation(NamedTuple):
    abbreviation: str
    name: str


async def _load_party_names(conn: ReadConnection, version: int) -> dict[str, str]:
    return {
        row.abbreviation: row.name
        for row in await fetch_all(
            conn,
            _Abbreviation,
            "SELECT abbreviation, short_name_en AS name FROM parties"
            " WHERE abbreviation IS NOT NULL AND short_name_en IS NOT NULL",
        )
    }


_party_names = per_version(_load_party_names)


async def _facets(conn: ReadConnection, found: search.SearchResult) -> Facets:
    known = await reference(conn)
    names = await _party_names.get(conn)
    matches = found.matches
    # Hansard prints abbreviations (`Lib.`); the facet names the party (the filter takes both).
    parties = Counter(names.get(m.party, m.party) for m in matches if m.party)
    members = Counter(m.member_id for m in matches if m.member_id is not None)
    sessions = Counter(m.session_id for m in matches)
    years = Counter(m.date.year for m in matches)
    codes = known.sessions
    return Facets(
        seen=len(matches),
        exact=found.total_relation == "eq",
        parties=[FacetValue(p, p, n) for p, n in parties.most_common()],
        members=[
            FacetValue(str(member_id), known.members[member_id].name, n)
            for member_id, n in members.most_common()
            if member_id in known.members
        ][:FACET_MEMBERS],
        sessions=[
            FacetValue(codes[sid], codes[sid], n)
            for sid, n in sorted(sessions.items(), key=lambda item: codes.get(item[0], ""))
            if sid in codes
        ],
        years=[FacetValue(str(year), str(year), n) for year, n in sorted(years.items())],
    )


def monthly(matches: list[search.Match]) -> list[MonthCount]:
    """Matches per month from the first month with one to the last, empty months included
    (a gap is part of the trend)."""
    months = Counter(dt.date(m.date.year, m.date.month, 1) for m in matches)
    if not months:
        return []
    first, last = min(months), max(months)
    out: list[MonthCount] = []
    month = first
    while month <= last:
        out.append(MonthCount(month, months.get(month, 0)))
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out
