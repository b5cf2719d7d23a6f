"""Shared plumbing of the read side: keyset pages, cursors, query counting, filters.

Every query function takes a psycopg connection (tuple rows) and returns plain Python
values ready for orjson or a template: the API and the web site render the same data.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import datetime as dt
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Concatenate, LiteralString, ParamSpec, Protocol, TypeVar

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import set_json_loads

from openpolicy.errors import BadRequestError, NotFoundError
from openpolicy.vocab import parse_session_code

Row = tuple[Any, ...]


class ResultCursor(Protocol):
    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any | None: ...


class Connection(Protocol):
    """What query functions use of a connection: a psycopg `Connection` (the web site, the
    CLI, tests), or the API's `GreenConnection` over an async one (openpolicy.api.green)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None
    ) -> ResultCursor: ...

    def pipeline(self) -> AbstractContextManager[Any]: ...


# json/jsonb columns (lists PostgreSQL aggregates for a detail page) parsed by orjson.
set_json_loads(orjson.loads)

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass
class QueryStats:
    """Queries sent and time spent in the database by one request (Server-Timing)."""

    count: int = 0
    seconds: float = 0.0


_stats: contextvars.ContextVar[QueryStats | None] = contextvars.ContextVar(
    "openpolicy_query_stats", default=None
)


def track_queries() -> QueryStats:
    """Start counting the queries of the current request (thread/context local)."""
    stats = QueryStats()
    _stats.set(stats)
    return stats


def current_stats() -> QueryStats | None:
    return _stats.get()


class CountingCursor(psycopg.Cursor[Any]):
    """A cursor that counts its statements: list endpoints are tested for query counts."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> CountingCursor:
        stats = _stats.get()
        if stats is None:
            super().execute(query, params, **kwargs)
            return self
        started = time.perf_counter()
        try:
            super().execute(query, params, **kwargs)
        finally:
            stats.count += 1
            stats.seconds += time.perf_counter() - started
        return self


class CountingServerCursor(psycopg.ServerCursor[Any]):
    """The server-side (streaming) counterpart of CountingCursor."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> CountingServerCursor:
        stats = _stats.get()
        if stats is not None:
            stats.count += 1
        super().execute(query, params, **kwargs)
        return self


def configure_connection(conn: psycopg.Connection[Any]) -> None:
    """Install the counting cursors on a connection (pool `configure` hook)."""
    conn.cursor_factory = CountingCursor
    conn.server_cursor_factory = CountingServerCursor


def fetch_all(
    conn: Connection,
    query: LiteralString | sql.Composed | bytes,
    params: Any = None,
    *,
    prepare: bool | None = None,
) -> list[Row]:
    """`prepare=False` never keeps the statement (one-off text, such as a statement with
    its values as literals); None lets the connection prepare it from its threshold."""
    return conn.execute(query, params, prepare=prepare).fetchall()


def fetch_one(
    conn: Connection,
    query: LiteralString | sql.Composed,
    params: Any = None,
    *,
    prepare: bool | None = None,
) -> Row | None:
    return conn.execute(query, params, prepare=prepare).fetchone()


P = ParamSpec("P")
T = TypeVar("T")


def planned_per_call(
    query: Callable[Concatenate[Connection, P], T],
) -> Callable[Concatenate[Connection, P], T]:
    """Plan this query function's statements for their own parameters, never from a cached
    generic plan (the API's connections default to generic plans, openpolicy.api.pool).

    For statements whose best plan depends on the values, such as a search word's
    frequency (openpolicy.queries.search). RESET returns the connection to its own
    default."""

    @functools.wraps(query)
    def planned(conn: Connection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        conn.execute("SET plan_cache_mode = force_custom_plan", prepare=False)
        try:
            return query(conn, *args, **kwargs)
        finally:
            with contextlib.suppress(psycopg.Error):  # a broken connection is discarded
                conn.execute("RESET plan_cache_mode", prepare=False)

    return planned


def fetch_many(
    conn: Connection, statements: Sequence[tuple[LiteralString | sql.Composed, Any]]
) -> list[list[Row]]:
    """Independent statements in one round trip (pipeline mode): on this stack a round trip
    costs more than a small query, so a detail page sends its queries together."""
    with conn.pipeline():
        cursors = [conn.execute(query, params) for query, params in statements]
        return [cursor.fetchall() for cursor in cursors]


# --- keyset pagination --------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """A documented sort order: one SQL expression (never NULL) plus the row id tiebreak."""

    name: str
    expression: LiteralString
    sql_type: LiteralString
    description: str


@dataclass
class PageRequest:
    """What the client asked for: how many, after which cursor, in which order."""

    limit: int = DEFAULT_LIMIT
    cursor: tuple[Any, int] | None = None
    sort: SortKey | None = None
    descending: bool = True


@dataclass
class Page:
    """One page of a list and the cursor of the next one (None at the end)."""

    items: list[Any]
    next_cursor: str | None
    limit: int
    extra: dict[str, Any] = field(default_factory=dict)


def encode_cursor(value: Any, row_id: int) -> str:
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    raw = orjson.dumps([value, row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[Any, int]:
    """Parse a cursor from a previous page; a tampered or foreign one is a 400."""
    try:
        padded = text + "=" * (-len(text) % 4)
        value, row_id = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError("bad id")
        if value is not None and not isinstance(value, str | int | float):
            raise ValueError("bad value")
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequestError(
            "cursor: not a cursor returned by this API (use pagination.next_cursor as is)",
            parameter="cursor",
        ) from exc
    return value, row_id


def keyset(
    page: PageRequest, id_column: LiteralString, default: SortKey
) -> tuple[sql.Composable, sql.Composable, list[Any], SortKey]:
    """The WHERE fragment (after the cursor), the ORDER BY and its parameters."""
    sort = page.sort or default
    direction = sql.SQL("DESC" if page.descending else "ASC")
    compare = sql.SQL("<" if page.descending else ">")
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


def make_page(rows: list[Row], page: PageRequest, sort_index: int, id_index: int) -> Page:
    """Trim the extra row fetched to know whether there is a next page."""
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1]
        return Page(rows, encode_cursor(last[sort_index], last[id_index]), page.limit)
    return Page(rows, None, page.limit)


def fetch_list_page(
    conn: Connection,
    page: PageRequest,
    *,
    select: LiteralString | sql.Composable,
    from_: LiteralString | sql.Composable,
    where: Where,
    id_column: LiteralString,
    default_sort: SortKey,
    field_count: int,
    leading_params: Sequence[Any] = (),
) -> Page:
    """One keyset page of a list endpoint: the fields, then the sort key and the id.

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
        page.cursor is not None,
    )
    query = _list_statements.get(shape)
    if query is None:
        after, order, _params, _sort = keyset(page, id_column, default_sort)
        query = (
            sql.SQL("{s}, {e}, {i} {f} WHERE {w} AND {a} {o} LIMIT %s")
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
    return make_page(fetch_all(conn, query, params), page, field_count, field_count + 1)


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


def session_id(conn: Connection, code: str, *, parameter: str = "session") -> int:
    """The id of session `45-1`; a malformed code is a 400, an unknown one a 404."""
    try:
        parliament, number = parse_session_code(code)
    except ValueError as exc:
        raise BadRequestError(
            f"{parameter}: expected a session written like 45-1, got {code!r}",
            parameter=parameter,
        ) from exc
    known = _session_ids.get((parliament, number))
    if known is not None:
        return known
    row = fetch_one(
        conn,
        "SELECT id FROM parliamentary_sessions WHERE parliament = %s AND session = %s",
        (parliament, number),
    )
    if row is None:
        raise NotFoundError(f"no session {parliament}-{number} in the database")
    _session_ids[(parliament, number)] = int(row[0])
    return int(row[0])


# A session's id never changes once it exists (ids are not reused), so a found one is kept:
# one round trip less on every filtered request.
_session_ids: dict[tuple[int, int], int] = {}


def session_filter_id(conn: Connection, code: str | None) -> int | None:
    """Like session_id for a filter: an unknown session matches nothing (-1), not a 404."""
    if code is None:
        return None
    try:
        return session_id(conn, code)
    except NotFoundError:
        return -1


def stream(
    conn: psycopg.Connection[Any],
    query: sql.Composed | LiteralString,
    params: Sequence[Any],
    batch: int = 2000,
) -> Iterator[Row]:
    """Rows of a server-side cursor, `batch` at a time: exports never hold a whole table.

    Planned for its own parameters (an export runs once; its plan is worth the time)."""
    with conn.transaction(), conn.cursor(name="openpolicy_export") as cursor:
        conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        cursor.itersize = batch
        cursor.execute(query, params)
        yield from cursor
