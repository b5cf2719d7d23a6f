"""Pages come from the response cache, keyed by data version like the API's answers: a
second visit reads no database and renders no template, a browser holding the ETag gets a
304, and the first page after an ingest is rendered from the new data."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL

from openpolicy.app import create_app
from openpolicy.config import Settings
from openpolicy.dataversion import bump_data_version
from openpolicy.db import conninfo
from tests.support.services import LiveServer, wait_until


@pytest.fixture(scope="module")
def cached_site(web_settings: Settings) -> Iterator[httpx.Client]:
    """A server of its own (the test moves the data version)."""
    with (
        LiveServer(create_app(web_settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


def queries(response: httpx.Response) -> int | None:
    found = re.search(r'db;desc="(\d+) queries"', response.headers.get("server-timing", ""))
    return int(found.group(1)) if found else None


def test_a_page_is_rendered_once_per_data_version(
    cached_site: httpx.Client, sample_database: URL
) -> None:
    path = "/fr/votes/43-2/69"
    first = cached_site.get(path)
    assert first.status_code == 200 and first.headers["x-cache"] in {"miss", "hit"}
    second = cached_site.get(path)
    assert second.headers["x-cache"] == "hit"
    assert second.text == first.text
    assert second.headers["content-type"].startswith("text/html")
    assert second.headers["content-language"] == "fr"
    etag = second.headers["etag"]
    assert etag == first.headers["etag"]
    revalidated = cached_site.get(path, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.content == b""
    browser = {"Accept-Encoding": "br, gzip"}
    compressed = cached_site.get(path, headers=browser)  # a hit, compressed once
    assert compressed.headers["content-encoding"] == "br"
    assert compressed.text == first.text  # httpx decodes brotli
    assert cached_site.get(path, headers=browser).text == first.text
    feed = cached_site.get("/feeds/votes.atom")
    again = cached_site.get("/feeds/votes.atom")
    assert again.headers["x-cache"] == "hit"
    assert again.headers["content-type"] == feed.headers["content-type"]
    assert cached_site.get("/status").headers.get("x-cache") is None  # always fresh

    where = (
        " WHERE number = 69"
        " AND session_id = (SELECT id FROM parliamentary_sessions WHERE code = '43-2')"
    )
    with psycopg.connect(conninfo(sample_database), autocommit=True) as conn:
        original = conn.execute("SELECT subject_fr FROM votes" + where).fetchone()
        assert original is not None
        try:
            with conn.transaction():
                conn.execute("UPDATE votes SET subject_fr = 'Sujet corrigé'" + where)
                version = bump_data_version(conn)
            wait_until(
                lambda: cached_site.get(path).headers["etag"].startswith(f'"{version:x}-'),
                30,
                f"the server to see data version {version}",
            )
            fresh = cached_site.get(path, headers={"If-None-Match": etag})
            assert fresh.status_code == 200 and "Sujet corrigé" in fresh.text
            assert cached_site.get(path).headers["x-cache"] == "hit"
        finally:  # the other web tests read the sample as loaded
            with conn.transaction():
                conn.execute("UPDATE votes SET subject_fr = %s" + where, (original[0],))
                bump_data_version(conn)
