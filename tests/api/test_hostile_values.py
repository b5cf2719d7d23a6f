"""Values a client forged: digits that are not ASCII, cursors that decode but do not fit.
Each gets a 400 naming what was wrong in our words, never PostgreSQL's own error text."""

from __future__ import annotations

import base64

import httpx
import orjson
import pytest

from tests.api.conftest import problem

# What PostgreSQL's messages look like; none may reach a client.
POSTGRES_WORDS = ("invalid input syntax", "out of range", "psycopg", "SQLSTATE", "LINE 1", "::")


def forged_cursor(value: object, row_id: int) -> str:
    """Shaped like a cursor this API hands out (openpolicy.queries.paging), with our value."""
    raw = orjson.dumps([value, row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/bills?limit=\uff15",  # full-width five
        "/api/v1/bills?limit=\u0665",  # Arabic-Indic five
        "/api/v1/bills?limit=1_0",
        "/api/v1/bills?limit=%205",
        "/api/v1/bills?session=\u0664\u0665-\u0661",  # ٤٥-١
        "/api/v1/bills?session=\uff14\uff15-\uff11",  # ４５-１
    ],
)
def test_digits_are_ascii_only(client: httpx.Client, path: str) -> None:
    body = problem(client.get(path), 400)
    assert body["detail"], body


def test_a_session_in_other_digits_is_not_found_as_another(client: httpx.Client) -> None:
    """In the path too: ٤٥-١ is not 45-1 (the route refuses it before any lookup)."""
    response = client.get("/api/v1/bills/\u0664\u0665-\u0661/C-2")
    assert response.status_code in {400, 404, 422}, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/api/v1/votes", "2024-99-99"),  # a date the list sorts by, out of range
        ("/api/v1/votes", "not a date"),
        ("/api/v1/votes", 12345),  # a number where a date belongs
        ("/api/v1/votes", 1.5e300),
    ],
)
def test_a_forged_cursor_never_echoes_the_database(
    client: httpx.Client, path: str, value: object
) -> None:
    response = client.get(path, params={"cursor": forged_cursor(value, 1)})
    body = problem(response, 400)
    text = response.text
    assert not any(word in text for word in POSTGRES_WORDS), text
    assert "2024-99-99" not in text and "not a date" not in text, text
    assert body["detail"]
