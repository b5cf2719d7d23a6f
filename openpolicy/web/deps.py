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

_PICKED = "openpolicy_read_pool"


def read_pool(request: Request) -> ReadPool:
    """The pool this request reads (a replica's when replicas serve), picked once per
    request: the page's cache key and ETag carry the version of the database its
    connection reads."""
    state = request.scope.setdefault("state", {})
    picked: ReadPool | None = state.get(_PICKED)
    if picked is None:
        picked = request.app.state.reads.pick()
        state[_PICKED] = picked
    return picked


@asynccontextmanager
async def reading(request: Request) -> AsyncIterator[ReadConnection]:
    """A connection of the request's read pool, with the request's data version set: the
    version of the database it reads."""
    reads = read_pool(request)
    async with reads.connection() as conn:
        known = reads.version.current()
        if known is None:
            known = await reads.data_version(conn)
        request_version.set(known[0])
        yield conn
