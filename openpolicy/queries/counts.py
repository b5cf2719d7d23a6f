"""How many rows a filtered list holds: the "1,204 bills" of a list page.

A count reads every matching row, so it is only offered where it is cheap (lists of a few
thousand rows: bills, divisions, sittings, members) and it is read once per data version
and filter set: the next reader of the same list (any page of it, either language) gets
the number from memory. Never used for search or for ballots (millions of rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString, NamedTuple

from psycopg import sql

from openpolicy.db import ReadConnection
from openpolicy.queries._sql import Where, database_of, fetch_one
from openpolicy.queries.freshness import version_of

MAX_COUNTS = 4096  # distinct (version, list, filters) kept; cleared when full
_counts: dict[tuple[Any, ...], int] = {}


class _Count(NamedTuple):
    matching: int


async def count_list(
    conn: ReadConnection,
    from_: LiteralString | sql.Composable,
    where: Where,
    leading_params: Sequence[Any] = (),
) -> int:
    """The number of rows of `from_` matching `where`, read once per data version of the
    database `conn` reads (a version number labels one database's data). `leading_params`
    bind placeholders inside `from_`, as in `fetch_list_page`: a count and its list page
    share their FROM and WHERE."""
    version = await version_of(conn)
    params = [*leading_params, *where.params]
    key = (
        database_of(conn),
        version,
        from_ if isinstance(from_, str) else repr(from_),
        tuple(where.shapes),
        tuple(map(repr, params)),
    )
    found = _counts.get(key)
    if found is not None:
        return found
    query = sql.SQL("SELECT count(*) AS matching {f} WHERE {w}").format(
        f=sql.SQL(from_) if isinstance(from_, str) else from_, w=where.sql()
    )
    row = await fetch_one(conn, _Count, query, params)
    count = row.matching if row is not None else 0
    if len(_counts) >= MAX_COUNTS:
        _counts.clear()
    _counts[key] = count
    return count
