"""Atom feeds: new divisions, bill activity, and each member's activity, in both languages.

Entry ids are the entries' permalinks in the feed's language, so a reader subscribed to the
French feed gets French pages. The feed's `updated` is its newest entry's, so it only
changes when Parliament does.
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from fastapi.responses import Response

from openpolicy.config import Settings
from openpolicy.queries import bills, members, record, votes
from openpolicy.queries.paging import PageRequest
from openpolicy.web.atom import CONTENT_TYPE, Entry, as_datetime, atom_feed
from openpolicy.web.deps import reading
from openpolicy.web.i18n import OTTAWA, Lang, localize_path, pick, translate
from openpolicy.web.labels import BALLOTS, RESULTS, label
from openpolicy.web.rendering import page_lang, site_url
from openpolicy.web.views import paragraphs

FEED_SIZE = 30


def _vote_title(vote: votes.VoteItem | record.RecordItem, lang: Lang) -> str:
    subject = pick(lang, vote.subject_en, vote.subject_fr)
    number = translate(lang, "Division No. %(number)s") % {"number": vote.number}
    return f"{number}: {subject}" if subject else number


def _respond(request: Request, body: bytes) -> Response:
    settings: Settings = request.app.state.settings
    cache = (
        f"public, max-age={settings.web_cache_seconds}"
        if settings.web_cache_seconds > 0
        else "no-store"
    )
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": cache})


def _urls(request: Request, lang: Lang, page: str) -> tuple[str, str, str]:
    base = site_url(request)
    self_url = base + localize_path(request.url.path, lang)
    return base, self_url, base + localize_path(page, lang)


async def votes_feed(request: Request) -> Response:
    """The latest recorded divisions, newest first."""
    lang = page_lang(request)
    base, self_url, alternate = _urls(request, lang, "/votes")
    async with reading(request) as conn:
        page = await votes.list_votes(conn, votes.VoteFilters(), PageRequest(limit=FEED_SIZE))
    entries = []
    for vote in page.items:
        link = base + localize_path(f"/votes/{vote.session}/{vote.number}", lang)
        summary = translate(lang, "%(result)s: %(yeas)s yeas, %(nays)s nays") % {
            "result": label(RESULTS, vote.result, lang),
            "yeas": vote.yeas,
            "nays": vote.nays,
        }
        entries.append(Entry(link, _vote_title(vote, lang), link, as_datetime(vote.date), summary))
    return _respond(
        request,
        atom_feed(
            feed_id=self_url,
            title=translate(lang, "OpenPolicy: new divisions"),
            subtitle=translate(lang, "Recorded divisions of the House of Commons"),
            self_url=self_url,
            alternate_url=alternate,
            lang=lang,
            entries=entries,
        ),
    )


async def bills_feed(request: Request) -> Response:
    """Bills by latest activity (a bill reappears each time it moves a stage)."""
    lang = page_lang(request)
    base, self_url, alternate = _urls(request, lang, "/bills")
    async with reading(request) as conn:
        page = await bills.list_bills(conn, bills.BillFilters(), PageRequest(limit=FEED_SIZE))
    entries = []
    for bill in page.items:
        link = base + localize_path(f"/bills/{bill.session}/{bill.number}", lang)
        title = pick(lang, bill.short_title_en, bill.short_title_fr) or pick(
            lang, bill.title_en, bill.title_fr
        )
        updated = as_datetime(bill.latest_activity_at or bill.updated_at)
        status = pick(lang, bill.status_en, bill.status_fr)
        entries.append(
            Entry(
                # One entry per bill and activity date: a new stage is a new entry.
                f"{link}#{updated.date().isoformat()}",
                f"{bill.number} — {title}",
                link,
                updated,
                status or title,
            )
        )
    return _respond(
        request,
        atom_feed(
            feed_id=self_url,
            title=translate(lang, "OpenPolicy: bill activity"),
            subtitle=translate(
                lang, "Bills of the Parliament of Canada as they move through its stages"
            ),
            self_url=self_url,
            alternate_url=alternate,
            lang=lang,
            entries=entries,
        ),
    )


async def member_feed(request: Request, member_id: int) -> Response:
    """A member's ballots, speeches and sponsored bills, newest first."""
    lang = page_lang(request)
    async with reading(request) as conn:
        member = await members.member_detail(conn, member_id)
        ballots = await record.record_page(conn, member_id, PageRequest(limit=FEED_SIZE))
        speeches = await members.member_speeches(
            conn, member_id, PageRequest(limit=FEED_SIZE), lang=lang
        )
        sponsored = await bills.sponsored_bills(conn, member_id, PageRequest(limit=10))
    base, self_url, alternate = _urls(request, lang, f"/members/{member_id}")
    entries: list[Entry] = []
    for vote in ballots.items:
        if vote.ballot is None:
            continue
        link = base + localize_path(f"/votes/{vote.session}/{vote.number}", lang)
        summary = translate(lang, "Voted %(ballot)s; the motion was %(result)s.") % {
            "ballot": label(BALLOTS, vote.ballot, lang),
            "result": label(RESULTS, vote.result, lang).lower(),
        }
        entries.append(
            Entry(
                f"{link}#member-{member_id}",
                _vote_title(vote, lang),
                link,
                as_datetime(vote.date),
                summary,
            )
        )
    for speech in speeches.items:
        path = f"/debates/{speech.session}/{speech.debate_number}/{speech.sequence}"
        link = base + localize_path(path, lang)
        text = (paragraphs(speech.text) or [""])[0]
        moment = as_datetime(speech.date)
        if speech.time is not None:
            moment = dt.datetime.combine(speech.date, speech.time, tzinfo=OTTAWA)
        entries.append(
            Entry(link, speech.heading or translate(lang, "Speech"), link, moment, text[:500])
        )
    for bill in sponsored.items:
        link = base + localize_path(f"/bills/{bill.session}/{bill.number}", lang)
        title = pick(lang, bill.short_title_en, bill.short_title_fr) or pick(
            lang, bill.title_en, bill.title_fr
        )
        updated = as_datetime(bill.latest_activity_at or bill.introduced)
        entries.append(
            Entry(
                f"{link}#{updated.date().isoformat()}",
                f"{bill.number} — {title}",
                link,
                updated,
                pick(lang, bill.status_en, bill.status_fr) or title,
            )
        )
    entries.sort(key=lambda entry: entry.updated, reverse=True)
    return _respond(
        request,
        atom_feed(
            feed_id=self_url,
            title=translate(lang, "OpenPolicy: %(name)s") % {"name": member["name"]},
            subtitle=translate(lang, "Ballots, speeches and bills of %(name)s")
            % {"name": member["name"]},
            self_url=self_url,
            alternate_url=alternate,
            lang=lang,
            entries=entries[:FEED_SIZE],
        ),
    )
