"""Ingest throughput: ballots and speeches per second through the importers, against raw COPY.

Runs standalone on a private embedded PostgreSQL cluster (nothing else is touched):

    .venv/bin/python bench/ingest.py [--divisions 300] [--sittings 60]

1. Loads the sample members lists (so voters and speakers resolve like in production).
2. Importer path: `run_source` over N ballots documents and M Hansard sittings made from
   the real captures (division 43-2 No. 69 renumbered; sittings 44-1 No. 5 / No. 200 and
   41-2 No. 86 renumbered): fetch from memory → sha256 → parse → records → resolve →
   COPY to staging → one set-based write, one transaction per document, every index and
   trigger in place, search vectors computed by PostgreSQL.
3. Baseline: the very rows the importer wrote (vectors included, as text) are read back,
   the table is truncated, and the rows go back in with one raw `COPY`.
4. A second importer run over the same documents: skipped by content hash, every record
   reported unchanged.

Goals (issue "ingest"): ballots >= 0.5x COPY; speeches with their vectors >= 0.5x COPY of
the same rows with the same vectors; second run >= 10x faster than the first.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpolicy import embedded, schema  # noqa: E402
from openpolicy.config import Settings  # noqa: E402
from openpolicy.db import create_db_engine  # noqa: E402
from openpolicy.ingest.documents import PreviousImport  # noqa: E402
from openpolicy.ingest.plans import Unit  # noqa: E402
from openpolicy.ingest.runner import RunReport, connect, run_source  # noqa: E402
from openpolicy.ingest.sample import SAMPLE_DIR, load_sample  # noqa: E402
from openpolicy.sources.http import FetchError, FetchResult  # noqa: E402

BASE = "https://www.ourcommons.ca"


class MemoryFetcher:
    """Bodies from memory, by URL: the benchmark measures ingest, not a network."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies

    def fetch(self, url: str, previous: PreviousImport | None) -> FetchResult:
        body = self.bodies.get(url)
        if body is None:
            raise FetchError(url, "not generated", status=404)
        return FetchResult(url, 200, body, None, None, "text/xml")


def ballot_documents(count: int) -> dict[str, bytes]:
    """Division 43-2 No. 69 (330 ballots) as divisions 1001…, one document each."""
    body = (SAMPLE_DIR / "ourcommons/vote-43-2-69.xml").read_bytes()
    documents = {}
    for number in range(1001, 1001 + count):
        renumbered = body.replace(
            b"<DecisionDivisionNumber>69</DecisionDivisionNumber>",
            f"<DecisionDivisionNumber>{number}</DecisionDivisionNumber>".encode(),
        )
        documents[f"{BASE}/Members/en/votes/43/2/{number}/XML"] = renumbered
    return documents


def sitting_documents(count: int) -> dict[str, bytes]:
    """Three real English sittings, renumbered 1001… in turn, one document each."""
    sources = [
        ("hansard/HAN005-E-441.xml", "441"),
        ("hansard/HAN200-E-441.xml", "441"),
        ("hansard/HAN086-E-412.xml", "412"),
    ]
    bodies = [((SAMPLE_DIR / name).read_bytes(), session) for name, session in sources]
    documents = {}
    for index in range(count):
        body, session = bodies[index % len(bodies)]
        number = 1001 + index
        text = re.sub(
            rb'(<ExtractedItem Name="MetaNumberNumber">)\d+',
            rb"\g<1>" + str(number).encode(),
            body,
        )
        text = re.sub(
            rb'(<ExtractedItem Name="Number">)(No\. |NUMBER )\d+',
            rb"\g<1>\g<2>" + str(number).encode(),
            text,
        )
        url = f"{BASE}/Content/House/{session}/Debates/{number}/HAN{number}-E.XML"
        documents[url] = text
    return documents


@dataclass
class Measure:
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def importer(
    database: Any, settings: Settings, source: str, documents: dict[str, bytes]
) -> tuple[RunReport, float]:
    units = [Unit(source, (url,)) for url in documents]
    started = time.perf_counter()
    report = run_source(database, settings, source, fetcher=MemoryFetcher(documents), units=units)
    elapsed = time.perf_counter() - started
    if report.status != "succeeded":
        raise SystemExit(f"{source}: {report.status}: {report.errors[:3]}")
    return report, elapsed


def raw_copy(database: Any, table: str, columns: list[str], order: str, repeat: int = 3) -> Measure:
    """Read back what the importer wrote, truncate, and COPY the same rows in again.

    The best of `repeat` COPYs is kept: the machine may be shared, and the baseline should
    be the fastest the table takes rows, not an unlucky moment.
    """
    with connect(database, "bench-copy") as conn:
        # Text format both ways: tsvectors travel as their text form, as a dump would.
        select = f"COPY (SELECT {', '.join(columns)} FROM {table} ORDER BY {order}) TO STDOUT"
        with conn.cursor() as cursor, cursor.copy(select.encode()) as copy:
            data = b"".join(bytes(chunk) for chunk in copy)
        rows = data.count(b"\n")
        best = float("inf")
        for _ in range(repeat):
            conn.execute(f"TRUNCATE {table} CASCADE".encode())
            conn.execute("CHECKPOINT")
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cursor:
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.copy(statement.encode()) as copy:
                    copy.write(data)
            best = min(best, time.perf_counter() - started)
        return Measure(rows, best)


BALLOT_COLUMNS = ["id", "vote_id", "member_id", "party_id", "value", "source_document_id"]
SPEECH_COLUMNS = [
    "id",
    "debate_id",
    "sequence",
    "hansard_id",
    "spoken_at",
    "member_id",
    "speaker_name",
    "speaker_role",
    "party_abbreviation",
    "hansard_affiliation_id",
    "intervention_type",
    "order_of_business",
    "heading_en",
    "heading_fr",
    "text_en",
    "text_fr",
    "search_en",
    "search_fr",
    "source_document_id",
    "created_at",
    "updated_at",
]


def report_line(name: str, ours: Measure, copy: Measure, goal: float) -> bool:
    ratio = ours.per_second / copy.per_second
    verdict = "meets" if ratio >= goal else "MISSES"
    print(
        f"{name:9} importer {ours.rows:7d} rows in {ours.seconds:6.2f}s = {ours.per_second:9.0f}/s"
        f" | raw COPY {copy.rows:7d} rows in {copy.seconds:6.2f}s = {copy.per_second:9.0f}/s"
        f" | ratio {ratio:4.2f}x (goal >= {goal}x: {verdict})"
    )
    return ratio >= goal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--divisions", type=int, default=300, help="ballots documents (330 each)")
    parser.add_argument("--sittings", type=int, default=60, help="Hansard sittings")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="openpolicy-bench-") as scratch:
        cluster = embedded.start(Path(scratch) / "pgdata", database="bench")
        try:
            database = cluster.url("bench")
            settings = Settings(database_url=database.render_as_string(hide_password=False))
            engine = create_db_engine(settings, database)
            schema.upgrade(engine)
            engine.dispose()
            load_sample(database, settings, sources=("members",))

            ballots_docs = ballot_documents(args.divisions)
            sitting_docs = sitting_documents(args.sittings)
            print(
                f"ingest benchmark: {len(ballots_docs)} ballots documents,"
                f" {len(sitting_docs)} Hansard sittings (PostgreSQL {cluster.data_dir.name})"
            )

            ballots_report, ballots_seconds = importer(database, settings, "ballots", ballots_docs)
            speech_report, speech_seconds = importer(database, settings, "hansard", sitting_docs)
            ballots_ours = Measure(ballots_report.counts.inserted, ballots_seconds)
            # Records of a sitting are its debate and its speeches: count speeches only.
            speeches = ballots_count = 0
            with connect(database, "bench") as conn:
                row = conn.execute("SELECT count(*) FROM speeches").fetchone()
                speeches = int(row[0]) if row else 0
                row = conn.execute("SELECT count(*) FROM ballots").fetchone()
                ballots_count = int(row[0]) if row else 0
            speeches_ours = Measure(speeches, speech_seconds)
            assert ballots_count == ballots_ours.rows

            ballots_copy = raw_copy(database, "ballots", BALLOT_COLUMNS, "id")
            speeches_copy = raw_copy(database, "speeches", SPEECH_COLUMNS, "id")

            ok = report_line("ballots", ballots_ours, ballots_copy, 0.5)
            ok &= report_line("speeches", speeches_ours, speeches_copy, 0.5)

            second_ballots, second_ballots_s = importer(database, settings, "ballots", ballots_docs)
            second_speech, second_speech_s = importer(database, settings, "hansard", sitting_docs)
            first_total = ballots_seconds + speech_seconds
            second_total = second_ballots_s + second_speech_s
            unchanged = second_ballots.counts.unchanged + second_speech.counts.unchanged
            expected = ballots_report.counts.records + speech_report.counts.records
            all_unchanged = (
                unchanged == expected
                and second_ballots.counts.inserted + second_ballots.counts.updated == 0
                and second_speech.counts.inserted + second_speech.counts.updated == 0
            )
            speedup = first_total / second_total
            print(
                f"second run: {second_total:.2f}s vs {first_total:.2f}s = {speedup:.0f}x faster"
                f" (goal >= 10x: {'meets' if speedup >= 10 else 'MISSES'});"
                f" {unchanged} of {expected} records reported unchanged"
                f" ({'all' if all_unchanged else 'NOT all'})"
            )
            ok &= speedup >= 10 and all_unchanged
        finally:
            cluster.detach()  # the last process attached: the server stops
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
