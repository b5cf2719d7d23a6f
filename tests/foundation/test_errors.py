"""Every error is a JSON problem document; no route ever answers with an HTML stack trace."""

from __future__ import annotations

from fastapi import Query
from fastapi.testclient import TestClient

from openpolicy.app import create_app
from openpolicy.config import Settings
from openpolicy.errors import PROBLEM_CONTENT_TYPE, NotFoundError

# A Host the app answers to (settings.allowed_hosts), unlike TestClient's "testserver".
LOCAL = "http://localhost"


def _app(settings: Settings) -> TestClient:
    app = create_app(settings)

    @app.get("/_test/missing")
    def missing() -> None:
        raise NotFoundError("No bill C-999 in session 45-1")

    @app.get("/_test/crash")
    def crash() -> None:
        raise RuntimeError("secret internals")

    @app.get("/_test/typed")
    def typed(limit: int = Query(ge=1, le=500)) -> dict[str, int]:
        return {"limit": limit}

    return TestClient(app, raise_server_exceptions=False, base_url=LOCAL)


def test_unknown_route_is_json_404(settings: Settings) -> None:
    with _app(settings) as client:
        response = client.get("/definitely/not/here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == 404
    assert "/definitely/not/here" in body["detail"]


def test_wrong_method_is_json_405(settings: Settings) -> None:
    with _app(settings) as client:
        response = client.post("/health")
    assert response.status_code == 405
    assert response.json()["title"] == "Method not allowed"


def test_expected_error_keeps_its_status_and_detail(settings: Settings) -> None:
    with _app(settings) as client:
        response = client.get("/_test/missing")
    assert response.status_code == 404
    assert response.json()["detail"] == "No bill C-999 in session 45-1"
    assert response.json()["instance"] == "/_test/missing"


def test_bad_parameter_names_the_parameter(settings: Settings) -> None:
    with _app(settings) as client:
        response = client.get("/_test/typed", params={"limit": "9999"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert "query.limit" in response.json()["detail"]


def test_unexpected_error_is_500_problem_without_internals(settings: Settings) -> None:
    with _app(settings) as client:
        response = client.get("/_test/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
