"""One object per source: what ingest needs to run it, in one place.

A ``Source`` wraps the source's pure ``SourceFormat`` (name, URLs, parser, editions) with
what needs the database: which documents a run fetches (``plan``), how a unit's documents
become the importer's payload (``parse``, pure; ``prepare``, on the helper thread's own
connection), how that payload is written (``write``, in the unit's transaction) and
which fidelity checks run afterwards (and, for sources that change members, what to link
again when the run is over: ``finish``). The runner, the planner, the CLI, the sample and
the scheduler know sources only through these objects.

A *unit* is the set of documents imported in one transaction: one document for most
sources; the English and French editions of a Hansard sitting or of a divisions list. The
first URL is the primary one; the others are optional (a 404 there is "not published").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openpolicy.sources.registry import SourceFormat

if TYPE_CHECKING:
    from psycopg import Connection

    from openpolicy.config import Settings
    from openpolicy.ingest.bulk import Counts
    from openpolicy.ingest.context import ImportContext
    from openpolicy.ingest.debates import SpeakerStats
    from openpolicy.ingest.documents import Document
    from openpolicy.ingest.fidelity import Check


@dataclass(frozen=True)
class Unit:
    """Documents imported together in one transaction."""

    source: str
    urls: tuple[str, ...]
    probe: bool = False  # a 404 on the primary URL means "not published yet", not a failure

    @property
    def primary(self) -> str:
        return self.urls[0]

    @property
    def optional(self) -> tuple[str, ...]:
        return self.urls[1:]


@dataclass
class Parsed:
    """A unit's documents made into what its importer takes, and how many records."""

    payload: Any
    records: int


Written = tuple["Counts", "SpeakerStats | None"]
Planner = Callable[["Connection[Any]", "Settings"], list[Unit]]
UnitParser = Callable[[Sequence["Document"]], Parsed]
Preparer = Callable[["Connection[Any]", Parsed], Parsed]
Writer = Callable[["ImportContext", Parsed, int, Unit], Written]
Finisher = Callable[["ImportContext"], dict[str, int]]
CheckFunction = Callable[["Connection[Any]"], "Check"]


@dataclass(frozen=True)
class Source:
    """Everything ingest knows about one official source."""

    format: SourceFormat
    plan: Planner
    parse: UnitParser
    write: Writer
    checks: tuple[CheckFunction, ...] = ()
    prepare: Preparer | None = None
    # After every unit, in a transaction of its own: links the run's changes can move
    # (`ingest.links`); returns counts for the run's notes.
    finish: Finisher | None = None
    # What the source's rows are, counted: `ingest status` shows it beside the last run.
    held: str | None = None
    # Helper threads preparing units ahead of the writer: 2 where preparing waits on
    # PostgreSQL (Hansard's search vectors); elsewhere a second parser would only fight
    # the writer for the GIL.
    helpers: int = 1

    @property
    def name(self) -> str:
        return self.format.name

    @property
    def version(self) -> int:
        return self.format.version

    def base_url(self, settings: Settings) -> str:
        return self.format.base(settings.parl_base_url, settings.ourcommons_base_url)

    def units(self, urls: Iterable[str]) -> list[Unit]:
        """Group URLs into units, primary edition first; order of first appearance kept."""
        groups: dict[str, list[tuple[bool, str]]] = {}
        for url in urls:
            key, secondary = self.format.edition(url)
            groups.setdefault(key, []).append((secondary, url))
        return [
            Unit(self.name, tuple(url for _, url in sorted(members, key=lambda m: m[0])))
            for members in groups.values()
        ]


def parse_each(source: SourceFormat, documents: Sequence[Document]) -> list[Any]:
    """Every record of every document of a unit, in order (primary document first)."""
    records: list[Any] = []
    for document in documents:
        records.extend(source.parse(document.body, document.url))
    return records
