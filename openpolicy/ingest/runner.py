"""One run of one source: plan → fetch → skip or parse → import (one transaction each).

Fetching and parsing happen before a document's transaction opens, in a helper thread
that works one unit ahead while the main thread writes the previous one (PostgreSQL and
the parser then use both cores). A unit whose bodies are all unchanged (a 304, or the
sha256 of the last import) is skipped before parsing and its records reported unchanged.

A document that cannot be fetched, parsed or imported fails alone: its transaction rolls
back (data already stored is untouched), its error (URL and where) is kept, and the run
goes on. Afterwards the fidelity checks run and everything lands in `ingest_runs` and
`data_sources`. A PostgreSQL advisory lock makes sure one source never runs twice at
once, whichever process (worker replica, CLI) starts it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson
import psycopg
from sqlalchemy.engine import URL

from openpolicy import db
from openpolicy.alerts.matching import after_ingest
from openpolicy.config import Settings
from openpolicy.dataversion import bump_data_version
from openpolicy.ingest import documents as docs
from openpolicy.ingest import fidelity
from openpolicy.ingest.bulk import Counts
from openpolicy.ingest.context import ImportContext, IngestCheckError
from openpolicy.ingest.debates import SpeakerStats
from openpolicy.ingest.registry import source as source_named
from openpolicy.ingest.source import Parsed, Source, Unit
from openpolicy.sources.errors import SourceFormatError
from openpolicy.sources.http import FetchError, FetchResult, PoliteClient

log = logging.getLogger("openpolicy.ingest")

RunStatus = Literal["succeeded", "partial", "failed", "busy"]
MAX_ERRORS_KEPT = 50


class Fetcher(Protocol):
    """Where bodies come from: the polite HTTP client, or the bundled sample."""

    def fetch(self, url: str, previous: docs.PreviousImport | None) -> FetchResult: ...


class HttpFetcher:
    """Conditional GETs through the polite client."""

    def __init__(self, client: PoliteClient) -> None:
        self.client = client

    def fetch(self, url: str, previous: docs.PreviousImport | None) -> FetchResult:
        return self.client.fetch(
            url,
            etag=previous.etag if previous else None,
            last_modified=previous.last_modified if previous else None,
        )


def connect(database: URL | str, application: str = "openpolicy-ingest") -> psycopg.Connection[Any]:
    """An autocommit connection for ingest (openpolicy.db): transactions are opened
    explicitly per document.

    `synchronous_commit = off`: a crash may lose the last few commits, which the next run
    simply imports again (their `imported_at` is lost with them); no corruption is possible.
    """
    conn = db.connect(database, autocommit=True, application_name=application)
    conn.execute("SET synchronous_commit = off")
    return conn


# --- preparing a unit (helper thread) ---------------------------------------------------------


@dataclass
class Prepared:
    """A unit after fetching and parsing, before its transaction."""

    unit: Unit
    kind: Literal["parsed", "skipped", "absent", "failed"]
    documents: list[docs.Document] = field(default_factory=list)
    parsed: Parsed | None = None
    error: str | None = None
    seen_urls: list[str] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return self.parsed.records if self.parsed is not None else 0


def parse_unit(source: str, documents: Sequence[docs.Document]) -> tuple[Any, int]:
    """Pure: the unit's records (shaped for its importer) and how many there are."""
    parsed = source_named(source).parse(documents)
    return parsed.payload, parsed.records


class _Preparer:
    """Fetch, skip-check and parse units in a helper thread."""

    def __init__(
        self,
        source: Source,
        database: URL | str,
        fetcher: Fetcher,
        previous: dict[str, docs.PreviousImport],
        force: bool,
    ) -> None:
        self.source = source
        self.database = database
        self.fetcher = fetcher
        self.previous = previous
        self.force = force
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        for conn in self._connections:
            conn.close()

    def _reader(self) -> psycopg.Connection[Any]:
        """This helper thread's own connection (archived bodies, search vectors)."""
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.database, "openpolicy-ingest-reader")
            with self._lock:
                self._connections.append(conn)
        return conn

    def _archived_body(self, previous: docs.PreviousImport) -> bytes:
        """The stored body behind a 304 (needed when another edition of the unit changed)."""
        row = (
            self._reader()
            .execute(
                "SELECT body FROM source_documents WHERE url = %s AND sha256 = %s",
                (previous.url, previous.sha256),
            )
            .fetchone()
        )
        if row is None:
            raise FetchError(previous.url, "304 Not Modified but no archived body to re-read")
        return bytes(row[0])

    def prepare(self, unit: Unit) -> Prepared:
        try:
            return self._prepare(unit)
        except (SourceFormatError, FetchError, IngestCheckError) as exc:
            return Prepared(unit, "failed", error=str(exc))
        except Exception as exc:  # a parser bug must not stop the run either
            log.exception("preparing %s failed", unit.primary)
            return Prepared(unit, "failed", error=f"{unit.primary}: {type(exc).__name__}: {exc}")

    def _prepare(self, unit: Unit) -> Prepared:
        fetched: list[tuple[str, FetchResult]] = []
        missing: FetchError | None = None
        for position, url in enumerate(unit.urls):
            previous = None if self.force else self.previous.get(url)
            try:
                result = self.fetcher.fetch(url, previous)
            except FetchError as exc:
                if exc.status == 404 and (position > 0 or unit.probe or unit.optional):
                    # An edition not published (yet). Without the primary one, another
                    # edition alone is imported (a French sitting before its English).
                    missing = missing or exc
                    continue
                raise
            fetched.append((url, result))
        if not fetched:
            if unit.probe:
                return Prepared(unit, "absent")
            assert missing is not None
            raise missing
        version = self.source.version
        unchanged = all(
            url in self.previous
            and self.previous[url].parser_version == version
            and (result.not_modified or result.sha256 == self.previous[url].sha256)
            for url, result in fetched
        )
        first_previous = self.previous.get(fetched[0][0])
        if unchanged and not self.force and first_previous is not None:
            return Prepared(
                unit,
                "skipped",
                parsed=Parsed(None, first_previous.record_count),
                seen_urls=[url for url, _ in fetched],
            )
        documents = []
        for url, result in fetched:
            if result.not_modified:
                known = self.previous[url]
                body = self._archived_body(known)
                documents.append(
                    docs.Document(url, body, known.etag, known.last_modified, None, 200)
                )
            else:
                documents.append(
                    docs.Document(
                        url,
                        result.body,
                        result.etag,
                        result.last_modified,
                        result.content_type,
                        result.status,
                    )
                )
        parsed = self.source.parse(documents)
        if self.source.prepare is not None:
            parsed = self.source.prepare(self._reader(), parsed)
        return Prepared(unit, "parsed", documents, parsed)


# --- importing a unit (main thread, one transaction) ------------------------------------------


def import_unit(
    ctx: ImportContext, source: str | Source, prepared: Prepared, document_id: int
) -> tuple[Counts, SpeakerStats | None]:
    """Write a parsed unit's records. The caller owns the transaction."""
    found = source if isinstance(source, Source) else source_named(source)
    assert prepared.parsed is not None
    return found.write(ctx, prepared.parsed, document_id, prepared.unit)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class RunReport:
    """What a run did, as `openpolicy ingest run` prints it."""

    source: str
    status: RunStatus
    run_id: int | None = None
    counts: Counts = field(default_factory=Counts)
    units: int = 0
    skipped: int = 0
    absent: int = 0
    errors: list[str] = field(default_factory=list)
    checks: list[fidelity.Check] = field(default_factory=list)
    speakers: SpeakerStats = field(default_factory=SpeakerStats)
    notes: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def source_status(self) -> str:
        """`data_sources.status` after this run."""
        if self.status == "failed":
            return "failed"
        if self.status == "partial" or any(not check.passed for check in self.checks):
            return "degraded"
        return "ok"

    def details(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "skipped": self.skipped,
            "absent": self.absent,
            "errors": self.errors[:MAX_ERRORS_KEPT],
            "speakers": self.speakers.as_dict(),
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


def _lock_key(source: str) -> str:
    return f"openpolicy.ingest:{source}"


@contextmanager
def source_lock(conn: psycopg.Connection[Any], source: str) -> Iterator[bool]:
    """Hold the source's advisory lock (session level) if nobody else does."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (_lock_key(source),)
    ).fetchone()
    acquired = bool(row and row[0])
    try:
        yield acquired
    finally:
        if acquired:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_lock_key(source),))


def _start(conn: psycopg.Connection[Any], source: str, url: str | None) -> tuple[int, int]:
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO data_sources (name, url, status, last_run_at)"
            " VALUES (%s, %s, 'running', now())"
            " ON CONFLICT (name) DO UPDATE SET status = 'running', last_run_at = now(),"
            " url = COALESCE(EXCLUDED.url, data_sources.url), updated_at = now() RETURNING id",
            (source, url),
        ).fetchone()
        assert row is not None
        source_id = int(row[0])
        # We hold the lock, so a run still marked running died with its process.
        conn.execute(
            "UPDATE ingest_runs SET status = 'failed', finished_at = now(),"
            " error = 'interrupted: the process running it stopped' WHERE data_source_id = %s"
            " AND status = 'running'",
            (source_id,),
        )
        run = conn.execute(
            "INSERT INTO ingest_runs (data_source_id) VALUES (%s) RETURNING id", (source_id,)
        ).fetchone()
        assert run is not None
    return source_id, int(run[0])


def _finish(conn: psycopg.Connection[Any], source_id: int, report: RunReport) -> None:
    counts = report.counts
    error = "; ".join(report.errors[:3]) if report.errors else None
    if error and len(report.errors) > 3:
        error += f" (and {len(report.errors) - 3} more)"
    changed = counts.inserted + counts.updated > 0
    with conn.transaction():
        conn.execute(
            "UPDATE ingest_runs SET finished_at = now(), status = %s, inserted = %s, updated = %s,"
            " unchanged = %s, failed = %s, error = %s, details = %s WHERE id = %s",
            (
                report.status,
                counts.inserted,
                counts.updated,
                counts.unchanged,
                counts.failed,
                error,
                orjson.dumps(report.details()).decode(),
                report.run_id,
            ),
        )
        conn.execute(
            # A run with nothing to fetch (every division already has its ballots) keeps
            # the counts of the last run that read documents: they say what is held.
            "UPDATE data_sources SET status = %s,"
            " last_success_at = CASE WHEN %s THEN now() ELSE last_success_at END,"
            " last_updated_at = CASE WHEN %s THEN now() ELSE last_updated_at END,"
            " last_error = %s, counts = CASE WHEN %s AND counts <> '{}'::jsonb THEN counts"
            " ELSE %s END, fidelity = %s, updated_at = now() WHERE id = %s",
            (
                report.source_status,
                report.status == "succeeded",
                changed,
                error,
                report.units == 0,
                orjson.dumps(
                    {
                        **counts.as_dict(),
                        "documents": report.units,
                        "skipped": report.skipped,
                        "seconds": round(report.seconds, 3),
                    }
                ).decode(),
                orjson.dumps(fidelity.summary(report.checks)).decode(),
                source_id,
            ),
        )


Progress = Callable[[int, int], None]


def run_source(
    database: URL | str,
    settings: Settings,
    source: str,
    *,
    fetcher: Fetcher | None = None,
    units: list[Unit] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Run `source` once. Returns `status="busy"` if it is already running elsewhere."""
    found = source_named(source)
    started = time.monotonic()
    conn = connect(database)
    try:
        with source_lock(conn, source) as acquired:
            if not acquired:
                return RunReport(source, "busy")
            source_id, run_id = _start(conn, source, found.base_url(settings))
            report = RunReport(source, "succeeded", run_id)
            try:
                _run(conn, database, settings, found, report, fetcher, units, force, progress)
            except BaseException as exc:
                report.status = "failed"
                report.errors.append(f"run stopped: {type(exc).__name__}: {exc}")
                report.seconds = time.monotonic() - started
                if not conn.closed:
                    conn.rollback()
                    _finish(conn, source_id, report)
                raise
            report.seconds = time.monotonic() - started
            _finish(conn, source_id, report)
            log.info("ingest %s: %s %s", source, report.status, report.counts.as_dict())
            after_ingest(database, settings)  # alerts: match what this run changed
            return report
    finally:
        conn.close()


def _run(
    conn: psycopg.Connection[Any],
    database: URL | str,
    settings: Settings,
    source: Source,
    report: RunReport,
    fetcher: Fetcher | None,
    units: list[Unit] | None,
    force: bool,
    progress: Progress | None,
) -> None:
    planned = units if units is not None else source.plan(conn, settings)
    report.units = len(planned)
    previous = docs.previous_imports(conn, (url for unit in planned for url in unit.urls))
    client = None
    if fetcher is None:
        client = PoliteClient.from_settings(settings)
        fetcher = HttpFetcher(client)
    preparer = _Preparer(source, database, fetcher, previous, force)
    ctx = ImportContext(conn)
    seen: list[str] = []
    succeeded = failed = 0
    try:
        helpers = source.helpers
        with ThreadPoolExecutor(helpers, thread_name_prefix=f"ingest-{source.name}") as pool:
            window: list[Future[Prepared]] = []
            queue = iter(planned)
            for unit in queue:
                window.append(pool.submit(preparer.prepare, unit))
                if len(window) > helpers:
                    break
            done = 0
            while window:
                prepared = window.pop(0).result()
                following = next(queue, None)
                if following is not None:
                    window.append(pool.submit(preparer.prepare, following))
                outcome = _apply(ctx, source, prepared, report, seen)
                succeeded += outcome == "ok"
                failed += outcome == "failed"
                done += 1
                if progress is not None:
                    progress(done, len(planned))
    finally:
        preparer.close()
        if client is not None:
            client.close()
    docs.touch(conn, seen)
    if source.finish is not None and succeeded:
        try:
            with conn.transaction():
                moved = source.finish(ctx)
            report.notes["relinked"] = moved
        except psycopg.Error as exc:
            ctx.forget()
            report.errors.append(f"relinking after the run failed: {exc}")
            failed += 1
    report.notes.update(ctx.notes)
    with conn.transaction():
        report.checks = fidelity.run_checks(conn, source.checks)
    if failed and not succeeded:
        report.status = "failed"
    elif failed:
        report.status = "partial"


def _apply(
    ctx: ImportContext, source: Source, prepared: Prepared, report: RunReport, seen: list[str]
) -> Literal["ok", "failed", "none"]:
    """Import one prepared unit in its own transaction; record what happened."""
    if prepared.kind == "absent":
        report.absent += 1
        return "none"
    if prepared.kind == "skipped":
        report.skipped += 1
        report.counts.unchanged += prepared.record_count
        seen.extend(prepared.seen_urls)
        return "ok"
    if prepared.kind == "failed":
        report.counts.failed += 1
        report.errors.append(prepared.error or prepared.unit.primary)
        log.warning("ingest %s: %s", source.name, prepared.error)
        return "failed"
    try:
        with ctx.conn.transaction():
            with ctx.cursor() as cursor:
                ids = [
                    docs.archive(cursor, source.name, document) for document in prepared.documents
                ]
            counts, speakers = import_unit(ctx, source, prepared, ids[0])
            with ctx.cursor() as cursor:
                docs.mark_imported(cursor, ids, prepared.record_count, source.version)
            if counts.inserted or counts.updated:
                # Response caches and ETags key on this; it moves when the data does.
                bump_data_version(ctx.conn)
    except (IngestCheckError, psycopg.Error) as exc:
        ctx.forget()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not isinstance(exc, IngestCheckError):
            message = f"{prepared.unit.primary}: database refused the document: {message}"
        report.counts.failed += 1
        report.errors.append(message)
        log.warning("ingest %s: %s", source.name, message)
        return "failed"
    report.counts.add(counts)
    if speakers is not None:
        report.speakers.add(speakers)
    return "ok"
