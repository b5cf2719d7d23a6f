"""`openpolicy cache clear` deletes our keys and only ours (never FLUSHDB)."""

from __future__ import annotations

from collections.abc import Callable

from redis import Redis
from typer.testing import Result

from tests.ops.conftest import OpsEnv
from tests.support.services import RedisServer


def test_clear_deletes_only_openpolicy_keys(
    ops_env: OpsEnv, redis: RedisServer, cli: Callable[..., Result]
) -> None:
    client = Redis.from_url(redis.url)
    client.flushdb()
    for index in range(1200):  # more than one SCAN page and one UNLINK batch
        client.set(f"openpolicy:api:bills:{index}", "x")
    client.set("openpolicy:web:home", "x")
    client.set("other-app:session:1", "keep")
    client.set("openpolicy-not-ours", "keep")
    ops_env.setenv("REDIS_URL", redis.url)
    partial = cli("cache", "clear", "--prefix", "openpolicy:web:")
    assert partial.exit_code == 0 and "deleted 1 cache key(s)" in partial.output
    result = cli("cache", "clear")
    assert result.exit_code == 0, result.output
    assert "deleted 1200 cache key(s) under 'openpolicy:'" in result.output
    assert sorted(client.keys("*")) == [b"openpolicy-not-ours", b"other-app:session:1"]
    foreign = cli("cache", "clear", "--prefix", "other-app:")
    assert foreign.exit_code != 0 and "must start with 'openpolicy:'" in str(foreign.exception)
    assert client.get("other-app:session:1") == b"keep"
    client.close()


def test_without_redis_it_explains(ops_env: OpsEnv, cli: Callable[..., Result]) -> None:
    result = cli("cache", "clear")
    assert result.exit_code == 0 and "no REDIS_URL" in result.output
