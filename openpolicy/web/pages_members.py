"""Members: the filterable list and one member's terms, voting record, speeches and bills."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from openpolicy.queries import bills, members
from openpolicy.queries._sql import PageRequest
from openpolicy.web.deps import Reader, db
from openpolicy.web.labels import PARTIES, PROVINCES, label
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.views import (
    choice_param,
    next_page_url,
    page_request,
    paragraphs,
    rows,
    text_param,
)

PAGE_SIZE = 100
STATUSES = ("current", "all")


def member_list(request: Request, reader: Reader = Depends(db)) -> HTMLResponse:
    """Members by name, filtered by party, province, name, and sitting or not."""
    conn = reader.conn
    lang = page_lang(request)
    status = choice_param(request, "status", STATUSES) or "current"
    filters = members.MemberFilters(
        current=True if status == "current" else None,
        party=text_param(request, "party"),
        province=choice_param(request, "province", tuple(PROVINCES)),
        name=text_param(request, "name"),
    )
    page = members.list_members(conn, filters, page_request(request, PAGE_SIZE))
    parties = members.member_parties(conn)
    return render_html(
        request,
        "members.html",
        members=rows(page, members.FIELDS),
        filters=filters,
        status=status,
        options={
            "parties": [(p["en"], label(PARTIES, p["en"], lang)) for p in parties],
            "provinces": sorted(
                ((code, label(PROVINCES, code, lang)) for code in PROVINCES),
                key=lambda item: item[1],
            ),
        },
        next_url=next_page_url(request, page.next_cursor),
    )


def member_page(request: Request, member_id: int, reader: Reader = Depends(db)) -> HTMLResponse:
    """One member: photo, terms, attendance and dissent, recent ballots, speeches, bills."""
    conn = reader.conn
    lang = page_lang(request)
    member = members.member_detail(conn, member_id)
    record = members.member_votes(conn, member_id, PageRequest(limit=10))
    speeches = rows(
        members.member_speeches(conn, member_id, PageRequest(limit=5), lang=lang),
        members.SPEECH_FIELDS,
    )
    if lang == "fr" and any(speech["text"] is None for speech in speeches):
        # Most sittings have only an English edition: show it rather than nothing.
        english = rows(
            members.member_speeches(conn, member_id, PageRequest(limit=5), lang="en"),
            members.SPEECH_FIELDS,
        )
        speeches = [
            fr if fr["text"] is not None else {**en, "lang": "en"}
            for fr, en in zip(speeches, english, strict=True)
        ]
    for speech in speeches:
        speech["excerpt"] = (paragraphs(speech["text"]) or [""])[0]
    return render_html(
        request,
        "member.html",
        member=member,
        summary=members.member_vote_summary(conn, member_id),
        record=rows(record, members.VOTE_RECORD_FIELDS),
        speeches=speeches,
        sponsored=rows(bills.sponsored_bills(conn, member_id, PageRequest(limit=10)), bills.FIELDS),
        og_type="profile",
    )
