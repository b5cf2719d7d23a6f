"""Incidents as the runbook runs them: open, update, resolve, communicate.

Every status change or note is an `incident_updates` row (the actions taken, in order); the
incident keeps its current status and when the next update is due, which depends on the
severity (SEV1 every 30 minutes … SEV4 daily). `render_email` is the runbook's
communication template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from openpolicy.errors import NotFoundError
from openpolicy.ops.notify import Notice
from openpolicy.ops.pg import OpsError

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
STATUSES = ("Investigating", "Identified", "Monitoring", "Resolved")
UPDATE_INTERVAL = {
    "SEV1": timedelta(minutes=30),
    "SEV2": timedelta(hours=1),
    "SEV3": timedelta(hours=4),
    "SEV4": timedelta(hours=24),
}
SEVERITY_MEANING = {
    "SEV1": "critical: the site or the API is down or serving wrong data",
    "SEV2": "major: a core feature is broken or badly degraded",
    "SEV3": "minor: a feature is degraded, with a workaround",
    "SEV4": "low: cosmetic or internal, no user impact",
}


class IncidentError(OpsError):
    title = "Incident error"
    type_slug = "incident-error"
    exit_code = 2


class IncidentNotFoundError(NotFoundError, IncidentError):
    """No incident with that number (exit 3)."""


@dataclass(frozen=True)
class IncidentUpdate:
    posted_at: datetime
    status: str
    note: str


@dataclass(frozen=True)
class Incident:
    id: int
    severity: str
    status: str
    title: str
    impact: str
    services: list[str]
    opened_at: datetime
    resolved_at: datetime | None
    next_update_at: datetime | None
    updates: list[IncidentUpdate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "status": self.status,
            "title": self.title,
            "impact": self.impact,
            "services": self.services,
            "opened_at": self.opened_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "next_update_at": self.next_update_at.isoformat() if self.next_update_at else None,
            "updates": [
                {"posted_at": u.posted_at.isoformat(), "status": u.status, "note": u.note}
                for u in self.updates
            ],
        }


def normalize_severity(value: str) -> str:
    severity = value.strip().upper()
    if severity.isdigit():
        severity = f"SEV{severity}"
    if severity not in SEVERITIES:
        raise IncidentError(f"--severity {value!r}: use one of {', '.join(SEVERITIES)}")
    return severity


def normalize_status(value: str) -> str:
    for status in STATUSES:
        if status.lower() == value.strip().lower():
            return status
    raise IncidentError(f"--status {value!r}: use one of {', '.join(STATUSES)}")


def _next_update(severity: str, status: str) -> datetime | None:
    if status == "Resolved":
        return None
    return datetime.now(UTC) + UPDATE_INTERVAL[severity]


def open_incident(
    conn: Connection,
    *,
    severity: str,
    impact: str,
    services: list[str],
    title: str | None = None,
    note: str | None = None,
) -> Incident:
    """Open an incident in status Investigating (the caller commits)."""
    severity = normalize_severity(severity)
    if not impact.strip():
        raise IncidentError("--impact must say what users experience")
    services = [s.strip() for s in services if s.strip()]
    title = (title or "").strip() or impact.strip().splitlines()[0][:120]
    incident_id = conn.execute(
        text(
            "INSERT INTO incidents (severity, status, title, impact, services, next_update_at)"
            " VALUES (:severity, 'Investigating', :title, :impact, :services, :next)"
            " RETURNING id"
        ),
        {
            "severity": severity,
            "title": title,
            "impact": impact.strip(),
            "services": services,
            "next": _next_update(severity, "Investigating"),
        },
    ).scalar_one()
    _add_update(conn, incident_id, "Investigating", note or f"Incident opened: {impact.strip()}")
    return get_incident(conn, incident_id)


def similar_open_incidents(
    conn: Connection,
    *,
    severity: str,
    impact: str,
    services: list[str],
    title: str | None = None,
) -> list[Incident]:
    """Open incidents that are probably the one about to be opened: the same impact or title
    (case and spacing aside), or the same severity with a service in common."""

    def same(a: str | None, b: str | None) -> bool:
        return bool(a and b) and " ".join(str(a).lower().split()) == " ".join(
            str(b).lower().split()
        )

    wanted = {s.strip().lower() for s in services if s.strip()}
    try:
        level = normalize_severity(severity)
    except IncidentError:
        level = None
    found = []
    for incident in list_incidents(conn):
        if (
            same(incident.impact, impact)
            or same(incident.title, title)
            or same(incident.title, impact)
            or (incident.severity == level and wanted & {s.lower() for s in incident.services})
        ):
            found.append(incident)
    return found


def _add_update(conn: Connection, incident_id: int, status: str, note: str) -> None:
    conn.execute(
        text(
            "INSERT INTO incident_updates (incident_id, status, note) VALUES (:id, :status, :note)"
        ),
        {"id": incident_id, "status": status, "note": note},
    )


def update_incident(
    conn: Connection,
    incident_id: int,
    *,
    status: str | None,
    note: str,
    severity: str | None = None,
) -> Incident:
    """Post an update (a status change and/or a note); Resolved closes the incident."""
    current = get_incident(conn, incident_id)
    if current.status == "Resolved":
        raise IncidentError(f"incident {incident_id} is already resolved")
    if not note.strip():
        raise IncidentError("--note must say what was done or found")
    new_status = normalize_status(status) if status else current.status
    new_severity = normalize_severity(severity) if severity else current.severity
    conn.execute(
        text(
            "UPDATE incidents SET status = :status, severity = :severity,"
            " next_update_at = :next, updated_at = now(),"
            " resolved_at = CASE WHEN :status = 'Resolved' THEN now() END"
            " WHERE id = :id"
        ),
        {
            "status": new_status,
            "severity": new_severity,
            "next": _next_update(new_severity, new_status),
            "id": incident_id,
        },
    )
    _add_update(conn, incident_id, new_status, note.strip())
    return get_incident(conn, incident_id)


def get_incident(conn: Connection, incident_id: int) -> Incident:
    row = conn.execute(
        text(
            "SELECT id, severity, status, title, impact, services, opened_at, resolved_at,"
            " next_update_at FROM incidents WHERE id = :id"
        ),
        {"id": incident_id},
    ).first()
    if row is None:
        raise IncidentNotFoundError(f"no incident {incident_id}")
    updates = [
        IncidentUpdate(u.posted_at, u.status, u.note)
        for u in conn.execute(
            text(
                "SELECT posted_at, status, note FROM incident_updates"
                " WHERE incident_id = :id ORDER BY posted_at, id"
            ),
            {"id": incident_id},
        )
    ]
    return Incident(
        id=row.id,
        severity=row.severity,
        status=row.status,
        title=row.title,
        impact=row.impact,
        services=list(row.services or []),
        opened_at=row.opened_at,
        resolved_at=row.resolved_at,
        next_update_at=row.next_update_at,
        updates=updates,
    )


def list_incidents(conn: Connection, *, include_resolved: bool = False) -> list[Incident]:
    where = "" if include_resolved else " WHERE status <> 'Resolved'"
    ids = conn.execute(
        text(f"SELECT id FROM incidents{where} ORDER BY opened_at DESC, id DESC LIMIT 200")
    ).scalars()
    return [get_incident(conn, int(i)) for i in ids]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_email(incident: Incident, environment: str = "production") -> tuple[str, str]:
    """The runbook's communication template: (subject, body)."""
    subject = (
        f"[{incident.severity}] [{incident.status}] OpenPolicy incident #{incident.id}: "
        f"{incident.title}"
    )
    lines = [
        f"OpenPolicy incident #{incident.id} — {incident.title}",
        "",
        f"Status:            {incident.status}",
        f"Severity:          {incident.severity} ({SEVERITY_MEANING[incident.severity]})",
        f"Environment:       {environment}",
        f"Impact:            {incident.impact}",
        f"Affected services: {', '.join(incident.services) or 'not yet known'}",
        f"Started:           {_utc(incident.opened_at)}",
    ]
    if incident.resolved_at:
        duration = incident.resolved_at - incident.opened_at
        minutes = int(duration.total_seconds() // 60)
        lines.append(f"Resolved:          {_utc(incident.resolved_at)} (after {minutes} min)")
    lines += ["", "Actions taken:"]
    for update in incident.updates:
        lines.append(f"  - {_utc(update.posted_at)} [{update.status}] {update.note}")
    lines.append("")
    if incident.next_update_at:
        lines.append(f"Next update: by {_utc(incident.next_update_at)}")
    else:
        lines.append("This incident is resolved; a post-incident review will follow.")
    lines += ["", "Current status: /status (web) and /api/v1/status (API)."]
    return subject, "\n".join(lines) + "\n"


def incident_notice(incident: Incident, environment: str) -> Notice:
    subject, body = render_email(incident, environment)
    return Notice(
        event=f"incident.{incident.status.lower()}",
        subject=subject,
        body=body,
        fields={
            "incident_id": incident.id,
            "severity": incident.severity,
            "status": incident.status,
            "title": incident.title,
            "services": incident.services,
            "next_update_at": incident.next_update_at,
        },
    )
