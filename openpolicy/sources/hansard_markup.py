"""Hansard paragraphs as plain text and as a small safe markup.

Plain text is what search indexes and exports carry: the words as printed, with the
source's characters kept (non-breaking spaces, typographic quotes, U+2011 hyphens); only
the XML's own layout whitespace (spaces, tabs, line breaks) is collapsed.

The markup (``html`` in records, the API and the site) keeps what the plain text cannot:
italics, bold, superscripts, quotations, and the markers printed between paragraphs. It is
a closed vocabulary, built here from escaped text, so it is safe to render as is:

* blocks: ``<p>``, ``<blockquote>`` (holding ``<p>``);
* inline: ``<em>``, ``<strong>``, ``<sup>``, ``<sub>``;
* markers, as printed: ``<p class="floor" data-floor="fr">[<em>Translation</em>]</p>``
  (the language spoken from there on: ``en``, ``fr`` or ``text`` for written text) and
  ``<p class="time" data-time="10:40">(1040)</p>`` (a time stamp inside an item).

No other tag or attribute ever appears. The vocabulary and ``markup_is_safe`` live in
``openpolicy.markup``, where the read side (API and site) checks a stored fragment
before it serves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from openpolicy.markup import SAFE_TAGS, escape, markup_is_safe, paragraphs_html

__all__ = ["SAFE_TAGS", "escape", "markup_is_safe", "paragraphs_html"]

_LAYOUT_TO_SPACE = str.maketrans({"\t": " ", "\r": " ", "\n": " ", "\f": " ", "\v": " "})
_INLINE = {"I": "em", "B": "strong", "Sup": "sup", "Sub": "sub", "U": "em", "Emphasis": "em"}
_QUOTES = frozenset({"Quote", "LegislationQuote"})
_SPACERS = frozenset({"ForceColumnBreak", "Query"})
_LABEL_TAGS = frozenset({"B", "Affiliation"})
_EMPTY_INLINE = re.compile(r"<(em|strong|sup|sub)> ?</\1>")


def collapse(text: str | None) -> str:
    """Collapse the XML's layout whitespace (not NBSP and its kin) to single spaces.

    Leading and trailing layout space becomes at most one space.
    """
    if not text:
        return ""
    words = text.translate(_LAYOUT_TO_SPACE).split(" ")
    joined = " ".join(filter(None, words))
    if not joined:
        return " "
    return (" " if not words[0] else "") + joined + (" " if not words[-1] else "")


def tidy(text: str | None) -> str | None:
    """Collapse layout whitespace and strip it at both ends; empty → None."""
    if not text:
        return None
    return " ".join(filter(None, text.translate(_LAYOUT_TO_SPACE).split(" "))) or None


def text_of(element: etree._Element) -> str | None:
    """Tidy text of an element with mixed content (``42<Sup>e</Sup>``), NBSP kept."""
    return tidy("".join(str(part) for part in element.itertext()))


@dataclass
class _Builder:
    """Accumulates the plain text and the blocks of markup of one paragraph."""

    plain: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)

    def text(self, value: str | None) -> None:
        if value:
            self.plain.append(value)
            self.current.append(escape(value))

    def open_tag(self, tag: str) -> None:
        self.current.append(f"<{tag}>")

    def close_tag(self, tag: str) -> None:
        self.current.append(f"</{tag}>")

    def end_block(self, tag: str = "p") -> None:
        body = _tidy_markup("".join(self.current))
        if body and _has_text(body):
            self.blocks.append(f"<{tag}>{body}</{tag}>")
        self.current = []


def _tidy_markup(fragment: str) -> str:
    fragment = collapse(fragment).strip(" ")
    # Empty inline pairs left by layout-only children (<I> </I>) carry nothing.
    return _EMPTY_INLINE.sub(" ", fragment).strip(" ")


def _has_text(fragment: str) -> bool:
    return bool(re.sub(r"<[^>]+>", "", fragment).strip(" "))


def _inline(element: etree._Element, out: _Builder) -> None:
    """Render the children of ``element`` (and its text) into ``out``."""
    out.text(element.text)
    for child in element:
        _child(child, out)
        out.text(child.tail)


def _child(child: etree._Element, out: _Builder) -> None:
    tag = child.tag if isinstance(child.tag, str) else ""
    if tag in _QUOTES:
        out.plain.append(" ")
        out.end_block()
        quoted = _Builder()
        for part in child:
            if isinstance(part.tag, str) and part.tag == "QuotePara":
                _inline(part, quoted)
                quoted.end_block()
                quoted.plain.append(" ")
            else:
                _child(part, quoted)
            quoted.text(part.tail)
        quoted.text(child.text)  # text directly in <Quote> (rare)
        quoted.end_block()
        out.plain.extend(quoted.plain)
        out.plain.append(" ")
        if quoted.blocks:
            out.blocks.append(f"<blockquote>{''.join(quoted.blocks)}</blockquote>")
        return
    if tag in _SPACERS:
        out.text(" ")
        _inline(child, out)
        out.text(" ")
        return
    mapped = _INLINE.get(tag)
    if mapped is not None:
        out.open_tag(mapped)
        _inline(child, out)
        out.close_tag(mapped)
        return
    _inline(child, out)  # Affiliation, Document, Font…: their text, no tag


@dataclass(frozen=True)
class Paragraph:
    """One ``ParaText``: its plain text and its markup blocks (``<p>``/``<blockquote>``)."""

    text: str
    html: str


def paragraph(element: etree._Element, *, skip_label: bool = False) -> Paragraph | None:
    """Plain text and markup of a paragraph; None when it holds no text.

    ``skip_label``: the paragraph opens with a speaker label (``label_parts``), which is
    left out along with the colon after it.
    """
    out = _Builder()
    parts = label_parts(element) if skip_label else None
    if parts is not None:
        consumed = parts[1]
        tail = element[consumed - 1].tail or ""
        stripped = tail.lstrip(" \t\r\n")
        if stripped.startswith(":"):
            tail = stripped[1:]
        out.text(tail)
        children = list(element)
        for child in children[consumed:]:
            _child(child, out)
            out.text(child.tail)
    else:
        _inline(element, out)
    out.end_block()
    text = tidy("".join(out.plain))
    if text is None:
        return None
    return Paragraph(text, "".join(out.blocks))


def label_parts(element: etree._Element) -> tuple[str, int] | None:
    """The speaker label a paragraph opens with, and how many child elements print it.

    ``<B>Some hon. members:</B> Agreed.`` → ``("Some hon. members", 1)``;
    ``<B>Mme Jinny Jogindera Sims</B><B>:</B> Avec dissidence.`` → ``(…, 2)``.
    A label is bold or an ``Affiliation``, first in the paragraph (nothing but layout
    space before it), and ends with a colon, inside it or right after it. Bold text
    without a colon is emphasis ("GROWTH FOR THE MIDDLE CLASS"), and an ``Affiliation``
    followed by text is a mention ("The <Affiliation>Minister</Affiliation> said…").
    """
    if len(element) == 0 or (element.text or "").strip(" \t\r\n"):
        return None
    printed: list[str] = []
    for count, child in enumerate(element, start=1):
        if count > 3 or not isinstance(child.tag, str) or child.tag not in _LABEL_TAGS:
            return None
        printed.append("".join(str(part) for part in child.itertext()))
        joined = tidy("".join(printed)) or ""
        tail = (child.tail or "").strip(" \t\r\n")
        if joined.endswith(":"):
            label = joined[:-1].rstrip(" ")
        elif tail.startswith(":"):
            label = joined
        elif not tail:
            printed.append(child.tail or "")
            continue  # the colon may be in the next bold run
        else:
            return None
        return (label, count) if label else None
    return None


def leading_label(element: etree._Element) -> str | None:
    """The label of ``label_parts``, or None."""
    parts = label_parts(element)
    return parts[0] if parts else None


def floor_marker(element: etree._Element) -> str:
    """``<FloorLanguage language="FR">[<I>Translation</I>]</FloorLanguage>`` as markup."""
    language = (element.get("language") or "").strip().lower() or "unknown"
    out = _Builder()
    _inline(element, out)
    body = _tidy_markup("".join(out.current))
    return f'<p class="floor" data-floor="{escape(language)}">{body}</p>'


def time_marker(hour: int, minute: int, printed: str | None) -> str:
    """``<Timestamp Hr="10" Mn="40">(1040)</Timestamp>`` as markup."""
    label = escape(tidy(printed) or f"({hour:02d}{minute:02d})")
    return f'<p class="time" data-time="{hour:02d}:{minute:02d}">{label}</p>'
