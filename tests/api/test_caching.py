"""HTTP caching (ETag, Last-Modified, 304), the response cache in Redis and in process,
and invalidation by the data version when ingest changes data."""

from __future__ import annotations

import re
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import URL

from openpolicy.app import create_app
from tests.api.conftest import api_settings, bump, ok, queries, serve
from tests.support.services import LiveServer, RedisServer


def metric(client: httpx.Client, name: str, labels: str) -> float:
    text = client.get("/metrics").text
    match = re.search(rf"^{name}\{{{re.escape(labels)}\}} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_conditional_requests(client: httpx.Client) -> None:
    first = client.get("/api/v1/votes/43-2/69")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert first.headers["last-modified"].endswith("GMT")
    again = client.get("/api/v1/votes/43-2/69", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert queries(again) == 0  # the data version is known (LISTEN/NOTIFY): nothing read
    since = client.get(
        "/api/v1/votes/43-2/69", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    other = client.get("/api/v1/votes/43-2/69", headers={"If-None-Match": '"0-0"'})
    assert other.status_code == 200
    # Another URL has another ETag.
    assert client.get("/api/v1/votes?limit=1").headers["etag"] != etag


def test_redis_cache_hits_and_metrics(client: httpx.Client) -> None:
    url = "/api/v1/bills?session=44-1&fields=number&sort=introduced"
    before = metric(client, "cache_requests_total", 'result="hit"')
    first = client.get(url)
    second = client.get(url)
    assert second.content == first.content
    assert second.headers["x-cache"] == "hit"
    assert queries(second) == 0  # the body came from Redis, the version from NOTIFY
    assert metric(client, "cache_requests_total", 'result="hit"') >= before + 1
    # The same query written in another order shares the entry.
    reordered = client.get("/api/v1/bills?sort=introduced&fields=number&session=44-1")
    assert reordered.headers["x-cache"] == "hit"


def test_ingest_invalidates_every_cached_response(
    client: httpx.Client, sql: psycopg.Connection[Any]
) -> None:
    url = "/api/v1/bills/45-1/C-2"
    cached = ok(client.get(url))
    etag = client.get(url).headers["etag"]
    assert client.get(url).headers["x-cache"] == "hit"
    # What an importer does: write, and bump in the same transaction.
    bump(
        sql,
        client,
        "UPDATE bills SET short_title_en = 'Strong Borders Act (amended)'"
        " WHERE number = 'C-2' AND session_id = (SELECT id FROM parliamentary_sessions"
        " WHERE code = '45-1')",
    )
    try:
        fresh = client.get(url, headers={"If-None-Match": etag})
        assert fresh.status_code == 200  # the old ETag no longer holds
        assert fresh.json()["data"]["short_title_en"] == "Strong Borders Act (amended)"
        assert fresh.headers["x-cache"] == "miss"
        assert cached["data"]["short_title_en"] == "Strong Borders Act"
    finally:
        bump(
            sql,
            client,
            "UPDATE bills SET short_title_en = 'Strong Borders Act' WHERE number = 'C-2'"
            " AND session_id = (SELECT id FROM parliamentary_sessions WHERE code = '45-1')",
        )
    assert ok(client.get(url))["data"]["short_title_en"] == "Strong Borders Act"


def test_in_process_cache_without_redis(api_database: URL) -> None:
    with (
        serve(api_settings(api_database, None)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        first = http.get("/api/v1/parties")
        second = http.get("/api/v1/parties")
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
        assert second.json() == first.json()
        assert {p["short_name_en"] for p in second.json()["data"]} >= {"Liberal", "NDP"}


def test_cache_can_be_disabled(api_database: URL, redis: RedisServer) -> None:
    settings = api_settings(api_database, redis, api_cache_enabled=False)
    with serve(settings) as server, httpx.Client(base_url=server.url) as http:
        http.get("/api/v1/parties")
        assert http.get("/api/v1/parties").headers["x-cache"] == "off"


def test_version_is_read_per_request_when_not_listening(api_database: URL) -> None:
    """Without the LISTEN connection the API reads the version itself: never stale."""
    import asyncio

    from openpolicy.db import DataVersionWatcher

    async def unreachable() -> tuple[int, object] | None:
        deaf = DataVersionWatcher("host=/nonexistent-socket-dir dbname=nothing connect_timeout=1")
        await deaf.start(wait=5)
        try:
            return deaf.current()
        finally:
            await deaf.stop()

    assert asyncio.run(unreachable()) is None
    app = create_app(api_settings(api_database, None))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        watcher = app.state.reads.version
        assert watcher.loop is not None
        # Stop listening (in the server's loop): from now on every request reads the row.
        asyncio.run_coroutine_threadsafe(watcher.stop(), watcher.loop).result(10)
        first = http.get("/api/v1/parties")
        assert queries(first) == 2  # the version, then the parties
        assert http.get("/api/v1/parties").headers["x-cache"] == "hit"
