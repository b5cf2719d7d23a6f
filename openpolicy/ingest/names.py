"""Names and dates the importers compare: the Parliament a day belongs to, and a form of a
name or riding that ignores accents, case, dashes and apostrophes."""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache

# General elections: a term starting on or after one of these days belongs to that Parliament.
GENERAL_ELECTIONS: tuple[tuple[int, dt.date], ...] = (
    (38, dt.date(2004, 6, 28)),
    (39, dt.date(2006, 1, 23)),
    (40, dt.date(2008, 10, 14)),
    (41, dt.date(2011, 5, 2)),
    (42, dt.date(2015, 10, 19)),
    (43, dt.date(2019, 10, 21)),
    (44, dt.date(2021, 9, 20)),
    (45, dt.date(2025, 4, 28)),
)


def parliament_on(day: dt.date) -> int | None:
    """The Parliament a seat won on `day` belongs to (by-elections included)."""
    found = None
    for number, elected in GENERAL_ELECTIONS:
        if day >= elected:
            found = number
    return found


@lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """Compare names and ridings ignoring accents, case, dashes and apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in letters.casefold())
    return " ".join(cleaned.split())
