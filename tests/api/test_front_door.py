"""The front door's headers and refusals (openpolicy/api/gate.py), over real HTTP: security
headers on every kind of response, CORS for public reads only, HSTS only over HTTPS said by
a trusted proxy, `Host` values the site does not answer to refused, and the web site's own
rate limits (stricter for search)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import URL

from tests.api.conftest import api_settings, problem, serve
from tests.support.services import LiveServer, RedisServer

WEB_LIMIT = 6
SEARCH_LIMIT = 2


@pytest.fixture(scope="module")
def front(api_database: URL, redis: RedisServer) -> Iterator[LiveServer]:
    """A server behind a "proxy" on 127.0.0.1 with small web limits and a public URL."""
    settings = api_settings(
        api_database,
        redis,
        trusted_proxies=["127.0.0.1"],
        site_url="https://openpolicy.example",
        web_rate_limit_per_minute=WEB_LIMIT,
        web_search_rate_limit_per_minute=SEARCH_LIMIT,
        api_access_log=False,
    )
    with serve(settings) as server:
        yield server


@pytest.fixture
def http(front: LiveServer) -> Iterator[httpx.Client]:
    """Each test is a reader of its own (a new address behind the proxy)."""
    with httpx.Client(
        base_url=front.url, headers={"X-Forwarded-For": _new_address()}, timeout=30
    ) as client:
        yield client


def _new_address() -> str:
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def test_every_response_carries_the_security_headers(http: httpx.Client) -> None:
    for path in ("/api/v1/sessions", "/", "/livez", "/api/v1/nothing-here"):
        response = http.get(path, headers={"Accept": "text/html"})
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "strict-transport-security" not in headers, path  # plain HTTP
        assert headers["x-request-id"], path
    data = http.get("/api/v1/sessions").headers["content-security-policy"]
    assert data.startswith("default-src 'none'")  # JSON never runs anything
    page = http.get("/").headers["content-security-policy"]
    assert "script-src 'self';" in page and "unsafe" not in page


def test_hsts_only_when_a_trusted_proxy_says_https(
    http: httpx.Client, api_server: LiveServer
) -> None:
    proxied = http.get("/api/v1/ping", headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["strict-transport-security"].startswith("max-age=31536000")
    # The session server trusts no proxy: a client cannot switch HSTS on by saying so.
    direct = httpx.get(f"{api_server.url}/api/v1/ping", headers={"X-Forwarded-Proto": "https"})
    assert direct.status_code == 200 and "strict-transport-security" not in direct.headers


def test_cors_for_public_reads_only(http: httpx.Client) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    read = http.get("/api/v1/sessions", headers=origin)
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers
    assert "ETag" in read.headers["access-control-expose-headers"]
    preflight = http.options(
        "/api/v1/bills",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-API-Key",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert "X-API-Key" in preflight.headers["access-control-allow-headers"]
    # A write, or the admin API, is never readable from another origin.
    write = http.post("/api/v1/bills", headers=origin, json={})
    assert write.status_code == 405 and "access-control-allow-origin" not in write.headers
    admin = http.get("/api/v1/admin/keys", headers=origin)
    assert admin.status_code in (401, 403, 404)
    assert "access-control-allow-origin" not in admin.headers
    # The web site is not an API: no CORS on pages.
    assert "access-control-allow-origin" not in http.get("/", headers=origin).headers


def test_hosts_the_site_does_not_answer_to_are_refused(http: httpx.Client) -> None:
    forged = http.get("/api/v1/sessions", headers={"Host": "evil.example"})
    assert "evil.example" in problem(forged, 400)["detail"]
    page = http.get("/bills", headers={"Host": "evil.example", "Accept": "text/html"})
    assert page.status_code == 400 and "evil.example" not in page.headers.get("location", "")
    # The public URL's host is always served; probes answer whatever the Host.
    assert http.get("/api/v1/ping", headers={"Host": "openpolicy.example"}).status_code == 200
    assert http.get("/livez", headers={"Host": "10.1.2.3:8000"}).status_code == 200
    assert http.get("/readyz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


def test_web_rate_limits_are_per_address_and_stricter_for_search(http: httpx.Client) -> None:
    browser = {"Accept": "text/html"}
    searches = [http.get("/search?q=budget", headers=browser) for _ in range(SEARCH_LIMIT + 1)]
    assert [r.status_code for r in searches] == [200] * SEARCH_LIMIT + [429]
    refused = searches[-1]
    assert refused.headers["content-type"].startswith("text/html")
    assert 0 < int(refused.headers["retry-after"]) <= 60
    # Search has its own budget: pages still answer, up to theirs.
    pages = [http.get("/status", headers=browser).status_code for _ in range(WEB_LIMIT + 1)]
    assert pages == [200] * WEB_LIMIT + [429]
    assert http.get("/static/site.css").status_code == 200  # files are never limited
    # Another reader is not affected.
    other = http.get("/status", headers={**browser, "X-Forwarded-For": _new_address()})
    assert other.status_code == 200
