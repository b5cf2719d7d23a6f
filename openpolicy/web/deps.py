"""What a page needs of the request: a read connection.

Pages read through the app's one read pool (openpolicy.db.ReadPool), the same pool and the
same query functions as the API: a connection per page, the data version known once per
request so the per-version tables and caches reuse it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request

from openpolicy.db import ReadConnection, ReadPool
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
