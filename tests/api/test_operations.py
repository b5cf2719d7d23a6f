"""Maintenance mode (setting and the shared switch), request ids, structured access logs,
metrics by route template, and the database mapping of the trigger-kept totals."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from openpolicy.dataversion import bump_data_version
from openpolicy.ops.maintenance import set_state
from tests.api.conftest import api_settings, ok, problem, serve
from tests.support.services import RedisServer, wait_until


def test_maintenance_setting(api_database: URL, redis: RedisServer) -> None:
    settings = api_settings(api_database, redis, maintenance_mode=True)
    with serve(settings) as server, httpx.Client(base_url=server.url) as http:
        body = problem(http.get("/api/v1/bills"), 503)
        assert "maintenance" in body["detail"]
        refused = http.get("/api/v1/votes/43-2/69")
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0
        assert http.get("/", headers={"Accept": "text/html"}).status_code == 503
        assert http.get("/health").status_code in {200, 503}  # answers (never the gate)
        assert http.get("/metrics").status_code == 200
        status = ok(http.get("/api/v1/status"))
        assert status["status"] == "maintenance"


def test_maintenance_switch_shared_by_replicas(client: httpx.Client, api_database: URL) -> None:
    engine = create_engine(api_database)
    try:
        with engine.begin() as conn:
            set_state(conn, enabled=True, actor="test", message="Upgrading the database")
        wait_until(lambda: client.get("/api/v1/parties").status_code == 503, 30, "maintenance on")
        refused = client.get("/api/v1/parties")
        assert problem(refused, 503)["detail"] == "Upgrading the database"
        assert refused.headers["retry-after"]
        assert ok(client.get("/api/v1/status"))["maintenance"]["enabled"] is True
    finally:
        with engine.begin() as conn:
            set_state(conn, enabled=False, actor="test")
        engine.dispose()
    wait_until(lambda: client.get("/api/v1/parties").status_code == 200, 30, "maintenance off")


def test_request_id(client: httpx.Client) -> None:
    given = client.get("/api/v1/sessions", headers={"X-Request-ID": "trace-42"})
    assert given.headers["x-request-id"] == "trace-42"
    generated = client.get("/api/v1/sessions", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert client.get("/health").headers["x-request-id"]
    assert problem(client.get("/api/v1/nowhere"), 404)  # errors carry one too
    assert client.get("/api/v1/nowhere").headers["x-request-id"]


def test_access_log_is_json(client: httpx.Client, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    client.get("/api/v1/bills/45-1/C-2", headers={"X-Request-ID": "log-check-1"})
    lines: list[dict[str, Any]] = []

    def logged() -> bool:
        for line in capfd.readouterr().err.splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return any(entry.get("request_id") == "log-check-1" for entry in lines)

    wait_until(logged, 30, "the access log line")
    (entry,) = [e for e in lines if e.get("request_id") == "log-check-1"]
    assert entry["route"] == "/api/v1/bills/{session}/{number}"
    assert entry["path"] == "/api/v1/bills/45-1/C-2"
    assert entry["status"] == 200 and entry["method"] == "GET"
    assert entry["duration_ms"] > 0 and entry["queries"] >= 0 and entry["cache"] in {"hit", "miss"}
    assert entry["level"] == "info" and entry["timestamp"].endswith("Z")


def test_metrics_by_route_template(client: httpx.Client) -> None:
    client.get("/api/v1/votes/43-2/69")
    client.get("/api/v1/bills?limit=900")
    text = client.get("/metrics").text
    assert re.search(
        r'http_requests_total\{method="GET",route="/api/v1/votes/\{session\}/\{number\}",'
        r'status="200"\} [1-9]',
        text,
    )
    assert 'route="/api/v1/bills",status="422"' in text
    assert "http_request_duration_seconds_bucket" in text
    assert re.search(r"^api_db_pool_max [1-9]", text, re.M)
    assert re.search(r'^cache_requests_total\{result="miss"\} [1-9]', text, re.M)


def test_vote_party_totals_follow_ballots(sql: psycopg.Connection[Any]) -> None:
    """The statement triggers keep per-party totals exact inside the writing transaction."""
    with sql.transaction(force_rollback=True):
        vote = sql.execute(
            "SELECT v.id FROM votes v JOIN parliamentary_sessions s ON s.id = v.session_id"
            " WHERE s.code = '43-2' AND v.number = 69"
        ).fetchone()
        assert vote is not None

        def totals() -> dict[str, tuple[int, int, int]]:
            rows = sql.execute(
                "SELECT p.short_name_en, t.yeas, t.nays, t.paired FROM vote_party_totals t"
                " JOIN parties p ON p.id = t.party_id WHERE t.vote_id = %s",
                (vote[0],),
            ).fetchall()
            return {r[0]: (r[1], r[2], r[3]) for r in rows}

        assert totals()["Green Party"] == (0, 3, 0)
        sql.execute(
            "UPDATE ballots SET value = 'paired' WHERE vote_id = %s AND party_id ="
            " (SELECT id FROM parties WHERE short_name_en = 'Green Party')",
            (vote[0],),
        )
        assert totals()["Green Party"] == (0, 0, 3)
        sql.execute(
            "DELETE FROM ballots WHERE vote_id = %s AND party_id ="
            " (SELECT id FROM parties WHERE short_name_en = 'Green Party')",
            (vote[0],),
        )
        assert "Green Party" not in totals()
        assert totals()["Liberal"] == (150, 0, 0)


def test_bump_data_version(sql: psycopg.Connection[Any]) -> None:
    with sql.transaction(force_rollback=True):
        row = sql.execute("SELECT version FROM data_version").fetchone()
        assert row is not None
        assert bump_data_version(sql) == row[0] + 1
        assert bump_data_version(sql) == row[0] + 2
    after = sql.execute("SELECT version FROM data_version").fetchone()
    assert after == row  # rolled back with the transaction that would have changed data


def test_data_sources_and_reference_lists(client: httpx.Client) -> None:
    """The sample's manifest imports six sources; sessions and parties come from its files."""
    response = client.get("/api/v1/data-sources")
    sources = ok(response)["data"]
    assert [s["name"] for s in sources] == [
        "ballots",
        "bill",
        "bills",
        "hansard",
        "members",
        "votes",
    ]
    assert all(s["last_updated"] and s["last_run"] for s in sources)
    assert response.headers["cache-control"] == "no-store"
    sessions = [s["code"] for s in ok(client.get("/api/v1/sessions"))["data"]]
    assert sessions == ["45-1", "44-1", "43-2", "42-1", "41-2"]
    parties = {p["short_name_en"] for p in ok(client.get("/api/v1/parties"))["data"]}
    assert parties == {
        "Liberal",
        "Conservative",
        "NDP",
        "Bloc Québécois",
        "Green Party",
        "Independent",
    }
    assert ok(client.get("/api/v1/ping")) == {"ok": True}
