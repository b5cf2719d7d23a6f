"""The maintenance switch: one row in the database that every replica reads.

Operators flip it with `openpolicy maintenance on|off`. The change NOTIFYs channel
`openpolicy_maintenance` in its transaction, and every API/web process listens (on the
connection that already listens for the data version, `openpolicy.db.DataVersionWatcher`)
and reads the row when told: the switch is in effect everywhere within milliseconds of the
commit, the first request after an idle moment included, and requests never query it.
While a process is not listening (its listener reconnecting), it reads the row itself at
most every `maintenance_cache_seconds` (≤ 1 s), waiting for that read rather than
answering from an older value. `MAINTENANCE_MODE=true` forces it on regardless of the row
(for when the database itself is the thing being maintained).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
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
CHANNEL = "openpolicy_maintenance"
STATE_SQL = (
    "SELECT enabled, message, until, started_at, updated_at, updated_by"
    " FROM maintenance WHERE id = 1"
)


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
    return _status(conn.execute(text(STATE_SQL)).first())


def _status(row: Any) -> MaintenanceStatus:
    if row is None:
        return OFF
    enabled, message, until, started_at, updated_at, updated_by = row
    return MaintenanceStatus(
        enabled=bool(enabled),
        message=message,
        until=until,
        started_at=started_at,
        updated_at=updated_at,
        updated_by=updated_by,
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
    # Delivered when the caller commits: every serving process reads the row at once.
    conn.execute(text(f"NOTIFY {CHANNEL}"))
    return read_state(conn)


class MaintenanceReader:
    """A per-process view of the switch, cheap enough to ask on every request."""

    def __init__(self, engine: Engine, settings: Settings, ttl: float | None = None) -> None:
        self.engine = engine
        self.forced = settings.maintenance_mode
        self.ttl = min(1.0, settings.maintenance_cache_seconds if ttl is None else ttl)
        self._lock = threading.Lock()
        self._value: MaintenanceStatus = OFF
        self._read_at = float("-inf")
        self._listening: Callable[[], bool] = lambda: False
        self._forced = MaintenanceStatus(
            enabled=True, message=DEFAULT_MESSAGE, forced_by_setting=True
        )
        self._skip_reads: Callable[[], bool] = lambda: False

    def follow(
        self, listening: Callable[[], bool], skip_reads: Callable[[], bool] | None = None
    ) -> None:
        """Trust notices while `listening()`; never wait on a read while `skip_reads()`
        (the database's circuit is open: the last known state stands)."""
        self._listening = listening
        if skip_reads is not None:
            self._skip_reads = skip_reads

    def peek(self) -> MaintenanceStatus | None:
        """The switch when it is known without I/O (notices arrive, or it is fresh), else
        None: then `current_async()` reads it. The front door asks this on every request."""
        if self.forced:
            return self._forced
        if self._listening() or time.monotonic() - self._read_at < self.ttl:
            return self._value
        return None

    async def on_notice(self, conn: Any) -> None:
        """The listener's callback: read the row on its connection (psycopg, async)."""
        self._value = _status(await (await conn.execute(STATE_SQL)).fetchone())
        self._read_at = time.monotonic()

    def current(self) -> MaintenanceStatus:
        """The switch: as last notified, else as of at most `ttl` seconds ago; on a
        database error the last known value."""
        if self.forced:
            return MaintenanceStatus(enabled=True, message=DEFAULT_MESSAGE, forced_by_setting=True)
        if self._listening() or time.monotonic() - self._read_at < self.ttl:
            return self._value
        if self._skip_reads() and self._read_at != float("-inf"):
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
        """`current()` for the event loop: no I/O while notices arrive; otherwise a stale
        value is read again in a worker thread (the request waits for it: answering from
        the old value is what made the first request after idle miss a switch)."""
        if self.forced or self._listening() or time.monotonic() - self._read_at < self.ttl:
            return self.current()
        if self._skip_reads() and self._read_at != float("-inf"):
            return self._value
        return await anyio.to_thread.run_sync(self.current)

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
