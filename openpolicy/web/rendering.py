"""Jinja2 environments (one per language) and the one function every page renders through.

Each language gets its own environment with its catalogue installed, so templates call
`_()` with no per-request state and compiled templates are shared by every request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from openpolicy.config import Settings
from openpolicy.web import i18n, labels
from openpolicy.web.fragments import datalist_options, marked, option_tags, yea_nay_bar
from openpolicy.web.i18n import Lang
from openpolicy.web.palette import party_colour
from openpolicy.web.views import paragraphs, sitting_path

TEMPLATES_DIR = Path(__file__).parent / "templates"
_OTHER_LANG_MARK = "\x00other-lang-url\x00"
STATIC_VERSION = "2"  # bump when site.css changes, so long-cached copies are refreshed


def highlight(snippet: str | None) -> Markup:
    """A search snippet with its `<mark>` highlights kept and everything else escaped."""
    escaped = str(escape(snippet or ""))
    return Markup(escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


# `{{ _("…") }}` with a literal message and no values (either quote, no escapes inside).
_CONSTANT_MESSAGE = re.compile(r"""\{\{\s*_\(\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\)\s*\}\}""")
_TEMPLATE_SYNTAX = ("{{", "}}", "{%", "%}", "{#", "#}")


def fold_messages(source: str, gettext: Callable[[str], str]) -> str:
    """A template's source with each `{{ _("literal") }}` replaced by its translation.

    Why: an environment serves one language, so a message without values has one output
    for the life of the process, yet Jinja would look `_` up, call it through the context
    and format it on every render (15–40 µs each, 20–25 per page). The text put in is
    exactly what that call outputs: the translation taken as markup, `%%` as `%`.
    Messages whose translation holds template syntax or a line break are left as calls."""

    def translate(match: re.Match[str]) -> str:
        message = match.group(1) if match.group(1) is not None else match.group(2)
        try:
            output = gettext(message) % {}
        except (TypeError, ValueError, KeyError):
            return match.group(0)
        if "\n" in output or any(mark in output for mark in _TEMPLATE_SYNTAX):
            return match.group(0)
        return output

    return _CONSTANT_MESSAGE.sub(translate, source)


class TranslatedLoader(BaseLoader):
    """The templates of one language, with their constant messages already translated."""

    def __init__(self, lang: Lang) -> None:
        self.files = FileSystemLoader(TEMPLATES_DIR)
        self.gettext = i18n.translations(lang).gettext

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.files.get_source(environment, template)
        return fold_messages(source, self.gettext), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.files.list_templates()


class PageEnvironment(Environment):
    """Jinja's environment with `obj.name` read from a dict's keys first.

    Pages hold query results that are dicts (the details, as the API serializes them):
    Jinja's own lookup tries the attribute first and pays an AttributeError for every
    `ballot.name` of a division's 338 ballots before looking at the key."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def page_gettext(translations: Translations) -> dict[str, Callable[..., Markup]]:
    """`_`, `gettext` and `ngettext` for templates, as Jinja's new-style gettext with
    autoescape on (every page template is HTML): the translation taken as markup, then
    formatted with its values escaped, `num` defaulting to the count.

    Why: Jinja's own versions take the context and call the translation through it, three
    context calls per message; a page prints 5–40 messages with values."""
    gettext = translations.gettext
    ngettext = translations.ngettext

    def translate(message: str, /, **values: Any) -> Markup:
        return Markup(gettext(message)) % values

    def translate_plural(singular: str, plural: str, num: int, /, **values: Any) -> Markup:
        values.setdefault("num", num)
        return Markup(ngettext(singular, plural, num)) % values

    return {"_": translate, "gettext": translate, "ngettext": translate_plural}


def _make_environment(lang: Lang) -> Environment:
    env = PageEnvironment(
        loader=TranslatedLoader(lang),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        auto_reload=False,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(page_gettext(i18n.translations(lang)))

    def url(path: str, **params: Any) -> str:
        """A language-neutral path in this page's language, with non-empty query params."""
        target = i18n.localize_path(path, lang)
        query = {key: value for key, value in params.items() if value not in (None, "")}
        return f"{target}?{urlencode(query)}" if query else target

    def speech_url(session: str, number: int, sequence: int) -> str:
        """A speech's place in its sitting page (the right part, then its anchor)."""
        return url(sitting_path(session, number, sequence))

    sections = ("/bills", "/votes", "/members", "/debates", "/search", "/status")
    other = i18n.other_lang(lang)

    @lru_cache(maxsize=len(sections) + 1)
    def header_for(section: str | None) -> str:
        return env.get_template("_site_header.html").render(
            section=section, other_lang=other, other_lang_url_marker=_OTHER_LANG_MARK
        )

    def site_header(neutral_path: str, other_lang_url: str) -> Markup:
        """The header, rendered once per current section (the nav marks it)."""
        section = next(
            (p for p in sections if neutral_path == p or neutral_path.startswith(p + "/")), None
        )
        return Markup(header_for(section).replace(_OTHER_LANG_MARK, str(escape(other_lang_url))))

    @lru_cache(maxsize=1)
    def site_footer() -> Markup:
        """The footer, the same on every page of the language: rendered once."""
        return Markup(env.get_template("_site_footer.html").render())

    env.globals.update(
        lang=lang,
        site_header=site_header,
        site_footer=site_footer,
        url=url,
        speech_in_sitting=speech_url,
        pick=lambda english, french: i18n.pick(lang, english, french),
        party_colour=party_colour,
        label=lambda kind, code: labels.label(labels.TABLES[kind], code, lang),
        language_names=i18n.LANGUAGE_NAMES,
        static_version=STATIC_VERSION,
        option_tags=option_tags,
        datalist_options=datalist_options,
        yea_nay_bar=lambda yeas, nays, paired=0, pending=False: Markup(
            yea_nay_bar(yeas, nays, lang, paired=paired, pending=pending)
        ),
        marked=lambda english, french: Markup(marked(lang, english, french)),
    )
    env.filters.update(
        date=lambda value, style="long": i18n.format_date(value, lang, style),
        time=lambda value: i18n.format_time(value, lang),
        datetime=lambda value: i18n.format_datetime(value, lang),
        number=lambda value: i18n.format_number(value, lang),
        pct=lambda value: i18n.format_pct(value, lang),
        isodate=isodate,
        highlight=highlight,
        paragraphs=paragraphs,
    )
    return env


def isodate(value: Any) -> str:
    """A date for `<time datetime>`: date objects, or ISO strings as JSON lists carry them."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value.isoformat())


@lru_cache(maxsize=len(i18n.LANGUAGES))
def environment(lang: Lang) -> Environment:
    """The environment of `lang`, built once per process."""
    return _make_environment(lang)


def site_url(request: Request) -> str:
    """The public base URL (setting `site_url`), else this request's own scheme and host."""
    settings: Settings = request.app.state.settings
    if settings.site_url:
        return settings.site_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def page_lang(request: Request) -> Lang:
    return i18n.lang_of_path(request.url.path)


def render_html(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    cache: bool = True,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page in the request's language with the context every layout needs."""
    lang = page_lang(request)
    neutral = i18n.strip_lang(request.url.path)
    query = f"?{request.url.query}" if request.url.query else ""
    base = site_url(request)
    other = i18n.other_lang(lang)
    context.setdefault("description", "")
    context.setdefault("og_type", "website")
    context.setdefault("robots", None)
    body = (
        environment(lang)
        .get_template(template)
        .render(
            neutral_path=neutral,
            canonical=base + i18n.localize_path(neutral, lang) + query,
            alternates={
                code: base + i18n.localize_path(neutral, code) + query for code in i18n.LANGUAGES
            },
            other_lang=other,
            other_lang_url=i18n.localize_path(neutral, other) + query,
            og_locale=i18n.OG_LOCALES[lang],
            og_locale_alternate=i18n.OG_LOCALES[other],
            site=base,
            year=dt.date.today().year,
            **context,
        )
    )
    settings: Settings = request.app.state.settings
    response_headers: dict[str, str] = {"Content-Language": lang}
    if cache and status_code == 200 and settings.web_cache_seconds > 0:
        response_headers["Cache-Control"] = f"public, max-age={settings.web_cache_seconds}"
    else:
        response_headers["Cache-Control"] = "no-store"
    if headers:
        response_headers.update(headers)
    return HTMLResponse(body, status_code=status_code, headers=response_headers)
