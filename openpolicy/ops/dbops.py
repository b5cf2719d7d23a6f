"""Routine database care and the runbook's diagnostics: maintain, locks, activity.

`maintain` runs VACUUM (ANALYZE) on every table and rebuilds the indexes of the large
tables with REINDEX … CONCURRENTLY, which neither blocks reads nor writes (it builds a new
index next to the old one and swaps them). Each statement runs on its own in autocommit:
neither command may run inside a transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from openpolicy.ops.pg import OpsError, PgTarget, connect

# The tables that grow with Parliament's output; the rest are small reference tables.
LARGE_TABLES = (
    "ballots",
    "speeches",
    "source_documents",
    "votes",
    "bill_events",
    "bills",
    "debates",
)


@dataclass
class MaintainReport:
    vacuumed: dict[str, float] = field(default_factory=dict)
    reindexed: dict[str, float] = field(default_factory=dict)
    invalid_indexes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "vacuum_analyze_seconds": {k: round(v, 3) for k, v in self.vacuumed.items()},
            "reindex_concurrently_seconds": {k: round(v, 3) for k, v in self.reindexed.items()},
            "invalid_indexes": self.invalid_indexes,
        }


def _tables(conn: Any) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"
    ).fetchall()
    return [str(r[0]) for r in rows]


def maintain(
    target: PgTarget, *, reindex: bool = True, tables: list[str] | None = None
) -> MaintainReport:
    """VACUUM (ANALYZE) every table (or `tables`), then REINDEX CONCURRENTLY the large ones."""
    report = MaintainReport()
    with connect(target) as conn:
        existing = _tables(conn)
        chosen = tables or existing
        unknown = sorted(set(chosen) - set(existing))
        if unknown:
            raise OpsError(f"no table {', '.join(unknown)} in {target.database}")
        for table in chosen:
            started = time.perf_counter()
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
            report.vacuumed[table] = time.perf_counter() - started
        if reindex:
            for table in chosen:
                if table not in LARGE_TABLES:
                    continue
                started = time.perf_counter()
                conn.execute(sql.SQL("REINDEX TABLE CONCURRENTLY {}").format(sql.Identifier(table)))
                report.reindexed[table] = time.perf_counter() - started
        report.invalid_indexes = [
            str(r[0])
            for r in conn.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND NOT i.indisvalid"
            ).fetchall()
        ]
    return report


LOCKS_SQL = """
SELECT blocked.pid AS blocked_pid,
       blocked.usename AS blocked_user,
       blocked.application_name AS blocked_application,
       round(extract(epoch FROM now() - blocked.query_start)::numeric, 1) AS waiting_seconds,
       blocked.wait_event_type || ':' || blocked.wait_event AS waiting_for,
       left(blocked.query, 200) AS blocked_query,
       blocking.pid AS blocking_pid,
       blocking.usename AS blocking_user,
       blocking.application_name AS blocking_application,
       blocking.state AS blocking_state,
       round(extract(epoch FROM now() - blocking.xact_start)::numeric, 1)
           AS blocking_transaction_seconds,
       left(blocking.query, 200) AS blocking_query
FROM pg_stat_activity AS blocked
CROSS JOIN LATERAL unnest(pg_blocking_pids(blocked.pid)) AS b(pid)
JOIN pg_stat_activity AS blocking ON blocking.pid = b.pid
WHERE blocked.datname = current_database()
ORDER BY waiting_seconds DESC NULLS LAST
"""

ACTIVITY_SQL = """
SELECT pid,
       datname AS database,
       usename AS "user",
       application_name AS application,
       client_addr::text AS client,
       state,
       wait_event_type || coalesce(':' || wait_event, '') AS waiting_for,
       round(extract(epoch FROM now() - xact_start)::numeric, 1) AS transaction_seconds,
       round(extract(epoch FROM now() - query_start)::numeric, 1) AS query_seconds,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 200) AS query
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
  AND (%(all)s OR datname = current_database())
  AND (%(idle)s OR state IS DISTINCT FROM 'idle')
ORDER BY query_start NULLS LAST
"""


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [c.name for c in cursor.description or []]
    return [
        {
            n: (
                v
                if v is None or isinstance(v, int | str | bool)
                else float(v)
                if hasattr(v, "as_integer_ratio")
                else str(v)
            )
            for n, v in zip(names, row, strict=True)
        }
        for row in cursor.fetchall()
    ]


def locks(target: PgTarget) -> list[dict[str, Any]]:
    """Every waiting query with the query that blocks it (pg_blocking_pids)."""
    with connect(target) as conn:
        return _rows(conn.execute(LOCKS_SQL))


def activity(
    target: PgTarget, *, all_databases: bool = False, include_idle: bool = False
) -> list[dict[str, Any]]:
    """What every client connection is doing now (pg_stat_activity)."""
    with connect(target) as conn:
        return _rows(conn.execute(ACTIVITY_SQL, {"all": all_databases, "idle": include_idle}))
