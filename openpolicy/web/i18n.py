"""Languages of the web site: URL prefixes, gettext catalogues, and locale-aware formatting.

English lives at `/`, French at `/fr/…` with the same paths, so a page's other-language
twin is always found by adding or removing the prefix. UI strings come from the Babel
catalogues under `locale/`; data comes from the row's `_fr` column when the source has one.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

Lang = Literal["en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr")
DEFAULT_LANG: Lang = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

# Times are shown as Parliament keeps them: Ottawa local time.
OTTAWA = ZoneInfo("America/Toronto")
Moment = dt.date | dt.datetime | str | None

# Canadian locales: "November 26, 2021" and "26 novembre 2021", "12 345" in French.
BABEL_LOCALES: dict[Lang, str] = {"en": "en_CA", "fr": "fr_CA"}
LANGUAGE_NAMES: dict[Lang, str] = {"en": "English", "fr": "Français"}
OG_LOCALES: dict[Lang, str] = {"en": "en_CA", "fr": "fr_CA"}


def lang_of_path(path: str) -> Lang:
    """`/fr` and `/fr/…` are French; every other web path is English."""
    return "fr" if path == "/fr" or path.startswith("/fr/") else "en"


def strip_lang(path: str) -> str:
    """The language-neutral path: `/fr/bills/45-1/C-2` → `/bills/45-1/C-2`, `/fr` → `/`."""
    if path == "/fr":
        return "/"
    if path.startswith("/fr/"):
        return path[3:]
    return path or "/"


def localize_path(path: str, lang: Lang) -> str:
    """The URL of a language-neutral `path` in `lang` (`/` stays the English home)."""
    neutral = strip_lang(path)
    if lang == "en":
        return neutral
    return "/fr" if neutral == "/" else "/fr" + neutral


def other_lang(lang: Lang) -> Lang:
    return "fr" if lang == "en" else "en"


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: Lang) -> Translations:
    """The compiled catalogue of `lang` (read once per process)."""
    loaded = Translations.load(str(LOCALE_DIR), [BABEL_LOCALES[lang], lang], domain=DOMAIN)
    if not isinstance(loaded, Translations):  # NullTranslations: the .mo is missing
        raise RuntimeError(f"no compiled catalogue for {lang} under {LOCALE_DIR}")
    return loaded


def translate(lang: Lang, message: str) -> str:
    """Translate one UI string outside templates (feeds, error titles)."""
    return translations(lang).gettext(message)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention Babel extracts
    """Mark a string for extraction; it is translated where it is rendered."""
    return message


def pick(lang: Lang, english: str | None, french: str | None) -> str:
    """Data in the page's language when the source provides it, else the English text."""
    if lang == "fr" and french:
        return french
    return english or french or ""


@lru_cache(maxsize=len(LANGUAGES))
def babel_locale(lang: Lang) -> Locale:
    return Locale.parse(BABEL_LOCALES[lang])


def local(value: Moment) -> dt.date | dt.datetime | None:
    """Parse ISO strings (the status queries return them) and move instants to Ottawa time."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(OTTAWA)
    return value


def format_date(value: Moment, lang: Lang, style: str = "long") -> str:
    """`November 26, 2021` / `26 novembre 2021`; empty for a missing date."""
    moment = local(value)
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = moment.date()
    return _format_day(moment, lang, style)


# Babel formats a date or a time in about 20 µs; a list page shows dozens, and the same
# days and minutes come back on every page: each is formatted once.
@lru_cache(maxsize=16384)
def _format_day(day: dt.date, lang: Lang, style: str) -> str:
    return babel_format_date(day, format=style, locale=babel_locale(lang))


@lru_cache(maxsize=4096)
def _format_clock(moment: dt.time, lang: Lang) -> str:
    return babel_format_time(moment, format="short", locale=babel_locale(lang))


def format_time(value: dt.time | dt.datetime | str | None, lang: Lang) -> str:
    """`3:50 p.m.` / `15 h 50`."""
    moment = value if isinstance(value, dt.time) else local(value)
    if isinstance(moment, dt.datetime):
        return _format_clock(moment.time().replace(tzinfo=None), lang)
    if not isinstance(moment, dt.time):
        return ""
    return _format_clock(moment, lang)


def format_datetime(value: dt.datetime | str | None, lang: Lang) -> str:
    """A date and a time (Ottawa), each in the reader's conventions."""
    if value is None:
        return ""
    return f"{format_date(value, lang, 'medium')} {format_time(value, lang)}"


# Babel formats a number in 30–50 µs, and a member's page shows a hundred (counts and
# rates by year): whole numbers and rates rounded as Babel rounds them are formatted once.
def format_number(value: int | float | None, lang: Lang) -> str:
    if value is None:
        return ""
    if type(value) is int:
        return _format_whole(value, lang)
    return format_decimal(value, locale=babel_locale(lang))


@lru_cache(maxsize=16384)
def _format_whole(value: int, lang: Lang) -> str:
    return format_decimal(value, locale=babel_locale(lang))


def format_pct(value: float | None, lang: Lang) -> str:
    """A ratio in [0, 1] as `93.4%` / `93,4 %`; an em dash when there is nothing to divide."""
    if value is None:
        return "—"
    # Babel reads the value as Decimal(str(value)) and rounds the percentage to a tenth,
    # half to even: the same steps give the per-mille that its output depends on.
    permille = Decimal(str(value)).scaleb(3).to_integral_value(rounding=ROUND_HALF_EVEN)
    if not permille.is_finite():
        return format_percent(value, format="#,##0.0%", locale=babel_locale(lang))
    return _format_permille(int(permille), lang)


@lru_cache(maxsize=8192)
def _format_permille(permille: int, lang: Lang) -> str:
    return format_percent(
        Decimal(permille).scaleb(-3), format="#,##0.0%", locale=babel_locale(lang)
    )
