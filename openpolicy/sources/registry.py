"""The official sources as pure objects: name, what it is, URLs, parser, editions.

Each source is one ``SourceFormat``: everything about it that needs no database. Ingest
wraps each in an ``openpolicy.ingest.source.Source`` (plan, importer, checks). Adding a
source is a parser module here, one ``SourceFormat`` below, and one ``Source`` in ingest.

URL builders take the base URL as an argument (it is a setting, so tests can point the
real client at a loopback server); the defaults are the official hosts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from openpolicy.records import Record
from openpolicy.sources import ballots, hansard, legisinfo, members, votes
from openpolicy.vocab import Language, parse_session_code

PARL_BASE = "https://www.parl.ca"
OURCOMMONS_BASE = "https://www.ourcommons.ca"

Parser = Callable[[bytes, str], Iterator[Record]]
Host = Literal["parl", "ourcommons"]


@dataclass(frozen=True)
class Address:
    """What `openpolicy sources fetch` was told: which document of a source to build."""

    base: str
    session: str
    number: str | None = None  # bill number, division or sitting
    parliament: int | None = None
    language: Language = Language.EN


class UnknownSourceError(ValueError):
    """A source name that is not in ``SOURCE_NAMES``."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown source {name!r}; expected one of: {', '.join(SOURCE_NAMES)}")


class AddressError(ValueError):
    """An address that does not name a document of the source."""


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


def _number(address: Address, what: str) -> str:
    if not address.number:
        raise AddressError(f"needs --number (the {what})")
    return address.number


def _integer(address: Address, what: str) -> int:
    text = _number(address, what)
    if not text.strip().isdigit():
        raise AddressError(f"--number must be a {what}, got {text!r}")
    return int(text)


# --- editions: documents that are one unit of work ---------------------------------------

_HANSARD_FR = re.compile(r"-F\.XML$", re.IGNORECASE)


def _hansard_key(url: str) -> tuple[str, bool]:
    return _HANSARD_FR.sub("-E.XML", url), bool(_HANSARD_FR.search(url))


def _votes_key(url: str) -> tuple[str, bool]:
    english = url.replace("/Members/fr/", "/Members/en/").replace("/members/fr/", "/members/en/")
    return english, "/fr/" in url.lower()


def _one_edition(url: str) -> tuple[str, bool]:
    return url, False


# --- the formats -------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFormat:
    """One official source, without a database: how to address, fetch and parse it.

    ``version`` counts the parser's revisions that change what it yields: a body read by
    an older version is read again (from the archive) at the next run. ``edition`` gives
    the unit key of a URL and whether it is a secondary edition (the French one of a
    pair): documents with the same key are imported together, the primary first.
    """

    name: str
    description: str
    host: Host
    parse: Parser
    address: Callable[[Address], str]
    number_help: str | None = None  # what `sources fetch --number` means, if needed
    version: int = 1
    edition: Callable[[str], tuple[str, bool]] = _one_edition
    # The unit key of a document from its content (a local file need not bear its
    # official name); None: by its URL, through `edition`.
    identify: Callable[[bytes, str], tuple[str, bool]] | None = None

    def unit_key(self, body: bytes, url: str) -> tuple[str, bool]:
        """`(unit key, secondary edition?)` of a document."""
        if self.identify is not None:
            return self.identify(body, url)
        return self.edition(url)

    def url(self, address: Address) -> str:
        """The official URL of one document (raises ``AddressError`` on a bad address)."""
        try:
            return self.address(address)
        except ValueError as exc:
            raise AddressError(str(exc)) from None

    def base(self, parl_base: str, ourcommons_base: str) -> str:
        return parl_base if self.host == "parl" else ourcommons_base


FORMATS: dict[str, SourceFormat] = {
    source.name: source
    for source in (
        SourceFormat(
            "bills",
            "LEGISinfo bills list of a session (JSON; also the legacy 2018 XML export)",
            "parl",
            legisinfo.parse_bills,
            lambda a: bills_url(a.session, a.base),
        ),
        SourceFormat(
            "bill",
            "LEGISinfo one bill in detail: stages, divisions, sponsor (JSON or XML, sniffed)",
            "parl",
            legisinfo.parse_bill,
            lambda a: bill_url(a.session, _number(a, "bill number"), "json", a.base),
            number_help="bill number",
        ),
        SourceFormat(
            "members",
            "ourcommons.ca members of the House (XML)",
            "ourcommons",
            members.parse_members,
            lambda a: members_url(a.parliament, a.base),
        ),
        SourceFormat(
            "votes",
            "ourcommons.ca recorded divisions of a session (XML; also the legacy 2018 export)",
            "ourcommons",
            votes.parse_votes,
            lambda a: votes_url(a.session, a.language, a.base),
            edition=_votes_key,
        ),
        SourceFormat(
            "ballots",
            "ourcommons.ca how each member voted in one division",
            "ourcommons",
            ballots.parse_ballots,
            lambda a: ballots_url(a.session, _integer(a, "division number"), a.base),
            number_help="division number",
        ),
        SourceFormat(
            "hansard",
            "House of Commons Hansard of one sitting, every item of it (XML, EN or FR)",
            "ourcommons",
            hansard.parse_hansard,
            lambda a: hansard_url(a.session, _integer(a, "sitting number"), a.language, a.base),
            number_help="sitting number",
            version=2,
            edition=_hansard_key,
            identify=hansard.sitting_of,
        ),
    )
}

SOURCE_NAMES: tuple[str, ...] = tuple(FORMATS)
"""``bills``, ``bill``, ``members``, ``votes``, ``ballots``, ``hansard``."""


def source_format(name: str) -> SourceFormat:
    """The format called ``name``; ``UnknownSourceError`` otherwise."""
    found = FORMATS.get(name)
    if found is None:
        raise UnknownSourceError(name)
    return found


def describe(name: str) -> str:
    """One line saying what the source is."""
    return source_format(name).description


def parse(name: str, body: bytes, url: str) -> Iterator[Record]:
    """Parse one fetched document of source ``name`` into records.

    Raises ``UnknownSourceError`` for a bad name, and ``SourceFormatError`` (while
    iterating) for a body that is not a valid document of that source.
    """
    return source_format(name).parse(body, url)
