"""Rendering: orjson bytes straight into a Response, conditional requests, CSV/JSONL streams.

`serve()` is the whole life of a cacheable GET: read the data version, answer 304 when the
client's ETag or date still holds, else the cached body, else build, render and cache it.
ETags are `"<version>-<hash of the canonical URL>"`: the same URL at the same data version
always renders the same bytes, so no body ever needs hashing.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from operator import itemgetter
from typing import Any

import anyio.to_thread
import orjson
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from openpolicy.api.cache import ResponseCache
from openpolicy.api.green import run_queries
from openpolicy.api.params import Parsed
from openpolicy.api.version import VersionWatcher
from openpolicy.queries._sql import (
    Connection,
    Page,
    PageRequest,
    QueryStats,
    stream,
    track_queries,
)
from openpolicy.queries.freshness import current_data_version
from openpolicy.queries.reference import request_version

JSON = "application/json"
ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


@dataclass
class ApiContext:
    """What every handler needs, built once in the app's lifespan."""

    pool: ConnectionPool
    apool: AsyncConnectionPool
    cache: ResponseCache
    max_age: int
    version: VersionWatcher | None = None


def context(request: Request) -> ApiContext:
    api: ApiContext = request.app.state.api
    return api


def canonical_key(request: Request) -> str:
    """Path plus the query in sorted order: `?b=1&a=2` and `?a=2&b=1` share one entry."""
    items = sorted(request.query_params.multi_items())
    query = "&".join(f"{k}={v}" for k, v in items)
    # The scope's path, not `request.url.path`: building the URL object cost more than this.
    return f"{request.scope['path']}?{query}"


@functools.lru_cache(maxsize=16)  # one data version's time, asked on every request
def _http_date(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return format_datetime(moment.astimezone(dt.UTC).replace(microsecond=0), usegmt=True)


def _not_modified(request: Request, etag: str, changed: dt.datetime | None) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return any(tag.strip() in {etag, f"W/{etag}", "*"} for tag in inm.split(","))
    ims = request.headers.get("if-modified-since")
    if ims and changed is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return changed.replace(microsecond=0) <= since
    return False


def server_timing(stats: QueryStats, cache: str) -> str:
    return f'db;desc="{stats.count} queries";dur={stats.seconds * 1000:.2f}, cache;desc="{cache}"'


async def serve(request: Request, build: Callable[[Connection], Any]) -> Response:
    """A cacheable JSON GET: 304, cached bytes, or `build(conn)` rendered with orjson.

    `build` is a blocking query function; it runs in a greenlet over an async connection
    (openpolicy.api.green), so a request costs no thread hop."""
    api = context(request)
    key = canonical_key(request)
    stats = track_queries()
    known = api.version.current() if api.version is not None else None
    if known is None:
        async with api.apool.connection() as conn:
            known = await run_queries(conn, current_data_version)
    version, changed = known
    request_version.set(version)  # query functions reuse it instead of reading it again
    etag = f'"{version:x}-{zlib.crc32(key.encode()):08x}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={api.max_age}, must-revalidate",
        "Vary": "Accept-Encoding",
    }
    modified = _http_date(changed)
    if modified is not None:
        headers["Last-Modified"] = modified
    if _not_modified(request, etag, changed):
        headers["Server-Timing"] = server_timing(stats, "revalidated")
        return Response(status_code=304, headers=headers)
    cache_key = f"{version}:{key}"
    body = await api.cache.get(cache_key)
    outcome = "hit"
    if body is None:
        outcome = "miss" if api.cache.backend != "disabled" else "off"
        async with api.apool.connection() as conn:
            data = await run_queries(conn, build)
        body = orjson.dumps(data, option=ORJSON_OPTIONS)
        await api.cache.set(cache_key, body)
    headers["Server-Timing"] = server_timing(stats, outcome)
    headers["X-Cache"] = outcome
    state = request.scope.setdefault("state", {})
    state["openpolicy_queries"] = stats.count
    state["openpolicy_db_ms"] = round(stats.seconds * 1000, 3)
    return Response(body, media_type=JSON, headers=headers)


async def uncached(
    request: Request, build: Callable[[Connection], Any], status: int = 200
) -> Response:
    """A JSON answer that must always be fresh (status, admin)."""
    api = context(request)
    stats = track_queries()
    async with api.apool.connection() as conn:
        data = await run_queries(conn, build)
    return Response(
        orjson.dumps(data, option=ORJSON_OPTIONS),
        status_code=status,
        media_type=JSON,
        headers={"Cache-Control": "no-store", "Server-Timing": server_timing(stats, "bypass")},
    )


# --- list bodies ----------------------------------------------------------------


def next_url(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    query.append(("cursor", cursor))
    return str(request.url.replace(query="&".join(f"{k}={_quote(v)}" for k, v in query)))


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="-_.~,:")


def select_fields(all_fields: Sequence[str], wanted: Sequence[str] | None) -> list[tuple[str, int]]:
    if not wanted:
        return [(name, index) for index, name in enumerate(all_fields)]
    position = {name: index for index, name in enumerate(all_fields)}
    return [(name, position[name]) for name in wanted]


def items(rows: Iterable[Sequence[Any]], fields: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Row tuples to objects with only the selected fields (the hot loop of every list:
    `dict(zip(...))` over an itemgetter runs in C, about twice a comprehension's speed)."""
    names = [name for name, _ in fields]
    indexes = [index for _, index in fields]
    if indexes == list(range(len(indexes))):  # all fields in row order: the row's head
        return [dict(zip(names, row, strict=False)) for row in rows]
    if len(indexes) == 1:
        (name,), (index,) = names, indexes
        return [{name: row[index]} for row in rows]
    pick = itemgetter(*indexes)
    return [dict(zip(names, pick(row), strict=True)) for row in rows]


def list_body(
    request: Request,
    page: Page,
    fields: list[tuple[str, int]],
    decorate: Callable[[dict[str, Any], Sequence[Any]], None] | None = None,
) -> dict[str, Any]:
    data = items(page.items, fields)
    if decorate is not None:
        for item, row in zip(data, page.items, strict=True):
            decorate(item, row)
    pagination: dict[str, Any] = {
        "limit": page.limit,
        "next_cursor": page.next_cursor,
        "next": next_url(request, page.next_cursor),
    }
    pagination.update(page.extra)
    return {"data": data, "pagination": pagination}


# Extra data per list item (`include=`): rows' ids (their last column) -> the item's value.
Include = Callable[[Connection, list[int]], dict[int, Any]]


async def serve_list(
    request: Request,
    params: Parsed,
    resource: str,
    all_fields: Sequence[str],
    *,
    page: Callable[[], PageRequest],
    fetch: Callable[[Connection, PageRequest], Page],
    statement: Callable[[Connection], tuple[sql.Composed, Sequence[Any]]],
    includes: Mapping[str, Include] | None = None,
) -> Response:
    """A list endpoint: every match streamed as CSV or JSON Lines (`format`), or one page
    with the selected `fields` and the requested `include`s."""
    fields = select_fields(all_fields, params["fields"])
    if params["format"] != "json":
        return await export(request, params["format"], resource, fields, statement)
    requested = params["include"] or ()
    wanted = [(name, load) for name, load in (includes or {}).items() if name in requested]
    page_request = page()

    def build(conn: Connection) -> dict[str, Any]:
        result = fetch(conn, page_request)
        body = list_body(request, result, fields)
        if wanted:
            ids = [row[-1] for row in result.items]
            for name, load in wanted:
                extra = load(conn, ids)
                for item, row_id in zip(body["data"], ids, strict=True):
                    item[name] = extra[row_id]
        return body

    return await serve(request, build)


def plain_list(values: list[dict[str, Any]]) -> dict[str, Any]:
    """A short list returned whole (sources, sessions, parties): same envelope."""
    return {
        "data": values,
        "pagination": {"limit": len(values), "next_cursor": None, "next": None},
    }


# --- streamed exports ----------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


async def export(
    request: Request,
    fmt: str,
    resource: str,
    fields: list[tuple[str, int]],
    statement: Callable[[Connection], tuple[sql.Composed, Sequence[Any]]],
) -> StreamingResponse:
    """Every matching row as CSV or JSON Lines, read through a server-side cursor in
    batches: memory stays flat whatever the size of the export. A long stream holds a
    threaded-pool connection (Starlette iterates it in a worker thread), never one of the
    event loop's."""
    api = context(request)
    conn_cm = api.pool.connection()

    def prepare() -> tuple[Any, sql.Composed, Sequence[Any]]:
        conn = conn_cm.__enter__()
        try:
            query, params = statement(conn)  # validation errors surface before streaming
        except BaseException as exc:
            conn_cm.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return conn, query, params

    conn, query, params = await anyio.to_thread.run_sync(prepare)

    def rows() -> Iterator[Sequence[Any]]:
        try:
            yield from stream(conn, query, params)
        finally:
            conn_cm.__exit__(None, None, None)

    if fmt == "csv":
        body = _csv_chunks(rows(), fields)
        media_type = "text/csv; charset=utf-8"
        filename = f"{resource}.csv"
    else:
        body = _jsonl_chunks(rows(), fields)
        media_type = "application/x-ndjson"
        filename = f"{resource}.jsonl"
    return StreamingResponse(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _csv_chunks(rows: Iterator[Sequence[Any]], fields: list[tuple[str, int]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in fields])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_value(row[index]) for _, index in fields])
        if count % 1000 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _jsonl_chunks(rows: Iterator[Sequence[Any]], fields: list[tuple[str, int]]) -> Iterator[bytes]:
    chunk: list[bytes] = []
    for row in rows:
        chunk.append(
            orjson.dumps({name: row[index] for name, index in fields}, option=ORJSON_OPTIONS)
        )
        if len(chunk) >= 1000:
            yield b"\n".join(chunk) + b"\n"
            chunk = []
    if chunk:
        yield b"\n".join(chunk) + b"\n"
