"""Keyset pages: what a client asks for (`PageRequest`) and what it gets back (`Page`).

The API, the web site and the feeds page through every list the same way: `limit` rows
after an opaque cursor, in a documented sort order. A cursor is the last row's sort value
and id, so pages are stable under inserts.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Generic, LiteralString, TypeVar

import orjson

from openpolicy.errors import BadRequestError

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

T = TypeVar("T")


@dataclass(frozen=True)
class SortKey:
    """A documented sort order: one SQL expression (never NULL) plus the row id tiebreak."""

    name: str
    expression: LiteralString
    sql_type: LiteralString
    description: str


@dataclass
class PageRequest:
    """What the client asked for: how many, after which cursor, in which order."""

    limit: int = DEFAULT_LIMIT
    cursor: tuple[Any, int] | None = None
    sort: SortKey | None = None
    descending: bool = True
    backward: bool = False  # the page *before* the cursor (a site's "previous page" link)


@dataclass
class Page(Generic[T]):
    """One page of a list and the cursor of the next one (None at the end); lists read
    through `fetch_list_page` also say where the page before starts (`previous_cursor`,
    None on the first page)."""

    items: list[T]
    next_cursor: str | None
    limit: int
    extra: dict[str, Any] = field(default_factory=dict)
    previous_cursor: str | None = None


def encode_cursor(value: Any, row_id: int) -> str:
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    raw = orjson.dumps([value, row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[Any, int]:
    """Parse a cursor from a previous page; a tampered or foreign one is a 400."""
    try:
        padded = text + "=" * (-len(text) % 4)
        value, row_id = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError("bad id")
        if value is not None and not isinstance(value, str | int | float):
            raise ValueError("bad value")
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequestError(
            "cursor: not a cursor returned by this API (use pagination.next_cursor as is)",
            parameter="cursor",
        ) from exc
    return value, row_id
