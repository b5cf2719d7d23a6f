"""Every source ingest runs, in dependency order: members before ballots and Hansard
(voters and speakers resolve against them), bills before votes (divisions link to bills)."""

from __future__ import annotations

from dataclasses import replace

from openpolicy.ingest.bills import BILL, BILLS
from openpolicy.ingest.debates import HANSARD
from openpolicy.ingest.links import relink
from openpolicy.ingest.members import MEMBERS
from openpolicy.ingest.source import Source
from openpolicy.ingest.votes import BALLOTS, VOTES
from openpolicy.sources.registry import UnknownSourceError

# Members and ballots change who is who: the links they can move are made again after
# their runs (ingest.links).
SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        replace(MEMBERS, finish=relink),
        BILLS,
        BILL,
        VOTES,
        replace(BALLOTS, finish=relink),
        HANSARD,
    )
}

SOURCE_ORDER: tuple[str, ...] = tuple(SOURCES)
"""``members``, ``bills``, ``bill``, ``votes``, ``ballots``, ``hansard``."""


def source(name: str) -> Source:
    """The source called ``name``; ``UnknownSourceError`` otherwise."""
    found = SOURCES.get(name)
    if found is None:
        raise UnknownSourceError(name)
    return found
