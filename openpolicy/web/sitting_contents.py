"""A sitting's table of contents as the reader sees it: the orders of business (Statements
by Members, Oral Questions, Routine Proceedings, Government Orders…) with the subjects
taken up under each nested inside, and their sub-headings (a petition's topic, "Address in
Reply") inside those; each entry links to its first speech, on whichever part of the
sitting it is.

The contents of a whole sitting are read once per data version (`queries.debates.
sitting_contents`); their HTML is built here once per part and kept, so a part's page pays
a dictionary lookup for them, however long the sitting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup, escape

from openpolicy.queries.debates import ContentsEntry, SittingContents
from openpolicy.web import i18n
from openpolicy.web.i18n import Lang
from openpolicy.web.views import part_of

# Words an English title keeps in lower case (when a heading printed in capitals is recased).
_SMALL_WORDS = frozenset(
    "a an and as at by for from in into of on or the to with".split()  # noqa: SIM905
)


@dataclass
class TocEntry:
    """One line of the contents: its title, the speech it starts at, how many items it
    covers, and the lines nested under it."""

    title: str
    sequence: int
    speeches: int
    children: list[TocEntry] = field(default_factory=list)
    counted: bool = True  # say how many items it covers (not for sub-headings: short runs)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def recased(title: str, lang: str) -> str:
    """A heading printed in capitals ("STATEMENTS BY MEMBERS"), written as the edition
    prints it elsewhere: English in title case, French in sentence case. Others as is."""
    if not title.isupper():
        return title
    words = title.lower().split()
    if lang == "fr":
        return " ".join(words)[:1].upper() + " ".join(words)[1:]
    return " ".join(
        word if index and word in _SMALL_WORDS else word[:1].upper() + word[1:]
        for index, word in enumerate(words)
    )


def nest(entries: Iterable[ContentsEntry], lang: str) -> list[TocEntry]:
    """Runs of headings (in the order of the sitting) nested under their order of business:
    consecutive runs in the same section (its capitals ignored: the edition prints
    "Statements by Members", then "STATEMENTS BY MEMBERS") make one entry holding each
    run as a child, with its sub-headings under it. A run whose heading is the section's
    own name is the section's opening: its sub-headings hang under the section itself.
    Runs outside any section stay at the top level."""
    top: list[TocEntry] = []
    section_of_last: str | None = None
    spellings: dict[int, list[str]] = {}  # id of a section entry → how the edition spells it
    for entry in entries:
        subheadings = [
            TocEntry(sub["subheading"], sub["sequence"], sub["speeches"], counted=False)
            for sub in entry["subheadings"]
        ]
        section = entry["section"]
        if not section:
            section_of_last = None
            top.append(
                TocEntry(entry["heading"], entry["sequence"], entry["speeches"], subheadings)
            )
            continue
        if section_of_last != _fold(section):
            section_of_last = _fold(section)
            top.append(TocEntry(section, entry["sequence"], 0))
        group = top[-1]
        spellings.setdefault(id(group), []).append(section)
        group.speeches += entry["speeches"]
        if _fold(entry["heading"]) == _fold(section):
            group.children.extend(subheadings)
        else:
            group.children.append(
                TocEntry(entry["heading"], entry["sequence"], entry["speeches"], subheadings)
            )
    for group in top:
        spelled = spellings.get(id(group))
        if spelled:  # the edition's own spelling where it has one not in capitals
            group.title = next((s for s in spelled if not s.isupper()), recased(spelled[0], lang))
    return top


def _lines(
    entries: list[TocEntry],
    *,
    part: int,
    base: str,
    lang: Lang,
    marked: str,
    many_parts: bool,
    depth: int,
) -> str:
    catalogue = i18n.translations(lang)
    out = []
    for entry in entries:
        target = part_of(entry.sequence)
        if target == part:
            href = f"#s-{entry.sequence}"
        else:
            href = f"{base}{'?part=' + str(target) if target > 1 else ''}#s-{entry.sequence}"
        notes = []
        if many_parts and target != part:
            notes.append(catalogue.gettext("part %(part)s") % {"part": target})
        if entry.counted:
            count = catalogue.ngettext("%(num)s speech", "%(num)s speeches", entry.speeches)
            notes.append(count % {"num": i18n.format_number(entry.speeches, lang)})
        meta = f' <span class="meta">({escape(" · ".join(notes))})</span>' if notes else ""
        nested = ""
        if entry.children:
            inner = _lines(
                entry.children,
                part=part,
                base=base,
                lang=lang,
                marked=marked,
                many_parts=many_parts,
                depth=depth + 1,
            )
            nested = f"<ol>{inner}</ol>"
        out.append(
            f'<li><a href="{escape(href)}"{marked}>{escape(entry.title)}</a>{meta}{nested}</li>'
        )
    return "\n    ".join(out) if depth == 0 else "".join(out)


@lru_cache(maxsize=1024)
def contents_html(
    contents: SittingContents,
    *,
    session: str,
    number: int,
    part: int,
    parts: int,
    lang: Lang,
    headings_lang: str,
) -> Markup:
    """The contents' list items for one part's page: links within the part stay on the
    page (`#s-12`), links elsewhere go to their part (`?part=3#s-250`) and say so.
    `headings_lang`: the language the headings are in (English on a French page when the
    sitting has no French edition: each title is marked so). Built once per (contents as
    read at a data version, part, language)."""
    base = i18n.localize_path(f"/debates/{session}/{number}", lang)
    entries = nest(contents.entries, headings_lang)
    marked = f' lang="{escape(headings_lang)}"' if headings_lang != lang else ""
    return Markup(
        _lines(
            entries,
            part=part,
            base=base,
            lang=lang,
            marked=marked,
            many_parts=parts > 1,
            depth=0,
        )
    )
