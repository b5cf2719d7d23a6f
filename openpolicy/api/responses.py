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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from operator import attrgetter
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from openpolicy.api.cache import ResponseCache
from openpolicy.api.params import Parsed
from openpolicy.db import QueryStats, ReadConnection, ReadPool, track_queries
from openpolicy.problems import HEAD_FLAG
from openpolicy.queries.export import Exported, export_rows
from openpolicy.queries.freshness import request_version
from openpolicy.queries.paging import Page, PageRequest

JSON = "application/json"
ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


@dataclass
class ApiContext:
    """What every handler needs, built once in the app's lifespan."""

    reads: ReadPool
    cache: ResponseCache
    max_age: int


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


Build = Callable[[ReadConnection], Awaitable[Any]]


async def serve(request: Request, build: Build) -> Response:
    """A cacheable JSON GET: 304, cached bytes, or `await build(conn)` rendered with orjson.

    `build` calls the query functions on a connection of the read pool, the same functions
    and the same pool the web pages use (a replica's, when replicas are configured: the
    version and the connection come from the one picked)."""
    api = context(request)
    key = canonical_key(request)
    stats = track_queries()
    reads = api.reads.pick()
    known = reads.version.current()
    if known is None:
        async with reads.connection() as conn:
            known = await reads.data_version(conn)
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
        async with reads.connection() as conn:
            data = await build(conn)
        body = orjson.dumps(data, option=ORJSON_OPTIONS)
        await api.cache.set(cache_key, body)
    headers["Server-Timing"] = server_timing(stats, outcome)
    headers["X-Cache"] = outcome
    state = request.scope.setdefault("state", {})
    state["openpolicy_queries"] = stats.count
    state["openpolicy_db_ms"] = round(stats.seconds * 1000, 3)
    return Response(body, media_type=JSON, headers=headers)


async def uncached(
    request: Request, build: Build, status: int = 200, *, primary: bool = False
) -> Response:
    """A JSON answer that must always be fresh (status, admin). `primary` reads the primary
    even when replicas serve the rest: operations state an operator just changed (keys, the
    audit trail) must show at once, not a few seconds later."""
    api = context(request)
    stats = track_queries()
    reads = api.reads if primary else api.reads.pick()
    async with reads.connection() as conn:
        data = await build(conn)
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


def select_fields(all_fields: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    """The fields to show, in the order asked (all of them by default)."""
    return list(wanted) if wanted else list(all_fields)


def items(rows: Sequence[tuple[Any, ...]], fields: Sequence[str]) -> list[dict[str, Any]]:
    """Named rows to objects with only the selected fields (the hot loop of every list:
    `dict(zip(...))` over an attrgetter runs in C, about twice a comprehension's speed)."""
    if not rows:
        return []
    names = list(fields)
    row_fields: tuple[str, ...] = rows[0]._fields  # type: ignore[attr-defined]
    if tuple(names) == row_fields[: len(names)]:  # the row's leading fields, in order
        return [dict(zip(names, row, strict=False)) for row in rows]
    if len(names) == 1:
        (name,) = names
        return [{name: getattr(row, name)} for row in rows]
    pick = attrgetter(*names)
    return [dict(zip(names, pick(row), strict=True)) for row in rows]


def list_body(request: Request, page: Page[Any], fields: Sequence[str]) -> dict[str, Any]:
    pagination: dict[str, Any] = {
        "limit": page.limit,
        "next_cursor": page.next_cursor,
        "next": next_url(request, page.next_cursor),
    }
    pagination.update(page.extra)
    return {"data": items(page.items, fields), "pagination": pagination}


# Extra data per list item (`include=`): the page's row ids -> each item's value.
Include = Callable[[ReadConnection, list[int]], Awaitable[dict[int, Any]]]


async def serve_list(
    request: Request,
    params: Parsed,
    resource: str,
    all_fields: Sequence[str],
    *,
    page: Callable[[], PageRequest],
    fetch: Callable[[ReadConnection, PageRequest], Awaitable[Page[Any]]],
    statement: Callable[[ReadConnection, PageRequest], Awaitable[Exported]],
    includes: Mapping[str, Include] | None = None,
) -> Response:
    """A list endpoint: every match streamed as CSV or JSON Lines (`format`, in the order
    `sort` asks), or one page with the selected `fields` and the requested `include`s."""
    fields = select_fields(all_fields, params["fields"])
    page_request = page()
    if params["format"] != "json":
        return await export(
            request,
            params["format"],
            resource,
            fields,
            lambda conn: statement(conn, page_request),
        )
    requested = params["include"] or ()
    wanted = [(name, load) for name, load in (includes or {}).items() if name in requested]

    async def build(conn: ReadConnection) -> dict[str, Any]:
        result = await fetch(conn, page_request)
        body = list_body(request, result, fields)
        if wanted:
            ids = [row.row_id for row in result.items]
            for name, load in wanted:
                extra = await load(conn, ids)
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
    fields: list[str],
    rows: Callable[[ReadConnection], Awaitable[Exported]],
) -> StreamingResponse:
    """Every matching row as CSV or JSON Lines, read in batches (a server-side cursor or
    the query function's own stream): memory stays flat whatever the size of the export.
    The stream holds one read connection until it ends; errors in the request (a bad
    filter) surface before the first byte."""
    headers = {
        "Content-Disposition": f'attachment; filename="{resource}.{fmt}"',
        "Cache-Control": "no-store",
    }
    media_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    api = context(request)
    manager = api.reads.pick().connection()
    conn = await manager.__aenter__()
    try:
        exported = await rows(conn)
    except BaseException as exc:
        await manager.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    if request.scope.get(HEAD_FLAG):  # what a GET would answer, without reading the rows
        if exported.stream is not None:
            await exported.stream.aclose()
        await manager.__aexit__(None, None, None)
        return StreamingResponse(iter(()), media_type=media_type, headers=headers)

    async def stream() -> AsyncIterator[Any]:
        try:
            async for row in export_rows(conn, exported):
                yield row
        finally:
            await manager.__aexit__(None, None, None)

    body = _csv_chunks(stream(), fields) if fmt == "csv" else _jsonl_chunks(stream(), fields)
    return StreamingResponse(body, media_type=media_type, headers=headers)


async def _csv_chunks(rows: AsyncIterator[Any], fields: list[str]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    pick = attrgetter(*fields)
    single = len(fields) == 1
    count = 0
    async for row in rows:
        values = (pick(row),) if single else pick(row)
        writer.writerow([_csv_value(value) for value in values])
        count += 1
        if count % 1000 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def _jsonl_chunks(rows: AsyncIterator[Any], fields: list[str]) -> AsyncIterator[bytes]:
    chunk: list[bytes] = []
    pick = attrgetter(*fields)
    single = len(fields) == 1
    async for row in rows:
        values = (pick(row),) if single else pick(row)
        chunk.append(orjson.dumps(dict(zip(fields, values, strict=True)), option=ORJSON_OPTIONS))
        if len(chunk) >= 1000:
            yield b"\n".join(chunk) + b"\n"
            chunk = []
    if chunk:
        yield b"\n".join(chunk) + b"\n"
