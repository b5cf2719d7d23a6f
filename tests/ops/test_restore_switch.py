"""The switch of a restore is one transaction: killed at any point, the live database is
still there, under its name, with its data; and what an older version's two-step switch
could leave behind (no live database, the old one aside) is recovered, never replaced by an
empty database."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql
from typer.testing import Result

from openpolicy import embedded
from openpolicy.errors import NotFoundError
from openpolicy.ops import backups
from openpolicy.ops.pg import PgTarget, connect, database_exists
from openpolicy.ops.restore import RestoreError, switch_databases
from tests.ops.conftest import OpsEnv, load_small_dataset, new_database
from tests.support.services import wait_until

BLOCKED = (
    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND query LIKE '%%ALTER DATABASE %%RENAME TO%%' AND application_name = %s"
)
CHILD = "openpolicy-switch-under-test"


def _admin(target: PgTarget) -> psycopg.Connection[Any]:
    return psycopg.connect(autocommit=True, **target.with_database("postgres").connect_kwargs())


def _switching(target: PgTarget, replacement: str, aside: str) -> subprocess.Popen[str]:
    """`switch_databases` in a process of its own, which the test can kill."""
    code = (
        "import sys\n"
        "from openpolicy.ops.pg import PgTarget\n"
        "from openpolicy.ops.restore import RestoreError, switch_databases\n"
        "switch_databases(PgTarget.from_url(sys.argv[1]), sys.argv[2], sys.argv[3],"
        " lock_timeout=600)\n"  # it waits on the test's lock until the test kills it
    )
    url = target.sqlalchemy_url().render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-c", code, url, replacement, aside],
        env={**os.environ, "PGAPPNAME": CHILD},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def replacement(ops_env: OpsEnv, pg_cluster: embedded.EmbeddedCluster, ops_template: str) -> str:
    """A migrated database with no data: what would be switched in (dropped with ops_env's)."""
    name = f"{ops_env.database}_restore_test"
    new_database(pg_cluster, ops_template, name)
    return name


@pytest.mark.parametrize("fault", ["client-killed", "connection-dropped"])
def test_a_switch_killed_between_its_two_renames_leaves_the_live_database_in_place(
    ops_env: OpsEnv, replacement: str, fault: str
) -> None:
    """SIGKILL of the switching process while it waits on its second rename; with
    `connection-dropped` its server process is ended too (a network cut, a server restart),
    so nothing can finish what it began."""
    load_small_dataset(ops_env.engine)
    live = ops_env.target
    aside = f"{ops_env.database}_corrupt_test"
    with _admin(live) as admin:
        (live_oid,) = admin.execute(
            "SELECT oid FROM pg_database WHERE datname = %s", (live.database,)
        ).fetchone() or (None,)
        # Another session holds a lock on the replacement database: the rename of the
        # replacement (the second of the two) waits for it, so the switch stops right there.
        holder = psycopg.connect(**live.with_database("postgres").connect_kwargs())
        try:
            holder.execute(
                sql.SQL("COMMENT ON DATABASE {} IS 'held by the test'").format(
                    sql.Identifier(replacement)
                )
            )
            process = _switching(live, replacement, aside)
            blocked: list[int] = []

            def waiting_on_the_second_rename() -> bool:
                blocked[:] = [row[0] for row in admin.execute(BLOCKED, (CHILD,)).fetchall()]
                return bool(blocked) or process.poll() is not None

            wait_until(waiting_on_the_second_rename, 60, "the switch to wait on the lock")
            assert process.poll() is None, process.communicate()[0]
            (backend,) = blocked
            # Stopped past the first rename: its transaction holds the live database's lock.
            held = admin.execute(
                "SELECT mode FROM pg_locks WHERE pid = %s AND granted AND locktype = 'object'"
                " AND classid = 'pg_database'::regclass AND objid = %s",
                (backend, live_oid),
            ).fetchall()
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            if fault == "connection-dropped":
                admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        finally:
            holder.rollback()
            holder.close()
        wait_until(
            lambda: (
                admin.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)
                ).fetchone()
                is None
            ),
            60,
            "the killed switch's server process to end",
        )
        names = {
            row[0]
            for row in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (ops_env.database + "%",),
            ).fetchall()
        }
        allowed = admin.execute(
            "SELECT datallowconn FROM pg_database WHERE datname = %s", (live.database,)
        ).fetchone()
    assert names == {live.database, replacement}, names
    assert ("AccessExclusiveLock",) in held
    assert allowed == (True,)
    with connect(live) as conn:  # the old data, served as before
        assert conn.execute("SELECT count(*) FROM ballots").fetchone() == (3,)


def test_a_switch_ends_every_session_of_both_databases_and_swaps_them(
    ops_env: OpsEnv, replacement: str
) -> None:
    load_small_dataset(ops_env.engine)
    live = ops_env.target
    aside = f"{ops_env.database}_corrupt_test"
    application = psycopg.connect(autocommit=True, **live.connect_kwargs())
    idle_reader = psycopg.connect(
        autocommit=True, **live.with_database(replacement).connect_kwargs()
    )
    try:
        switch_databases(live, replacement, aside)
        for session in (application, idle_reader):
            with pytest.raises(psycopg.OperationalError):
                session.execute("SELECT 1")
    finally:
        application.close()
        idle_reader.close()
    with connect(live) as conn:
        assert conn.execute("SELECT count(*) FROM ballots").fetchone() == (0,)
    with connect(live.with_database(aside)) as conn:  # the old one accepts connections
        assert conn.execute("SELECT count(*) FROM ballots").fetchone() == (3,)
    assert not database_exists(live, replacement)


def test_a_switch_that_cannot_get_its_lock_switches_nothing(
    ops_env: OpsEnv, replacement: str
) -> None:
    """Another session's lock on the restored database outlasts the switch's lock wait: the
    switch gives up with a clear error, and the live database was never gone."""
    load_small_dataset(ops_env.engine)
    live = ops_env.target
    holder = psycopg.connect(**live.with_database("postgres").connect_kwargs())
    try:
        holder.execute(
            sql.SQL("COMMENT ON DATABASE {} IS 'held by the test'").format(
                sql.Identifier(replacement)
            )
        )
        with pytest.raises(
            RestoreError, match=r"holds a lock on one of them.*nothing was switched"
        ):
            switch_databases(
                live, replacement, f"{ops_env.database}_corrupt_test", lock_timeout=0.2
            )
    finally:
        holder.rollback()
        holder.close()
    assert _databases(ops_env) == {live.database, replacement}
    assert ops_env.sql("SELECT count(*) FROM ballots") == [(3,)]


# --- what an earlier version's two-step switch could leave behind --------------------------

OLDER = "20250101t000000z"  # an earlier restore's aside copy, kept by the operator
STOPPED = "20260101t000000z"  # the restore whose switch was stopped between its renames


def _left_by_a_two_step_switch(ops_env: OpsEnv, pg_cluster: embedded.EmbeddedCluster) -> str:
    """The state the earlier switch left when killed between its renames: the live database
    renamed aside with connections refused, its checked restored copy beside it, and no
    live database. Returns the aside name."""
    live = ops_env.database
    aside = f"{live}_corrupt_{STOPPED}"
    new_database(pg_cluster, "ops_template", f"{live}_corrupt_{OLDER}")
    new_database(pg_cluster, "ops_template", f"{live}_restore_{STOPPED}")
    with _admin(ops_env.target) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(live))
        )
        admin.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(live), sql.Identifier(aside)
            )
        )
    return aside


def _databases(ops_env: OpsEnv) -> set[str]:
    with _admin(ops_env.target) as admin:
        rows = admin.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (ops_env.database,)
        ).fetchall()
    return {row[0] for row in rows}


def test_db_status_names_the_aside_copy_and_recover_switch_puts_it_back(
    ops_env: OpsEnv, pg_cluster: embedded.EmbeddedCluster, cli: Callable[..., Result]
) -> None:
    load_small_dataset(ops_env.engine)
    aside = _left_by_a_two_step_switch(ops_env, pg_cluster)

    status = cli("db", "status", "--json")
    assert status.exit_code == 4, status.output
    report = json.loads(status.stdout)
    assert report["reachable"] is False
    assert aside in report["interrupted_restore"]
    assert "openpolicy backup recover-switch" in report["interrupted_restore"]
    assert f"{ops_env.database}_restore_{STOPPED}" in report["interrupted_restore"]

    recovered = cli("backup", "recover-switch", "--format", "json")
    assert recovered.exit_code == 0, recovered.output
    assert json.loads(recovered.stdout) == {
        "recovered": True,
        "live": ops_env.database,
        "aside": aside,
        "restored_copy": f"{ops_env.database}_restore_{STOPPED}",
    }
    assert aside not in _databases(ops_env)
    assert ops_env.sql("SELECT count(*) FROM ballots") == [(3,)]  # connections allowed again
    assert cli("db", "status").exit_code == 0
    again = cli("backup", "recover-switch")
    assert again.exit_code == 0 and "nothing to recover" in again.output


def test_a_restore_first_puts_back_what_an_interrupted_switch_left(
    ops_env: OpsEnv, pg_cluster: embedded.EmbeddedCluster, cli: Callable[..., Result]
) -> None:
    load_small_dataset(ops_env.engine)
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    ops_env.sql("DELETE FROM ballots")  # the live data differs from the backup's
    aside = _left_by_a_two_step_switch(ops_env, pg_cluster)

    result = cli("backup", "restore", info.path.name, "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert f"was missing: a restore had renamed it to {aside!r}" in result.stderr
    report = json.loads(result.stdout)
    assert report["switched"] is True
    # The live data before this restore (no ballots) is what it put aside, not an empty or
    # an older copy; the restored data is live.
    with connect(ops_env.target.with_database(report["old_database"])) as conn:
        assert conn.execute("SELECT count(*) FROM ballots").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM votes").fetchone() != (0,)
    assert ops_env.sql("SELECT count(*) FROM ballots") == [(3,)]
    assert aside not in _databases(ops_env)


def test_the_embedded_cluster_puts_the_aside_copy_back_instead_of_creating_an_empty_one(
    ops_env: OpsEnv, pg_cluster: embedded.EmbeddedCluster, caplog: pytest.LogCaptureFixture
) -> None:
    load_small_dataset(ops_env.engine)
    aside = _left_by_a_two_step_switch(ops_env, pg_cluster)
    with caplog.at_level(logging.WARNING, logger="openpolicy.embedded"):
        pg_cluster.ensure_database(ops_env.database)
    assert f"{aside!r} is back as {ops_env.database!r}" in caplog.text
    assert aside not in _databases(ops_env)
    assert ops_env.sql("SELECT count(*) FROM ballots") == [(3,)]


def test_the_aside_copy_of_a_completed_restore_is_not_brought_back(
    ops_env: OpsEnv, pg_cluster: embedded.EmbeddedCluster, cli: Callable[..., Result]
) -> None:
    """The live database dropped on purpose, with only the aside copy of a restore that
    completed (its restored copy became the live one; it accepts connections): nothing to
    recover, and the embedded cluster creates the database afresh as it always did."""
    live = ops_env.database
    new_database(pg_cluster, "ops_template", f"{live}_corrupt_{OLDER}")
    ops_env.engine.dispose()
    with _admin(ops_env.target) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(live)))
    nothing = cli("backup", "recover-switch", "--format", "json")
    assert isinstance(nothing.exception, NotFoundError), nothing.output
    assert nothing.exception.exit_code == 3  # what the real entry point exits with
    assert "does not exist, and no restore left it renamed aside" in nothing.exception.detail
    assert "interrupted_restore" not in cli("db", "status", "--json").stdout
    pg_cluster.ensure_database(live)
    assert _databases(ops_env) == {live, f"{live}_corrupt_{OLDER}"}
    with connect(ops_env.target) as conn:  # empty: not the old copy
        assert conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'ballots'"
        ).fetchone() == (0,)
