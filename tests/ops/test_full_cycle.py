"""The whole runbook on real PostgreSQL: ingest the sample → backup → verify → upload →
corrupt the live database → restore → integrity check passes → smoke tests pass."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from typer.testing import Result

from openpolicy.app import create_app
from openpolicy.config import Settings
from openpolicy.ops import integrity
from tests.ops.conftest import OpsEnv, S3Server, load_small_dataset, run_script
from tests.support.services import LiveServer


def _load(ops_env: OpsEnv, dataset: str) -> None:
    if dataset == "sql":
        load_small_dataset(ops_env.engine)
        return
    from openpolicy.ingest.sample import load_sample

    reports = load_sample(ops_env.url, ops_env.settings())
    assert all(r.status != "failed" for r in reports), [(r.source, r.errors) for r in reports]
    before = integrity.check_database(ops_env.target)
    assert before.passed, (
        "the freshly ingested sample fails the integrity check before any corruption "
        "(an ingest issue):\n" + before.render_text()
    )


@pytest.mark.parametrize("dataset", ["sample", "sql"])
def test_backup_corrupt_restore_serve(
    ops_env: OpsEnv, s3_server: S3Server, cli: Callable[..., Result], dataset: str
) -> None:
    s3_server.configure(ops_env, f"cycle-{uuid.uuid4().hex[:8]}")
    _load(ops_env, dataset)
    counts = ops_env.sql(
        "SELECT (SELECT count(*) FROM ballots), (SELECT count(*) FROM speeches),"
        " (SELECT count(*) FROM elected_members)"
    )[0]
    assert all(counts)

    created = cli("backup", "create", "--json")
    assert created.exit_code == 0, created.output
    name = json.loads(created.stdout)["name"]
    assert cli("backup", "verify", name).exit_code == 0
    uploaded = json.loads(cli("backup", "upload", "--json").stdout)["upload"]
    assert f"{name}.json" in uploaded["uploaded"][-1]

    # Corruption: totals no longer match their ballots, a sitting loses its speeches.
    ops_env.sql("UPDATE votes SET yeas = yeas + 5 WHERE id IN (SELECT vote_id FROM ballots)")
    ops_env.sql("DELETE FROM speeches WHERE debate_id = (SELECT min(id) FROM debates)")
    detected = cli("db", "integrity-check")
    assert detected.exit_code == 1 and "ballots_do_not_match_totals" in detected.output

    # The local copy is lost too: restore fetches it from the bucket.
    for path in ops_env.backup_dir.glob(f"{name}*"):
        path.unlink()
    restored = run_script("restore-from-backup.sh", name, "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Data integrity of" in restored.stdout and "PASSED" in restored.stdout
    after = ops_env.sql(
        "SELECT (SELECT count(*) FROM ballots), (SELECT count(*) FROM speeches),"
        " (SELECT count(*) FROM elected_members)"
    )[0]
    assert after == counts
    assert integrity.check_database(ops_env.target).passed

    engine = create_engine(ops_env.url, poolclass=NullPool)
    app = create_app(Settings(database_url=ops_env.url_string), engine=engine)
    with LiveServer(app) as server:
        smoke = run_script("smoke-tests.sh", server.url)
        health = run_script("health-check.sh", server.url)
    engine.dispose()
    assert health.returncode == 0, health.stdout
    assert smoke.returncode == 0, smoke.stdout
    assert "0 failing" in smoke.stdout
