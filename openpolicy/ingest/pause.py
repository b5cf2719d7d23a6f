"""Pausing ingestion for a maintenance window: every worker starts no new run meanwhile.

`openpolicy ingest pause [NAME…]` records a pause (every source, or the sources named) in the
database every worker and command reads: a scheduled or queued run finds it before it starts
and ends without fetching anything (its job succeeds as "paused", so it is not retried);
`openpolicy ingest run` refuses with exit 75. A run already going when the pause is made
finishes (`ingest pause --wait` waits for it). `openpolicy ingest resume` lifts the pause;
a pause with `--until` lifts itself then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpolicy.errors import OpenPolicyError

ALL = "all"


class IngestPausedError(OpenPolicyError):
    """A run was asked for while ingestion is paused (exit 75: try again later)."""

    status_code = 503
    title = "Ingestion paused"
    type_slug = "ingest-paused"
    exit_code = 75


@dataclass(frozen=True)
class Pause:
    source: str  # a source name, or "all"
    reason: str | None
    paused_by: str | None
    paused_at: datetime
    until: datetime | None

    def describe(self) -> str:
        scope = "every source" if self.source == ALL else self.source
        text = f"ingestion of {scope} paused since {self.paused_at:%Y-%m-%d %H:%M} UTC"
        if self.paused_by:
            text += f" by {self.paused_by}"
        if self.until:
            text += f" until {self.until:%Y-%m-%d %H:%M} UTC"
        if self.reason:
            text += f" ({self.reason})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "paused_by": self.paused_by,
            "paused_at": self.paused_at.isoformat(),
            "until": self.until.isoformat() if self.until else None,
        }


_COLUMNS = "source, reason, paused_by, paused_at, until"
_ACTIVE = "(until IS NULL OR until > now())"


def pauses(conn: Any) -> list[Pause]:
    """Every pause in effect, `all` first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest_pauses WHERE {_ACTIVE} ORDER BY source <> '{ALL}', source"
    ).fetchall()
    return [Pause(*row) for row in rows]


def pause_of(conn: Any, source: str) -> Pause | None:
    """The pause that holds `source` back (every source's first), or None."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest_pauses WHERE source IN (%s, %s) AND {_ACTIVE}"
        f" ORDER BY source <> '{ALL}' LIMIT 1",
        (ALL, source),
    ).fetchone()
    return Pause(*row) if row else None


def pause(
    conn: Any,
    sources: list[str],
    *,
    reason: str | None,
    actor: str,
    until: datetime | None,
) -> list[Pause]:
    """Pause `sources` (empty: every source); a pause already there is replaced."""
    for source in sources or [ALL]:
        conn.execute(
            "INSERT INTO ingest_pauses (source, reason, paused_by, paused_at, until)"
            " VALUES (%s, %s, %s, now(), %s)"
            " ON CONFLICT (source) DO UPDATE SET reason = excluded.reason,"
            " paused_by = excluded.paused_by, paused_at = excluded.paused_at,"
            " until = excluded.until",
            (source, reason, actor, until),
        )
    return pauses(conn)


def resume(conn: Any, sources: list[str]) -> int:
    """Lift the pauses of `sources` (empty: every pause); returns how many were lifted."""
    if sources:
        cursor = conn.execute("DELETE FROM ingest_pauses WHERE source = ANY(%s)", (sources,))
    else:
        cursor = conn.execute("DELETE FROM ingest_pauses")
    return int(cursor.rowcount or 0)


def holding(database: Any, source: str) -> Pause | None:
    """The pause holding `source` back, read on a connection of its own (workers, runs)."""
    from openpolicy import db

    with db.connect(database, autocommit=True, application_name="openpolicy-ingest") as conn:
        return pause_of(conn, source)


def refuse_if_paused(database: Any, source: str) -> None:
    """Raise IngestPausedError when `source` may not run now."""
    held = holding(database, source)
    if held is not None:
        raise IngestPausedError(f"{held.describe()}: `openpolicy ingest resume` lifts it")
