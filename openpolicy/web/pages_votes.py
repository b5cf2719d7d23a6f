"""Recorded divisions: the filterable list and one division with every MP's ballot."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import votes
from openpolicy.web.charts import ChartLabels, PartyTally, party_breakdown_svg
from openpolicy.web.deps import reading
from openpolicy.web.fragments import ballot_groups, vote_rows
from openpolicy.web.i18n import Lang, translate
from openpolicy.web.labels import PARTIES, RESULTS, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.views import (
    choice_param,
    date_param,
    next_page_url,
    page_request,
    text_param,
)

PAGE_SIZE = 50


async def vote_list(request: Request) -> HTMLResponse:
    """Divisions, newest first, filtered by session, result, dates and bill."""
    lang = page_lang(request)
    filters = votes.VoteFilters(
        session=text_param(request, "session"),
        result=choice_param(request, "result", tuple(RESULTS)),
        date_from=date_param(request, "from"),
        date_to=date_param(request, "to"),
        bill=text_param(request, "bill"),
    )
    wanted = page_request(request, PAGE_SIZE)
    async with reading(request) as conn:
        page = await votes.list_votes(conn, filters, wanted)
        sessions = await votes.vote_sessions(conn)
    return render_html(
        request,
        "votes.html",
        votes=page.items,
        rows=vote_rows(page.items, lang),
        filters=filters,
        options={
            "sessions": [(code, code) for code in sessions],
            "results": [(code, label(RESULTS, code, lang)) for code in RESULTS],
        },
        next_url=next_page_url(request, page.next_cursor),
    )


async def vote_page(request: Request, session: str, number: int) -> HTMLResponse:
    """One division: result, totals, party chart, ballots by party with dissenters marked."""
    lang = page_lang(request)
    async with reading(request) as conn:
        vote = await votes.vote_detail(conn, session, number)
    groups, dissenters = ballot_groups(vote["party_breakdown"], vote["ballots"], lang)
    return render_html(
        request,
        "vote.html",
        vote=vote,
        groups=groups,
        dissenters=dissenters,
        chart=party_chart(vote["party_breakdown"], lang),
        og_type="article",
    )


def party_chart(breakdown: list[votes.PartyTally], lang: Lang) -> Any:
    """The SVG of yeas and nays per party, labelled in the page's language."""
    tallies = [
        PartyTally(
            party=row["party"],
            label=label(PARTIES, row["party"], lang)
            if row["party"]
            else translate(lang, "No party"),
            yeas=row["yea"],
            nays=row["nay"],
            paired=row["paired"],
        )
        for row in breakdown
    ]
    yea, nay = translate(lang, "yea"), translate(lang, "nay")
    summary = "; ".join(f"{t.label}: {t.yeas} {yea}, {t.nays} {nay}" for t in tallies)
    labels = ChartLabels(
        title=translate(lang, "Ballots by party"),
        description=summary,
        yea=translate(lang, "yea"),
        nay=translate(lang, "nay"),
        paired=translate(lang, "paired"),
    )
    return party_breakdown_svg(tallies, labels)
