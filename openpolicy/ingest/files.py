"""Importing local files (`openpolicy ingest file`): captures on disk, the fetch path.

Files are read, grouped into units by their source (the English and French editions of a
sitting go together, whatever the files are called), and run through the same runner as
a fetch: parse, import one transaction per unit, fidelity checks, provenance. Each body is
archived under `--url` when given (one file), else under the file's `file://` URI; a file
imported before with the same bytes is skipped unless forced.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from openpolicy.config import Settings
from openpolicy.ingest.documents import PreviousImport
from openpolicy.ingest.registry import source as source_named
from openpolicy.ingest.runner import Progress, RunReport, run_source
from openpolicy.ingest.source import Unit
from openpolicy.sources.errors import SourceFormatError
from openpolicy.sources.http import FetchError, FetchResult


class FileInputError(ValueError):
    """Paths that cannot be imported (missing, unreadable, `--url` with several files)."""


@dataclass(frozen=True)
class LocalDocument:
    path: Path
    url: str
    body: bytes


def expand(paths: Iterable[Path]) -> list[Path]:
    """The files named, a folder's files (not hidden, sorted) in place of the folder."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileInputError(f"{path}: no such file or folder")
    if not found:
        raise FileInputError("no file to import")
    return found


def read(paths: Sequence[Path], url: str | None) -> list[LocalDocument]:
    files = expand(paths)
    if url is not None and len(files) != 1:
        raise FileInputError(f"--url names one document, but {len(files)} files were given")
    documents = []
    for path in files:
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise FileInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        documents.append(LocalDocument(path, url or path.resolve().as_uri(), body))
    return documents


class FileFetcher:
    """Serves the files by the URLs they are filed under."""

    def __init__(self, documents: Sequence[LocalDocument]) -> None:
        self.by_url = {d.url: d for d in documents}

    def fetch(self, url: str, previous: PreviousImport | None) -> FetchResult:
        document = self.by_url.get(url)
        if document is None:
            raise FetchError(url, "not among the files given", status=404)
        kind, _ = mimetypes.guess_type(document.path.name)
        return FetchResult(url, 200, document.body, None, None, kind)


def units_of(name: str, documents: Sequence[LocalDocument]) -> list[Unit]:
    """Group the files into units of source `name`, the primary edition first.

    A file that is not a document of the source at all (its unit cannot be told) is a
    unit of its own: its import fails with the parser's located error.
    """
    source = source_named(name)
    groups: dict[str, list[tuple[bool, str]]] = {}
    for document in documents:
        try:
            key, secondary = source.format.unit_key(document.body, document.url)
        except SourceFormatError:
            key, secondary = document.url, False
        groups.setdefault(key, []).append((secondary, document.url))
    return [
        Unit(name, tuple(url for _, url in sorted(members, key=lambda m: m[0])))
        for members in groups.values()
    ]


def import_files(
    database: URL | str,
    settings: Settings,
    name: str,
    documents: Sequence[LocalDocument],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Import local files (see `read`) as source `name` through the runner."""
    return run_source(
        database,
        settings,
        name,
        fetcher=FileFetcher(documents),
        units=units_of(name, documents),
        force=force,
        progress=progress,
    )
