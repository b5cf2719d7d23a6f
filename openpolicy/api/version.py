"""The data version as this process knows it, kept current by LISTEN/NOTIFY.

`bump_data_version` NOTIFYs in the transaction that changes data, so the notification
arrives when the data is committed. A daemon thread listens on its own connection, reads the
row again on every notification and at least every `REFRESH_SECONDS` (a safety net), and
reports "unknown" while it is not connected: then requests read the row themselves. The
only window in which a request can be answered from the previous version is the delivery
of the notification itself (sub-millisecond on one host); no entry of an older version is
ever cached under a newer one, because a NOTIFY follows its commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

import psycopg

from openpolicy.queries.freshness import CHANNEL, VERSION_SQL

log = logging.getLogger("openpolicy.api.version")

REFRESH_SECONDS = 5.0
WAIT_SECONDS = 0.25
RETRY_SECONDS = 1.0


class VersionWatcher:
    """Current (version, changed_at), or None while not listening."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._value: tuple[int, dt.datetime | None] | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="data-version", daemon=True)

    def start(self, wait: float = 5.0) -> VersionWatcher:
        self._thread.start()
        self._ready.wait(wait)
        return self

    def current(self) -> tuple[int, dt.datetime | None] | None:
        return self._value

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=WAIT_SECONDS + 5)

    def _read(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute(VERSION_SQL).fetchone()
        self._value = (int(row[0]), row[1]) if row else (0, None)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.conninfo, autocommit=True, application_name="openpolicy-api-version"
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._read(conn)
                    self._ready.set()
                    refreshed = time.monotonic()
                    while not self._stop.is_set():
                        # Short waits so a shutdown is prompt; a notice or the refresh
                        # period reads the row again.
                        heard = any(True for _ in conn.notifies(timeout=WAIT_SECONDS, stop_after=1))
                        if heard or time.monotonic() - refreshed >= REFRESH_SECONDS:
                            self._read(conn)
                            refreshed = time.monotonic()
            except psycopg.Error as exc:
                self._value = None
                log.warning("data version listener: %s; reading per request meanwhile", exc)
                self._ready.set()
                self._stop.wait(RETRY_SECONDS)
        self._value = None
