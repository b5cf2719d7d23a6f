"""Retention of the audit trail: `audit_events` older than `audit_retention_days` go.

Applied by the worker's daily job (`openpolicy.ingest.jobs`, periodic id
`prune-audit-events`), in batches so a first run over a long history never holds a long
lock or a huge transaction.
"""

from __future__ import annotations

from typing import Any

BATCH = 10_000
PRUNE_SQL = (
    "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events"
    " WHERE occurred_at < now() - make_interval(days => %s) LIMIT %s)"
)


def prune_audit_events(conn: Any, retention_days: int) -> int:
    """Delete events older than `retention_days` (autocommit connection); how many."""
    deleted = 0
    while True:
        batch = int(conn.execute(PRUNE_SQL, (retention_days, BATCH)).rowcount)
        deleted += batch
        if batch < BATCH:
            return deleted
