"""Bills: the filterable list and one bill with its stages, divisions and debates."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import bills
from openpolicy.web import fragments, progress
from openpolicy.web.deps import reading
from openpolicy.web.i18n import translate
from openpolicy.web.labels import BILL_TYPES, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.views import folded, page_links, page_request, text_param

PAGE_SIZE = 50


async def bill_list(request: Request) -> HTMLResponse:
    """Bills, most recent activity first, filtered by session, status, type and sponsor."""
    lang = page_lang(request)
    # A clean status ("second_reading"), or words of a status as printed (older links).
    status = text_param(request, "status")
    filters = bills.BillFilters(
        session=text_param(request, "session"),
        status=status if status not in progress.STATUS_GROUPS else None,
        type=text_param(request, "type"),
    )
    # The sponsor: a name typed in the type-ahead field, or a member id (older links).
    sponsor = text_param(request, "sponsor")
    wanted = page_request(request, PAGE_SIZE)
    async with reading(request) as conn:
        facets = await bills.bill_facets(conn)
        if sponsor is not None:
            filters.sponsors, sponsor = sponsors_named(facets.sponsors, sponsor)
        if status in progress.STATUS_GROUPS:
            filters.statuses = statuses_in(facets.statuses, status)
            # A bill defeated or not proceeded with is counted as such, not at the stage
            # its last printed status names ("Introduction and First Reading").
            filters.ended = status == "defeated"
        page = await bills.list_bills(conn, filters, wanted)
        total = await bills.count_bills(conn, filters)
    return render_html(
        request,
        "bills.html",
        bills=page.items,
        rows=fragments.bill_rows(page.items, lang),
        filters=filters,
        status=status,
        sponsor=sponsor,
        sponsor_found=bool(filters.sponsors),
        options={
            "sessions": [(code, code) for code in facets.sessions],
            "statuses": [
                (code, translate(lang, words)) for code, words in progress.STATUS_GROUPS.items()
            ],
            "types": [(code, label(BILL_TYPES, code, lang)) for code in facets.types],
            "sponsors": sponsor_names(facets.sponsors),
        },
        links=page_links(request, page, total),
    )


def sponsors_named(people: list[bills.Person], wanted: str) -> tuple[tuple[int, ...], str]:
    """The sponsors a typed name means (exactly that name, else every name containing it,
    case and accents ignored) and the name to show back in the field. A number is a
    member id."""
    if wanted.isdigit():
        chosen = [p for p in people if p.id == int(wanted)]
    else:
        needle = folded(wanted)
        chosen = [p for p in people if folded(p.name) == needle] or [
            p for p in people if needle and needle in folded(p.name)
        ]
    shown = chosen[0].name if len(chosen) == 1 else wanted
    return tuple(p.id for p in chosen), shown


@lru_cache(maxsize=8)
def _names(people: tuple[bills.Person, ...]) -> list[str]:
    return sorted({p.name for p in people}, key=folded)


def sponsor_names(people: list[bills.Person]) -> list[str]:
    """The type-ahead's suggestions: every sponsor's name once, A to Z."""
    return _names(tuple(people))


def statuses_in(statuses: list[bills.Status], group: str) -> tuple[str, ...]:
    """The LEGISinfo statuses (as printed, old and new wording) of one clean status."""
    return tuple(s.en for s in statuses if progress.status_group(s.en) == group)


async def bill_page(request: Request, session: str, number: str) -> HTMLResponse:
    """One bill: where it stands (a tracker of its path and a plain status naming the
    chamber; where and how its path ended, for a bill defeated or not proceeded with),
    its stage history with repeated debate days in one row, the divisions held
    on it with their yea/nay bars, sponsor, debates, texts."""
    async with reading(request) as conn:
        bill = await bills.bill_detail(conn, session, number)
        session_ended = await bills.session_end(conn, bill["session"])
    lang = page_lang(request)
    steps = progress.tracker(dict(bill))
    now = progress.current_step(steps)
    ended = progress.ending(dict(bill))
    timeline = chamber_runs(progress.history(list(map(dict, bill["stages"]))))
    return render_html(
        request,
        "bill.html",
        bill=bill,
        tracker=fragments.bill_tracker(progress.chamber_order(dict(bill)), steps, now, lang),
        now=now,
        # How its path ended, in words naming the chamber and the stage it ended at.
        ended_status=progress.ENDED_STATUS.get((ended.kind, now.chamber))
        if ended is not None and now is not None
        else None,
        # The session is over and the record shows neither royal assent nor an ending:
        # the bill died on the Order Paper, or the record predates the end (the 2018
        # export of 42-1 does); the page says both, with the record's last date.
        session_ended=session_ended if not bill["royal_assent"] and ended is None else None,
        timeline=timeline,
        timeline_html=fragments.bill_timeline(timeline, lang),
        debates=fragments.bill_debates(bill["debates"], lang),
        divisions=fragments.division_items(bill["divisions"], lang),
        legisinfo_url=legisinfo_url(bill["session"], bill["number"], lang),
        og_type="article",
    )


def chamber_runs(rows: list[progress.HistoryRow]) -> list[dict[str, Any]]:
    """History rows in order, grouped into consecutive runs per chamber (House, Senate,
    assent)."""
    runs: list[dict[str, Any]] = []
    for row in rows:
        if not runs or runs[-1]["chamber"] != row.chamber:
            runs.append({"chamber": row.chamber, "stages": []})
        runs[-1]["stages"].append(row)
    return runs


def legisinfo_url(session: str, number: str, lang: str) -> str:
    """The bill's official page on LEGISinfo (texts, publications), in the reader's language."""
    return f"https://www.parl.ca/legisinfo/{lang}/bill/{session}/{number.lower()}"
