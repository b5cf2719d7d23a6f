"""The rows of the site's lists, rendered in Python: the bills, divisions, members and
sittings of the list pages and the home page, a member's recent ballots, speeches and
bills, search results, a division's ballots (up to 338), a sitting's speeches (a part of up
to 100), and the options of a filter menu (up to 460 sponsors). Templates lay the page out
and place the rows (`{{ rows }}`, `{{ option_tags(...) }}`).

Why not in the templates: through Jinja each row cost 10–60 µs (a yield, an escape and an
attribute lookup per value, a function call for each link, label, date or colour); a
division page spent 4 ms of its 5 ms rendering its ballots, eight times what the API takes
to answer the same division (bench/web.py). As one format string with escaped values, a
row costs 1–3 µs. The markup is the templates' own, and stays as easy to change: one
function per list, one string per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlencode

from markupsafe import Markup, escape

from openpolicy.queries.bills import BillItem
from openpolicy.queries.debates import DebateItem, LatestSitting, SittingSpeech
from openpolicy.queries.members import MemberItem
from openpolicy.queries.record import RecordItem
from openpolicy.queries.votes import BallotOf, PartyTally, VoteItem
from openpolicy.web import i18n
from openpolicy.web.i18n import Lang, translate
from openpolicy.web.labels import (
    BALLOTS,
    CHAMBERS,
    PARTIES,
    PROVINCES,
    RESULTS,
    ROLES,
    STAGE_STATES,
    STAGES,
    label,
)
from openpolicy.web.palette import party_colour
from openpolicy.web.progress import STATE_WORDS
from openpolicy.web.subjects import short_subject
from openpolicy.web.views import paragraphs, sitting_path


def _text(value: Any) -> str:
    """A value as escaped HTML text (nothing for None)."""
    if value is None:
        return ""
    if type(value) is int:
        return str(value)
    return str(escape(value))


def _escaped(values: Mapping[str, Any]) -> dict[str, str]:
    """A message's values escaped as Markup's `%` escapes them (None reads "None")."""
    return {
        name: str(value) if type(value) is int else str(escape(value))
        for name, value in values.items()
    }


class _Words:
    """The UI words rows repeat, translated and escaped once per language."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.catalogue = i18n.translations(lang)
        self.results = {code: _text(label(RESULTS, code, lang)) for code in RESULTS}
        self.messages: dict[str, str] = {}  # message -> its translation, escaped

    def say(self, message: str, **values: Any) -> str:
        """`_()` of the templates: the translation, escaped, with its values escaped (each
        message translated and escaped once; a list row says two or three)."""
        escaped = self.messages.get(message)
        if escaped is None:
            escaped = self.messages[message] = str(escape(self.catalogue.gettext(message)))
        return escaped % _escaped(values)

    def ngettext(self, singular: str, plural: str, num: int, **values: Any) -> str:
        """`ngettext()` of the templates: the form for `num`, escaped, `%(num)s` filled in."""
        key = f"{singular}\x00{plural}\x00{num}"
        escaped = self.messages.get(key)
        if escaped is None:
            escaped = str(escape(self.catalogue.ngettext(singular, plural, num)))
            if len(self.messages) < 4096:  # counts are unbounded; the words are not
                self.messages[key] = escaped
        values.setdefault("num", num)
        return escaped % _escaped(values)

    def path(self, neutral: str) -> str:
        return i18n.localize_path(neutral, self.lang)

    def badge(self, result: str) -> str:
        word = self.results.get(result) or _text(result)
        return f'<span class="badge result-{_text(result)}">{word}</span>'

    def date(self, value: Any, style: str = "long") -> str:
        if value is None:
            return ""
        return _time_tag(value, self.lang, style)


# Lists repeat their days: each `<time>` is written once per day, language and style.
@lru_cache(maxsize=16384)
def _time_tag(value: Any, lang: Lang, style: str) -> str:
    return (
        f'<time datetime="{_text(isodate(value))}">'
        f"{_text(i18n.format_date(value, lang, style))}</time>"
    )


@lru_cache(maxsize=len(i18n.LANGUAGES))
def words(lang: Lang) -> _Words:
    return _Words(lang)


def isodate(value: Any) -> str:
    """A date for `<time datetime>`: date objects, or ISO strings as JSON lists carry them."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value.isoformat())


def _pick(lang: Lang, english: Any, french: Any) -> str:
    return _text(i18n.pick(lang, english, french))


def bill_title(bill: Any, lang: Lang) -> str:
    """A bill's short title in the reader's language, else its long title (escaped)."""
    return _text(
        i18n.pick(lang, bill.short_title_en, bill.short_title_fr)
        or i18n.pick(lang, bill.title_en, bill.title_fr)
    )


def marked(lang: Lang, english: Any, french: Any) -> str:
    """Source text in the reader's language, else in English marked `lang="en"` with a
    visible note (French pages show the English subject where the source has no French)."""
    if lang == "fr" and not french and english:
        return in_language(_text(english), "en", lang)
    return _text(i18n.pick(lang, english, french))


def vote_title(vote: Any, w: _Words) -> str:
    """A division's short label in the reader's language (English marked on French pages
    when the source has no French), else "Division No. N"."""
    if w.lang == "fr" and not vote.subject_fr and vote.subject_en:
        return in_language(_text(short_subject(vote.subject_en)), "en", w.lang)
    subject = i18n.pick(w.lang, vote.subject_en, vote.subject_fr)
    if subject:
        return _text(short_subject(subject))
    return w.say("Division No. %(number)s", number=vote.number)


# A bar depends only on its numbers: each is drawn once per process (lists repeat totals,
# and a page of 50 rows would otherwise pay 50 translations and escapes).
@lru_cache(maxsize=65536)
def yea_nay_bar(yeas: int, nays: int, lang: Lang, *, paired: int = 0, pending: bool = False) -> str:
    """A division's yeas against its nays: the numbers on either side of a bar (an SVG whose
    parts are as wide as their shares, the majority line marked), the words for assistive
    technology. `pending`: the official totals while the ballots are not yet published."""
    total = yeas + nays + paired
    w = words(lang)
    text = w.say("%(yeas)s yeas, %(nays)s nays", yeas=yeas, nays=nays)
    if paired:
        text += ", " + w.ngettext("%(num)s paired", "%(num)s paired", paired)
    if total:
        yea = 100.0 * yeas / total
        nay = 100.0 * nays / total
        parts = (
            f'<rect class="yn-yea" width="{yea:.1f}%" height="100%"/>'
            f'<rect class="yn-nay" x="{yea:.1f}%" width="{nay:.1f}%" height="100%"/>'
        )
        if paired:
            parts += (
                f'<rect class="yn-paired" x="{yea + nay:.1f}%" width="{100 - yea - nay:.1f}%"'
                ' height="100%"/>'
            )
        parts += '<line class="yn-half" x1="50%" x2="50%" y1="0" y2="100%"/>'
    else:
        parts = '<rect class="yn-gap" width="100%" height="100%"/>'
    css = "yn yn-pending" if pending else "yn"
    return (
        f'<div class="{css}"><span class="yn-count" aria-hidden="true">{yeas}</span>'
        f'<svg class="yn-bar" role="img" aria-label="{text}" focusable="false">{parts}</svg>'
        f'<span class="yn-count yn-nays" aria-hidden="true">{nays}</span></div>'
    )


def same_day_repeats(votes: Sequence[Any]) -> dict[int, tuple[int, int]]:
    """Divisions of a list that share their label and day with another one of the list
    (the House often votes twice on the same words: an amendment, then the motion): by
    division number, its place among them in order of number and how many there are."""
    groups: dict[tuple[Any, str | None], list[int]] = {}
    for v in votes:
        groups.setdefault((v.date, v.subject_en or v.subject_fr), []).append(v.number)
    found: dict[int, tuple[int, int]] = {}
    for (_, subject), numbers in groups.items():
        if subject and len(numbers) > 1:
            for place, number in enumerate(sorted(numbers), start=1):
                found[number] = (place, len(numbers))
    return found


class _Division(NamedTuple):
    """A division as a bill's detail lists it (a JSON object), read by attribute."""

    session: str
    number: int
    date: str
    subject_en: str | None
    subject_fr: str | None
    result: str
    yeas: int
    nays: int
    paired: int


def division_items(divisions: Sequence[Mapping[str, Any]], lang: Lang) -> Markup:
    """The divisions held on a bill, as list items: short label (same-day twins told
    apart), result, date and the yeas against the nays."""
    w = words(lang)
    rows = [_Division(**{name: d[name] for name in _Division._fields}) for d in divisions]
    repeats = same_day_repeats(rows)
    out = []
    for v in rows:
        meta = w.say("Division No. %(number)s", number=v.number)
        if v.number in repeats:
            place, count = repeats[v.number]
            meta += " · " + w.say(
                "vote %(place)s of %(count)s on these words that day", place=place, count=count
            )
        out.append(
            f'<li class="division-item">\n'
            f'  <div class="cell-main"><a href="{w.path("/votes/")}{_text(v.session)}/{v.number}">'
            f"{vote_title(v, w)}</a>\n"
            f'    <div class="meta">{w.badge(v.result)} {w.date(v.date, "medium")} · {meta}</div>'
            f"</div>\n"
            f"  {yea_nay_bar(v.yeas, v.nays, lang, paired=v.paired)}\n"
            f"</li>"
        )
    return Markup("\n".join(out))


def party_tag(name: str | None, lang: Lang) -> str:
    if not name:
        return ""
    return f'<span class="party {_party_class(name)}">{_text(label(PARTIES, name, lang))}</span>'


# --- a bill's page ---------------------------------------------------------------------------


def bill_tracker(chambers: Sequence[str], steps: Sequence[Any], now: Any, lang: Lang) -> Markup:
    """The tracker's chambers and their stops (done, current, to come, or where the path
    ended and not reached after it), the stop the bill is at marked `aria-current`."""
    w = words(lang)
    out = ['<ol class="tracker-chambers">']
    for chamber in (*chambers, "royal_assent"):
        out.append(
            '  <li class="tracker-chamber">\n'
            f'    <span class="tracker-chamber-name">{_text(label(CHAMBERS, chamber, lang))}'
            "</span>\n"
            '    <ol class="tracker-steps">'
        )
        for step in steps:
            if step.chamber != chamber:
                continue
            css = f"step step-{_text(step.state)}"
            current = ""
            if step is now:
                current = ' aria-current="step"'
                if step.state != "current":
                    css += " step-ended"
            when = f" · {w.date(step.date, 'medium')}" if step.date else ""
            out.append(
                f'      <li class="{css}"{current}>\n'
                '        <span class="step-dot" aria-hidden="true"></span>\n'
                f'        <span class="step-name">{_text(label(STAGES, step.stage, lang))}</span>\n'
                f'        <span class="step-state">{w.say(STATE_WORDS[step.state])}{when}</span>\n'
                "      </li>"
            )
        out.append("    </ol>\n  </li>")
    out.append("</ol>")
    return Markup("\n".join(out))


def bill_timeline(runs: Sequence[Mapping[str, Any]], lang: Lang) -> Markup:
    """The stage history, per run of one chamber: each stage (repeated debate days in one
    row with their count and dates), its outcome, its date or dates."""
    w = words(lang)
    out = []
    for run in runs:
        out.append(f"<h3>{_text(label(CHAMBERS, run['chamber'], lang))}</h3>")
        out.append('<ol class="timeline">')
        for stage in run["stages"]:
            done = "done" if stage.dates and stage.outcome != "not_reached" else "pending"
            name = i18n.pick(lang, stage.name_en, stage.name_fr) or label(STAGES, stage.stage, lang)
            outcome = (
                f'<span class="meta">— {_text(label(STAGE_STATES, stage.outcome, lang))}</span>'
                if stage.outcome
                else ""
            )
            if len(stage.dates) > 1:
                span = w.say(
                    "%(first)s to %(last)s",
                    first=i18n.format_date(stage.first, lang, "medium"),
                    last=i18n.format_date(stage.last, lang, "medium"),
                )
                days = " · ".join(w.date(day, "medium") for day in stage.dates)
                when = (
                    f'<span class="when">'
                    f"{w.ngettext('%(num)s sitting day', '%(num)s sitting days', len(stage.dates))}"
                    f", {span}</span>\n"
                    f'    <span class="meta days">{days}</span>'
                )
            else:
                first = w.date(stage.first, "long") if stage.first else w.say("No date yet")
                when = f'<span class="when">{first}</span>'
            out.append(
                f'  <li class="{done}">\n'
                f"    <strong>{_text(name)}</strong>\n"
                f"    {outcome}\n"
                f"    {when}\n"
                "  </li>"
            )
        out.append("</ol>")
    return Markup("\n".join(out))


def bill_debates(debates: Iterable[Mapping[str, Any]], lang: Lang) -> Markup:
    """The sittings whose debates mention the bill, with how many times."""
    w = words(lang)
    return Markup(
        "\n  ".join(
            f'<li><a href="{w.path("/debates/")}{_text(d["session"])}/{_text(d["number"])}">'
            f"{w.date(d['date'], 'full')}</a>\n"
            f'    <span class="meta">— '
            f"{w.ngettext('%(num)s mention', '%(num)s mentions', d['mentions'])}</span></li>"
            for d in debates
        )
    )


# --- list pages and the home page -----------------------------------------------------------


def bill_rows(bills: Iterable[BillItem], lang: Lang) -> Markup:
    """The bill list's table rows."""
    w = words(lang)
    return Markup(
        "\n  ".join(
            f"<tr>\n"
            f'    <td><a href="{w.path("/bills/")}{_text(b.session)}/{_text(b.number)}">'
            f'{_text(b.number)}</a><div class="meta">{_text(b.session)}</div></td>\n'
            f"    <td>{bill_title(b, lang)}"
            + (f'<div class="meta">{_text(b.sponsor_name)}</div>' if b.sponsor_name else "")
            + f"</td>\n"
            f'    <td class="hide-narrow">{_pick(lang, b.status_en, b.status_fr)}</td>\n'
            f'    <td class="date-cell">{w.date(b.latest_activity_at, "medium")}</td>\n'
            f"  </tr>"
            for b in bills
        )
    )


def vote_rows(votes: Sequence[VoteItem], lang: Lang) -> Markup:
    """The division list's table rows: date, short label (told apart from a same-day
    division on the same words), result, and the yeas against the nays."""
    w = words(lang)
    repeats = same_day_repeats(votes)
    out = []
    for v in votes:
        meta = w.say("No. %(number)s · %(session)s", number=v.number, session=v.session)
        if v.bill_number:
            meta += " · " + w.say("Bill %(number)s", number=v.bill_number)
        if v.number in repeats:
            place, count = repeats[v.number]
            meta += " · " + w.say(
                "vote %(place)s of %(count)s on these words that day", place=place, count=count
            )
        out.append(
            f"<tr>\n"
            f'    <td class="date-cell">{w.date(v.date, "medium")}</td>\n'
            f'    <td class="cell-main"><a href="{w.path("/votes/")}{_text(v.session)}/{v.number}">'
            f"{vote_title(v, w)}</a>\n"
            f'      <div class="meta">{meta}</div></td>\n'
            f"    <td>{w.badge(v.result)}</td>\n"
            f'    <td class="bar-cell">{yea_nay_bar(v.yeas, v.nays, lang, paired=v.paired)}</td>\n'
            f"  </tr>"
        )
    return Markup("\n  ".join(out))


def member_rows(members: Iterable[MemberItem], lang: Lang) -> Markup:
    """The member list's table rows."""
    w = words(lang)
    return Markup(
        "\n  ".join(
            f"<tr>\n"
            f'    <td><span class="avatar" aria-hidden="true">{initials(m.name)}</span>'
            f'<a href="{w.path("/members/")}{m.id}">{_text(m.name)}</a></td>\n'
            f"    <td>{party_tag(m.party, lang)}</td>\n"
            f"    <td>{_text(m.constituency)}</td>\n"
            f'    <td class="hide-narrow">{_text(label(PROVINCES, m.province, lang))}</td>\n'
            f"  </tr>"
            for m in members
        )
    )


def sitting_items(sittings: Iterable[DebateItem], lang: Lang, *, editions: bool) -> Markup:
    """Sittings as list items (`editions`: say when only the English edition exists)."""
    w = words(lang)
    english_only = " · " + w.say("English edition only") if editions else ""
    out = []
    for d in sittings:
        note = english_only if not d.source_url_fr else ""
        which = w.say(
            "Sitting No. %(number)s, session %(session)s", number=d.number, session=d.session
        )
        out.append(
            f'<li><a href="{w.path("/debates/")}{_text(d.session)}/{d.number}">'
            f"{w.date(d.date, 'full')}</a>\n"
            f'    <div class="meta">{which}{note}</div></li>'
        )
    return Markup("\n  ".join(out))


def latest_votes(votes: Iterable[VoteItem], lang: Lang) -> Markup:
    """The home page's latest divisions: short label, result, date, the yeas against the
    nays."""
    w = words(lang)
    return Markup(
        "\n      ".join(
            f"<li>\n"
            f'        <a href="{w.path("/votes/")}{_text(v.session)}/{v.number}">'
            f"{vote_title(v, w)}</a>\n"
            f'        <div class="meta">{w.badge(v.result)} {w.date(v.date)}</div>\n'
            f"        {yea_nay_bar(v.yeas, v.nays, lang, paired=v.paired)}\n"
            f"      </li>"
            for v in votes
        )
    )


def sitting_topics(sitting: LatestSitting, lang: Lang) -> Markup:
    """The home page's topics of the latest sitting, each linked to its first speech."""
    w = words(lang)
    out = []
    for t in sitting.topics:
        path = w.path(sitting_path(sitting.session, sitting.number, t.sequence))
        count = _text(
            w.catalogue.ngettext("%(num)s speech", "%(num)s speeches", t.speeches)
            % {"num": i18n.format_number(t.speeches, lang)}
        )
        out.append(
            f'<li><a href="{_text(path)}">'
            f"{in_language(_text(t.heading), t.heading_lang, lang)}</a>"
            f' <span class="meta">{count}</span></li>'
        )
    return Markup("\n      ".join(out))


def bill_items(bills: Iterable[BillItem], lang: Lang) -> Markup:
    """Bills as list items: number and title, status and latest activity (the home page,
    a member's sponsored bills)."""
    w = words(lang)
    out = []
    for b in bills:
        activity = f" · {w.date(b.latest_activity_at)}" if b.latest_activity_at is not None else ""
        out.append(
            f"<li>\n"
            f'        <a href="{w.path("/bills/")}{_text(b.session)}/{_text(b.number)}">'
            f"<strong>{_text(b.number)}</strong> {bill_title(b, lang)}</a>\n"
            f'        <div class="meta">{_pick(lang, b.status_en, b.status_fr)}{activity}</div>\n'
            f"      </li>"
        )
    return Markup("\n      ".join(out))


# --- a member's page ------------------------------------------------------------------------


def record_rows(record: Iterable[RecordItem], lang: Lang) -> Markup:
    """A member's recent divisions: date, division, ballot (or absence), result."""
    w = words(lang)
    absent = w.say("Did not vote")
    against = w.say("against party")
    ballots = {code: _text(label(BALLOTS, code, lang)) for code in BALLOTS}
    out = []
    for r in record:
        ballot = (
            ballots.get(r.ballot) or _text(r.ballot)
            if r.ballot
            else f'<span class="meta">{absent}</span>'
        )
        dissent = f' <span class="dissent-tag">· {against}</span>' if r.dissent else ""
        marked = ' class="dissent"' if r.dissent else ""
        out.append(
            f"<tr{marked}>\n"
            f"    <td>{w.date(r.date, 'medium')}</td>\n"
            f'    <td><a href="{w.path("/votes/")}{_text(r.session)}/{r.number}">'
            f"{vote_title(r, w)}</a></td>\n"
            f"    <td>{ballot}{dissent}</td>\n"
            f"    <td>{w.badge(r.result)}</td>\n"
            f"  </tr>"
        )
    return Markup("\n  ".join(out))


# --- search results -------------------------------------------------------------------------


def highlight(snippet: str | None) -> str:
    """A search snippet with its `<mark>` highlights kept and everything else escaped."""
    escaped = _text(snippet)
    return escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")


def in_language(html: str, text_lang: str, lang: Lang) -> str:
    """Source text not in the page's language: marked with its `lang` and a visible note
    (an English division subject on a French page)."""
    if text_lang == lang:
        return html
    w = words(lang)
    note = w.say("(in English only)") if text_lang == "en" else w.say("(in French only)")
    return f'<span lang="{text_lang}">{html}</span> <span class="untranslated">{note}</span>'


def speaker(h: dict[str, Any], lang: Lang) -> str:
    """Who spoke: the member linked; a presiding officer by role ("The Deputy Speaker");
    the name as printed otherwise."""
    role = h.get("speaker_role_fr") if lang == "fr" else None
    role = role or (label(ROLES, h["speaker_role"], lang) if h.get("speaker_role") else "")
    name = h["speaker_name"] or role
    if h["member_id"]:
        who = f'<a href="{words(lang).path("/members/")}{h["member_id"]}">{_text(name)}</a>'
    else:
        who = _text(name or translate(lang, "Unnamed speaker"))
    if role and h["speaker_name"]:
        who += f" ({_text(role)})"
    return who


def speech_hits(hits: Iterable[dict[str, Any]], lang: Lang) -> Markup:
    """Speeches found: the heading and sub-heading linked to the speech, who spoke and
    when, a sentence or two with the words highlighted."""
    w = words(lang)
    unnamed = w.say("Speech")
    other_forms = w.say("other forms of the words")
    out = []
    for h in hits:
        party = f" · {_text(h['party'])}" if h["party"] else ""
        sub = (
            f' <span class="subheading">— {_text(h["subheading"])}</span>'
            if h.get("subheading")
            else ""
        )
        marked = f' lang="{h["text_lang"]}"' if h.get("text_lang", lang) != lang else ""
        snippet = (
            f'\n        <p class="snippet"{marked}>{highlight(h["snippet"])}</p>'
            if h["snippet"]
            else ""
        )
        tag = f' · <span class="stem-only">{other_forms}</span>' if h.get("exact") is False else ""
        out.append(
            f'<li class="hit hit-speech">\n'
            f'        <a href="{w.path("/debates/")}{_text(h["session"])}/{h["debate_number"]}'
            f'/{h["sequence"]}">{_text(h["heading"]) or unnamed}</a>{sub}\n'
            f'        <div class="meta">{speaker(h, lang)}{party} · {w.date(h["date"])}{tag}'
            f"</div>{snippet}\n"
            f"      </li>"
        )
    return Markup("\n      ".join(out))


def bill_hits(hits: Iterable[dict[str, Any]], lang: Lang) -> Markup:
    w = words(lang)
    out = []
    for h in hits:
        title = bill_title(_Bill(h), lang)
        status = _pick(lang, h.get("status_en"), h.get("status_fr"))
        out.append(
            f'<li class="hit hit-bill"><a href="{w.path("/bills/")}{_text(h["session"])}/'
            f'{_text(h["number"])}"><strong>{_text(h["number"])}</strong> {title}</a>\n'
            f'        <div class="meta">{w.say("Session %(session)s", session=h["session"])}'
            + (f" · {status}" if status else "")
            + f'</div>\n        <p class="snippet">{highlight(h["snippet"])}</p></li>'
        )
    return Markup("\n      ".join(out))


class _Bill:
    """A bill hit read with attribute access (bill_title's shape)."""

    def __init__(self, hit: dict[str, Any]) -> None:
        self.short_title_en = hit.get("short_title_en")
        self.short_title_fr = hit.get("short_title_fr")
        self.title_en = hit.get("title_en")
        self.title_fr = hit.get("title_fr")


def division_hits(hits: Iterable[dict[str, Any]], lang: Lang) -> Markup:
    """Divisions found: subject (marked when only in English), result, yea/nay bar, date."""
    w = words(lang)
    out = []
    for h in hits:
        subject = h["subject_fr"] if lang == "fr" and h.get("subject_fr") else h["subject_en"]
        subject_lang = "fr" if lang == "fr" and h.get("subject_fr") else "en"
        title = (
            in_language(
                highlight(h["snippet"]) if h.get("snippet") else _text(subject), subject_lang, lang
            )
            if subject
            else w.say("Division No. %(number)s", number=h["number"])
        )
        meta = w.say("No. %(number)s · %(session)s", number=h["number"], session=h["session"])
        bar = yea_nay_bar(h["yeas"], h["nays"], lang, paired=h.get("paired") or 0)
        out.append(
            f'<li class="hit hit-division">\n'
            f'        <a href="{w.path("/votes/")}{_text(h["session"])}/{h["number"]}">'
            f"{title}</a>\n"
            f'        <div class="meta">{w.badge(h["result"])} {w.date(h["date"])} · {meta}'
            f"</div>\n        {bar}\n"
            f"      </li>"
        )
    return Markup("\n      ".join(out))


def initials(name: str | None) -> str:
    """Up to two initials of a name (the portrait's stand-in)."""
    parts = [part for part in (name or "").replace("-", " ").split() if part[:1].isalpha()]
    if not parts:
        return "?"
    first, last = parts[0], parts[-1]
    return _text((first[0] + (last[0] if len(parts) > 1 else "")).upper())


def member_hits(hits: Iterable[dict[str, Any]], lang: Lang) -> Markup:
    w = words(lang)
    return Markup(
        "\n      ".join(
            f'<li class="hit hit-member"><span class="avatar" aria-hidden="true">'
            f"{initials(h['name'])}</span> "
            f'<a href="{w.path("/members/")}{h["id"]}">{_text(h["name"])}</a> '
            f'<span class="meta">{party_tag(h["party"], lang)} · {_text(h["constituency"])}'
            f"</span></li>"
            for h in hits
        )
    )


# --- the search page's facets ----------------------------------------------------------------


def _search_url(w: _Words, params: Mapping[str, Any]) -> str:
    """`/search` in the reader's language with the non-empty parameters (as `url()`)."""
    query = {key: value for key, value in params.items() if value not in (None, "")}
    target = w.path("/search")
    return _text(f"{target}?{urlencode(query)}" if query else target)


def search_facets(facets: Any, filters: Mapping[str, Any], party: str | None, lang: Lang) -> Markup:
    """The facet lists that narrow the speeches (party, speaker, session, year), each value a
    link to the same search with that filter added and its count of matches."""
    w = words(lang)

    def item(added: Mapping[str, Any], text: str, hits: int, current: bool = False) -> str:
        mark = ' aria-current="true"' if current else ""
        return (
            f'<li><a href="{_search_url(w, {**filters, **added})}"{mark}>{_text(text)}</a>'
            f' <span class="count">{i18n.format_number(hits, lang)}</span></li>'
        )

    def facet_list(heading: str, items: Iterable[str]) -> str:
        return f'<h3>{w.say(heading)}</h3>\n<ul class="facet-list">\n{"".join(items)}\n</ul>'

    speech = {"type": "speech"}
    out = []
    if facets.parties:
        out.append(
            facet_list(
                "Party",
                (
                    item(
                        {"party": f.value, **speech},
                        label(PARTIES, f.label, lang),
                        f.hits,
                        current=party == f.value,
                    )
                    for f in facets.parties
                ),
            )
        )
    if facets.members:
        out.append(
            facet_list(
                "Speaker",
                (item({"member": f.value, **speech}, f.label, f.hits) for f in facets.members),
            )
        )
    if len(facets.sessions) > 1:
        out.append(
            facet_list(
                "Session", (item({"session": f.value}, f.label, f.hits) for f in facets.sessions)
            )
        )
    if len(facets.years) > 1:
        out.append(
            facet_list(
                "Year",
                (
                    item({"from": f"{f.value}-01-01", "to": f"{f.value}-12-31"}, f.label, f.hits)
                    for f in facets.years
                ),
            )
        )
    return Markup("\n".join(out))


# --- a division's ballots -------------------------------------------------------------------


# The same 338 members vote in division after division: each link is written once.
@lru_cache(maxsize=8192)
def _member_link(members: str, member_id: Any, name: str | None) -> str:
    return f'<a href="{members}{member_id}">{_text(name)}</a>'


def ballot_groups(
    breakdown: Sequence[PartyTally], ballots: Iterable[BallotOf], lang: Lang
) -> tuple[list[dict[str, Any]], int]:
    """Ballots under their party (largest party first) as HTML list items, each marked when
    it went against the majority of its own party in the division (independents have no
    party line; a split caucus has no majority); and how many were marked."""
    majority = {row["party"]: row["majority"] for row in breakdown}
    members = i18n.localize_path("/members/", lang)
    ballot_words = {code: _text(label(BALLOTS, code, lang)) for code in BALLOTS}
    against = _text(translate(lang, "against party"))
    items: dict[str | None, list[str]] = {row["party"]: [] for row in breakdown}
    against_party: dict[str | None, int] = {}
    dissenters = 0
    for ballot in ballots:
        party, value = ballot["party"], ballot["value"]
        link = _member_link(members, ballot["member_id"], ballot["name"])
        word = ballot_words.get(value) or _text(value)
        expected = majority.get(party)
        if (
            expected is not None
            and party not in (None, "Independent")
            and value in ("yea", "nay")
            and value != expected
        ):
            dissenters += 1
            against_party[party] = against_party.get(party, 0) + 1
            line = (
                f'<li class="dissent">{link}\n        <span>{word} '
                f'<span class="dissent-tag">· {against}</span></span></li>'
            )
        else:
            line = f"<li>{link}\n        <span>{word}</span></li>"
        items.setdefault(party, []).append(line)
    w = words(lang)
    groups = [
        {
            "party": row["party"],
            "tally": row,
            "summary": Markup(_group_summary(row, against_party.get(row["party"], 0), w)),
            "ballots": Markup("\n".join(items.get(row["party"], []))),
            "dissenters": against_party.get(row["party"], 0),
        }
        for row in breakdown
    ]
    return groups, dissenters


def _group_summary(row: PartyTally, against: int, w: _Words) -> str:
    """A party group's heading: the party, its yeas and nays, paired members, and how many
    voted against the party."""
    name = party_tag(row["party"], w.lang) if row["party"] else w.say("No party")
    paired = (
        ", " + w.ngettext("%(num)s paired", "%(num)s paired", row["paired"])
        if row["paired"]
        else ""
    )
    dissent = (
        ' · <span class="dissent-tag">'
        + w.ngettext("%(num)s against party", "%(num)s against party", against)
        + "</span>"
        if against
        else ""
    )
    return (
        f'<span class="group-name">{name}</span>\n'
        f'      <span class="meta">'
        f"{w.say('%(yeas)s yea, %(nays)s nay', yeas=row['yea'], nays=row['nay'])}"
        f"{paired}{dissent}</span>"
    )


# --- a sitting's speeches -------------------------------------------------------------------


@lru_cache(maxsize=512)
def _party_class(party: str) -> str:
    """The party's colour class (static/site.css): the CSP allows no inline style."""
    return party_colour(party).css_class


def _speaker(speech: SittingSpeech, lang: Lang, members: str) -> str:
    role = label(ROLES, speech.speaker_role, lang) if speech.speaker_role else ""
    name = speech.speaker_name or role
    if speech.member_id:
        who = f'<a href="{members}{speech.member_id}">{_text(name)}</a>'
    else:
        who = _text(name or translate(lang, "Unnamed speaker"))
    parts = [f'<span class="speaker" id="s-{speech.sequence}-who">{who}</span>']
    if speech.speaker_role and speech.speaker_name:
        parts.append(f'<span class="meta">{_text(role)}</span>')
    if speech.party:
        parts.append(
            f'<span class="party {_party_class(speech.party)}">{_text(speech.party)}</span>'
        )
    if speech.time is not None:
        parts.append(f'<time class="meta">{_text(i18n.format_time(speech.time, lang))}</time>')
    return "\n    ".join(parts)


def speech_articles(
    speeches: Sequence[SittingSpeech],
    *,
    session: str,
    number: int,
    lang: Lang,
    other_lang: Lang,
    other_lang_url: str,
) -> Markup:
    """A part of a sitting: each speech as an article, under its heading when the heading
    changes, text in the language it is in (marked when it is not the page's)."""
    members = i18n.localize_path("/members/", lang)
    votes = i18n.localize_path("/votes/", lang)
    permalink_base = i18n.localize_path(f"/debates/{session}/{number}/", lang)
    permalink = _text(translate(lang, "Permalink"))
    read_other = _text(
        translate(lang, "Read in English") if lang == "fr" else translate(lang, "Lire en français")
    )
    twin = _text(other_lang_url)
    out: list[str] = []
    heading: str | None = None
    for speech in speeches:
        marked = f' lang="{speech.text_lang}"' if speech.text_lang != lang else ""
        if speech.heading and speech.heading != heading:
            heading = speech.heading
            out.append(f'<h3 class="speech-heading"{marked}>{_text(heading)}</h3>')
        # The safe markup (checked by the query against its closed vocabulary), else the
        # plain paragraphs escaped.
        body = speech.html or "".join(
            f"<p>{_text(paragraph)}</p>" for paragraph in paragraphs(speech.text)
        )
        sequence = speech.sequence
        if speech.kind == "note":  # nobody speaks a procedural note
            opening = f'<article class="speech" id="s-{sequence}" data-kind="note">\n'
        else:
            if speech.kind == "division" and speech.division_number is not None:
                title = _text(
                    translate(lang, "Division No. %(number)s") % {"number": speech.division_number}
                )
                who = (
                    f'<span class="speaker" id="s-{sequence}-who">'
                    f'<a href="{votes}{_text(session)}/{speech.division_number}">{title}</a></span>'
                )
            else:
                who = _speaker(speech, lang, members)
            opening = (
                f'<article class="speech" id="s-{sequence}" data-kind="{_text(speech.kind)}"'
                f' aria-labelledby="s-{sequence}-who">\n'
                f"  <header>\n    {who}\n  </header>\n"
            )
        out.append(
            f"{opening}"
            f"  <div{marked}>\n  {body}\n  </div>\n"
            f'  <p class="meta"><a href="{permalink_base}{sequence}">{permalink}</a>'
            + (
                f' ·\n    <a href="{twin}#s-{sequence}" lang="{other_lang}"'
                f' hreflang="{other_lang}">{read_other}</a>'
                if speech.other_edition
                else ""
            )
            + "</p>\n</article>"
        )
    return Markup("\n".join(out))


# --- the options of a filter menu -----------------------------------------------------------


@lru_cache(maxsize=256)
def _options(choices: tuple[tuple[Any, str], ...]) -> str:
    return "\n    ".join(
        f'<option value="{_text(value)}">{_text(text)}</option>' for value, text in choices
    )


@lru_cache(maxsize=64)
def _datalist(names: tuple[str | tuple[str, str], ...]) -> str:
    return "\n    ".join(
        f'<option value="{_text(name)}"></option>'
        if isinstance(name, str)
        else f'<option value="{_text(name[0])}">{_text(name[1])}</option>'
        for name in names
    )


@lru_cache(maxsize=8192)
def _voter_option(name: str, riding: str | None) -> str:
    return f'<option value="{_text(name)}">{_text(riding or "")}</option>'


def voter_options(ballots: Iterable[BallotOf]) -> Markup:
    """A division's voters as type-ahead suggestions (name, riding beside it), in the order
    of its ballots: the same members vote division after division, so each option is
    written once and a page joins ~338 strings instead of sorting and escaping them."""
    return Markup(
        "\n    ".join(_voter_option(b["name"], b["constituency"]) for b in ballots if b["name"])
    )


def datalist_options(names: Sequence[str | tuple[str, str]]) -> Markup:
    """The suggestions of a type-ahead field (a `<datalist>`: the browser's own type-ahead,
    no script), rendered once per list of names. A (name, label) pair shows its label
    beside the name (a member's riding), and the browser matches what is typed on both."""
    return Markup(_datalist(tuple(names)))


def option_tags(choices: Sequence[tuple[Any, str]], current: Any) -> Markup:
    """`<option>`s of a menu, the `current` value selected. The same menu is rendered once
    (menus change with the data version, the sponsors' has 460 entries)."""
    html = _options(tuple(choices))
    if current is not None and current != "":
        value = _text(current)
        html = html.replace(f'<option value="{value}">', f'<option value="{value}" selected>', 1)
    return Markup(html)
