"""Bulk exports: every row of a list, in the order its pages come in, for CSV and JSON Lines.

An export is either a statement, read through a server-side cursor a batch at a time, or a
query function's own stream (the voting record, built in Python): `Exported` holds either,
and `export_rows` reads it. Memory stays flat whatever the size of the export.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from psycopg import sql

from openpolicy.db import ReadConnection
from openpolicy.queries._sql import Where, keyset, stream
from openpolicy.queries.paging import PageRequest, SortKey


@dataclass(frozen=True)
class Exported:
    """What an export reads: `row` instances from `statement`, or the rows of `stream`."""

    row: type[Any] | None = None
    statement: sql.Composed | None = None
    params: Sequence[Any] = ()
    stream: AsyncGenerator[Any, None] | None = None


async def export_rows(conn: ReadConnection, exported: Exported) -> AsyncIterator[Any]:
    if exported.stream is not None:
        async for item in exported.stream:
            yield item
        return
    assert exported.row is not None and exported.statement is not None
    async for item in stream(conn, exported.row, exported.statement, exported.params):
        yield item


def list_export(
    row: type[Any],
    page: PageRequest,
    *,
    select: LiteralString | sql.Composable,
    from_: LiteralString | sql.Composable,
    where: Where,
    id_column: LiteralString,
    default_sort: SortKey,
    leading_params: Sequence[Any] = (),
) -> Exported:
    """Every row of a list in the page's order (`sort`): the same SELECT as its pages, with
    `sort_key` and `row_id`, without a limit or a cursor."""
    _after, order, _params, sort = keyset(
        PageRequest(sort=page.sort, descending=page.descending), id_column, default_sort
    )
    query = sql.SQL("{s}, {e} AS sort_key, {i} AS row_id {f} WHERE {w} {o}").format(
        s=sql.SQL(select) if isinstance(select, str) else select,
        e=sql.SQL(sort.expression),
        i=sql.SQL(id_column),
        f=sql.SQL(from_) if isinstance(from_, str) else from_,
        w=where.sql(),
        o=order,
    )
    return Exported(row, query, [*leading_params, *where.params])
