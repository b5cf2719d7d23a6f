"""Alert metrics, read from the database at scrape time (the worker sends, the app is scraped):

* `alerts_sent_total{channel,outcome}`: delivery attempts by channel (email, webhook) and
  outcome (sent; retried: failed, tried again later; failed: given up), from
  `alert_delivery_totals`, which the sender increments in the attempt's own transaction;
* `alerts_queue_age_seconds{queue}`: how long the oldest waiting work has waited:
  `deliveries` due and not sent, `changes` not matched yet. Both stay near zero while the
  worker runs; the AlertQueueStuck rule fires when one keeps growing;
* `alerts_queue_depth{queue}`: how many are waiting;
* `alerts_subscriptions{channel,status}`: subscriptions by channel and status.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

from openpolicy.ops.metrics import REGISTRY, register_scrape_hook

QUEUES = ("deliveries", "changes")

_QUEUES_SQL = """
SELECT 'deliveries', count(*), coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)
FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
UNION ALL
SELECT 'changes', count(*), coalesce(extract(epoch FROM now() - min(changed_at)), 0)
FROM alert_changes
"""


@dataclass
class Snapshot:
    sent: dict[tuple[str, str], int] = field(default_factory=dict)
    age: dict[str, float] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)
    subscriptions: dict[tuple[str, str], int] = field(default_factory=dict)


class AlertsCollector(Collector):
    """Yields the alert families from the latest snapshot the scrape hook took."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()
        self._lock = threading.Lock()

    def refresh(self, engine: Engine) -> None:
        snapshot = Snapshot()
        with engine.connect() as conn:
            for channel, outcome, total in conn.execute(
                text("SELECT channel, outcome, total FROM alert_delivery_totals")
            ):
                snapshot.sent[(channel, outcome)] = int(total)
            for queue, depth, age in conn.execute(text(_QUEUES_SQL)):
                snapshot.depth[queue] = int(depth)
                snapshot.age[queue] = max(float(age), 0.0)
            for channel, status, count in conn.execute(
                text("SELECT channel, status, count(*) FROM alert_subscriptions GROUP BY 1, 2")
            ):
                snapshot.subscriptions[(channel, status)] = int(count)
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
        sent = CounterMetricFamily(
            "alerts_sent",
            "Alert delivery attempts by channel and outcome (sent, retried, failed).",
            labels=["channel", "outcome"],
        )
        for (channel, outcome), value in sorted(snapshot.sent.items()):
            sent.add_metric([channel, outcome], value)
        age = GaugeMetricFamily(
            "alerts_queue_age_seconds",
            "Seconds the oldest waiting alert work has waited (deliveries due, changes to match).",
            labels=["queue"],
        )
        depth = GaugeMetricFamily(
            "alerts_queue_depth", "Alert work waiting, by queue.", labels=["queue"]
        )
        for queue in QUEUES:
            if queue in snapshot.age:
                age.add_metric([queue], snapshot.age[queue])
                depth.add_metric([queue], snapshot.depth[queue])
        subscriptions = GaugeMetricFamily(
            "alerts_subscriptions",
            "Alert subscriptions by channel and status.",
            labels=["channel", "status"],
        )
        for (channel, status), value in sorted(snapshot.subscriptions.items()):
            subscriptions.add_metric([channel, status], value)
        return [sent, age, depth, subscriptions]


COLLECTOR = AlertsCollector()
_installed = False
_install_lock = threading.Lock()


def install() -> AlertsCollector:
    """Register the collector and its scrape hook (idempotent)."""
    global _installed
    with _install_lock:
        if not _installed:
            REGISTRY.register(COLLECTOR)
            register_scrape_hook(COLLECTOR.refresh)
            _installed = True
    return COLLECTOR
