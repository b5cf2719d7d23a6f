"""`backup_last_success_timestamp`: when the newest verified backup was taken.

Read from the database at scrape time (every replica reports the same value; the backup job
may run anywhere). `backup create` records an audit event after verifying its dump. The
lookup is cached for a minute per process: backups happen daily, scrapes every 15 s.
"""

from __future__ import annotations

import threading
import time

from prometheus_client import Gauge
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

from openpolicy.ops.metrics import REGISTRY, register_scrape_hook

REFRESH_SECONDS = 60.0

BACKUP_LAST_SUCCESS = Gauge(
    "backup_last_success_timestamp",
    "Unix time of the newest verified backup (0 when none was ever recorded).",
    registry=REGISTRY,
)

_lock = threading.Lock()
_last_refresh = float("-inf")

QUERY = text(
    "SELECT extract(epoch FROM (details->>'created_at')::timestamptz)"
    " FROM audit_events WHERE action = 'backup.verified'"
    " ORDER BY occurred_at DESC LIMIT 1"
)


def newest_backup_timestamp(engine: Engine) -> float:
    """0.0 when no backup was recorded (or no schema yet): the alert fires, nothing crashes."""
    try:
        with engine.connect() as conn:
            value = conn.execute(QUERY).scalar()
    except ProgrammingError:
        return 0.0
    return float(value) if value is not None else 0.0


def refresh_backup_gauge(engine: Engine, *, force: bool = False) -> None:
    """Scrape hook: refresh the gauge at most once a minute (or now, with `force`)."""
    global _last_refresh
    with _lock:
        if not force and time.monotonic() - _last_refresh < REFRESH_SECONDS:
            return
        BACKUP_LAST_SUCCESS.set(newest_backup_timestamp(engine))
        _last_refresh = time.monotonic()


register_scrape_hook(refresh_backup_gauge)
