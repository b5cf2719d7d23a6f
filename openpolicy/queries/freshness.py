"""The data version as the read side sees it (openpolicy.dataversion is the contract).

A request learns the version once — from its pool's watcher, or by reading the row on its
own connection — and sets `request_version`, so the query functions it calls (and the
per-version tables they consult) reuse it instead of reading it again.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import NamedTuple

from openpolicy.dataversion import VERSION_SQL
from openpolicy.db import ReadConnection
from openpolicy.queries._sql import fetch_one

request_version: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "openpolicy_request_version", default=None
)


class DataVersion(NamedTuple):
    version: int
    changed_at: dt.datetime | None


async def current_data_version(conn: ReadConnection) -> DataVersion:
    """The version and when it last moved (0, None before the first ingest)."""
    row = await fetch_one(conn, DataVersion, VERSION_SQL)
    return row if row is not None else DataVersion(0, None)


async def version_of(conn: ReadConnection) -> int:
    """The data version of the current request, else the one in the database now."""
    version = request_version.get()
    if version is None:
        version = (await current_data_version(conn)).version
    return version
