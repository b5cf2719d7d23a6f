"""The contract: OpenAPI describes every parameter and field with an example, docs/api.md
covers every route, and a property-based run (schemathesis) finds no 5xx and no response
that breaks the schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.support.services import LiveServer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.fixture(scope="module")
def document(api_server: LiveServer) -> dict[str, Any]:
    response = httpx.get(f"{api_server.url}/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_is_described(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    found = operations(document)
    assert len(found) >= 20
    for path, method, operation in found:
        assert path.startswith("/api/v1/"), path
        assert operation.get("summary") and operation.get("description"), (method, path)
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
            if parameter["in"] == "query":
                assert "example" in parameter, (path, parameter["name"])
        # 200, or what a write answers: 201 Created, 202 Accepted, 204 No Content.
        assert any(code in operation["responses"] for code in ("200", "201", "202", "204")), path


def test_every_response_field_is_described_with_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    examples = 0
    for name, schema in schemas.items():
        for field, spec in schema.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"
            examples += "examples" in spec
    assert examples >= 100


def test_documented_filters_are_the_issue_s(document: dict[str, Any]) -> None:
    def names(path: str) -> set[str]:
        return {p["name"] for p in document["paths"][path]["get"].get("parameters", [])}

    assert names("/api/v1/bills") >= {
        "session",
        "status",
        "type",
        "sponsor",
        "chamber",
        "updated_since",
        "q",
        "limit",
        "cursor",
        "sort",
        "fields",
        "include",
        "format",
    }
    assert names("/api/v1/votes") >= {
        "session",
        "date_from",
        "date_to",
        "result",
        "bill",
        "subject",
    }
    assert names("/api/v1/members") >= {
        "current",
        "parliament",
        "party",
        "province",
        "constituency",
        "name",
    }
    assert names("/api/v1/debates") >= {"session", "date_from", "date_to"}
    assert names("/api/v1/search") >= {
        "q",
        "lang",
        "type",
        "member",
        "party",
        "session",
        "date_from",
        "date_to",
    }


def test_docs_cover_every_route(document: dict[str, Any]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [
        f"{method.upper()} {path}"
        for path, method, _ in operations(document)
        if f"`{method.upper()} {path}`" not in text
    ]
    assert missing == []
    for topic in (
        "X-API-Key",
        "RateLimit-Remaining",
        "ETag",
        "If-None-Match",
        "application/problem+json",
        "format=csv",
        "cursor",
        "websearch",
        "MAINTENANCE_MODE",
        "X-Request-ID",
        "bump_data_version",
    ):
        assert topic in text, topic


def test_docs_page_is_served_by_the_app_with_no_cdn(api_server: LiveServer) -> None:
    page = httpx.get(f"{api_server.url}/api/v1/docs")
    assert page.status_code == 200
    assert 'data-openapi-url="/api/v1/openapi.json"' in page.text
    # Every file the page loads is the app's own (no CDN), and no script or style is inline.
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert loaded and all(url.startswith("/api/v1/") for url in loaded), loaded
    assert "<script>" not in page.text and "style=" not in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp and "https:" not in csp
    for url in loaded:
        if url.endswith("openapi.json"):
            continue
        asset = httpx.get(f"{api_server.url}{url}")
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in (
            "text/javascript",
            "text/css",
            "image/png",
        )
    bundle = httpx.get(f"{api_server.url}/api/v1/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text[:2000]
    assert httpx.get(f"{api_server.url}/api/v1/docs/assets/pyproject.toml").status_code == 404


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def exercise(operation: Any, base_url: str) -> int:
    """Run generated cases against one operation; return how many were sent."""
    calls: list[int] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        calls.append(1)
        case.call_and_validate(base_url=base_url, checks=CHECKS)

    run()
    return len(calls)


def test_property_based_run(api_server: LiveServer) -> None:
    """Every operation, with generated parameters: no 5xx, every answer as documented."""
    schema = schemathesis.openapi.from_url(f"{api_server.url}/api/v1/openapi.json")
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        try:
            ran += exercise(operation, api_server.url)
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert failures == []
    assert ran >= 150


def test_no_route_answers_500_to_garbage(client: httpx.Client) -> None:
    for path in (
        "/api/v1/bills?cursor=" + "A" * 60,
        "/api/v1/bills?sort=-introduced&cursor=WzEsMl0",
        "/api/v1/members/1/votes?cursor=WyJ4IiwxXQ",
        "/api/v1/search?q=%00",
        "/api/v1/search?q=" + "é" * 300,
        "/api/v1/votes?date_from=0001-01-01&date_to=9999-12-31",
        "/api/v1/bills?updated_since=9999-12-31T23:59:59Z",
    ):
        response = client.get(path)
        assert response.status_code < 500, (path, response.text)
        assert re.match(r"application/(problem\+)?json", response.headers["content-type"])
