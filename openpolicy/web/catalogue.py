"""The gettext catalogues of the web site: extract, update, compile and check.

`python -m openpolicy.web.catalogue update` merges new UI strings from the templates and
the web modules into `locale/{en,fr}/LC_MESSAGES/messages.po`; `compile` writes the `.mo`
files the site loads; `check` fails when a string has no French translation or a `.mo` is
older than its `.po` in content (the tests run the same check).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from openpolicy.web.i18n import BABEL_LOCALES, DOMAIN, LANGUAGES, LOCALE_DIR, Lang

WEB_DIR = Path(__file__).parent
# The alerts' e-mails speak with the site's words: their strings live in the same catalogue.
ALERTS_DIR = WEB_DIR.parent / "alerts"
METHOD_MAP = [
    ("templates/**.html", "jinja2.ext:babel_extract"),
    ("templates/**.xml", "jinja2.ext:babel_extract"),
    ("templates/**.txt", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
# `translate(lang, "…")` (openpolicy.web.i18n) takes its message second.
KEYWORDS = {**DEFAULT_KEYWORDS, "translate": (2,), "say": (1,)}  # say: web/fragments.py
OPTIONS_MAP = {
    "templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"},
    "templates/**.xml": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"},
    "templates/**.txt": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"},
}


def po_path(lang: Lang) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: Lang) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def extract() -> Catalog:
    """Every UI string the templates and web modules use, with where it is used."""
    catalog = Catalog(project="OpenPolicy", domain=DOMAIN)
    for directory, prefix in ((WEB_DIR, ""), (ALERTS_DIR, "../alerts/")):
        for filename, lineno, message, comments, context in extract_from_dir(
            directory, method_map=METHOD_MAP, options_map=OPTIONS_MAP, keywords=KEYWORDS
        ):
            catalog.add(
                message,
                None,
                [(prefix + filename, lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def read_catalogue(lang: Lang) -> Catalog:
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=BABEL_LOCALES[lang], domain=DOMAIN)


def update() -> None:
    """Merge the extracted strings into each language's .po (new ones untranslated)."""
    template = extract()
    for lang in LANGUAGES:
        path = po_path(lang)
        if path.exists():
            catalog = read_catalogue(lang)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = Catalog(locale=BABEL_LOCALES[lang], project="OpenPolicy", domain=DOMAIN)
            catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, omit_header=False)


def compiled(lang: Lang) -> bytes:
    """The .mo bytes that the .po of `lang` compiles to."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(lang), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for lang in LANGUAGES:
        mo_path(lang).write_bytes(compiled(lang))


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _messages(catalog: Catalog) -> dict[object, object]:
    """msgid → msgstr (plural forms as tuples, however the reader returned them)."""
    return {_hashable(message.id): _hashable(message.string) for message in catalog if message.id}


def check() -> list[str]:
    """Everything wrong with the catalogues; empty when they are complete and compiled."""
    problems: list[str] = []
    used = {message.id for message in extract() if message.id}
    for lang in LANGUAGES:
        catalog = read_catalogue(lang)
        known = {message.id for message in catalog if message.id}
        for missing in sorted(map(str, used - known)):
            problems.append(f"{lang}: {missing!r} is used but not in {po_path(lang).name}")
        if lang == "fr":
            for message in catalog:
                if not message.id:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if not all(strings):
                    problems.append(f"fr: {message.id!r} has no French translation")
                if message.fuzzy:
                    problems.append(f"fr: {message.id!r} is marked fuzzy")
        if not mo_path(lang).exists():
            problems.append(f"{lang}: {mo_path(lang)} is missing (run compile)")
            continue
        with mo_path(lang).open("rb") as handle:
            on_disk = _messages(read_mo(handle))
        if on_disk != _messages(read_mo(io.BytesIO(compiled(lang)))):
            problems.append(f"{lang}: {mo_path(lang).name} is out of date (run compile)")
    return problems


def main(argv: list[str]) -> int:
    """`update`, `compile` or `check`."""
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)  # noqa: T201 - a command-line report
        return 1 if problems else 0
    else:
        print("usage: python -m openpolicy.web.catalogue update|compile|check", file=sys.stderr)  # noqa: T201
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
