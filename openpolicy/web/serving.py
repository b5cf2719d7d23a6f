"""Pages share the API's response cache: rendered bytes keyed by data version and URL.

`cached_page(handler)` wraps a page handler: the page's ETag is known before any query
(the data version from the read pool's watcher, and the canonical URL), so a browser that
has it gets a 304; a page rendered before at this data version comes from the cache
(this process's last pages, then Redis shared by every replica, or the in-process LRU)
without a query or a template;
otherwise the handler renders it and the bytes are kept. An ingest moves the version, so no
page is ever served from older data and nothing needs purging — exactly as for the API. A
browser's hit gets the page in brotli, compressed once per process rather than per visit.
`OPENPOLICY_API_CACHE_ENABLED=false` turns both off.
"""

from __future__ import annotations

import functools
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from starlette.responses import Response

from openpolicy.api.cache import ResponseCache
from openpolicy.queries.freshness import request_version
from openpolicy.web.compression import MINIMUM_SIZE, accepted_codings, brotli_bytes
from openpolicy.web.deps import read_pool
from openpolicy.web.i18n import lang_of_path

Handler = Callable[..., Awaitable[Response]]
LOCAL_BYTES = 64 * 1024 * 1024
KEY_PREFIX = "page:"
_SEPARATOR = b"\n"  # a cached entry: its content type, then the body


class LocalPages:
    """The pages this process served last, in front of the shared cache: a hit costs a
    dictionary lookup instead of a Redis round trip. Bounded by bytes; an entry of an older
    data version is never asked for again and ages out."""

    def __init__(self, budget: int = LOCAL_BYTES) -> None:
        self.budget = budget
        self.size = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.budget // 16:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.size -= len(previous)
        self._entries[key] = value
        self.size += len(value)
        while self.size > self.budget:
            _old, dropped = self._entries.popitem(last=False)
            self.size -= len(dropped)


_local = LocalPages()


def page_key(request: Request) -> str:
    """Path plus the query in sorted order: `?b=1&a=2` and `?a=2&b=1` share one entry."""
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))
    return f"{request.scope['path']}?{query}"


def _not_modified(request: Request, etag: str) -> bool:
    tags = request.headers.get("if-none-match")
    return tags is not None and any(t.strip() in {etag, f"W/{etag}", "*"} for t in tags.split(","))


def cached_page(handler: Handler) -> Handler:
    """The handler's page from the response cache when this data version rendered it."""

    @functools.wraps(handler)
    async def page(request: Request, **params: Any) -> Response:
        state = request.app.state
        reads = read_pool(request)
        known = reads.version.current()
        if known is None:
            async with reads.connection() as conn:
                known = await reads.data_version(conn)
        version = known[0]
        request_version.set(version)
        key = page_key(request)
        etag = f'"{version:x}-{zlib.crc32(key.encode()):08x}"'
        cache_control = _cache_control(request)
        headers = {
            "ETag": etag,
            "Content-Language": lang_of_path(request.scope["path"]),
            "Cache-Control": cache_control,
            "Vary": "Accept-Encoding",
        }
        if _not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        cache: ResponseCache = state.response_cache
        stored_key = f"{KEY_PREFIX}{version}:{key}"
        stored = _local.get(stored_key) if cache.backend != "disabled" else None
        if stored is None:
            stored = await cache.get(stored_key)
            if stored is not None:
                _local.put(stored_key, stored)
        if stored is not None:
            kind, _separator, body = stored.partition(_SEPARATOR)
            headers["X-Cache"] = "hit"
            if len(body) >= MINIMUM_SIZE and "br" in accepted_codings(
                request.headers.get("accept-encoding", "")
            ):
                # A browser's hit: the page compressed once, not on every visit.
                compressed = _local.get("br:" + stored_key)
                if compressed is None:
                    compressed = brotli_bytes(body)
                    _local.put("br:" + stored_key, compressed)
                headers["Content-Encoding"] = "br"
                body = compressed
            return Response(body, media_type=kind.decode(), headers=headers)
        response = await handler(request, **params)
        if response.status_code == 200:
            content_type = response.headers.get("content-type", "text/html; charset=utf-8")
            entry = content_type.encode() + _SEPARATOR + bytes(response.body)
            await cache.set(stored_key, entry)
            if cache.backend != "disabled":
                _local.put(stored_key, entry)
            response.headers["ETag"] = etag
            response.headers["Vary"] = "Accept-Encoding"
            response.headers["X-Cache"] = "miss" if cache.backend != "disabled" else "off"
        return response

    return page


def _cache_control(request: Request) -> str:
    seconds = request.app.state.settings.web_cache_seconds
    return f"public, max-age={seconds}" if seconds > 0 else "no-store"
