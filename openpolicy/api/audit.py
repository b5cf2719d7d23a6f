"""Refused requests (401, 403) in the audit trail, as counts per address and minute.

One row per refused request let a flood of bad keys write as fast as it could send. Each
process counts refusals in memory per (action, client address, minute) and adds its counts
to one `audit_events` row per key every `audit_flush_seconds` (`count` grows; the row keeps
the first actor and path, and up to five of each in `details`). While the database is down
the counts wait in memory (bounded) and are written when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from openpolicy.errors import OpenPolicyError

log = logging.getLogger("openpolicy.api.audit")

UNAUTHORIZED = "api.unauthorized"
FORBIDDEN = "api.forbidden"
SAMPLES = 5
MAX_PENDING = 50_000  # addresses × minutes waiting to be written; beyond, counts are dropped

UPSERT = """
INSERT INTO audit_events (occurred_at, actor, action, status_code, path, client_ip, details,
                          count)
VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s)
ON CONFLICT (action, client_ip, occurred_at)
    WHERE action IN ('api.unauthorized', 'api.forbidden')
DO UPDATE SET
    count = audit_events.count + EXCLUDED.count,
    details = jsonb_build_object(
        'actors', (SELECT jsonb_agg(DISTINCT a) FROM (SELECT a FROM jsonb_array_elements(
            coalesce(audit_events.details->'actors', '[]') || (EXCLUDED.details->'actors')) a
            LIMIT 5) s),
        'paths', (SELECT jsonb_agg(DISTINCT p) FROM (SELECT p FROM jsonb_array_elements(
            coalesce(audit_events.details->'paths', '[]') || (EXCLUDED.details->'paths')) p
            LIMIT 5) s),
        'methods', (SELECT jsonb_agg(DISTINCT m) FROM (SELECT m FROM jsonb_array_elements(
            coalesce(audit_events.details->'methods', '[]') || (EXCLUDED.details->'methods')) m
            LIMIT 5) s),
        'request_id', EXCLUDED.details->'request_id')
"""


@dataclass
class _Tally:
    status: int
    count: int = 0
    actors: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    request_id: str | None = None

    def add(self, actor: str, path: str, method: str, request_id: str) -> None:
        self.count += 1
        _sample(self.actors, [actor])
        _sample(self.paths, [path])
        _sample(self.methods, [method])
        self.request_id = request_id

    def merge(self, other: _Tally) -> None:
        self.count += other.count
        _sample(self.actors, other.actors)
        _sample(self.paths, other.paths)
        _sample(self.methods, other.methods)


def _sample(kept: list[str], values: list[str]) -> None:
    for value in values:
        if value not in kept and len(kept) < SAMPLES:
            kept.append(value)


Key = tuple[str, str, int]  # action, client address, minute


class RefusalAudit:
    """Counts refusals in memory; `flush()` writes them (the app runs it periodically)
    through `pool`, the server's `openpolicy.db.WritePool`."""

    def __init__(self, pool: Any, flush_seconds: float) -> None:
        self.pool = pool
        self.flush_seconds = flush_seconds
        self.dropped = 0
        self._pending: dict[Key, _Tally] = {}
        self._task: asyncio.Task[None] | None = None

    def record(
        self, status: int, client: str, actor: str, path: str, method: str, request_id: str
    ) -> None:
        action = UNAUTHORIZED if status == 401 else FORBIDDEN
        key = (action, client, int(time.time() // 60))
        tally = self._pending.get(key)
        if tally is None:
            if len(self._pending) >= MAX_PENDING:
                self.dropped += 1
                return
            tally = self._pending[key] = _Tally(status)
        tally.add(actor, path[:300], method, request_id)

    async def flush(self) -> int:
        """Write every pending count; returns how many rows were written."""
        if not self._pending:
            return 0
        batch, self._pending = self._pending, {}
        try:
            await self._write(batch)
        except (OpenPolicyError, OSError) as exc:
            log.warning("audit trail not written yet (%s): kept for the next flush", exc)
            self._restore(batch)
            return 0
        except Exception:
            log.exception("audit trail write failed: kept for the next flush")
            self._restore(batch)
            return 0
        return len(batch)

    def _restore(self, batch: dict[Key, _Tally]) -> None:
        for key, tally in batch.items():
            current = self._pending.get(key)
            if current is None:
                if len(self._pending) < MAX_PENDING:
                    self._pending[key] = tally
                else:
                    self.dropped += tally.count
            else:
                current.merge(tally)

    async def _write(self, batch: dict[Key, _Tally]) -> None:
        rows = []
        for (action, client, minute), tally in batch.items():
            details = {
                "actors": tally.actors,
                "paths": tally.paths,
                "methods": tally.methods,
                "request_id": tally.request_id,
            }
            rows.append(
                (
                    dt.datetime.fromtimestamp(minute * 60, dt.UTC),
                    tally.actors[0],
                    action,
                    tally.status,
                    tally.paths[0],
                    client,
                    orjson.dumps(details).decode(),
                    tally.count,
                )
            )
        async with (
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cursor,
        ):
            await cursor.executemany(UPSERT, rows)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            await self.flush()
