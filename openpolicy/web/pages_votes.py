"""Recorded divisions: the filterable list and one division with every MP's ballot."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import votes
from openpolicy.web.charts import ChartLabels, PartyTally, party_breakdown_svg
from openpolicy.web.deps import reading
from openpolicy.web.fragments import ballot_groups, vote_rows, voter_options
from openpolicy.web.i18n import Lang, pick, translate
from openpolicy.web.labels import PARTIES, RESULTS, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.subjects import short_subject
from openpolicy.web.views import (
    choice_param,
    date_param,
    folded,
    page_links,
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
        total = await votes.count_votes(conn, filters)
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
        links=page_links(request, page, total),
    )


async def vote_page(request: Request, session: str, number: int) -> HTMLResponse:
    """One division: result, official totals drawn as a bar (ballots published or not),
    party chart, ballots by party (collapsible, dissenters marked), and "how did my MP
    vote?" answered from the `mp` parameter (a name or a riding) with no script."""
    lang = page_lang(request)
    wanted = text_param(request, "mp")
    async with reading(request) as conn:
        vote = await votes.vote_detail(conn, session, number)
    groups, dissenters = ballot_groups(vote["party_breakdown"], vote["ballots"], lang)
    subject = pick(lang, vote["subject_en"], vote["subject_fr"])
    return render_html(
        request,
        "vote.html",
        vote=vote,
        groups=groups,
        dissenters=dissenters,
        pending=not vote["ballots"],
        short_label=short_subject(subject) if subject else None,
        subject=subject,
        subject_lang="en" if lang == "fr" and not vote["subject_fr"] and subject else None,
        chart=party_chart(vote["party_breakdown"], lang) if vote["ballots"] else None,
        mp=wanted,
        found=find_ballots(vote["ballots"], wanted) if wanted else [],
        voters=voter_options(vote["ballots"]),  # the lookup's type-ahead: who voted
        og_type="article",
    )


MAX_FOUND = 12


def find_ballots(ballots: list[votes.BallotOf], wanted: str) -> list[votes.BallotOf]:
    """The ballots of members whose name or riding contains `wanted` (case and accents
    ignored), exact names first, at most MAX_FOUND."""
    needle = folded(wanted)
    if not needle:
        return []
    exact, partial = [], []
    for ballot in ballots:
        name = folded(ballot["name"] or "")
        riding = folded(ballot["constituency"] or "")
        if needle in (name, riding):
            exact.append(ballot)
        elif needle in name or needle in riding:
            partial.append(ballot)
    return (exact + partial)[:MAX_FOUND]


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
