"""Database care and diagnostics: maintain, locks (a real blocked query), activity."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import Result

from openpolicy.ops import dbops
from tests.ops.conftest import OpsEnv, load_small_dataset
from tests.support.services import wait_until


def test_maintain_vacuums_and_reindexes(ops_env: OpsEnv, cli: Callable[..., Result]) -> None:
    load_small_dataset(ops_env.engine)
    result = cli("db", "maintain", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "ballots" in report["vacuum_analyze_seconds"]
    assert set(report["reindex_concurrently_seconds"]) <= set(dbops.LARGE_TABLES)
    assert "speeches" in report["reindex_concurrently_seconds"]
    assert report["invalid_indexes"] == []
    analyzed = ops_env.sql(
        "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'ballots'"
    )
    assert analyzed == [(True,)]
    unknown = cli("db", "maintain", "--table", "nope")
    assert unknown.exit_code != 0 and "no table nope" in str(unknown.exception)


def test_locks_shows_the_blocked_and_the_blocker(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    load_small_dataset(ops_env.engine)
    assert "no query is waiting" in cli("db", "locks").output
    blocker = ops_env.engine.connect()
    blocker.execute(text("UPDATE votes SET subject_en = 'held' WHERE id = 1"))
    done = threading.Event()

    def blocked_update() -> None:
        with ops_env.engine.begin() as conn:
            conn.execute(text("UPDATE votes SET subject_en = 'waiting' WHERE id = 1"))
        done.set()

    worker = threading.Thread(target=blocked_update, daemon=True)
    worker.start()
    try:
        wait_until(lambda: bool(dbops.locks(ops_env.target)), 30, "a blocked query")
        result = cli("db", "locks", "--format", "json")
        rows = json.loads(result.stdout)
        assert rows[0]["blocked_query"].startswith("UPDATE votes SET subject_en = 'waiting'")
        assert rows[0]["blocking_state"] == "idle in transaction"
        assert "held" in rows[0]["blocking_query"]
        activity = json.loads(cli("db", "activity", "--format", "json").stdout)
        states = {row["state"] for row in activity}
        assert "active" in states and "idle in transaction" in states
    finally:
        blocker.rollback()
        blocker.close()
    assert done.wait(10)


def test_activity_shows_idle_connections_and_other_databases_when_asked(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    """The security step `db activity --all --idle`: who is connected, to what, from where."""
    elsewhere = create_engine(ops_env.engine.url.set(database="postgres"), poolclass=NullPool)
    with ops_env.engine.connect() as here, elsewhere.connect() as there:
        idle_here = here.execute(text("SELECT pg_backend_pid()")).scalar_one()
        here.commit()  # idle, in this database
        idle_there = there.execute(text("SELECT pg_backend_pid()")).scalar_one()
        there.commit()  # idle, in another database
        default = {row["pid"] for row in json.loads(cli("db", "activity", "--json").stdout)}
        idle = json.loads(cli("db", "activity", "--idle", "--json").stdout)
        everyone = json.loads(cli("db", "activity", "--all", "--idle", "--json").stdout)
    assert idle_here not in default and idle_there not in default
    assert idle_here in {row["pid"] for row in idle} and idle_there not in {r["pid"] for r in idle}
    by_pid = {row["pid"]: row for row in everyone}
    assert (
        by_pid[idle_here]["state"] == "idle" and by_pid[idle_here]["database"] == ops_env.database
    )
    assert by_pid[idle_there]["database"] == "postgres"
    elsewhere.dispose()
