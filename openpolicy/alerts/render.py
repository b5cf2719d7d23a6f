"""How alerts read, in the subscriber's language: targets, items, and the e-mails around them.

Words come from the site's gettext catalogues (openpolicy/web/locale), so an alert says
"Adopté" exactly where the division page does. Item sentences are built here, one function
per event; the e-mail layouts are templates under `templates/` (text and HTML parts).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from openpolicy.alerts.targets import Description
from openpolicy.config import Settings
from openpolicy.web import i18n
from openpolicy.web.i18n import Lang, translate
from openpolicy.web.labels import BALLOTS, CHAMBERS, PARTIES, RESULTS, STAGE_STATES, STAGES, label

TEMPLATES = Path(__file__).parent / "templates"
EXCERPT = 280
ITEMS_SHOWN = 25  # per followed thing in one e-mail; the rest is one link away


def site_base(settings: Settings) -> str:
    """Absolute links in messages: `site_url`, else the address `openpolicy serve` binds."""
    if settings.site_url:
        return settings.site_url.rstrip("/")
    return f"http://{settings.host}:{settings.port}"


def link(settings: Settings, lang: Lang, path: str) -> str:
    return site_base(settings) + i18n.localize_path(path, lang)


def _excerpt(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rsplit(" ", 1)[0] + "…"


def _date(value: Any, lang: Lang) -> str:
    return i18n.format_date(value, lang) if value else ""


def _sentence(text: str) -> str:
    """A capital first letter (French puts "projet de loi" mid-sentence in lower case)."""
    return text[:1].upper() + text[1:]


def target_label(description: Description, lang: Lang) -> str:
    """`Jagmeet Singh`, `Bill C-2 (45-1): Strong Borders Act`, `the search “pharmacare”`…"""
    return _sentence(_target_label(description, lang))


def _target_label(description: Description, lang: Lang) -> str:
    facts = description.facts
    if description.kind == "member":
        return str(facts["name"])
    if description.kind == "bill":
        name = translate(lang, "Bill %(number)s (%(session)s)") % facts
        title = i18n.pick(lang, facts.get("title_en"), facts.get("title_fr"))
        if not title:
            return name
        return translate(lang, "%(bill)s: %(title)s") % {"bill": name, "title": title}
    if description.kind == "division":
        if facts.get("every_division"):
            return translate(lang, "Every new division")
        return translate(lang, "Division %(number)s (%(session)s)") % facts
    words = translate(lang, "Speeches matching “%(q)s”") % facts
    if facts.get("member_name"):
        words += " — " + str(facts["member_name"])
    if facts.get("party"):
        words += " — " + label(PARTIES, facts["party"], lang)
    if facts.get("language") in ("en", "fr"):
        in_english = facts["language"] == "en"
        words += " — " + (
            translate(lang, "in English") if in_english else translate(lang, "in French")
        )
    return words


@dataclass
class ItemView:
    """One item as a message shows it: a sentence, an optional quote, and its page."""

    title: str
    detail: str
    path: str | None


def _bill_name(bill: dict[str, Any], lang: Lang) -> str:
    return translate(lang, "Bill %(number)s (%(session)s)") % bill


def _vote_outcome(vote: dict[str, Any], lang: Lang) -> str:
    return translate(lang, "%(result)s, %(yeas)s to %(nays)s") % {
        "result": label(RESULTS, vote.get("result"), lang),
        "yeas": vote.get("yeas"),
        "nays": vote.get("nays"),
    }


def item_view(event: str, payload: dict[str, Any], lang: Lang) -> ItemView:
    """The sentence for one matched item (see openpolicy.alerts.matching for payloads)."""
    view = _item_view(event, payload, lang)
    view.title = _sentence(view.title)
    return view


def _item_view(event: str, payload: dict[str, Any], lang: Lang) -> ItemView:
    if event == "member.ballot":
        vote = payload["vote"]
        return ItemView(
            translate(
                lang, "%(name)s voted %(ballot)s on division %(number)s (%(session)s), %(date)s"
            )
            % {
                "name": payload["member"]["name"],
                "ballot": label(BALLOTS, payload["ballot"], lang),
                "number": vote["number"],
                "session": vote["session"],
                "date": _date(vote["date"], lang),
            },
            i18n.pick(lang, vote.get("subject_en"), vote.get("subject_fr"))
            + " — "
            + _vote_outcome(vote, lang),
            vote["path"],
        )
    if event == "member.speeches":
        debate, first = payload["debate"], payload["first"]
        count = int(payload["speeches"])
        title = i18n.translations(lang).ngettext(
            "%(name)s spoke once in the sitting of %(date)s",
            "%(name)s spoke %(num)s times in the sitting of %(date)s",
            count,
        ) % {"name": payload["member"]["name"], "num": count, "date": _date(debate["date"], lang)}
        heading = i18n.pick(lang, first.get("heading_en"), first.get("heading_fr"))
        text = i18n.pick(lang, first.get("excerpt_en"), first.get("excerpt_fr"))
        return ItemView(title, " — ".join(p for p in (heading, _excerpt(text)) if p), first["path"])
    if event == "member.bill":
        bill = payload["bill"]
        return ItemView(
            translate(lang, "%(name)s sponsors %(bill)s")
            % {
                "name": payload["member"]["name"],
                "bill": _bill_name(bill, lang),
            },
            i18n.pick(lang, bill.get("title_en"), bill.get("title_fr")),
            bill["path"],
        )
    if event == "bill.stage":
        bill, stage = payload["bill"], payload["stage"]
        name = i18n.pick(lang, stage.get("name_en"), stage.get("name_fr")) or label(
            STAGES, stage.get("stage"), lang
        )
        title = translate(lang, "%(bill)s: %(stage)s, %(chamber)s") % {
            "bill": _bill_name(bill, lang),
            "stage": name,
            "chamber": label(CHAMBERS, stage.get("chamber"), lang),
        }
        when = _date(stage.get("date"), lang)
        state = label(STAGE_STATES, stage.get("outcome"), lang)
        detail = " — ".join(
            p
            for p in (when, state, i18n.pick(lang, bill.get("title_en"), bill.get("title_fr")))
            if p
        )
        return ItemView(title, detail, bill["path"])
    if event == "bill.division":
        bill, vote = payload["bill"], payload["vote"]
        return ItemView(
            translate(lang, "Division %(number)s on %(bill)s, %(date)s: %(outcome)s")
            % {
                "number": vote["number"],
                "bill": _bill_name(bill, lang),
                "date": _date(vote["date"], lang),
                "outcome": _vote_outcome(vote, lang),
            },
            i18n.pick(lang, vote.get("subject_en"), vote.get("subject_fr")),
            vote["path"],
        )
    if event == "bill.mention":
        bill, debate = payload["bill"], payload["debate"]
        count = int(payload["speeches"])
        return ItemView(
            i18n.translations(lang).ngettext(
                "%(bill)s was named in %(num)s speech in the sitting of %(date)s",
                "%(bill)s was named in %(num)s speeches in the sitting of %(date)s",
                count,
            )
            % {"bill": _bill_name(bill, lang), "num": count, "date": _date(debate["date"], lang)},
            i18n.pick(lang, bill.get("title_en"), bill.get("title_fr")),
            debate["path"],
        )
    if event == "division.outcome":
        vote = payload["vote"]
        return ItemView(
            translate(lang, "Division %(number)s (%(session)s), %(date)s: %(outcome)s")
            % {
                "number": vote["number"],
                "session": vote["session"],
                "date": _date(vote["date"], lang),
                "outcome": _vote_outcome(vote, lang),
            },
            i18n.pick(lang, vote.get("subject_en"), vote.get("subject_fr")),
            vote["path"],
        )
    if event == "search.speech":
        debate, speech = payload["debate"], payload["speech"]
        heading = i18n.pick(lang, speech.get("heading_en"), speech.get("heading_fr"))
        text = i18n.pick(lang, speech.get("excerpt_en"), speech.get("excerpt_fr"))
        return ItemView(
            translate(lang, "%(speaker)s, %(date)s")
            % {
                "speaker": speech.get("speaker_name") or translate(lang, "Speech"),
                "date": _date(debate["date"], lang),
            },
            " — ".join(p for p in (heading, _excerpt(text)) if p),
            speech["path"],
        )
    return ItemView(event, "", None)


# --- the e-mails --------------------------------------------------------------------------


@lru_cache(maxsize=len(i18n.LANGUAGES))
def environment(lang: Lang) -> Environment:
    """Templates of one language, with the site's catalogue installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        auto_reload=False,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=lang)
    return env


@dataclass
class Rendered:
    """A message's subject and bodies."""

    subject: str
    text: str
    html: str


def render(template: str, lang: Lang, subject: str, **context: Any) -> Rendered:
    env = environment(lang)
    values = {"subject": subject, **context}
    return Rendered(
        subject,
        env.get_template(f"{template}.txt").render(**values),
        env.get_template(f"{template}.html").render(**values),
    )


def confirmation(
    lang: Lang, description: Description, confirm_url: str, hours: float, page_url: str | None
) -> Rendered:
    label_text = target_label(description, lang)
    return render(
        "confirm",
        lang,
        translate(lang, "Confirm your OpenPolicy alert: %(what)s") % {"what": label_text},
        what=label_text,
        confirm_url=confirm_url,
        hours=int(hours) if float(hours).is_integer() else hours,
        page_url=page_url,
    )


@dataclass
class Group:
    """The items of one subscription in one message."""

    label: str
    page_url: str | None
    stop_url: str
    items: list[tuple[ItemView, str | None]]  # the item and its absolute link
    more: int = 0  # items not shown (past ITEMS_SHOWN)


def alerts(
    lang: Lang, digest: bool, groups: list[Group], manage_url: str, unsubscribe_url: str
) -> Rendered:
    count = sum(len(group.items) + group.more for group in groups)
    catalogue = i18n.translations(lang)
    if digest:
        subject = catalogue.ngettext(
            "OpenPolicy daily digest: %(num)s new item",
            "OpenPolicy daily digest: %(num)s new items",
            count,
        ) % {"num": count}
    else:
        subject = catalogue.ngettext(
            "OpenPolicy: %(num)s new item — %(what)s",
            "OpenPolicy: %(num)s new items — %(what)s",
            count,
        ) % {"num": count, "what": ", ".join(group.label for group in groups[:2])}
    return render(
        "alerts",
        lang,
        subject,
        digest=digest,
        groups=groups,
        count=count,
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
    )
