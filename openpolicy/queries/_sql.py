"""Plumbing of the read side, private to `openpolicy.queries`: named rows, keyset pages,
filters, session ids, streams.

Every query function is `async def f(conn: ReadConnection, …)` and returns typed values
ready for orjson or a template: NamedTuple rows (list items) and TypedDicts (details). The
API and the web site call the same functions the same way.

Rows are built straight from the statement's result by the row class's own `_make` (a
tuple's speed, fields by name). The first time a statement fills a row class, its column
names are checked against the class's fields, so a renamed or reordered column fails
loudly instead of landing in the wrong field.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Concatenate, LiteralString, ParamSpec, Protocol, TypeVar

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import RowMaker
from psycopg.types.json import set_json_loads

from openpolicy.db import ReadConnection
from openpolicy.errors import BadRequestError, NotFoundError
from openpolicy.queries.paging import Page, PageRequest, SortKey, encode_cursor
from openpolicy.vocab import parse_session_code

# json/jsonb columns (lists PostgreSQL aggregates for a detail page) parsed by orjson.
set_json_loads(orjson.loads)

Query = LiteralString | bytes | sql.SQL | sql.Composed


class NamedRow(Protocol):
    """A NamedTuple row class."""

    _fields: tuple[str, ...]


R = TypeVar("R")


class KeysetRow(Protocol):
    """A list row: its fields, then its place in the list (sort value and id)."""

    @property
    def sort_key(self) -> Any: ...

    @property
    def row_id(self) -> int: ...


K = TypeVar("K", bound=KeysetRow)

_checked: set[tuple[type, LiteralString | bytes]] = set()


class ColumnMismatchError(psycopg.ProgrammingError):
    """A statement's columns are not its row class's fields (a programming error)."""


def _maker(cls: type[R], query: Query) -> Callable[[Any], RowMaker[R]]:
    """A row factory building `cls` (a NamedTuple) from each row, checking the first time
    that the statement's columns are its fields."""
    make: RowMaker[R] = cls._make  # type: ignore[attr-defined]
    key = (cls, query) if isinstance(query, str | bytes) else None

    def factory(cursor: Any) -> RowMaker[R]:
        if key is not None and key in _checked:
            return make
        description = cursor.description
        if description is None:
            return make
        names = tuple(column.name for column in description)
        fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
        if names != fields:
            raise ColumnMismatchError(
                f"{cls.__name__} has fields {', '.join(fields)}; "
                f"the statement returns {', '.join(names)}"
            )
        if key is not None:
            _checked.add(key)
        return make

    return factory


async def fetch_all(
    conn: ReadConnection,
    row: type[R],
    query: Query,
    params: Any = None,
    *,
    prepare: bool | None = None,
    binary: bool = False,
) -> list[R]:
    """Every row of `query` as `row` instances. `prepare=False` never keeps the statement
    (one-off text, such as a statement with its values as literals); None lets the
    connection prepare it from its threshold. `binary`: results in PostgreSQL's binary
    format (long arrays of numbers load several times faster than from text)."""
    cursor = conn.cursor(row_factory=_maker(row, query))
    await cursor.execute(query, params, prepare=prepare, binary=binary)
    return await cursor.fetchall()


async def fetch_one(
    conn: ReadConnection,
    row: type[R],
    query: Query,
    params: Any = None,
    *,
    prepare: bool | None = None,
) -> R | None:
    cursor = conn.cursor(row_factory=_maker(row, query))
    await cursor.execute(query, params, prepare=prepare)
    return await cursor.fetchone()


async def pipelined(
    conn: ReadConnection, *statements: tuple[type[Any], Query, Any]
) -> list[list[Any]]:
    """Independent statements in one round trip (pipeline mode): each (row class, query,
    params) gives its rows. On this stack a round trip costs more than a small query."""
    async with conn.pipeline():
        cursors = []
        for row, query, params in statements:
            cursor = conn.cursor(row_factory=_maker(row, query))
            await cursor.execute(query, params)
            cursors.append(cursor)
        return [await cursor.fetchall() for cursor in cursors]


async def fetch_value(conn: ReadConnection, query: Query, params: Any = None) -> Any:
    """The first column of the first row (None when there is no row)."""
    cursor = await conn.execute(query, params)
    found = await cursor.fetchone()
    return None if found is None else found[0]


P = ParamSpec("P")
T = TypeVar("T")


_custom_plans: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "openpolicy_custom_plans", default=None
)


@contextlib.asynccontextmanager
async def custom_plans(conn: ReadConnection) -> AsyncIterator[None]:
    """Plan the statements run on `conn` inside this block for their own parameters, never
    from a cached generic plan (read connections default to generic plans,
    openpolicy.db.ReadPool). For statements whose best plan depends on the values, such as a
    search word's frequency (openpolicy.queries.search). Nested blocks on the same
    connection share the outer one's setting: a search of every kind sets it once, not once
    per kind. RESET returns the connection to its default."""
    if _custom_plans.get() == id(conn):
        yield
        return
    await conn.execute("SET plan_cache_mode = force_custom_plan", prepare=False)
    token = _custom_plans.set(id(conn))
    try:
        yield
    finally:
        _custom_plans.reset(token)
        with contextlib.suppress(psycopg.Error):  # a broken connection is discarded
            await conn.execute("RESET plan_cache_mode", prepare=False)


def planned_per_call(
    query: Callable[Concatenate[ReadConnection, P], Awaitable[T]],
) -> Callable[Concatenate[ReadConnection, P], Awaitable[T]]:
    """Run this query function's statements under `custom_plans`."""

    @functools.wraps(query)
    async def planned(conn: ReadConnection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async with custom_plans(conn):
            return await query(conn, *args, **kwargs)

    return planned


# --- keyset pagination --------------------------------------------------------------------


def keyset(
    page: PageRequest, id_column: LiteralString, default: SortKey
) -> tuple[sql.Composable, sql.Composable, list[Any], SortKey]:
    """The WHERE fragment (after the cursor), the ORDER BY and its parameters."""
    sort = page.sort or default
    # Backward (the page before the cursor): the same keyset read the other way, the rows
    # put back in the list's order by `make_page`.
    descending = page.descending != page.backward
    direction = sql.SQL("DESC" if descending else "ASC")
    compare = sql.SQL("<" if descending else ">")
    order = sql.SQL("ORDER BY {expr} {dir}, {id} {dir}").format(
        expr=sql.SQL(sort.expression), dir=direction, id=sql.SQL(id_column)
    )
    if page.cursor is None:
        return sql.SQL("TRUE"), order, [], sort
    value, row_id = page.cursor
    where = sql.SQL("({expr}, {id}) {cmp} (%s::{typ}, %s)").format(
        expr=sql.SQL(sort.expression),
        id=sql.SQL(id_column),
        cmp=compare,
        typ=sql.SQL(sort.sql_type),
    )
    return where, order, [value, row_id], sort


def make_page(rows: list[K], page: PageRequest) -> Page[K]:
    """Trim the extra row fetched to know whether there is a next page (or, read backward,
    a page before this one), and say where the neighbouring pages start."""
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows.reverse()
        first = rows[0] if rows else None
        last = rows[-1] if rows else None
        return Page(
            rows,
            encode_cursor(last.sort_key, last.row_id) if last is not None else None,
            page.limit,
            previous_cursor=(
                encode_cursor(first.sort_key, first.row_id) if more and first else None
            ),
        )
    previous = None
    if page.cursor is not None and rows:
        previous = encode_cursor(rows[0].sort_key, rows[0].row_id)
    if more:
        last = rows[-1]
        return Page(
            rows,
            encode_cursor(last.sort_key, last.row_id),
            page.limit,
            previous_cursor=previous,
        )
    return Page(rows, None, page.limit, previous_cursor=previous)


async def fetch_list_page(
    conn: ReadConnection,
    row: type[K],
    page: PageRequest,
    *,
    select: LiteralString | sql.Composable,
    from_: LiteralString | sql.Composable,
    where: Where,
    id_column: LiteralString,
    default_sort: SortKey,
    leading_params: Sequence[Any] = (),
) -> Page[K]:
    """One keyset page of a list: the row's fields, then `sort_key` and `row_id`.

    One extra row is fetched to know whether a next page exists. `leading_params` bind any
    placeholders inside `from_` (they come before the WHERE parameters). The statement is
    composed once per shape (filters present, order, cursor or not) and kept as bytes:
    composing it cost a list request about a tenth of its time (bench/api.py).
    """
    sort = page.sort or default_sort
    shape = (
        _shape(select),
        _shape(from_),
        tuple(where.shapes),
        id_column,
        sort.name,
        page.descending,
        page.backward,
        page.cursor is not None,
    )
    query = _list_statements.get(shape)
    if query is None:
        after, order, _params, _sort = keyset(page, id_column, default_sort)
        query = (
            sql.SQL("{s}, {e} AS sort_key, {i} AS row_id {f} WHERE {w} AND {a} {o} LIMIT %s")
            .format(
                s=sql.SQL(select) if isinstance(select, str) else select,
                e=sql.SQL(sort.expression),
                i=sql.SQL(id_column),
                f=sql.SQL(from_) if isinstance(from_, str) else from_,
                w=where.sql(),
                a=after,
                o=order,
            )
            .as_bytes(None)
        )
        if len(_list_statements) >= MAX_LIST_STATEMENTS:
            _list_statements.clear()
        _list_statements[shape] = query
    cursor_params = [] if page.cursor is None else [page.cursor[0], page.cursor[1]]
    params = [*leading_params, *where.params, *cursor_params, page.limit + 1]
    return make_page(await fetch_all(conn, row, query, params), page)


MAX_LIST_STATEMENTS = 2000
_list_statements: dict[tuple[Any, ...], bytes] = {}


def _shape(part: LiteralString | sql.Composable) -> str:
    return part if isinstance(part, str) else repr(part)


# --- filters ------------------------------------------------------------------------------


class Where:
    """Accumulates AND-ed conditions and their parameters."""

    def __init__(self) -> None:
        self.parts: list[sql.Composable] = []
        self.shapes: list[str] = []  # the conditions' text: what a cached statement is for
        self.params: list[Any] = []

    def add(self, condition: LiteralString | sql.Composable, *params: Any) -> None:
        self.parts.append(sql.SQL(condition) if isinstance(condition, str) else condition)
        self.shapes.append(condition if isinstance(condition, str) else repr(condition))
        self.params.extend(params)

    def sql(self) -> sql.Composable:
        if not self.parts:
            return sql.SQL("TRUE")
        return sql.SQL(" AND ").join(self.parts)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere (its wildcards taken literally)."""
    return f"%{escape_like(text)}%"


async def session_id(conn: ReadConnection, code: str, *, parameter: str = "session") -> int:
    """The id of session `45-1`; a malformed code is a 400, an unknown one a 404."""
    try:
        parliament, number = parse_session_code(code)
    except ValueError as exc:
        raise BadRequestError(
            f"{parameter}: expected a session written like 45-1, got {code!r}",
            parameter=parameter,
        ) from exc
    key = (database_of(conn), parliament, number)
    known = _session_ids.get(key)
    if known is not None:
        return known
    found = await fetch_value(
        conn,
        "SELECT id FROM parliamentary_sessions WHERE parliament = %s AND session = %s",
        (parliament, number),
    )
    if found is None:
        raise NotFoundError(f"no session {parliament}-{number} in the database")
    _session_ids[key] = int(found)
    return int(found)


# A session's id never changes once it exists (ids are not reused), so a found one is kept:
# one round trip less on every filtered request. Kept per database: ids are one database's.
_session_ids: dict[tuple[tuple[str, str, str], int, int], int] = {}


def database_of(conn: ReadConnection) -> tuple[str, str, str]:
    """Which database a connection reads (host, port, name): the key of what a process
    keeps of one database's data when it reads several (a test session, replicas)."""
    info = conn.info
    return (info.host, str(info.port), info.dbname)


async def session_filter_id(conn: ReadConnection, code: str | None) -> int | None:
    """Like session_id for a filter: an unknown session matches nothing (-1), not a 404."""
    if code is None:
        return None
    try:
        return await session_id(conn, code)
    except NotFoundError:
        return -1


async def stream(
    conn: ReadConnection,
    row: type[R],
    query: sql.Composed | LiteralString,
    params: Sequence[Any],
    batch: int = 2000,
) -> AsyncIterator[R]:
    """Rows of a server-side cursor, `batch` at a time: exports never hold a whole table.

    Planned for its own parameters (an export runs once; its plan is worth the time)."""
    async with conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        cursor = conn.cursor(name="openpolicy_export", row_factory=_maker(row, query))
        async with cursor:
            cursor.itersize = batch
            await cursor.execute(query, params)
            async for item in cursor:
                yield item
