"""Hansard: sittings by date, one sitting with its contents, and one speech on its own.

Speeches keep the same anchor (`#s-12`) and permalink in both languages, and every speech
links to its twin in the other language, so switching language keeps the reader's place
without any JavaScript. Sittings whose French edition we lack show the English text,
marked `lang="en"`, rather than nothing.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.errors import NotFoundError
from openpolicy.queries import debates
from openpolicy.web.deps import reading
from openpolicy.web.fragments import sitting_items, speech_articles
from openpolicy.web.i18n import localize_path, other_lang, pick, strip_lang
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.sitting_contents import contents_html
from openpolicy.web.views import (
    SPEECHES_PER_PART,
    date_param,
    int_param,
    page_links,
    page_request,
    paragraphs,
    part_of,
    text_param,
)

PAGE_SIZE = 50


async def debate_list(request: Request) -> HTMLResponse:
    """Sittings, newest first, filtered by session and dates."""
    filters = debates.DebateFilters(
        session=text_param(request, "session"),
        date_from=date_param(request, "from"),
        date_to=date_param(request, "to"),
    )
    wanted = page_request(request, PAGE_SIZE)
    async with reading(request) as conn:
        page = await debates.list_debates(conn, filters, wanted)
        total = await debates.count_debates(conn, filters)
        sessions = await debates.debate_sessions(conn)
    return render_html(
        request,
        "debates.html",
        sittings=page.items,
        rows=sitting_items(page.items, page_lang(request), editions=True),
        filters=filters,
        options={"sessions": [(code, code) for code in sessions]},
        links=page_links(request, page, total),
    )


async def debate_page(request: Request, session: str, number: int) -> HTMLResponse:
    """A sitting: the table of contents of the whole sitting (orders of business, their
    subjects and sub-headings, read once per data version), then one part of its speeches
    in order (a part holds at most SPEECHES_PER_PART speeches, so a page costs the same
    whatever the sitting's length). French pages show the English text where the French
    edition is missing, marked as English."""
    lang = page_lang(request)
    part = int_param(request, "part") or 1
    fallback = lang == "fr"
    first = (part - 1) * SPEECHES_PER_PART + 1
    async with reading(request) as conn:
        sitting, speeches = await debates.sitting(
            conn,
            session,
            number,
            lang,
            part=(first, first + SPEECHES_PER_PART - 1),
            fallback=fallback,
        )
        contents = await debates.sitting_contents(conn, session, number, lang, fallback=fallback)
    parts = part_of(sitting["last_sequence"])
    if not 1 <= part <= parts:
        raise NotFoundError(f"sitting {number} of {session} has {parts} part(s), not {part}")
    shown = speeches.items
    other = other_lang(lang)
    return render_html(
        request,
        "debate.html",
        sitting=sitting,
        contents=contents_html(
            contents,
            session=sitting["session"],
            number=sitting["number"],
            part=part,
            parts=parts,
            lang=lang,
            # A sitting without its French edition has English headings only.
            headings_lang="en" if lang == "fr" and not sitting["source_url_fr"] else lang,
        ),
        speeches=speech_articles(
            shown,
            session=sitting["session"],
            number=sitting["number"],
            lang=lang,
            other_lang=other,
            other_lang_url=localize_path(strip_lang(request.url.path), other)
            + (f"?{request.url.query}" if request.url.query else ""),
        ),
        part=part,
        parts=parts,
        english_only=any(speech.text_lang != lang for speech in shown),
        og_type="article",
    )


async def speech_page(request: Request, session: str, number: int, sequence: int) -> HTMLResponse:
    """One intervention, with its speaker, sitting and neighbours (a shareable permalink)."""
    lang = page_lang(request)
    async with reading(request) as conn:
        speech = await debates.speech_detail(conn, session, number, sequence)
    text = pick(lang, speech["text_en"], speech["text_fr"])
    text_lang = lang if (speech["text_fr"] if lang == "fr" else speech["text_en"]) else "en"
    return render_html(
        request,
        "speech.html",
        speech=speech,
        heading=pick(lang, speech["heading_en"], speech["heading_fr"]),
        speech_paragraphs=paragraphs(text),
        text_lang=text_lang,
        og_type="article",
    )
