"""Shared low-level parsing: hardened XML/JSON loading, sniffing, text and dates.

Every parser goes through ``load_xml`` or ``load_json`` so bad input (truncated
bodies, HTML error pages, wrong documents, DTD tricks) fails the same way, with a
``SourceFormatError`` naming the URL.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import orjson
from lxml import etree

from openpolicy.sources.errors import SourceFormatError

OTTAWA = ZoneInfo("America/Toronto")
"""The feeds print Ottawa local time without an offset."""

_BOM = b"\xef\xbb\xbf"
_local = threading.local()


def _xml_parser() -> etree.XMLParser:
    """One hardened parser per thread (lxml parsers must not be shared across threads).

    No network, no DTD loading, no entity expansion, size limits on; comments and
    processing instructions (Hansard's ``<?bk ?>`` markers) are dropped, their
    surrounding text joined.
    """
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def _head(body: bytes) -> bytes:
    return body[:512].removeprefix(_BOM).lstrip().lower()


def sniff(body: bytes) -> Literal["xml", "json", "html", "empty", "unknown"]:
    """Guess what a body is from its first bytes (used to pick a parser, and for errors)."""
    head = _head(body)
    if not head:
        return "empty"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"[", b"{")):
        return "json"
    return "unknown"


def _not_what_we_wanted(body: bytes, url: str, wanted: str) -> SourceFormatError | None:
    kind = sniff(body)
    if kind == "empty":
        return SourceFormatError(url, f"empty body, expected {wanted}", line=1)
    if kind == "html":
        return SourceFormatError(url, f"got an HTML page instead of {wanted}", line=1)
    return None


def load_xml(body: bytes, url: str, roots: tuple[str, ...]) -> etree._Element:
    """Parse XML bytes with the hardened parser and check the root element's name."""
    error = _not_what_we_wanted(body, url, "XML")
    if error is not None:
        raise error
    try:
        root = etree.fromstring(body, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise SourceFormatError(url, f"malformed XML: {exc.msg}", line=exc.lineno) from None
    tag = root.tag if isinstance(root.tag, str) else ""
    if etree.QName(tag).localname.lower() == "html":
        raise SourceFormatError(url, "got an HTML page instead of XML", path=f"/{tag}")
    if tag not in roots:
        expected = " or ".join(f"<{name}>" for name in roots)
        raise SourceFormatError(url, f"expected root {expected}, got <{tag}>", path=f"/{tag}")
    return root


def load_json(body: bytes, url: str) -> Any:
    """Parse JSON bytes (a leading BOM is tolerated)."""
    error = _not_what_we_wanted(body, url, "JSON")
    if error is not None:
        raise error
    if sniff(body) == "xml":
        raise SourceFormatError(url, "got XML instead of JSON", line=1)
    try:
        return orjson.loads(body.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        raise SourceFormatError(url, f"malformed JSON: {exc.msg}", line=exc.lineno) from None


def xpath_of(element: etree._Element, child: str | None = None) -> str:
    """``/ArrayOfVoteParticipant/VoteParticipant[12]`` (+ ``/child``) for error messages."""
    path = str(element.getroottree().getpath(element))
    return f"{path}/{child}" if child else path


def clean(text: str | None) -> str | None:
    """Collapse all whitespace (CRLF, tabs, NBSP) to single spaces; empty → None."""
    if not text:
        return None
    collapsed = " ".join(text.split())
    return collapsed or None


def element_text(element: etree._Element) -> str | None:
    """Whitespace-collapsed text of an element including mixed content (``42<Sup>e</Sup>``)."""
    return clean("".join(cast("Iterator[str]", element.itertext())))


def child_texts(element: etree._Element) -> dict[str, str | None]:
    """``{tag: cleaned text}`` of an element's children: one pass, cheap lookups after."""
    return {child.tag: clean(child.text) for child in element if isinstance(child.tag, str)}


def parse_datetime(text: str | None) -> dt.datetime | None:
    """ISO timestamp as printed (``2022-06-17T12:19:08.94``) → aware datetime.

    Naive values are Ottawa local time. The ``0001-01-01`` placeholder means "none".
    Raises ValueError on anything that is not ISO 8601, for the caller to locate.
    """
    if not text:
        return None
    value = dt.datetime.fromisoformat(text)
    if value.year < 1800:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=OTTAWA)
    return value


def parse_int(text: str | None) -> int | None:
    """``'0042'`` → 42; empty → None; raises ValueError otherwise."""
    if text is None or not text.strip():
        return None
    return int(text)


def parse_bool(text: str | None) -> bool | None:
    """``'true'``/``'false'`` (any case) → bool; empty → None; raises ValueError otherwise."""
    if not text:
        return None
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(f"not a boolean: {text!r}")
