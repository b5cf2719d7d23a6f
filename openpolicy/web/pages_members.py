"""Members: the filterable list and one member's terms, voting record, speeches and bills."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from openpolicy.queries import bills, cohesion, members, record
from openpolicy.queries.paging import PageRequest
from openpolicy.web import fragments, i18n
from openpolicy.web.deps import reading
from openpolicy.web.i18n import Lang
from openpolicy.web.labels import PARTIES, PROVINCES, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.series_charts import ChartText, yearly_rates
from openpolicy.web.views import (
    choice_param,
    page_links,
    page_request,
    paragraphs,
    text_param,
)

PAGE_SIZE = 100
STATUSES = ("current", "all")
RECENT_BALLOTS = 10
RECENT_SPEECHES = 5
RECENT_BILLS = 10


async def member_list(request: Request) -> HTMLResponse:
    """Members by name, filtered by party, province, name, and sitting or not."""
    lang = page_lang(request)
    status = choice_param(request, "status", STATUSES) or "current"
    filters = members.MemberFilters(
        current=True if status == "current" else None,
        party=text_param(request, "party"),
        province=choice_param(request, "province", tuple(PROVINCES)),
        name=text_param(request, "name"),
    )
    wanted = page_request(request, PAGE_SIZE)
    wanted.descending = False  # A to Z, as a reader looks a name up
    async with reading(request) as conn:
        page = await members.list_members(conn, filters, wanted)
        total = await members.count_members(conn, filters)
        parties = await members.member_parties(conn)
        names = await members.member_names(conn, filters)
    return render_html(
        request,
        "members.html",
        members=page.items,
        rows=fragments.member_rows(page.items, lang),
        filters=filters,
        status=status,
        options={
            "parties": [(p.en, label(PARTIES, p.en, lang)) for p in parties],
            "provinces": sorted(
                ((code, label(PROVINCES, code, lang)) for code in PROVINCES),
                key=lambda item: item[1],
            ),
            "names": name_suggestions(names),
        },
        links=page_links(request, page, total),
    )


def name_suggestions(names: list[members.MemberName]) -> list[tuple[str, str]]:
    """The name field's type-ahead (the members the other filters match): each name once,
    with the seat as its label."""
    seen: dict[str, str] = {}
    for member in names:
        seen.setdefault(member.name, member.constituency or "")
    return list(seen.items())


async def member_page(request: Request, member_id: int) -> HTMLResponse:
    """One member: photo, terms, attendance and dissent, recent ballots, speeches, bills."""
    lang = page_lang(request)
    async with reading(request) as conn:
        member = await members.member_detail(conn, member_id)
        recent = await record.record_page(conn, member_id, PageRequest(limit=RECENT_BALLOTS))
        years = await record.record_by_year(conn, member_id)
        spoken = await members.member_speeches(
            conn, member_id, PageRequest(limit=RECENT_SPEECHES), lang=lang, known_member=True
        )
        english = None
        if lang == "fr" and any(speech.text is None for speech in spoken.items):
            # Most sittings have only an English edition: show it rather than nothing.
            english = await members.member_speeches(
                conn, member_id, PageRequest(limit=RECENT_SPEECHES), lang="en", known_member=True
            )
        sponsored = await bills.sponsored_bills(conn, member_id, PageRequest(limit=RECENT_BILLS))
    summary = record.summarise(years)
    speeches: list[dict[str, Any]] = []
    for index, speech in enumerate(spoken.items):
        shown, shown_lang = speech, lang
        if english is not None and speech.text is None and index < len(english.items):
            shown, shown_lang = english.items[index], "en"
        speeches.append(
            {
                **shown._asdict(),
                "lang": shown_lang,
                "excerpt": (paragraphs(shown.text) or [""])[0],
            }
        )
    return render_html(
        request,
        "member.html",
        member=member,
        summary=summary,
        record_years=_record_years(member["name"], years, lang),
        member_initials=Markup(fragments.initials(member["name"])),
        record=recent.items,
        record_rows=fragments.record_rows(recent.items, lang),
        speeches=speeches,
        sponsored=sponsored.items,
        sponsored_rows=fragments.bill_items(sponsored.items, lang),
        og_type="profile",
    )


def _record_years(name: str, years: list[record.YearTally], lang: Lang) -> dict[str, Any] | None:
    """Participation and dissent year by year: the chart, and its numbers as table rows."""
    if not years:
        return None
    catalogue = i18n.translations(lang)

    def percent(value: float | None) -> str:
        return "—" if value is None else i18n.format_pct(value, lang)

    points = [(y.year, y.participation, y.dissent_rate) for y in years]
    participation, dissent = (
        catalogue.gettext("Participation"),
        catalogue.gettext("Votes against their party"),
    )
    described = "; ".join(
        catalogue.gettext("%(year)s: voted in %(voted)s, against their party %(dissent)s")
        % {"year": year, "voted": percent(voted), "dissent": percent(against)}
        for year, voted, against in points
    )
    title = catalogue.gettext("%(name)s: participation and votes against their party, by year") % {
        "name": name
    }
    chart = yearly_rates(
        points,
        ChartText("record-years", title, described + "."),
        participation,
        dissent,
        lambda value: i18n.format_pct(value, lang),
    )
    rows = [
        {
            "year": y.year,
            "divisions": i18n.format_number(y.divisions, lang),
            "voted": i18n.format_number(y.voted, lang),
            "participation": percent(y.participation),
            "dissents": i18n.format_number(y.dissents, lang),
            "dissent_rate": percent(y.dissent_rate),
        }
        for y in years
    ]
    return {"chart": Markup(chart), "title": title, "rows": rows}


async def party_cohesion_page(request: Request) -> HTMLResponse:
    """Party cohesion per session: how often each party's members voted together."""
    lang = page_lang(request)
    async with reading(request) as conn:
        found = await cohesion.party_cohesion(conn)
    sessions: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        sessions.setdefault(row.session, []).append(
            {
                "party": row.party,
                "divisions": i18n.format_number(row.divisions, lang),
                "split": i18n.format_number(row.split, lang),
                "split_share": i18n.format_pct(row.split_share, lang),
                "against": i18n.format_number(row.against, lang),
                "against_share": i18n.format_pct(row.against_share, lang),
                "unity": i18n.format_pct(row.unity, lang),
                "unity_bar": Markup(_unity_bar(row.unity)),
            }
        )
    return render_html(request, "cohesion.html", sessions=sessions)


def _unity_bar(unity: float) -> str:
    """The unity index as a small bar (SVG: no inline style), hidden from assistive
    technology (the number beside it says the same)."""
    width = round(100 * unity, 2)
    return (
        '<svg class="unity-bar" viewBox="0 0 100 6" preserveAspectRatio="none" '
        f'aria-hidden="true" focusable="false"><rect width="100" height="6" class="track"/>'
        f'<rect width="{width}" height="6" class="fill"/></svg>'
    )
