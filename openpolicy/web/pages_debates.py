"""Hansard: sittings by date, one sitting with its contents, and one speech on its own.

Speeches keep the same anchor (`#s-12`) and permalink in both languages, and every speech
links to its twin in the other language, so switching language keeps the reader's place
without any JavaScript. Sittings whose French edition we lack show the English text,
marked `lang="en"`, rather than nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from openpolicy.errors import NotFoundError
from openpolicy.queries import debates
from openpolicy.web.deps import Reader, db
from openpolicy.web.i18n import pick
from openpolicy.web.rendering import page_lang, render_html
from openpolicy.web.views import (
    date_param,
    int_param,
    next_page_url,
    page_request,
    paragraphs,
    rows,
    text_param,
)

PAGE_SIZE = 50
# A long sitting (400+ speeches, 600 KB of HTML) is served in parts of this many speeches,
# cut by sequence number so any page can link to a speech's part without a query.
SPEECHES_PER_PART = 100


def part_of(sequence: int) -> int:
    """The part of its sitting page that a speech is on (1-based)."""
    return (max(sequence, 1) - 1) // SPEECHES_PER_PART + 1


def sitting_path(session: str, number: int, sequence: int | None = None) -> str:
    """The language-neutral path of a sitting, or of one speech's place in it."""
    path = f"/debates/{session}/{number}"
    if sequence is None:
        return path
    part = part_of(sequence)
    return f"{path}{'?part=' + str(part) if part > 1 else ''}#s-{sequence}"


def debate_list(request: Request, reader: Reader = Depends(db)) -> HTMLResponse:
    """Sittings, newest first, filtered by session and dates."""
    conn = reader.conn
    filters = debates.DebateFilters(
        session=text_param(request, "session"),
        date_from=date_param(request, "from"),
        date_to=date_param(request, "to"),
    )
    page = debates.list_debates(conn, filters, page_request(request, PAGE_SIZE))
    return render_html(
        request,
        "debates.html",
        sittings=rows(page, debates.FIELDS),
        filters=filters,
        options={"sessions": [(code, code) for code in debates.debate_sessions(conn)]},
        next_url=next_page_url(request, page.next_cursor),
    )


def debate_page(
    request: Request, session: str, number: int, reader: Reader = Depends(db)
) -> HTMLResponse:
    """A sitting: table of contents of its headings, then every speech in order."""
    lang = page_lang(request)
    part = int_param(request, "part") or 1
    sitting = debates.debate_detail(reader.conn, session, number, lang=lang)
    last_part = max((part_of(s["sequence"]) for s in sitting["speeches"]), default=1)
    if not 1 <= part <= last_part:
        raise NotFoundError(f"sitting {number} of {session} has {last_part} part(s), not {part}")
    fallback = lang == "fr" and any(s["text"] is None for s in sitting["speeches"])
    if fallback:
        english = debates.debate_detail(reader.conn, session, number, lang="en")
        sitting = merge_editions(sitting, english)
    shown = [s for s in sitting["speeches"] if part_of(s["sequence"]) == part]
    for speech in shown:
        speech["paragraphs"] = paragraphs(speech["text"])
        speech.setdefault("lang", lang)
    return render_html(
        request,
        "debate.html",
        sitting=sitting,
        speeches=shown,
        part=part,
        parts=last_part,
        english_only=fallback,
        og_type="article",
    )


def merge_editions(french: dict[str, Any], english: dict[str, Any]) -> dict[str, Any]:
    """French speeches where the French edition has them, English ones (marked) elsewhere."""
    speeches = []
    for fr, en in zip(french["speeches"], english["speeches"], strict=True):
        if fr["text"] is None and en["text"] is not None:
            speeches.append({**en, "lang": "en"})
        else:
            speeches.append({**fr, "heading": fr["heading"] or en["heading"], "lang": "fr"})
    contents = (
        french["contents"] if all(s["lang"] == "fr" for s in speeches) else english["contents"]
    )
    return {**french, "speeches": speeches, "contents": contents}


def speech_page(
    request: Request, session: str, number: int, sequence: int, reader: Reader = Depends(db)
) -> HTMLResponse:
    """One intervention, with its speaker, sitting and neighbours (a shareable permalink)."""
    lang = page_lang(request)
    speech = debates.speech_detail(reader.conn, session, number, sequence)
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
