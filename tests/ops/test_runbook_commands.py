"""The runbook's steps that had no command: psql and the URL of the database, the cache's
state, what `db upgrade --sql` would run, and a duplicate incident caught before it opens."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from collections.abc import Callable

from redis import Redis
from typer.testing import Result

from openpolicy import schema
from tests.ops.conftest import OPENPOLICY, OpsEnv, load_small_dataset, run_openpolicy
from tests.support.services import RedisServer


def test_db_psql_runs_the_wheels_psql_on_the_database(ops_env: OpsEnv) -> None:
    load_small_dataset(ops_env.engine)
    result = run_openpolicy("db", "psql", "-tA", "-c", "SELECT count(*) FROM ballots")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"
    script = run_openpolicy("db", "psql", "-v", "ON_ERROR_STOP=1", "-c", "SELECT nothing_here")
    assert script.returncode == 1  # psql's 3: a failed script is a failed operation
    assert 'column "nothing_here" does not exist' in script.stderr


def test_db_url_is_what_psql_and_pg_dump_take(ops_env: OpsEnv) -> None:
    shown = run_openpolicy("db", "url")
    assert shown.returncode == 0, shown.stderr
    url = shown.stdout.strip()
    assert url.startswith("postgresql://") and f"/{ops_env.database}?" in url
    from openpolicy.ops.pg import tool_path

    psql = subprocess.run(
        [str(tool_path("psql")), url, "-tA", "-c", "SELECT current_database()"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.strip() == ops_env.database


def test_db_url_masks_a_password_unless_revealed(ops_env: OpsEnv) -> None:
    env = ops_env.env() | {"DATABASE_URL": "postgresql://op:s3cret@db.internal:6432/openpolicy"}
    masked = run_openpolicy("db", "url", env=env)
    assert masked.stdout.strip() == "postgresql://op:***@db.internal:6432/openpolicy"
    revealed = run_openpolicy("db", "url", "--reveal", env=env)
    assert revealed.stdout.strip() == "postgresql://op:s3cret@db.internal:6432/openpolicy"


def test_upgrade_sql_prints_what_would_run(ops_env: OpsEnv) -> None:
    at_head = run_openpolicy("db", "upgrade", "--sql")
    assert at_head.returncode == 0, at_head.stderr
    head = schema.head_revision()
    assert at_head.stdout.strip() == f"-- the database is at {head}: nothing to run"
    previous = run_openpolicy("db", "upgrade", "--sql", "--from", "0005")
    assert previous.returncode == 0, previous.stderr
    assert "CREATE TABLE ingest_pauses" in previous.stdout
    assert "CREATE TABLE bills" not in previous.stdout  # only what 0005 → head would run
    whole = run_openpolicy("db", "upgrade", "--sql", "--from", "base")
    assert "CREATE TABLE bills" in whole.stdout and "CREATE TABLE ingest_pauses" in whole.stdout


def test_cache_status_pings_counts_and_measures(ops_env: OpsEnv, redis: RedisServer) -> None:
    client = Redis.from_url(redis.url)
    client.flushdb()
    client.set("openpolicy:api:bills:1", b"x")
    client.set("openpolicy:api:bills:2", b"y")
    client.set("openpolicy:ratelimit:127.0.0.1", b"3")
    client.set("someone-else:key", b"z")
    client.get("openpolicy:api:bills:1")
    client.get("openpolicy:api:missing")
    env = ops_env.env() | {"REDIS_URL": redis.url}
    result = run_openpolicy("cache", "status", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["configured"] is True and values["server"] == f"127.0.0.1:{redis.port}/0"
    assert values["keys"] == 3 and values["keys_by_kind"] == {"api": 2, "ratelimit": 1}
    assert values["keys_in_database"] == 4
    assert values["hits"] >= 1 and values["misses"] >= 1 and 0 < values["hit_ratio"] < 1
    assert values["ping_ms"] >= 0 and values["used_memory_bytes"] > 0
    text = run_openpolicy("cache", "status", env=env)
    assert "our keys" in text.stdout and "api 2, ratelimit 1" in text.stdout
    assert "hit ratio" in text.stdout
    client.close()


def test_cache_status_without_redis_says_so(ops_env: OpsEnv) -> None:
    result = run_openpolicy("cache", "status")
    assert result.returncode == 0
    assert "no REDIS_URL: each process caches in memory" in result.stdout


def test_an_incident_like_an_open_one_warns_and_asks_on_a_terminal(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    first = cli("incident", "open", "--severity", "SEV2", "--impact", "Search is down")
    assert first.exit_code == 0, first.output
    again = run_openpolicy(
        "incident", "open", "--severity", "SEV2", "--impact", "search is  DOWN", "--services", "x"
    )  # not a terminal: a warning, and it opens
    assert again.returncode == 0, again.stderr
    assert "warning: incident #1 (SEV2, Investigating: Search is down) is open" in again.stderr
    assert "openpolicy incident update 1" in again.stderr
    # On a terminal it asks first; answering no opens nothing and exits 1.
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(OPENPOLICY), "incident", "open", "--severity", "SEV3", "--impact", "Search is down"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=ops_env.env() | {"COLUMNS": "250"},
    )
    os.close(follower)
    seen = b""
    while b"Open a new incident anyway?" not in seen:
        chunk = os.read(leader, 4096)
        assert chunk, seen
        seen += chunk
    os.write(leader, b"n\n")
    assert process.wait(timeout=60) == 1
    os.close(leader)
    assert ops_env.sql("SELECT count(*) FROM incidents") == [(2,)]
    forced = run_openpolicy(
        "incident", "open", "--severity", "SEV3", "--impact", "Search is down", "--yes"
    )
    assert forced.returncode == 0 and "looks the same" in forced.stderr
    other = run_openpolicy("incident", "open", "--severity", "SEV4", "--impact", "Typo on /fr")
    assert other.returncode == 0 and "looks the same" not in other.stderr


def test_db_status_of_a_server_says_it_answers(ops_env: OpsEnv) -> None:
    result = run_openpolicy("db", "status", "--format", "json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["mode"] == "external" and values["reachable"] is True
    assert values["server_version"].startswith("18")
