"""The source names used everywhere (jobs, CLI, ``data_sources`` rows) and their URLs.

``parse(name, body, url)`` is the one entry point ingest needs: bytes in, records out.
URL builders take the base URL as an argument (it is a setting, so tests can point
the real client at a loopback server); the defaults are the official hosts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

from openpolicy.records import Record
from openpolicy.sources import ballots, hansard, legisinfo, members, votes
from openpolicy.vocab import Language, parse_session_code

PARL_BASE = "https://www.parl.ca"
OURCOMMONS_BASE = "https://www.ourcommons.ca"

Parser = Callable[[bytes, str], Iterator[Record]]

_SOURCES: dict[str, tuple[Parser, str]] = {
    "bills": (
        legisinfo.parse_bills,
        "LEGISinfo bills list of a session (JSON; also the legacy 2018 XML export)",
    ),
    "bill": (
        legisinfo.parse_bill,
        "LEGISinfo one bill in detail: stages, divisions, sponsor (JSON or XML, sniffed)",
    ),
    "members": (members.parse_members, "ourcommons.ca members of the House (XML)"),
    "votes": (
        votes.parse_votes,
        "ourcommons.ca recorded divisions of a session (XML; also the legacy 2018 export)",
    ),
    "ballots": (ballots.parse_ballots, "ourcommons.ca how each member voted in one division"),
    "hansard": (hansard.parse_hansard, "House of Commons Hansard of one sitting (XML, EN or FR)"),
}

SOURCE_NAMES: tuple[str, ...] = tuple(_SOURCES)
"""``bills``, ``bill``, ``members``, ``votes``, ``ballots``, ``hansard``."""


class UnknownSourceError(ValueError):
    """A source name that is not in ``SOURCE_NAMES``."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown source {name!r}; expected one of: {', '.join(SOURCE_NAMES)}")


def describe(name: str) -> str:
    """One line saying what the source is."""
    if name not in _SOURCES:
        raise UnknownSourceError(name)
    return _SOURCES[name][1]


def parse(name: str, body: bytes, url: str) -> Iterator[Record]:
    """Parse one fetched document of source ``name`` into records.

    Raises ``UnknownSourceError`` for a bad name, and ``SourceFormatError`` (while
    iterating) for a body that is not a valid document of that source.
    """
    if name not in _SOURCES:
        raise UnknownSourceError(name)
    return _SOURCES[name][0](body, url)


# --- official URLs -----------------------------------------------------------------------


def bills_url(session: str, base: str = PARL_BASE) -> str:
    """``https://www.parl.ca/legisinfo/en/bills/json?parlsession=45-1``."""
    parliament, number = parse_session_code(session)
    return f"{base.rstrip('/')}/legisinfo/en/bills/json?parlsession={parliament}-{number}"


def bill_url(
    session: str, number: str, fmt: Literal["json", "xml"] = "json", base: str = PARL_BASE
) -> str:
    """``https://www.parl.ca/legisinfo/en/bill/45-1/c-2/json`` (number lower-cased)."""
    parliament, session_number = parse_session_code(session)
    return (
        f"{base.rstrip('/')}/legisinfo/en/bill/{parliament}-{session_number}/"
        f"{number.strip().lower()}/{fmt}"
    )


def members_url(parliament: int | None = None, base: str = OURCOMMONS_BASE) -> str:
    """``https://www.ourcommons.ca/Members/en/search/XML`` (``?parliament=44`` for a past one)."""
    url = f"{base.rstrip('/')}/Members/en/search/XML"
    return f"{url}?parliament={parliament}" if parliament is not None else url


def votes_url(session: str, language: Language = Language.EN, base: str = OURCOMMONS_BASE) -> str:
    """``https://www.ourcommons.ca/Members/en/votes/XML?parlSession=45-1`` (``/fr/`` for French)."""
    parliament, number = parse_session_code(session)
    return (
        f"{base.rstrip('/')}/Members/{language.value}/votes/XML?parlSession={parliament}-{number}"
    )


def ballots_url(session: str, division: int, base: str = OURCOMMONS_BASE) -> str:
    """``https://www.ourcommons.ca/Members/en/votes/45/1/{division}/XML``."""
    parliament, number = parse_session_code(session)
    return f"{base.rstrip('/')}/Members/en/votes/{parliament}/{number}/{division}/XML"


def hansard_url(
    session: str, sitting: int, language: Language = Language.EN, base: str = OURCOMMONS_BASE
) -> str:
    """``https://www.ourcommons.ca/Content/House/451/Debates/005/HAN005-E.XML`` (``-F``)."""
    parliament, number = parse_session_code(session)
    edition = "E" if language is Language.EN else "F"
    return (
        f"{base.rstrip('/')}/Content/House/{parliament}{number}/Debates/"
        f"{sitting:03d}/HAN{sitting:03d}-{edition}.XML"
    )
