"""API keys (hashed, scoped, expiring, rotated with grace), rate limits shared by two app
instances through Redis, the admin scope, the audit trail, and the `keys` CLI."""

from __future__ import annotations

import datetime as dt
import time
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
from tests.support.services import LiveServer, RedisServer, wait_until


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


def audits(sql: psycopg.Connection[Any], action: str, client: str) -> list[tuple[Any, ...]]:
    """Refusals of `client`: one row per minute, with its count."""
    return sql.execute(
        "SELECT actor, status_code, path, client_ip, count, details FROM audit_events"
        " WHERE action = %s AND client_ip = %s ORDER BY id",
        (action, client),
    ).fetchall()


def refusals(sql: psycopg.Connection[Any], action: str, client: str) -> int:
    return sum(row[4] for row in audits(sql, action, client))


@pytest.fixture(scope="module")
def proxied(api_database: URL, redis: RedisServer) -> Iterator[LiveServer]:
    """A server behind a "proxy" on 127.0.0.1 (each test names its own client address) that
    writes the audit trail ten times a second."""
    settings = api_settings(
        api_database,
        redis,
        trusted_proxies=["127.0.0.1"],
        audit_flush_seconds=0.1,
        api_rate_limit_anonymous_per_minute=1000,
    )
    with serve(settings) as server:
        yield server


def new_client_address() -> str:
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


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

    def used() -> bool:  # recorded off the request's path, at most once a minute
        row = sql.execute(
            "SELECT last_used_at FROM api_keys WHERE prefix = %s", (prefix,)
        ).fetchone()
        return row is not None and row[0] is not None

    wait_until(used, 30, "the key's last use to be recorded")


def test_bad_keys_are_401_and_audited_per_address_and_minute(
    proxied: LiveServer, sql: psycopg.Connection[Any]
) -> None:
    client = new_client_address()
    headers = {"X-Forwarded-For": client}
    path = f"/api/v1/sessions/{uuid.uuid4().hex}"
    response = httpx.get(
        proxied.url + path, headers={**headers, "X-API-Key": "opk_deadbeef_" + "x" * 43}
    )
    assert "unknown API key" in problem(response, 401)["detail"]
    assert response.headers["www-authenticate"].startswith("ApiKey")
    for _ in range(4):
        problem(
            httpx.get(proxied.url + "/api/v1/sessions", headers={**headers, "X-API-Key": "nope"}),
            401,
        )
    wait_until(
        lambda: refusals(sql, "api.unauthorized", client) == 5, 30, "the refusals to be written"
    )
    ((actor, status, first_path, address, count, details),) = audits(
        sql, "api.unauthorized", client
    )  # one row for the five
    assert (actor, status, first_path, address, count) == ("key:deadbeef", 401, path, client, 5)
    assert sorted(details["actors"]) == ["anonymous", "key:deadbeef"]
    assert sorted(details["paths"]) == sorted([path, "/api/v1/sessions"])


def test_admin_scope(
    proxied: LiveServer, sql: psycopg.Connection[Any], issued: dict[str, str]
) -> None:
    path = "/api/v1/admin/keys"
    client = new_client_address()

    def get(url: str, key: str | None = None, **params: str) -> httpx.Response:
        headers = {"X-Forwarded-For": client} | ({"X-API-Key": key} if key else {})
        return httpx.get(proxied.url + url, headers=headers, params=params)

    problem(get(path), 401)
    assert "admin scope" in problem(get(path, issued["read"]), 403)["detail"]
    listed = ok(get(path, issued["admin"], service=issued["service"]))
    assert {k["name"] for k in listed["data"]} == {"reader", "operator"}
    assert all("key_hash" not in k for k in listed["data"])
    wait_until(
        lambda: (
            refusals(sql, "api.unauthorized", client) == 1
            and refusals(sql, "api.forbidden", client) == 1
        ),
        30,
        "the 401 and the 403 in the audit trail",
    )
    forbidden = audits(sql, "api.forbidden", client)
    assert forbidden[-1][0] == "key:" + issued["read"].split("_")[1]
    trail = ok(get("/api/v1/admin/audit-events", issued["admin"], action="api.forbidden"))
    assert trail["data"][0]["path"] == path and trail["data"][0]["client_ip"] == client
    purged = httpx.post(
        proxied.url + "/api/v1/admin/cache/purge", headers={"X-API-Key": issued["admin"]}
    )
    assert ok(purged)["backend"] == "redis"


def test_bad_keys_count_against_their_address_before_any_lookup(
    api_database: URL, redis: RedisServer, sql: psycopg.Connection[Any]
) -> None:
    """Guessing keys from one address is limited like anonymous requests: the limiter runs
    before the key is looked up, and the flood leaves one audit row per minute."""
    settings = api_settings(
        api_database,
        redis,
        trusted_proxies=["127.0.0.1"],
        audit_flush_seconds=0.1,
        api_rate_limit_anonymous_per_minute=5,
        redis_timeout_seconds=2.0,  # the order of checks is tested here, not a slow Redis
    )
    with serve(settings) as server:
        for _attempt in range(3):  # retried only if a minute boundary splits the burst
            client = new_client_address()
            started = time.time() // 60
            answers = [
                httpx.get(
                    server.url + "/api/v1/ping",
                    headers={"X-Forwarded-For": client, "X-API-Key": f"opk_{n:08x}_{'y' * 40}"},
                )
                for n in range(8)
            ]
            if time.time() // 60 == started:
                break
        statuses = [a.status_code for a in answers]
        assert statuses == [401] * 5 + [429] * 3, statuses
        assert "API keys that are not valid" in problem(answers[-1], 429)["detail"]
        # Another address is not affected, and a good key still works from this one.
        other = httpx.get(
            server.url + "/api/v1/ping",
            headers={
                "X-Forwarded-For": new_client_address(),
                "X-API-Key": "opk_00000000_" + "z" * 40,
            },
        )
        assert other.status_code == 401
    wait_until(lambda: refusals(sql, "api.unauthorized", client) == 5, 30, "the 401s written")
    assert len(audits(sql, "api.unauthorized", client)) <= 2  # per minute: a boundary may split


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
        api_database,
        redis,
        api_rate_limit_anonymous_per_minute=5,
        trusted_proxies=["127.0.0.1"],
        redis_timeout_seconds=2.0,  # sharing is tested here, not a slow Redis
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
