"""The data version: the contract between the writers of civic data and its readers.

One counter (table `data_version`) moves with every change of civic data. Ingest calls
`bump_data_version(connection)` in the same transaction as its writes, so the new version
becomes visible exactly when the new data does, and NOTIFYs `CHANNEL` at commit. Readers
(openpolicy.db's watcher, the response caches, the per-version tables of the read side) put
the version in cache keys and ETags: an entry of an older version is never served again,
and no cache needs to be purged.

Neither side imports the other: ingest writes through this module, the read side reads
through it.
"""

from __future__ import annotations

from typing import Any, LiteralString

import psycopg

CHANNEL: LiteralString = "openpolicy_data_version"
# The NOTIFY is delivered when the transaction commits, with the data: processes that
# LISTEN learn the new version without reading it on every request.
BUMP_SQL: LiteralString = (
    "WITH bumped AS ("
    " INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, now())"
    " ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1, changed_at = now()"
    " RETURNING version)"
    " SELECT version, pg_notify('" + CHANNEL + "', version::text) FROM bumped"
)
VERSION_SQL: LiteralString = "SELECT version, changed_at FROM data_version WHERE id = 1"
# What a reader's watcher polls: the version, whether the database is a hot standby, and
# how many seconds ago the last transaction it replayed committed (NULL on a primary, or
# before a standby replayed any). Always one row, even before the first bump.
WATCH_SQL: LiteralString = (
    "SELECT d.version, d.changed_at, pg_is_in_recovery(),"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8"
    " FROM (SELECT 1) AS one LEFT JOIN data_version d ON d.id = 1"
)


def bump_data_version(connection: psycopg.Connection[Any]) -> int:
    """Move the data version forward inside the caller's transaction; return the new one.

    Call it once per transaction that changes civic data: the row lock it takes lasts until
    that transaction ends, so concurrent importers commit their bumps in order."""
    row = connection.execute(BUMP_SQL).fetchone()
    assert row is not None
    return int(row[0])
