"""Bulk writes: COPY into a temporary table, then one set-based statement.

Measured on this stack (DESIGN §8), `COPY` + one `INSERT … SELECT … ON CONFLICT` is about
4× faster than multi-row upserts. `upsert` does exactly that and tells inserted, updated and
unchanged rows apart: `RETURNING (xmax = 0)` is true for a fresh row, and the
`WHERE (…) IS DISTINCT FROM (…)` guard keeps unchanged rows out of the result (and out of
the WAL), so `unchanged = rows sent - rows returned`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Cursor, sql


@dataclass
class Counts:
    """What happened to the records of one document (or one run)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, other: Counts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed

    @property
    def records(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def as_dict(self) -> dict[str, int]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


def copy_rows(
    cursor: Cursor[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY `rows` into `table(columns)` (text format: psycopg adapts each value)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def temp_table(cursor: Cursor[Any], name: str, definition: str) -> None:
    """A temporary table living until the end of the current transaction."""
    cursor.execute(f"CREATE TEMPORARY TABLE {name} ({definition}) ON COMMIT DROP".encode())


def upsert(
    cursor: Cursor[Any],
    *,
    table: str,
    staging: str,
    key: Sequence[str],
    columns: Sequence[str],
    select: Sequence[str] | None = None,
    compare: Sequence[str] | None = None,
    keep_when_null: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> tuple[int, int, list[tuple[Any, ...]]]:
    """`INSERT INTO table(columns) SELECT … FROM staging ON CONFLICT (key) DO UPDATE`.

    `select` gives the SQL expression of each column over the staging table (default: the
    column of the same name); `compare` the columns whose change counts as an update
    (default: every non-key column); `keep_when_null` columns keep their stored value when
    the new one is NULL (a French list that has not been read yet). Returns
    `(inserted, updated, changed)`: `changed` holds, for every inserted or updated row,
    `(inserted?, *returning)`.
    """
    expressions = list(select) if select is not None else [f"s.{c}" for c in columns]
    compared = list(compare) if compare is not None else [c for c in columns if c not in key]

    def new_value(column: str) -> str:
        if column in keep_when_null:
            return f"COALESCE(EXCLUDED.{column}, {table}.{column})"
        return f"EXCLUDED.{column}"

    assignments = ", ".join(f"{c} = {new_value(c)}" for c in columns if c not in key)
    if "updated_at" not in columns:
        updated_at = _has_updated_at(cursor, table)
        if updated_at:
            assignments += ", updated_at = now()"
    old = ", ".join(f"{table}.{c}" for c in compared)
    new = ", ".join(new_value(c) for c in compared)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {staging} s "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments} "
        f"WHERE ROW({old}) IS DISTINCT FROM ROW({new}) "
        f"RETURNING {', '.join(['(xmax = 0)', *returning])}"
    )
    cursor.execute(statement.encode())
    rows = cursor.fetchall()
    inserted = sum(1 for row in rows if row[0])
    return inserted, len(rows) - inserted, [tuple(row) for row in rows]


_UPDATED_AT: dict[str, bool] = {}


def _has_updated_at(cursor: Cursor[Any], table: str) -> bool:
    """Whether `table` has an updated_at column (asked once per table per process)."""
    known = _UPDATED_AT.get(table)
    if known is None:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s"
            " AND column_name = 'updated_at')",
            (table,),
        )
        row = cursor.fetchone()
        known = bool(row and row[0])
        _UPDATED_AT[table] = known
    return known
