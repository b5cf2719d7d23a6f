"""Party colours: one palette for the division chart, the ballot lists and the member pages.

Keyed by the caucus short name the official feeds print (`Liberal`, `Bloc Québécois`…),
matched case- and accent-insensitively, so every page shows a party in the same colour.
Colours are only ever a second cue next to the party's name, never the only one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class PartyColour:
    """A party's colour, a text colour readable on it (WCAG AA against `fill`), and the class
    of `static/site.css` that sets it (pages carry no inline style: the CSP forbids it)."""

    fill: str
    text: str
    css_class: str = "party-other"


UNKNOWN = PartyColour("#6b6b6b", "#ffffff", "party-other")

_PALETTE: dict[str, PartyColour] = {
    "liberal": PartyColour("#d71920", "#ffffff", "party-liberal"),
    "conservative": PartyColour("#1a4782", "#ffffff", "party-conservative"),
    "bloc quebecois": PartyColour("#007a96", "#ffffff", "party-bloc"),
    "ndp": PartyColour("#f37021", "#1a1a1a", "party-ndp"),
    "new democratic party": PartyColour("#f37021", "#1a1a1a", "party-ndp"),
    "green party": PartyColour("#3d9b35", "#1a1a1a", "party-green"),
    "green": PartyColour("#3d9b35", "#1a1a1a", "party-green"),
    "people's party": PartyColour("#4e2e84", "#ffffff", "party-ppc"),
    "independent": PartyColour("#6b6b6b", "#ffffff", "party-other"),
    "cooperative commonwealth federation": PartyColour("#f37021", "#1a1a1a", "party-ndp"),
}

# Hansard prints abbreviations (`Lib.`, `CPC`, `BQ`); map them onto the same colours.
_ABBREVIATIONS: dict[str, str] = {
    "lib.": "liberal",
    "lib": "liberal",
    "cpc": "conservative",
    "con.": "conservative",
    "pcc": "conservative",
    "bq": "bloc quebecois",
    "ndp": "ndp",
    "npd": "ndp",
    "gp": "green party",
    "pv": "green party",
    "ind.": "independent",
    "ind": "independent",
}


def _key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def party_colour(name: str | None) -> PartyColour:
    """The colour of a party by short name or Hansard abbreviation; grey when unknown."""
    if not name:
        return UNKNOWN
    key = _key(name)
    key = _ABBREVIATIONS.get(key, key)
    return _PALETTE.get(key, UNKNOWN)
