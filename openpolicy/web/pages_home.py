"""The home page: what Parliament did lately and how fresh our copy of it is."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import bills, debates, status, votes
from openpolicy.queries.paging import PageRequest
from openpolicy.web import fragments
from openpolicy.web.deps import reading
from openpolicy.web.rendering import page_lang, render_html


async def home(request: Request) -> HTMLResponse:
    """Latest divisions, bills with recent activity, latest sittings, data freshness."""
    lang = page_lang(request)
    async with reading(request) as conn:
        latest_votes = await votes.list_votes(conn, votes.VoteFilters(), PageRequest(limit=6))
        active_bills = await bills.list_bills(conn, bills.BillFilters(), PageRequest(limit=6))
        sittings = await debates.list_debates(conn, debates.DebateFilters(), PageRequest(limit=5))
        sources = await status.source_freshness(conn)
    return render_html(
        request,
        "home.html",
        votes=latest_votes.items,
        vote_rows=fragments.latest_votes(latest_votes.items, lang),
        bills=active_bills.items,
        bill_rows=fragments.bill_items(active_bills.items, lang),
        sittings=sittings.items,
        sitting_rows=fragments.sitting_items(sittings.items, lang, editions=False),
        sources=sources,
    )
