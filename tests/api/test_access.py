"""API keys (hashed, scoped, expiring, rotated with grace), rate limits shared by two app
instances through Redis, the admin scope, the audit trail, and the `keys` CLI."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from openpolicy.api import keys
from openpolicy.cli import app as cli
from tests.api.conftest import api_settings, ok, problem, serve
from tests.support.services import LiveServer, RedisServer


@pytest.fixture
def issued(sql: psycopg.Connection[Any]) -> Iterator[dict[str, str]]:
    """A read key and an admin key, deleted afterwards."""
    service = f"test-{uuid.uuid4().hex[:8]}"
    with sql.transaction():
        read, _ = keys.create(sql, name="reader", service=service, scopes=["read"])
        admin, _ = keys.create(sql, name="operator", service=service, scopes=["admin", "read"])
    yield {"read": read, "admin": admin, "service": service}
    with sql.transaction():
        sql.execute("DELETE FROM api_keys WHERE service = %s", (service,))


def audits(sql: psycopg.Connection[Any], action: str, path: str) -> list[tuple[Any, ...]]:
    return sql.execute(
        "SELECT actor, status_code, path, client_ip FROM audit_events"
        " WHERE action = %s AND path = %s ORDER BY id",
        (action, path),
    ).fetchall()


def test_keys_are_stored_hashed(sql: psycopg.Connection[Any], issued: dict[str, str]) -> None:
    prefix = issued["read"].split("_")[1]
    row = sql.execute(
        "SELECT key_hash, scopes FROM api_keys WHERE prefix = %s", (prefix,)
    ).fetchone()
    assert row is not None
    assert issued["read"] not in row[0] and len(row[0]) == 64
    assert row[1] == ["read"]


def test_anonymous_and_keyed_limits_and_last_use(
    client: httpx.Client, sql: psycopg.Connection[Any], issued: dict[str, str]
) -> None:
    anonymous = client.get("/api/v1/sessions")
    assert anonymous.status_code == 200
    assert int(anonymous.headers["ratelimit-limit"]) == 1_000_000
    assert int(anonymous.headers["ratelimit-remaining"]) < 1_000_000
    assert 0 < int(anonymous.headers["ratelimit-reset"]) <= 60
    keyed = client.get("/api/v1/sessions", headers={"X-API-Key": issued["read"]})
    assert keyed.status_code == 200
    prefix = issued["read"].split("_")[1]
    used = sql.execute("SELECT last_used_at FROM api_keys WHERE prefix = %s", (prefix,)).fetchone()
    assert used is not None and used[0] is not None


def test_bad_keys_are_401_and_audited(client: httpx.Client, sql: psycopg.Connection[Any]) -> None:
    path = f"/api/v1/sessions/{uuid.uuid4().hex}"  # a unique path to find our audit rows
    response = client.get(path, headers={"X-API-Key": "opk_deadbeef_" + "x" * 43})
    assert "unknown API key" in problem(response, 401)["detail"]
    assert response.headers["www-authenticate"].startswith("ApiKey")
    assert audits(sql, "api.unauthorized", path) == [("key:deadbeef", 401, path, "127.0.0.1")]
    problem(client.get("/api/v1/sessions", headers={"X-API-Key": "not-a-key"}), 401)


def test_admin_scope(
    client: httpx.Client, sql: psycopg.Connection[Any], issued: dict[str, str]
) -> None:
    path = "/api/v1/admin/keys"
    before_401 = len(audits(sql, "api.unauthorized", path))
    before_403 = len(audits(sql, "api.forbidden", path))
    problem(client.get(path), 401)
    assert (
        "admin scope"
        in problem(client.get(path, headers={"X-API-Key": issued["read"]}), 403)["detail"]
    )
    listed = ok(
        client.get(
            path, headers={"X-API-Key": issued["admin"]}, params={"service": issued["service"]}
        )
    )
    assert {k["name"] for k in listed["data"]} == {"reader", "operator"}
    assert all("key_hash" not in k for k in listed["data"])
    assert len(audits(sql, "api.unauthorized", path)) == before_401 + 1
    forbidden = audits(sql, "api.forbidden", path)
    assert len(forbidden) == before_403 + 1
    assert forbidden[-1][0] == "key:" + issued["read"].split("_")[1]
    trail = ok(
        client.get(
            "/api/v1/admin/audit-events",
            params={"action": "api.forbidden"},
            headers={"X-API-Key": issued["admin"]},
        )
    )
    assert trail["data"][0]["path"] == path
    purged = client.post("/api/v1/admin/cache/purge", headers={"X-API-Key": issued["admin"]})
    assert ok(purged)["backend"] == "redis"


def test_revoked_and_expired_keys(
    client: httpx.Client, sql: psycopg.Connection[Any], issued: dict[str, str]
) -> None:
    prefix = issued["read"].split("_")[1]
    with sql.transaction():
        keys.revoke(sql, prefix)
    assert (
        "revoked"
        in problem(client.get("/api/v1/parties", headers={"X-API-Key": issued["read"]}), 401)[
            "detail"
        ]
    )
    with sql.transaction():
        sql.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE prefix = %s",
            (issued["admin"].split("_")[1],),
        )
    assert (
        "expired"
        in problem(client.get("/api/v1/parties", headers={"X-API-Key": issued["admin"]}), 401)[
            "detail"
        ]
    )


def test_rotation_keeps_the_old_key_for_the_grace_period(
    client: httpx.Client, sql: psycopg.Connection[Any], issued: dict[str, str]
) -> None:
    with sql.transaction():
        rotated = keys.rotate(sql, issued["service"], dt.timedelta(hours=2))
    assert len(rotated) == 2
    new_keys = {old: new for _, old, new in rotated}
    old_read = issued["read"]
    new_read = new_keys[old_read.split("_")[1]]
    for key in (old_read, new_read):
        assert client.get("/api/v1/parties", headers={"X-API-Key": key}).status_code == 200
    row = sql.execute(
        "SELECT expires_at - now(), replaced_by_id IS NOT NULL FROM api_keys WHERE prefix = %s",
        (old_read.split("_")[1],),
    ).fetchone()
    assert row is not None
    assert dt.timedelta(hours=1, minutes=59) < row[0] <= dt.timedelta(hours=2)
    assert row[1] is True


def _hammer(servers: list[LiveServer], client_ip: str, count: int) -> list[httpx.Response]:
    answers = []
    for index in range(count):
        server = servers[index % len(servers)]
        answers.append(
            httpx.get(f"{server.url}/api/v1/ping", headers={"X-Forwarded-For": client_ip})
        )
    return answers


def test_rate_limit_is_shared_by_two_instances(api_database: URL, redis: RedisServer) -> None:
    settings = api_settings(
        api_database, redis, api_rate_limit_anonymous_per_minute=5, api_trust_forwarded_for=True
    )
    with serve(settings) as first, serve(settings) as second:
        for _attempt in range(3):  # retried only if a minute boundary splits the burst
            client_ip = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
            answers = _hammer([first, second], client_ip, 7)
            resets = [int(a.headers["ratelimit-reset"]) for a in answers]
            if resets != sorted(resets, reverse=True):
                continue  # a new window started mid-burst
            break
        statuses = [a.status_code for a in answers]
        assert statuses == [200, 200, 200, 200, 200, 429, 429]
        remaining = [int(a.headers["ratelimit-remaining"]) for a in answers]
        assert remaining == [4, 3, 2, 1, 0, 0, 0]  # counted across both servers
        limited = answers[5]
        assert int(limited.headers["retry-after"]) >= 1
        body = problem(limited, 429)
        assert "5 requests per minute" in body["detail"]
        # Another client is not affected.
        other = _hammer([second], "203.0.113.7-" + uuid.uuid4().hex[:6], 1)[0]
        assert other.status_code == 200


def test_keys_cli(
    api_database: URL, monkeypatch: pytest.MonkeyPatch, sql: psycopg.Connection[Any]
) -> None:
    from openpolicy.config import get_settings

    monkeypatch.setenv("DATABASE_URL", api_database.render_as_string(hide_password=False))
    get_settings.cache_clear()
    service = f"cli-{uuid.uuid4().hex[:8]}"
    runner = CliRunner()
    try:
        created = runner.invoke(cli, ["keys", "create", "--service", service, "--scope", "read"])
        assert created.exit_code == 0, created.output
        key = created.stdout.strip().splitlines()[0]
        assert key.startswith("opk_")
        listed = runner.invoke(cli, ["keys", "list", "--service", service, "--json"])
        assert listed.exit_code == 0 and key.split("_")[1] in listed.stdout
        assert '"status": "active"' in listed.stdout
        rotated = runner.invoke(cli, ["keys", "rotate", "--service", service, "--grace-hours", "1"])
        assert rotated.exit_code == 0, rotated.output
        assert key.split("_")[1] in rotated.stdout
        listed = runner.invoke(cli, ["keys", "list", "--service", service, "--json"])
        assert '"status": "rotating"' in listed.stdout
        revoked = runner.invoke(cli, ["keys", "revoke", key.split("_")[1]])
        assert revoked.exit_code == 0
        assert runner.invoke(cli, ["keys", "revoke", "00000000"]).exit_code != 0
    finally:
        get_settings.cache_clear()
        with sql.transaction():
            sql.execute("DELETE FROM api_keys WHERE service = %s", (service,))
