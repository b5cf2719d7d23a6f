"""Bills: the filterable list and one bill with its stages, divisions and debates."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import bills
from openpolicy.web import fragments
from openpolicy.web.deps import reading
from openpolicy.web.i18n import pick
from openpolicy.web.labels import BILL_TYPES, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.views import int_param, page_links, page_request, text_param

PAGE_SIZE = 50


async def bill_list(request: Request) -> HTMLResponse:
    """Bills, most recent activity first, filtered by session, status, type and sponsor."""
    lang = page_lang(request)
    filters = bills.BillFilters(
        session=text_param(request, "session"),
        status=text_param(request, "status"),
        type=text_param(request, "type"),
        sponsor=int_param(request, "sponsor"),
    )
    wanted = page_request(request, PAGE_SIZE)
    async with reading(request) as conn:
        facets = await bills.bill_facets(conn)
        page = await bills.list_bills(conn, filters, wanted)
        total = await bills.count_bills(conn, filters)
    return render_html(
        request,
        "bills.html",
        bills=page.items,
        rows=fragments.bill_rows(page.items, lang),
        filters=filters,
        options={
            "sessions": [(code, code) for code in facets.sessions],
            "statuses": [(s.en, pick(lang, s.en, s.fr)) for s in facets.statuses],
            "types": [(code, label(BILL_TYPES, code, lang)) for code in facets.types],
            "sponsors": [(s.id, s.name) for s in facets.sponsors],
        },
        links=page_links(request, page, total),
    )


async def bill_page(request: Request, session: str, number: str) -> HTMLResponse:
    """One bill: timeline of stages in both chambers, sponsor, divisions, debates, texts."""
    async with reading(request) as conn:
        bill = await bills.bill_detail(conn, session, number)
    lang = page_lang(request)
    return render_html(
        request,
        "bill.html",
        bill=bill,
        timeline=chamber_runs(bill["stages"]),
        legisinfo_url=legisinfo_url(bill["session"], bill["number"], lang),
        og_type="article",
    )


def chamber_runs(stages: list[bills.Stage]) -> list[dict[str, Any]]:
    """Stages in order, grouped into consecutive runs per chamber (House, Senate, assent)."""
    runs: list[dict[str, Any]] = []
    for stage in stages:
        if not runs or runs[-1]["chamber"] != stage["chamber"]:
            runs.append({"chamber": stage["chamber"], "stages": []})
        runs[-1]["stages"].append(stage)
    return runs


def legisinfo_url(session: str, number: str, lang: str) -> str:
    """The bill's official page on LEGISinfo (texts, publications), in the reader's language."""
    return f"https://www.parl.ca/legisinfo/{lang}/bill/{session}/{number.lower()}"
