"""The bundled sample: real captures shipped in the package, imported offline.

`openpolicy/sample/manifest.json` lists each file with its source name and the official URL
it is filed under. Loading the sample runs the real pipeline (runner, importers, fidelity
checks, provenance) with a fetcher that reads those files instead of the network, so a
fresh `openpolicy up` shows real members, bills, a division with its ballots and Hansard.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy.engine import URL

from openpolicy.config import Settings
from openpolicy.ingest.documents import PreviousImport
from openpolicy.ingest.plans import SOURCE_ORDER, group_units
from openpolicy.ingest.runner import Progress, RunReport, connect, run_source
from openpolicy.sources.http import FetchError, FetchResult

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample"


@dataclass(frozen=True)
class SampleDocument:
    source: str
    file: str
    url: str
    sha256: str
    note: str

    @property
    def path(self) -> Path:
        return SAMPLE_DIR / self.file


@cache
def manifest() -> tuple[SampleDocument, ...]:
    """The sample's documents, in import order within each source."""
    data = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    return tuple(
        SampleDocument(d["source"], d["file"], d["url"], d["sha256"], d.get("note", ""))
        for d in data["documents"]
    )


class SampleFetcher:
    """Serve the sample files by their official URLs (no network)."""

    def __init__(self, documents: tuple[SampleDocument, ...] | None = None) -> None:
        self.by_url = {d.url: d for d in (documents or manifest())}

    def fetch(self, url: str, previous: PreviousImport | None) -> FetchResult:
        document = self.by_url.get(url)
        if document is None:
            raise FetchError(url, "not in the bundled sample", status=404)
        body = document.path.read_bytes()
        if hashlib.sha256(body).hexdigest() != document.sha256:
            raise FetchError(url, f"sample file {document.file} does not match its manifest")
        content_type = "application/json" if document.file.endswith(".json") else "text/xml"
        return FetchResult(url, 200, body, None, None, content_type)


def load_sample(
    database: URL | str,
    settings: Settings,
    *,
    sources: tuple[str, ...] = SOURCE_ORDER,
    force: bool = False,
    progress: Progress | None = None,
) -> list[RunReport]:
    """Import every sample document, source by source (dependencies first)."""
    fetcher = SampleFetcher()
    reports = []
    for source in SOURCE_ORDER:
        if source not in sources:
            continue
        urls = [d.url for d in manifest() if d.source == source]
        reports.append(
            run_source(
                database,
                settings,
                source,
                fetcher=fetcher,
                units=group_units(source, urls),
                force=force,
                progress=progress,
            )
        )
    return reports


def database_is_empty(database: URL | str) -> bool:
    """No civic data and no ingest run yet: the state in which `up` loads the sample."""
    with connect(database, "openpolicy-up") as conn:
        row = conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM elected_members)"
            " AND NOT EXISTS (SELECT 1 FROM bills) AND NOT EXISTS (SELECT 1 FROM votes)"
            " AND NOT EXISTS (SELECT 1 FROM debates) AND NOT EXISTS (SELECT 1 FROM ingest_runs)"
        ).fetchone()
    return bool(row and row[0])
