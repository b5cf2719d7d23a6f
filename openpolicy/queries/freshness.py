"""The data version: one counter that every change of civic data moves.

Ingest calls `bump_data_version(connection)` in the same transaction as its writes, so the
new version becomes visible exactly when the new data does. The API puts the version
in response-cache keys and ETags: a cache entry of an older version is never served again,
and no cache needs to be purged. Each API process learns new versions by LISTENing on
`CHANNEL` (the bump NOTIFYs at commit), and reads the row per request whenever it is not
listening.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from sqlalchemy import Connection as SAConnection
from sqlalchemy import text
from sqlalchemy.orm import Session

from openpolicy.queries._sql import Connection, fetch_one

CHANNEL = "openpolicy_data_version"
# The NOTIFY is delivered when the transaction commits, with the data: API replicas that
# LISTEN learn the new version without reading it on every request.
_BUMP = (
    "WITH bumped AS ("
    " INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, now())"
    " ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1, changed_at = now()"
    " RETURNING version)"
    " SELECT version, pg_notify('" + CHANNEL + "', version::text) FROM bumped"
)


def bump_data_version(connection: SAConnection | Session | psycopg.Connection[Any]) -> int:
    """Move the data version forward inside the caller's transaction; return the new one.

    Accepts a SQLAlchemy Connection or Session, or a psycopg connection. Call it once per
    transaction that changes civic data: the row lock it takes lasts until that transaction
    ends, so concurrent importers commit their bumps in order.
    """
    if isinstance(connection, psycopg.Connection):
        row = connection.execute(_BUMP).fetchone()
        assert row is not None
        return int(row[0])
    return int(connection.execute(text(_BUMP)).scalar_one())


VERSION_SQL = "SELECT version, changed_at FROM data_version WHERE id = 1"


def current_data_version(conn: Connection) -> tuple[int, dt.datetime | None]:
    """The version and when it last moved (0, None before the first ingest)."""
    row = fetch_one(conn, VERSION_SQL)
    if row is None:
        return 0, None
    return int(row[0]), row[1]
