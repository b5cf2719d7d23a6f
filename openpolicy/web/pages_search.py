"""Search: speeches (with highlighted snippets), bills and members, with filters."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from openpolicy.errors import NotFoundError
from openpolicy.queries import members, search
from openpolicy.queries._sql import decode_cursor, encode_cursor
from openpolicy.web.deps import Reader, db
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


def search_page(request: Request, reader: Reader = Depends(db)) -> HTMLResponse:
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
    conn = reader.conn
    member_name = None
    if member_id is not None:
        try:
            member_name = members.member_detail(conn, member_id)["name"]
        except NotFoundError:
            member_id = None
    results: dict[str, Any] = {}
    next_cursor: Any = None
    speech_filters = member_id is not None or party or date_from or date_to
    if q:
        if kind in (None, "speech"):
            found = search.search_speeches(
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
            found = search.search_bills(
                conn, q, lang, None, PAGE_SIZE if kind else PREVIEW, cursor if kind else None
            )
            results["bill"] = found
            if kind:
                next_cursor = found.next_cursor
        if kind == "member" or (kind is None and not speech_filters):
            results["member"] = search.search_members(conn, q, PAGE_SIZE if kind else PREVIEW)
    encoded = encode_cursor(next_cursor[0], next_cursor[1]) if next_cursor else None
    parties = members.member_parties(conn)
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
        next_url=next_page_url(request, encoded),
        options={
            "types": [(code, label(SEARCH_TYPES, code, lang)) for code in TYPES],
            "parties": [(p["en"], label(PARTIES, p["en"], lang)) for p in parties],
        },
        robots="noindex" if q else None,
    )
