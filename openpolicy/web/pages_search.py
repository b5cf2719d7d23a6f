"""Search: speeches (with highlighted snippets), bills and members, with filters."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.db import ReadConnection
from openpolicy.errors import NotFoundError
from openpolicy.queries import members, search
from openpolicy.queries.paging import decode_cursor, encode_cursor
from openpolicy.web import fragments
from openpolicy.web.deps import reading
from openpolicy.web.labels import PARTIES, SEARCH_TYPES, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.views import (
    choice_param,
    date_param,
    int_param,
    next_page_url,
    text_param,
)

TYPES = ("speech", "bill", "member")
PAGE_SIZE = 20
PREVIEW = 5  # results per kind when searching everything at once
HITS = {
    "speech": fragments.speech_hits,
    "bill": fragments.bill_hits,
    "member": fragments.member_hits,
}


async def search_page(request: Request) -> HTMLResponse:
    """The search form, and its results when there is a query."""
    lang = page_lang(request)
    q = text_param(request, "q")
    kind = choice_param(request, "type", TYPES)
    member_id = int_param(request, "member")
    party = text_param(request, "party")
    date_from = date_param(request, "from")
    date_to = date_param(request, "to")
    sort = choice_param(request, "sort", ("relevance", "newest")) or "relevance"
    cursor_text = text_param(request, "cursor")
    cursor = decode_cursor(cursor_text) if cursor_text else None
    async with reading(request) as conn:
        member_name = None
        if member_id is not None:
            try:
                member_name = (await members.member_detail(conn, member_id))["name"]
            except NotFoundError:
                member_id = None
        results, next_cursor = await _search(
            conn, q, kind, member_id, party, date_from, date_to, sort, cursor, lang
        )
        parties = await members.member_parties(conn)
    encoded = encode_cursor(next_cursor[0], next_cursor[1]) if next_cursor else None
    return render_html(
        request,
        "search.html",
        q=q,
        kind=kind,
        member_id=member_id,
        member_name=member_name,
        party=party,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        results=results,
        hits={kind: HITS[kind](found.items, lang) for kind, found in results.items()},
        next_url=next_page_url(request, encoded),
        options={
            "types": [(code, label(SEARCH_TYPES, code, lang)) for code in TYPES],
            "parties": [(p.en, label(PARTIES, p.en, lang)) for p in parties],
        },
        robots="noindex" if q else None,
    )


async def _search(
    conn: ReadConnection,
    q: str | None,
    kind: str | None,
    member_id: int | None,
    party: str | None,
    date_from: Any,
    date_to: Any,
    sort: str,
    cursor: Any,
    lang: str,
) -> tuple[dict[str, Any], Any]:
    """The results of each kind searched, and the next page's cursor (one kind only)."""
    results: dict[str, Any] = {}
    next_cursor: Any = None
    if not q:
        return results, next_cursor
    speech_filters = member_id is not None or party or date_from or date_to
    if kind in (None, "speech"):
        found = await search.search_speeches(
            conn,
            search.SpeechSearch(
                q=q,
                lang=lang,
                member=member_id,
                party=party,
                date_from=date_from,
                date_to=date_to,
                sort=sort,
                limit=PAGE_SIZE if kind else PREVIEW * 2,
                cursor=cursor if kind else None,
            ),
        )
        results["speech"] = found
        if kind:
            next_cursor = found.next_cursor
    if kind == "bill" or (kind is None and not speech_filters):
        found = await search.search_bills(
            conn, q, lang, None, PAGE_SIZE if kind else PREVIEW, cursor if kind else None
        )
        results["bill"] = found
        if kind:
            next_cursor = found.next_cursor
    if kind == "member" or (kind is None and not speech_filters):
        results["member"] = await search.search_members(conn, q, PAGE_SIZE if kind else PREVIEW)
    return results, next_cursor
