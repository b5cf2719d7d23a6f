"""The home page: what Parliament did lately and how fresh our copy of it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import bills, debates, status, votes
from openpolicy.queries.paging import PageRequest
from openpolicy.web import fragments
from openpolicy.web.deps import reading
from openpolicy.web.rendering import page_lang, render_html

WEEK = dt.timedelta(days=6)  # the newest division's day and the six before it
WEEK_DIVISIONS = 8


async def home(request: Request) -> HTMLResponse:
    """The latest sitting's topics, the latest week's divisions with their bars, bills with
    recent activity, and the data's freshness in one line."""
    lang = page_lang(request)
    async with reading(request) as conn:
        latest_votes = await votes.list_votes(
            conn, votes.VoteFilters(), PageRequest(limit=WEEK_DIVISIONS)
        )
        active_bills = await bills.list_bills(conn, bills.BillFilters(), PageRequest(limit=6))
        sitting = await debates.latest_sitting_topics(conn, lang)
        sources = await status.source_freshness(conn)
    week = latest_votes.items
    if week:
        week = [v for v in week if v.date >= week[0].date - WEEK]
    return render_html(
        request,
        "home.html",
        votes=week,
        week_start=week[-1].date if week else None,
        vote_rows=fragments.latest_votes(week, lang),
        bills=active_bills.items,
        bill_rows=fragments.bill_items(active_bills.items, lang),
        sitting=sitting,
        topic_rows=fragments.sitting_topics(sitting, lang) if sitting else None,
        freshness=_freshness(sources),
    )


def _freshness(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """One calm line: when our copy last changed, and whether a source needs a look."""
    read = [s["last_success_at"] for s in sources if s["last_success_at"]]
    return {
        "updated": max(read) if read else None,
        "lagging": sum(1 for s in sources if s["failing"] or s["stale"]),
        "sources": len(sources),
    }
