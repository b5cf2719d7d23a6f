"""HEAD answers wherever GET does (`curl -I`, link checkers, uptime monitors): the same
status and headers, no body; an export answers without reading its rows."""

from __future__ import annotations

import httpx

from tests.api.conftest import ok, problem


def test_the_api_document_lists_each_operation_once(client: httpx.Client) -> None:
    document = ok(client.get("/api/v1/openapi.json"))
    assert all("head" not in item for item in document["paths"].values())
    assert "get" in document["paths"]["/api/v1/bills"]
    assert client.head("/api/v1/admin/cache/purge").status_code == 405  # POST only


def test_head_has_the_headers_of_get_and_no_body(client: httpx.Client) -> None:
    member = ok(client.get("/api/v1/members?limit=1"))["data"][0]["id"]
    for path in (
        "/api/v1/ping",
        "/api/v1/bills?limit=2",
        "/api/v1/bills/44-1/C-291",
        "/api/v1/votes/43-2/69",
        f"/api/v1/members/{member}",
        "/api/v1/debates/42-1/2?limit=5",
        "/api/v1/openapi.json",
        "/health",
        "/bills/44-1/C-291",
        "/fr/votes/43-2/69",
        "/feeds/votes.atom",
    ):
        plain = {"Accept-Encoding": "identity"}  # lengths comparable with the body's
        got = client.get(path, headers=plain)
        head = client.head(path, headers=plain)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        if "content-length" in got.headers and path != "/health":  # /health times itself
            assert head.headers["content-length"] == str(len(got.content)), path
        assert head.headers.get("etag") == got.headers.get("etag"), path


def test_head_of_an_export_checks_the_request_but_reads_no_rows(client: httpx.Client) -> None:
    head = client.head("/api/v1/ballots?session=43-2&format=csv")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/csv")
    assert "ballots.csv" in head.headers["content-disposition"]
    missing = client.head("/api/v1/members/999999/votes?format=csv")
    assert missing.status_code == 404 and missing.content == b""
    problem(client.get("/api/v1/members/999999/votes?format=csv"), 404)
    assert client.head("/api/v1/no-such-thing").status_code == 404
