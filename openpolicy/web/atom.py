"""Atom 1.0 documents (RFC 4287), built with lxml so every feed is well-formed by construction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True)
class Entry:
    """One feed item. `id` must never change for the same thing (we use its permalink)."""

    id: str
    title: str
    link: str
    updated: dt.datetime
    summary: str
    author: str | None = None


def as_datetime(value: dt.date | dt.datetime | None) -> dt.datetime:
    """Atom needs an instant: a bare date is midnight UTC of that day."""
    if value is None:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom_feed(
    *,
    feed_id: str,
    title: str,
    subtitle: str,
    self_url: str,
    alternate_url: str,
    lang: str,
    entries: Sequence[Entry],
    author: str = "OpenPolicy",
) -> bytes:
    """The serialized feed; `updated` is the newest entry's (stable while nothing changes)."""
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})  # type: ignore[dict-item]
    root.set(XML_LANG, lang)
    _sub(root, "id", feed_id)
    _sub(root, "title", title)
    _sub(root, "subtitle", subtitle)
    updated = max((entry.updated for entry in entries), default=as_datetime(None))
    _sub(root, "updated", updated.isoformat())
    _sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=alternate_url)
    feed_author = _sub(root, "author")
    _sub(feed_author, "name", author)
    _sub(root, "generator", "OpenPolicy")
    for item in entries:
        entry = _sub(root, "entry")
        _sub(entry, "id", item.id)
        _sub(entry, "title", item.title)
        _sub(entry, "link", rel="alternate", type="text/html", href=item.link)
        _sub(entry, "updated", item.updated.isoformat())
        if item.author:
            entry_author = _sub(entry, "author")
            _sub(entry_author, "name", item.author)
        _sub(entry, "summary", item.summary, type="text")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
