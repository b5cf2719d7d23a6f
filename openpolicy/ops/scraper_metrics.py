"""Scraper metrics, read from the database at scrape time so every replica tells the truth.

Runs happen in worker processes, but Prometheus scrapes the web replicas; the numbers
therefore come from `data_sources` and `ingest_runs`, not from process memory:

* `scraper_last_success_timestamp{source}`: `data_sources.last_success_at` (Unix seconds);
* `scraper_runs_total{source,status}`: runs recorded in `ingest_runs`;
* `scraper_records_total{source,outcome}`: inserted / updated / unchanged / failed summed
  over `ingest_runs` (counters reset, as Prometheus expects, if old runs are pruned);
* `fidelity_check_failures{source}`: failed fidelity checks in the source's latest run.

`install()` registers the collector on `openpolicy.ops.metrics.REGISTRY` and the hook that
refreshes it; call it once where the app (or a worker exposing metrics) starts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

from openpolicy.ops.metrics import REGISTRY, register_scrape_hook

OUTCOMES = ("inserted", "updated", "unchanged", "failed")


@dataclass
class Snapshot:
    last_success: dict[str, float] = field(default_factory=dict)
    fidelity_failures: dict[str, int] = field(default_factory=dict)
    runs: dict[tuple[str, str], int] = field(default_factory=dict)
    records: dict[tuple[str, str], int] = field(default_factory=dict)


class ScraperCollector(Collector):
    """Yields the scraper families from the latest snapshot the scrape hook took."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()
        self._lock = threading.Lock()

    def refresh(self, engine: Engine) -> None:
        snapshot = Snapshot()
        with engine.connect() as conn:
            for name, success, failed in conn.execute(
                text(
                    "SELECT name, extract(epoch FROM last_success_at),"
                    " coalesce((fidelity ->> 'failed')::int, 0) FROM data_sources"
                )
            ):
                if success is not None:
                    snapshot.last_success[name] = float(success)
                snapshot.fidelity_failures[name] = int(failed)
            for row in conn.execute(
                text(
                    "SELECT s.name, r.status, count(*), sum(r.inserted), sum(r.updated),"
                    " sum(r.unchanged), sum(r.failed) FROM ingest_runs r"
                    " JOIN data_sources s ON s.id = r.data_source_id GROUP BY 1, 2"
                )
            ):
                name, status, runs, *sums = row
                snapshot.runs[(name, status)] = int(runs)
                for outcome, value in zip(OUTCOMES, sums, strict=True):
                    key = (name, outcome)
                    snapshot.records[key] = snapshot.records.get(key, 0) + int(value or 0)
        with self._lock:
            self.snapshot = snapshot

    def describe(self) -> Iterator[Metric]:
        return iter(self._families(Snapshot()))

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            snapshot = self.snapshot
        return iter(self._families(snapshot))

    @staticmethod
    def _families(snapshot: Snapshot) -> list[Metric]:
        last = GaugeMetricFamily(
            "scraper_last_success_timestamp",
            "Unix time of the source's last fully successful run.",
            labels=["source"],
        )
        for source, value in sorted(snapshot.last_success.items()):
            last.add_metric([source], value)
        fidelity = GaugeMetricFamily(
            "fidelity_check_failures",
            "Fidelity checks that failed in the source's latest run.",
            labels=["source"],
        )
        for source, value in sorted(snapshot.fidelity_failures.items()):
            fidelity.add_metric([source], value)
        runs = CounterMetricFamily(
            "scraper_runs", "Ingest runs by source and final status.", labels=["source", "status"]
        )
        for (source, status), value in sorted(snapshot.runs.items()):
            runs.add_metric([source, status], value)
        records = CounterMetricFamily(
            "scraper_records",
            "Records seen by ingest runs, by outcome (inserted, updated, unchanged, failed).",
            labels=["source", "outcome"],
        )
        for (source, outcome), value in sorted(snapshot.records.items()):
            records.add_metric([source, outcome], value)
        return [last, fidelity, runs, records]


COLLECTOR = ScraperCollector()
_installed = False
_install_lock = threading.Lock()


def install() -> ScraperCollector:
    """Register the collector and its scrape hook (idempotent)."""
    global _installed
    with _install_lock:
        if not _installed:
            REGISTRY.register(COLLECTOR)
            register_scrape_hook(COLLECTOR.refresh)
            _installed = True
    return COLLECTOR
