"""What a page needs of the request: a read connection, and the maintenance guard.

Pages read through the app's one read pool (openpolicy.db.ReadPool), the same pool and the
same query functions as the API: a connection per page, the data version known once per
request so the per-version tables and caches reuse it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request

from openpolicy.db import ReadConnection, ReadPool
from openpolicy.errors import MaintenanceError
from openpolicy.ops.maintenance import MaintenanceReader, MaintenanceStatus
from openpolicy.queries.freshness import request_version


@asynccontextmanager
async def reading(request: Request) -> AsyncIterator[ReadConnection]:
    """A connection of the read pool for the page, with the request's data version set."""
    reads: ReadPool = request.app.state.reads
    async with reads.connection() as conn:
        known = reads.version.current()
        if known is None:
            known = await reads.data_version(conn)
        request_version.set(known[0])
        yield conn


def maintenance_reader(request: Request) -> MaintenanceReader:
    """The process's cached reader of the switch: the app's own when ops installed one."""
    state = request.app.state
    reader = getattr(state, "maintenance", None)
    if isinstance(reader, MaintenanceReader):
        return reader
    reader = getattr(state, "web_maintenance", None)
    if not isinstance(reader, MaintenanceReader) or reader.engine is not state.engine:
        reader = MaintenanceReader(state.engine, state.settings)
        state.web_maintenance = reader
    return reader


async def maintenance_status(request: Request) -> MaintenanceStatus:
    return await maintenance_reader(request).current_async()


async def maintenance_guard(request: Request) -> None:
    """Every page but /status answers the maintenance page (503) while the switch is on."""
    status = await maintenance_status(request)
    if status.enabled:
        raise MaintenanceError(
            status.message or "Down for maintenance.",
            retry_after=status.retry_after_seconds or 300,
            until=status.until.isoformat() if status.until else None,
        )
