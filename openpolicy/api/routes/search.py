"""`/search`: bilingual full-text search over speeches, bills and members."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api.constants import API_PREFIX
from openpolicy.api.params import CURSOR, DATE_FROM, DATE_TO, LANG, SESSION, Param, Parsed, parse
from openpolicy.api.responses import next_url, serve
from openpolicy.api.routes._docs import documented
from openpolicy.api.schemas import ListEnvelope, SearchHit, SearchOverviewBody
from openpolicy.db import ReadConnection
from openpolicy.errors import BadRequestError
from openpolicy.queries import search, search_all
from openpolicy.queries.paging import decode_cursor, encode_cursor

router = APIRouter(prefix=API_PREFIX, tags=["search"])

PARAMS = [
    Param(
        "q",
        "str",
        "What to look for, in websearch syntax: words (all must match), "
        '"a phrase", `or`, and `-word` to exclude. Required.',
        example="housing -rent",
        max_length=300,
    ),
    Param(
        "type",
        "enum",
        "What to search; `all`: up to `limit` of each kind with the count of each, facets of "
        "the speeches (party, speaker, session, year) and matching speeches per month.",
        choices=("speeches", "bills", "divisions", "members", "all"),
        default="speeches",
        example="speeches",
    ),
    LANG,
    Param(
        "sort",
        "enum",
        "Speeches: `relevance` (the newest "
        f"{search.RELEVANCE_CANDIDATES} matches ranked, those with the words as typed first) "
        "or `newest` first.",
        choices=("relevance", "newest"),
        default="relevance",
        example="newest",
    ),
    Param(
        "member", "int", "Speeches by this member id.", example=42, minimum=1, maximum=2_147_483_647
    ),
    Param(
        "party",
        "str",
        "Speeches by members of this caucus (short name or abbreviation).",
        example="NDP",
        max_length=60,
    ),
    SESSION,
    DATE_FROM,
    DATE_TO,
    Param(
        "limit",
        "int",
        "Results per page, 1 to 100.",
        example=20,
        minimum=1,
        maximum=100,
        default=20,
    ),
    CURSOR,
]


def _cursor(raw: str | None, sort: str) -> tuple[Any, int] | None:
    if raw is None:
        return None
    value, row_id = decode_cursor(raw)
    try:
        if sort == "newest":
            dt.date.fromisoformat(str(value))
        elif not isinstance(value, int | float):
            raise ValueError
    except ValueError as exc:
        raise BadRequestError(
            "cursor: it belongs to another search; keep q, type and sort as on the first page",
            parameter="cursor",
        ) from exc
    return value, row_id


@router.get(
    "/search",
    **documented(
        "Full-text search",
        "PostgreSQL full-text search on stored tsvectors (GIN indexes) with the English or "
        "French configuration, highlighted snippets, and filters. Words as typed rank above "
        "other forms of their stems; a quoted word or phrase matches only as typed. "
        "`pagination.total` is exact when `total_relation` is `eq`, else a lower bound. "
        "`type=all` answers a `SearchOverviewBody` instead (every kind at once, counts, facets, "
        "trend).",
        ListEnvelope[SearchHit] | SearchOverviewBody,
        PARAMS,
    ),
)
async def search_endpoint(request: Request) -> Response:
    p = parse(request, PARAMS)
    if not p["q"]:
        raise BadRequestError("q: required (the words to search for)", parameter="q")
    cursor = _cursor(p["cursor"], p["sort"] if p["type"] == "speeches" else "relevance")
    kind = p["type"]

    async def build(conn: ReadConnection) -> dict[str, Any]:
        if kind == "all":
            return await _overview(conn, p)
        if kind == "speeches":
            result = await search.search_speeches(
                conn,
                search.SpeechSearch(
                    q=p["q"],
                    lang=p["lang"],
                    member=p["member"],
                    party=p["party"],
                    session=p["session"],
                    date_from=p["date_from"],
                    date_to=p["date_to"],
                    sort=p["sort"],
                    limit=p["limit"],
                    cursor=cursor,
                ),
            )
        elif kind == "bills":
            result = await search.search_bills(
                conn, p["q"], p["lang"], p["session"], p["limit"], cursor
            )
        elif kind == "divisions":
            result = await search.search_divisions(
                conn,
                p["q"],
                p["lang"],
                p["session"],
                p["limit"],
                cursor,
                p["date_from"],
                p["date_to"],
            )
        else:
            result = await search.search_members(conn, p["q"], p["limit"])
        token = encode_cursor(*result.next_cursor) if result.next_cursor else None
        return {
            "data": result.items,
            "pagination": {
                "limit": p["limit"],
                "next_cursor": token,
                "next": next_url(request, token),
                "total": result.total,
                "total_relation": result.total_relation,
                "estimated_total": result.estimated_total,
            },
        }

    return await serve(request, build)


PLURAL = {"speech": "speeches", "bill": "bills", "division": "divisions", "member": "members"}


async def _overview(conn: ReadConnection, p: Parsed) -> dict[str, Any]:
    """`type=all`: what the search page shows, as JSON (the same query function)."""
    found = await search_all.search_everything(
        conn,
        search_all.SearchRequest(
            q=p["q"],
            lang=p["lang"],
            member=p["member"],
            party=p["party"],
            session=p["session"],
            date_from=p["date_from"],
            date_to=p["date_to"],
            sort=p["sort"],
            limit=p["limit"],
            preview=p["limit"],
        ),
    )
    facets = found.facets
    return {
        "data": {
            PLURAL[kind]: found.results[kind].items if kind in found.results else []
            for kind in search_all.KINDS
        },
        "counts": {
            PLURAL[kind]: {"total": total, "relation": relation}
            for kind, (total, relation) in found.counts.items()
        },
        "facets": None
        if facets is None
        else {
            "seen": facets.seen,
            "exact": facets.exact,
            **{
                name: [value._asdict() for value in getattr(facets, name)]
                for name in ("parties", "members", "sessions", "years")
            },
        },
        "trend": None
        if found.trend is None
        else [{"month": m.month.strftime("%Y-%m"), "speeches": m.hits} for m in found.trend],
    }
