"""The maintenance switch: one row in the database that every replica reads.

Operators flip it with `openpolicy maintenance on|off`; each API/web process asks
`MaintenanceReader.current()` per request, which caches the row for at most
`maintenance_cache_seconds` (≤ 1 s), so a switch is in effect everywhere within 2 seconds
without a query per request. `MAINTENANCE_MODE=true` forces it on regardless of the row
(for when the database itself is the thing being maintained).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from openpolicy.config import Settings
from openpolicy.ops.notify import Notice
from openpolicy.ops.pg import OpsInputError

DEFAULT_MESSAGE = "OpenPolicy is down for scheduled maintenance."


@dataclass(frozen=True)
class MaintenanceStatus:
    enabled: bool
    message: str | None = None
    until: datetime | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    forced_by_setting: bool = False

    @property
    def retry_after_seconds(self) -> int | None:
        """Seconds until the announced end (for a Retry-After header), at least 1."""
        if not self.enabled or self.until is None:
            return None
        return max(1, int((self.until - datetime.now(UTC)).total_seconds()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "message": self.message,
            "until": self.until.isoformat() if self.until else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "updated_by": self.updated_by,
            "forced_by_setting": self.forced_by_setting,
        }


OFF = MaintenanceStatus(enabled=False)


def read_state(conn: Connection) -> MaintenanceStatus:
    """The stored switch (off when the row was never written)."""
    row = conn.execute(
        text(
            "SELECT enabled, message, until, started_at, updated_at, updated_by"
            " FROM maintenance WHERE id = 1"
        )
    ).first()
    if row is None:
        return OFF
    return MaintenanceStatus(
        enabled=bool(row.enabled),
        message=row.message,
        until=row.until,
        started_at=row.started_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def set_state(
    conn: Connection,
    *,
    enabled: bool,
    actor: str,
    message: str | None = None,
    until: datetime | None = None,
) -> MaintenanceStatus:
    """Write the switch (the caller commits) and record who flipped it in audit_events."""
    if enabled and until is not None and until <= datetime.now(UTC):
        raise OpsInputError(f"--until {until.isoformat()} is in the past")
    conn.execute(
        text(
            "INSERT INTO maintenance (id, enabled, message, until, started_at, updated_at,"
            " updated_by)"
            " VALUES (1, :enabled, :message, :until, CASE WHEN :enabled THEN now() END, now(),"
            " :actor)"
            " ON CONFLICT (id) DO UPDATE SET enabled = EXCLUDED.enabled,"
            " message = EXCLUDED.message, until = EXCLUDED.until,"
            " started_at = CASE WHEN EXCLUDED.enabled AND maintenance.enabled"
            "   THEN maintenance.started_at ELSE EXCLUDED.started_at END,"
            " updated_at = now(), updated_by = EXCLUDED.updated_by"
        ),
        {
            "enabled": enabled,
            "message": (message or DEFAULT_MESSAGE) if enabled else None,
            "until": until if enabled else None,
            "actor": actor,
        },
    )
    conn.execute(
        text(
            "INSERT INTO audit_events (actor, action, details)"
            " VALUES (:actor, :action, CAST(:details AS jsonb))"
        ),
        {
            "actor": actor,
            "action": "maintenance.on" if enabled else "maintenance.off",
            "details": json.dumps(
                {"message": message, "until": until.isoformat() if until else None}
            ),
        },
    )
    return read_state(conn)


class MaintenanceReader:
    """A per-process cached view of the switch, cheap enough to call on every request."""

    def __init__(self, engine: Engine, settings: Settings, ttl: float | None = None) -> None:
        self.engine = engine
        self.forced = settings.maintenance_mode
        self.ttl = min(1.0, settings.maintenance_cache_seconds if ttl is None else ttl)
        self._lock = threading.Lock()
        self._value: MaintenanceStatus = OFF
        self._read_at = float("-inf")
        self._refresh: asyncio.Task[MaintenanceStatus] | None = None

    def current(self) -> MaintenanceStatus:
        """The switch as of at most `ttl` seconds ago; on a database error the last value."""
        if self.forced:
            return MaintenanceStatus(enabled=True, message=DEFAULT_MESSAGE, forced_by_setting=True)
        now = time.monotonic()
        if now - self._read_at < self.ttl:
            return self._value
        with self._lock:
            if time.monotonic() - self._read_at < self.ttl:
                return self._value
            try:
                with self.engine.connect() as conn:
                    self._value = read_state(conn)
            except SQLAlchemyError:
                pass  # keep serving the last known state; /health reports the database
            self._read_at = time.monotonic()
            return self._value

    async def current_async(self) -> MaintenanceStatus:
        """`current()` for the event loop, which must never wait on the database: a stale
        value is refreshed in a worker thread while requests keep the last one (still within
        the two seconds); only the very first read is waited for."""
        if self.forced or time.monotonic() - self._read_at < self.ttl:
            return self.current()
        if self._read_at == float("-inf"):
            return await anyio.to_thread.run_sync(self.current)
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.get_running_loop().create_task(
                anyio.to_thread.run_sync(self.current)
            )
        return self._value

    def invalidate(self) -> None:
        self._read_at = float("-inf")


def start_notice(message: str, until: datetime | None, environment: str) -> Notice:
    end = f"\nExpected back: {_when(until)}." if until else ""
    return Notice(
        event="maintenance.scheduled",
        subject=f"[OpenPolicy {environment}] Maintenance: {message}",
        body=(
            f"OpenPolicy ({environment}) is going into maintenance.\n\n{message}{end}\n\n"
            "During maintenance the web site and the API answer 503 with a Retry-After header.\n"
            "Status: /status"
        ),
        fields={"message": message, "until": until},
    )


def complete_notice(environment: str, message: str | None = None) -> Notice:
    detail = f"\n\n{message}" if message else ""
    return Notice(
        event="maintenance.complete",
        subject=f"[OpenPolicy {environment}] Maintenance complete",
        body=f"Maintenance of OpenPolicy ({environment}) is complete; service is back.{detail}",
        fields={"message": message},
    )


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse_until(value: str | None) -> datetime | None:
    """`--until` as an ISO time (`2026-03-01T04:00Z`) or a duration (`90m`, `2h`)."""
    if value is None or not value.strip():
        return None
    text_value = value.strip()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text_value[-1:].lower() in units and text_value[:-1].isdigit():
        seconds = int(text_value[:-1]) * units[text_value[-1].lower()]
        return datetime.fromtimestamp(time.time() + seconds, UTC)
    try:
        moment = datetime.fromisoformat(text_value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise OpsInputError(
            f"--until {value!r}: expected an ISO time (2026-03-01T04:00Z) or a duration (90m, 2h)"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
