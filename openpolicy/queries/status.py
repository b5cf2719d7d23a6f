"""Read side of the public status: open incidents, maintenance, and source freshness.

`/status` (web) and `/api/v1/status` (API) both call `status_summary`; they differ only in
rendering. A source is stale when its last success is older than `STALE_AFTER`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from openpolicy.db import ReadConnection
from openpolicy.queries._sql import fetch_all, fetch_one

STALE_AFTER = timedelta(hours=26)

OPERATIONAL = "operational"
DEGRADED = "degraded"
MAJOR_OUTAGE = "major_outage"
MAINTENANCE = "maintenance"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class _Incident(NamedTuple):
    id: int
    severity: str
    status: str
    title: str
    impact: str | None
    services: list[str] | None
    opened_at: datetime
    next_update_at: datetime | None
    updated_at: datetime | None


class _Update(NamedTuple):
    incident_id: int
    posted_at: datetime
    status: str
    note: str


async def open_incidents(conn: ReadConnection) -> list[dict[str, Any]]:
    """Unresolved incidents, most severe then newest first, each with its updates."""
    incidents = await fetch_all(
        conn,
        _Incident,
        "SELECT id, severity, status, title, impact, services, opened_at, next_update_at,"
        " updated_at FROM incidents WHERE status <> 'Resolved'"
        " ORDER BY severity, opened_at DESC",
    )
    if not incidents:
        return []
    updates: dict[int, list[dict[str, Any]]] = {row.id: [] for row in incidents}
    for row in await fetch_all(
        conn,
        _Update,
        "SELECT incident_id, posted_at, status, note FROM incident_updates"
        " WHERE incident_id = ANY(%s) ORDER BY posted_at, id",
        (list(updates),),
    ):
        updates[row.incident_id].append(
            {"posted_at": _iso(row.posted_at), "status": row.status, "note": row.note}
        )
    return [
        {
            "id": row.id,
            "severity": row.severity,
            "status": row.status,
            "title": row.title,
            "impact": row.impact,
            "services": list(row.services or []),
            "opened_at": _iso(row.opened_at),
            "updated_at": _iso(row.updated_at),
            "next_update_at": _iso(row.next_update_at),
            "updates": updates[row.id],
        }
        for row in incidents
    ]


class _Switch(NamedTuple):
    enabled: bool
    message: str | None
    until: datetime | None
    started_at: datetime | None


async def maintenance_state(conn: ReadConnection, *, forced: bool = False) -> dict[str, Any]:
    """The maintenance switch (`forced` = the MAINTENANCE_MODE setting is on)."""
    row = await fetch_one(
        conn, _Switch, "SELECT enabled, message, until, started_at FROM maintenance WHERE id = 1"
    )
    enabled = forced or bool(row is not None and row.enabled)
    return {
        "enabled": enabled,
        "message": row.message if row is not None and row.enabled else None,
        "until": _iso(row.until) if row is not None and row.enabled else None,
        "started_at": _iso(row.started_at) if row is not None and row.enabled else None,
    }


class _Source(NamedTuple):
    name: str
    status: str
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_updated_at: datetime | None
    last_error: str | None


async def source_freshness(
    conn: ReadConnection, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Per official source: status, last success, its age, and whether it is stale."""
    now = now or datetime.now(UTC)
    rows = await fetch_all(
        conn,
        _Source,
        "SELECT name, status, last_run_at, last_success_at, last_updated_at, last_error"
        " FROM data_sources ORDER BY name",
    )
    result = []
    for row in rows:
        age = (now - row.last_success_at).total_seconds() if row.last_success_at else None
        result.append(
            {
                "name": row.name,
                "status": row.status,
                "last_run_at": _iso(row.last_run_at),
                "last_success_at": _iso(row.last_success_at),
                "last_updated_at": _iso(row.last_updated_at),
                "age_seconds": round(age) if age is not None else None,
                "stale": row.status != "disabled"
                and (age is None or age > STALE_AFTER.total_seconds()),
                "failing": row.status in {"failed", "degraded"},
            }
        )
    return result


async def status_summary(
    conn: ReadConnection, *, maintenance_forced: bool = False
) -> dict[str, Any]:
    """Everything the status page shows, with one overall state."""
    incidents = await open_incidents(conn)
    maintenance = await maintenance_state(conn, forced=maintenance_forced)
    sources = await source_freshness(conn)
    if maintenance["enabled"]:
        overall = MAINTENANCE
    elif any(i["severity"] == "SEV1" for i in incidents):
        overall = MAJOR_OUTAGE
    elif incidents or any(s["stale"] or s["failing"] for s in sources):
        overall = DEGRADED
    else:
        overall = OPERATIONAL
    return {
        "status": overall,
        "maintenance": maintenance,
        "incidents": incidents,
        "sources": sources,
        "generated_at": datetime.now(UTC).isoformat(),
    }


class _Fidelity(NamedTuple):
    name: str
    fidelity: dict[str, Any] | None
    status: str | None
    started_at: datetime | None
    finished_at: datetime | None
    inserted: int | None
    updated: int | None
    unchanged: int | None
    failed: int | None


async def source_fidelity(conn: ReadConnection) -> list[dict[str, Any]]:
    """Per source: its latest fidelity-check results and its last ingest run (status page)."""
    rows = await fetch_all(
        conn,
        _Fidelity,
        "SELECT s.name, s.fidelity, r.status, r.started_at, r.finished_at, r.inserted,"
        " r.updated, r.unchanged, r.failed"
        " FROM data_sources s"
        " LEFT JOIN LATERAL (SELECT * FROM ingest_runs r WHERE r.data_source_id = s.id"
        "   ORDER BY r.started_at DESC, r.id DESC LIMIT 1) r ON true"
        " ORDER BY s.name",
    )
    return [
        {
            "name": row.name,
            "fidelity": dict(row.fidelity or {}),
            "last_run": None
            if row.status is None
            else {
                "status": row.status,
                "started_at": _iso(row.started_at),
                "finished_at": _iso(row.finished_at),
                "inserted": row.inserted,
                "updated": row.updated,
                "unchanged": row.unchanged,
                "failed": row.failed,
            },
        }
        for row in rows
    ]
