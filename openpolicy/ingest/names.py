"""Names and dates the importers compare: the Parliament a day belongs to, and a form of a
name or riding that ignores accents, case, dashes and apostrophes."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from openpolicy.parliaments import GENERAL_ELECTIONS, parliament_on

# The calendar of the House lives in openpolicy.parliaments; importers reach it here.
__all__ = ["GENERAL_ELECTIONS", "name_key", "parliament_on"]


@lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """Compare names and ridings ignoring accents, case, dashes and apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in letters.casefold())
    return " ".join(cleaned.split())
