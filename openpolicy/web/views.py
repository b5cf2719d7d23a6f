"""Small helpers shared by the page handlers: reading filters, shaping query rows, paging."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from openpolicy.errors import BadRequestError
from openpolicy.queries.paging import Page, PageRequest, decode_cursor
from openpolicy.vocab import ascii_int


@lru_cache(maxsize=16384)  # names and ridings come back on every division page
def folded(text: str) -> str:
    """Lower case without accents or extra spaces: "Saint-Laurent" finds "saint laurent"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("-", " "))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


def text_param(request: Request, name: str) -> str | None:
    """A query parameter, None when absent or blank (forms submit empty fields)."""
    value = request.query_params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def int_param(request: Request, name: str) -> int | None:
    value = text_param(request, name)
    if value is None:
        return None
    number = ascii_int(value)
    if number is None:
        raise BadRequestError(f"{name}: expected a whole number, got {value!r}")
    return number


def date_param(request: Request, name: str) -> dt.date | None:
    value = text_param(request, name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequestError(f"{name}: expected a date like 2021-03-10, got {value!r}") from exc


def choice_param(request: Request, name: str, allowed: Sequence[str]) -> str | None:
    value = text_param(request, name)
    if value is not None and value not in allowed:
        raise BadRequestError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def page_request(request: Request, limit: int) -> PageRequest:
    """The page of a list: `limit` rows after the `cursor` query parameter, or before the
    `before` one (a "previous page" link), else the first page."""
    before = text_param(request, "before")
    if before:
        return PageRequest(limit=limit, cursor=decode_cursor(before), backward=True)
    cursor = text_param(request, "cursor")
    return PageRequest(limit=limit, cursor=decode_cursor(cursor) if cursor else None)


def _with_cursor(request: Request, name: str, cursor: str) -> str:
    params = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "before") and v
    ]
    params.append((name, cursor))
    return f"{request.url.path}?{urlencode(params)}"


def next_page_url(request: Request, cursor: str | None) -> str | None:
    """The same list with the same filters, one page further (None on the last page)."""
    if cursor is None:
        return None
    return _with_cursor(request, "cursor", cursor)


@dataclass(frozen=True)
class PageLinks:
    """Previous / next links of a list page and, where it is cheap, how many rows match."""

    previous: str | None
    next: str | None
    first: str | None  # the list's first page, when this one is not it
    total: int | None = None
    shown: int = 0


def page_links(request: Request, page: Page[Any], total: int | None = None) -> PageLinks:
    """The links around `page`, the filters kept: "previous" goes back one page (none on
    the first page), "next" one page on (none on the last), "first" to the list's start."""
    previous = None
    if page.previous_cursor is not None:
        previous = _with_cursor(request, "before", page.previous_cursor)
    return PageLinks(
        previous=previous,
        next=next_page_url(request, page.next_cursor),
        first=first_page_url(request) if previous is not None else None,
        total=total,
        shown=len(page.items),
    )


def page_started_later(request: Request) -> bool:
    return bool(text_param(request, "cursor") or text_param(request, "before"))


def first_page_url(request: Request) -> str:
    params = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "before") and v
    ]
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path


def paragraphs(text: str | None) -> list[str]:
    """Speech text as stored (paragraphs joined by blank lines) back into paragraphs."""
    if not text:
        return []
    return [part.strip() for part in text.split("\n\n") if part.strip()]


# A long sitting (400+ speeches, 600 KB of HTML) is served in parts of this many speeches,
# cut by sequence number so any page can link to a speech's part without a query.
SPEECHES_PER_PART = 100


def part_of(sequence: int) -> int:
    """The part of its sitting page that a speech is on (1-based)."""
    return (max(sequence, 1) - 1) // SPEECHES_PER_PART + 1


def sitting_path(session: str, number: int, sequence: int | None = None) -> str:
    """The language-neutral path of a sitting, or of one speech's place in it."""
    path = f"/debates/{session}/{number}"
    if sequence is None:
        return path
    part = part_of(sequence)
    return f"{path}{'?part=' + str(part) if part > 1 else ''}#s-{sequence}"
