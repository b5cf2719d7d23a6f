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
from openpolicy.config import Settings
from openpolicy.dataversion import bump_data_version
from openpolicy.ingest import documents as docs
from openpolicy.ingest import fidelity
from openpolicy.ingest.bills import import_bills
from openpolicy.ingest.bulk import Counts
from openpolicy.ingest.context import ImportContext, IngestCheckError
from openpolicy.ingest.debates import SpeakerStats, import_sitting, search_vectors
from openpolicy.ingest.members import import_members
from openpolicy.ingest.plans import Unit, plan
from openpolicy.ingest.votes import import_ballots, import_votes
from openpolicy.records import Ballot, Bill, Debate, Member, Speech, Vote
from openpolicy.sources import hansard as hansard_source
from openpolicy.sources import registry
from openpolicy.sources import votes as votes_source
from openpolicy.sources.division import DivisionFacts, division_facts
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
    payload: Any = None
    record_count: int = 0
    error: str | None = None
    seen_urls: list[str] = field(default_factory=list)


def parse_unit(source: str, documents: Sequence[docs.Document]) -> tuple[Any, int]:
    """Pure: the unit's records (shaped for its importer) and how many there are."""
    primary = documents[0]
    if source == "votes":
        english = [
            r for r in registry.parse("votes", primary.body, primary.url) if isinstance(r, Vote)
        ]
        french: list[Vote] = []
        for extra in documents[1:]:
            french += [
                r for r in registry.parse("votes", extra.body, extra.url) if isinstance(r, Vote)
            ]
        records = list(votes_source.pair_vote_lists(english, french)) if french else english
        return records, len(records)
    if source == "ballots":
        ballots = [
            r for r in registry.parse("ballots", primary.body, primary.url) if isinstance(r, Ballot)
        ]
        facts = division_facts(primary.body, primary.url)
        if facts is None:  # parse_ballots refuses empty lists, so this is belt and braces
            raise SourceFormatError(primary.url, "no ballots in the document")
        return (ballots, facts), len(ballots)
    if source == "hansard":
        english_records = list(hansard_source.parse_hansard(primary.body, primary.url))
        if len(documents) > 1:
            extra = documents[1]
            paired = hansard_source.pair_editions(
                english_records, list(hansard_source.parse_hansard(extra.body, extra.url))
            )
            debate, speeches = paired.debate, list(paired.speeches)
        else:
            debate = next(r for r in english_records if isinstance(r, Debate))
            speeches = [r for r in english_records if isinstance(r, Speech)]
        return (debate, speeches), 1 + len(speeches)
    parsed = list(registry.parse(source, primary.body, primary.url))
    return parsed, len(parsed)


class _Preparer:
    """Fetch, skip-check and parse units in a helper thread."""

    def __init__(
        self,
        database: URL | str,
        fetcher: Fetcher,
        previous: dict[str, docs.PreviousImport],
        force: bool,
    ) -> None:
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
        for position, url in enumerate(unit.urls):
            previous = None if self.force else self.previous.get(url)
            try:
                result = self.fetcher.fetch(url, previous)
            except FetchError as exc:
                if exc.status == 404 and (position > 0 or unit.probe):
                    if position == 0:
                        return Prepared(unit, "absent")
                    continue  # an optional edition not published (yet)
                raise
            fetched.append((url, result))
        unchanged = all(
            (result.not_modified or result.sha256 == self.previous[url].sha256)
            for url, result in fetched
            if url in self.previous
        ) and all(url in self.previous for url, _ in fetched)
        primary_previous = self.previous.get(unit.primary)
        if unchanged and not self.force and primary_previous is not None:
            return Prepared(
                unit,
                "skipped",
                record_count=primary_previous.record_count,
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
        payload, record_count = parse_unit(unit.source, documents)
        if unit.source == "hansard":
            debate, speeches = payload
            payload = (debate, speeches, search_vectors(self._reader(), speeches))
        return Prepared(unit, "parsed", documents, payload, record_count)


# --- importing a unit (main thread, one transaction) ------------------------------------------


def import_unit(
    ctx: ImportContext, source: str, prepared: Prepared, document_id: int
) -> tuple[Counts, SpeakerStats | None]:
    """Write a parsed unit's records. The caller owns the transaction."""
    payload = prepared.payload
    if source == "members":
        return import_members(ctx, [r for r in payload if isinstance(r, Member)], document_id), None
    if source in ("bills", "bill"):
        return import_bills(ctx, [r for r in payload if isinstance(r, Bill)], document_id), None
    if source == "votes":
        return import_votes(ctx, payload, document_id), None
    if source == "ballots":
        ballots, facts = payload
        assert isinstance(facts, DivisionFacts)
        return import_ballots(ctx, ballots, document_id, facts, prepared.unit.primary), None
    if source == "hansard":
        debate, speeches, vectors = payload
        return import_sitting(ctx, debate, speeches, document_id, vectors)
    raise registry.UnknownSourceError(source)


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
            "UPDATE data_sources SET status = %s,"
            " last_success_at = CASE WHEN %s THEN now() ELSE last_success_at END,"
            " last_updated_at = CASE WHEN %s THEN now() ELSE last_updated_at END,"
            " last_error = %s, counts = %s, fidelity = %s, updated_at = now() WHERE id = %s",
            (
                report.source_status,
                report.status == "succeeded",
                changed,
                error,
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


def _source_url(source: str, settings: Settings) -> str:
    return settings.parl_base_url if source in ("bills", "bill") else settings.ourcommons_base_url


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
    if source not in registry.SOURCE_NAMES:
        raise registry.UnknownSourceError(source)
    started = time.monotonic()
    conn = connect(database)
    try:
        with source_lock(conn, source) as acquired:
            if not acquired:
                return RunReport(source, "busy")
            source_id, run_id = _start(conn, source, _source_url(source, settings))
            report = RunReport(source, "succeeded", run_id)
            try:
                _run(conn, database, settings, source, report, fetcher, units, force, progress)
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
            return report
    finally:
        conn.close()


def _run(
    conn: psycopg.Connection[Any],
    database: URL | str,
    settings: Settings,
    source: str,
    report: RunReport,
    fetcher: Fetcher | None,
    units: list[Unit] | None,
    force: bool,
    progress: Progress | None,
) -> None:
    planned = units if units is not None else plan(source, conn, settings)
    report.units = len(planned)
    previous = docs.previous_imports(conn, (url for unit in planned for url in unit.urls))
    client = None
    if fetcher is None:
        client = PoliteClient.from_settings(settings)
        fetcher = HttpFetcher(client)
    preparer = _Preparer(database, fetcher, previous, force)
    ctx = ImportContext(conn)
    seen: list[str] = []
    succeeded = failed = 0
    try:
        # Hansard preparation waits on PostgreSQL (search vectors): two helpers keep both
        # cores busy. Elsewhere a second parser would only fight the writer for the GIL.
        helpers = 2 if source == "hansard" else 1
        with ThreadPoolExecutor(helpers, thread_name_prefix=f"ingest-{source}") as pool:
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
    report.notes.update(ctx.notes)
    with conn.transaction():
        report.checks = fidelity.run_checks(conn, source)
    if failed and not succeeded:
        report.status = "failed"
    elif failed:
        report.status = "partial"


def _apply(
    ctx: ImportContext, source: str, prepared: Prepared, report: RunReport, seen: list[str]
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
        log.warning("ingest %s: %s", source, prepared.error)
        return "failed"
    try:
        with ctx.conn.transaction():
            with ctx.cursor() as cursor:
                ids = [docs.archive(cursor, source, document) for document in prepared.documents]
            counts, speakers = import_unit(ctx, source, prepared, ids[0])
            with ctx.cursor() as cursor:
                docs.mark_imported(cursor, ids, prepared.record_count)
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
        log.warning("ingest %s: %s", source, message)
        return "failed"
    report.counts.add(counts)
    if speakers is not None:
        for name in ("resolved", "unresolved", "ambiguous", "presiding_unnamed"):
            setattr(report.speakers, name, getattr(report.speakers, name) + getattr(speakers, name))
        report.speakers.unresolved_names.update(speakers.unresolved_names)
    return "ok"
