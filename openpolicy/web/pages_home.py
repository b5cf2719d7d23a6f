"""The home page: what Parliament did lately and how fresh our copy of it is."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import bills, debates, status, votes
from openpolicy.queries._sql import PageRequest
from openpolicy.web.deps import Reader, db
from openpolicy.web.rendering import render_html
from openpolicy.web.views import rows


def home(request: Request, reader: Reader = Depends(db)) -> HTMLResponse:
    """Latest divisions, bills with recent activity, latest sittings, data freshness."""
    conn = reader.conn
    latest_votes = votes.list_votes(conn, votes.VoteFilters(), PageRequest(limit=6))
    active_bills = bills.list_bills(conn, bills.BillFilters(), PageRequest(limit=6))
    sittings = debates.list_debates(conn, debates.DebateFilters(), PageRequest(limit=5))
    return render_html(
        request,
        "home.html",
        votes=rows(latest_votes, votes.FIELDS),
        bills=rows(active_bills, bills.FIELDS),
        sittings=rows(sittings, debates.FIELDS),
        sources=status.source_freshness(reader.session),
    )
