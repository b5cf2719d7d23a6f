"""Search: speeches, bills, divisions and members at once, with the count of each kind,
facets of the speeches (party, speaker, session, year), the trend of the words month by
month, and filters. The queries are the API's (`openpolicy.queries.search_all`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from openpolicy.queries import members, search_all
from openpolicy.queries.paging import decode_cursor, encode_cursor
from openpolicy.queries.reference import reference
from openpolicy.web import fragments, i18n
from openpolicy.web.deps import reading
from openpolicy.web.i18n import Lang, translate
from openpolicy.web.labels import PARTIES, SEARCH_TYPES, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.series_charts import ChartText, monthly_bars
from openpolicy.web.views import (
    choice_param,
    date_param,
    int_param,
    next_page_url,
    text_param,
)

TYPES = search_all.KINDS
PAGE_SIZE = 20
PREVIEW = 5  # results per kind when searching everything at once
HITS = {
    "speech": fragments.speech_hits,
    "bill": fragments.bill_hits,
    "division": fragments.division_hits,
    "member": fragments.member_hits,
}


async def search_page(request: Request) -> HTMLResponse:
    """The search form, and its results when there is a query."""
    lang = page_lang(request)
    q = text_param(request, "q")
    kind = choice_param(request, "type", TYPES)
    member_id = int_param(request, "member")
    party = text_param(request, "party")
    session = text_param(request, "session")
    date_from = date_param(request, "from")
    date_to = date_param(request, "to")
    sort = choice_param(request, "sort", ("relevance", "newest")) or "relevance"
    cursor_text = text_param(request, "cursor")
    cursor = decode_cursor(cursor_text) if cursor_text else None
    overview = None
    async with reading(request) as conn:
        known = await reference(conn)
        member_name = None
        if member_id is not None:
            found_member = known.members.get(member_id)
            member_name = found_member.name if found_member else None
            if member_name is None:
                member_id = None
        if q:
            overview = await search_all.search_everything(
                conn,
                search_all.SearchRequest(
                    q=q,
                    lang=lang,
                    kind=kind,
                    member=member_id,
                    party=party,
                    session=session,
                    date_from=date_from,
                    date_to=date_to,
                    sort=sort,
                    limit=PAGE_SIZE,
                    preview=PREVIEW,
                    cursor=cursor,
                ),
            )
        parties = await members.member_parties(conn)
        sessions = sorted(set(known.sessions.values()), reverse=True)
    next_cursor = None
    if overview is not None and kind is not None and kind in overview.results:
        next_cursor = overview.results[kind].next_cursor
    encoded = encode_cursor(next_cursor[0], next_cursor[1]) if next_cursor else None
    tabs = _tabs(overview, kind, lang) if overview else []
    filters = {
        "q": q,
        "party": party,
        "member": member_id,
        "session": session,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "sort": sort if sort != "relevance" else None,
    }
    return render_html(
        request,
        "search.html",
        q=q,
        kind=kind,
        member_id=member_id,
        member_name=member_name,
        party=party,
        session=session,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        overview=overview,
        filters=filters,
        tabs=tabs,
        count_text={tab["kind"]: tab["count"] for tab in tabs},
        hits={k: HITS[k](found.items, lang) for k, found in overview.results.items()}
        if overview
        else {},
        trend=_trend(overview, q or "", lang) if overview else None,
        facet_lists=fragments.search_facets(overview.facets, filters, party, lang)
        if overview and overview.facets
        else None,
        next_url=next_page_url(request, encoded),
        options={
            "types": [(code, label(SEARCH_TYPES, code, lang)) for code in TYPES],
            "parties": [(p.en, label(PARTIES, p.en, lang)) for p in parties],
            "sessions": [(code, code) for code in sessions],
        },
        robots="noindex" if q else None,
    )


def _tabs(overview: search_all.Overview, kind: str | None, lang: Lang) -> list[dict[str, Any]]:
    """Everything, then each kind with its count ("about" where it is an estimate)."""
    tabs: list[dict[str, Any]] = [
        {"kind": None, "label": translate(lang, "Everything"), "count": None, "current": not kind}
    ]
    for code, (count, relation) in overview.counts.items():
        number = i18n.format_number(count, lang)
        tabs.append(
            {
                "kind": code,
                "label": label(SEARCH_TYPES, code, lang),
                "count": number
                if relation == "eq"
                else translate(lang, "about %(count)s") % {"count": number},
                "current": kind == code,
            }
        )
    return tabs


def _trend(overview: search_all.Overview, q: str, lang: Lang) -> dict[str, Any] | None:
    """The chart of matching speeches per month, and the same numbers by year."""
    months = overview.trend
    if not months or sum(m.hits for m in months) == 0:
        return None
    catalogue = i18n.translations(lang)
    peak = max(months, key=lambda m: (m.hits, m.month))
    total = sum(m.hits for m in months)
    span = (
        i18n.format_date(months[0].month, lang, "MMMM y"),
        i18n.format_date(months[-1].month, lang, "MMMM y"),
    )
    description = catalogue.gettext(
        "%(total)s speeches from %(first)s to %(last)s; the most in %(peak)s (%(count)s)."
    ) % {
        "total": i18n.format_number(total, lang),
        "first": span[0],
        "last": span[1],
        "peak": i18n.format_date(peak.month, lang, "MMMM y"),
        "count": i18n.format_number(peak.hits, lang),
    }
    title = catalogue.gettext("Speeches with “%(q)s”, month by month") % {"q": q}
    chart = monthly_bars(
        [(m.month, m.hits) for m in months],
        ChartText("trend", title, description),
        i18n.format_number(peak.hits, lang),
    )
    years: dict[int, list[search_all.MonthCount]] = {}
    for m in months:
        years.setdefault(m.month.year, []).append(m)
    rows = []
    for year, in_year in sorted(years.items()):
        busiest = max(in_year, key=lambda m: (m.hits, m.month))
        rows.append(
            {
                "year": year,
                "count": i18n.format_number(sum(m.hits for m in in_year), lang),
                "busiest": i18n.format_date(busiest.month, lang, "MMMM") if busiest.hits else "—",
            }
        )
    return {"chart": Markup(chart), "title": title, "description": description, "years": rows}
