"""Restore: into a new database, checked, then switched in; the old one is kept aside."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import text
from typer.testing import Result

from openpolicy import embedded
from openpolicy.ops import backups
from openpolicy.ops.pg import database_exists
from openpolicy.ops.restore import RestoreError, restore_backup
from tests.ops.conftest import OpsEnv, drop_databases_like, load_small_dataset


def test_restore_switches_in_a_checked_copy(ops_env: OpsEnv, cli: Callable[..., Result]) -> None:
    load_small_dataset(ops_env.engine)
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    ops_env.sql("DELETE FROM ballots")  # the damage the restore repairs
    ops_env.sql("INSERT INTO parties (short_name_en) VALUES ('After the backup')")
    result = cli("backup", "restore", info.path.name, "--yes", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["switched"] is True and report["integrity"]["passed"] is True
    assert set(report["steps_seconds"]) == {"verify", "restore", "integrity_check", "switch"}
    assert ops_env.sql("SELECT count(*) FROM ballots")[0][0] == 3
    assert ops_env.sql("SELECT count(*) FROM parties WHERE short_name_en = 'After the backup'") == [
        (0,)
    ]
    aside = report["old_database"]
    assert aside.startswith(f"{ops_env.database}_corrupt_")
    old = ops_env.target.with_database(aside)
    from openpolicy.ops.pg import connect

    with connect(old) as conn:
        assert conn.execute("SELECT count(*) FROM ballots").fetchone() == (0,)


def test_restore_asks_first_and_touches_nothing_when_refused(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    load_small_dataset(ops_env.engine)
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    ops_env.sql("DELETE FROM ballots")
    refused = cli("backup", "restore", "latest", input="n\n")
    assert refused.exit_code != 0
    assert "Replace database" in refused.output
    assert isinstance(refused.exception, RestoreError)
    assert "nothing was switched" in str(refused.exception)
    assert ops_env.sql("SELECT count(*) FROM ballots") == [(0,)]
    # The restored copy stays for inspection, named in the message.
    scratch = str(refused.exception).split("database ")[-1].strip("'")
    assert database_exists(ops_env.target, scratch)
    assert info.path.exists()


def test_a_copy_failing_the_integrity_check_is_never_switched_in(ops_env: OpsEnv) -> None:
    load_small_dataset(ops_env.engine)
    ops_env.sql("UPDATE votes SET yeas = 99")  # already wrong when backed up
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    ops_env.sql("INSERT INTO parties (short_name_en) VALUES ('still live')")
    with pytest.raises(RestoreError, match="fails the integrity check; the live database was not"):
        restore_backup(info.path, ops_env.target, confirm=lambda question: True)
    assert ops_env.sql("SELECT count(*) FROM parties WHERE short_name_en = 'still live'") == [(1,)]


def test_target_url_restores_elsewhere(
    ops_env: OpsEnv, pg_cluster: embedded.EmbeddedCluster, cli: Callable[..., Result]
) -> None:
    load_small_dataset(ops_env.engine)
    backups.create_backup(ops_env.target, ops_env.backup_dir)
    elsewhere = f"{ops_env.database}_standby"
    url = pg_cluster.url(elsewhere).render_as_string(hide_password=False)
    try:
        result = cli("backup", "restore", "latest", "--yes", "--target-url", url)
        assert result.exit_code == 0, result.output
        assert "restored" in result.output and " s (verify" in result.output
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ballots")).scalar() == 3
        engine.dispose()
    finally:
        drop_databases_like(pg_cluster, elsewhere)
