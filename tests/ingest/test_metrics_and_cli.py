"""Scraper metrics from the database, the `ingest`/`sources fetch` commands, `up`, migrations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from openpolicy import schema
from openpolicy.cli import app
from openpolicy.ingest.runner import run_source
from openpolicy.ingest.sample import load_sample
from openpolicy.ops import scraper_metrics as metrics
from openpolicy.ops.metrics import render_metrics
from tests.ingest.conftest import settings_for
from tests.ingest.edits import division_list
from tests.ingest.parliament import Parliament
from tests.support.services import free_port, wait_until

Query = Callable[..., list[tuple[Any, ...]]]


def sample_value(exposition: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in exposition.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    raise AssertionError(f"{name}{{{wanted}}} not in the exposition")


def test_metrics_come_from_the_database(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    load_sample(ingest_db, settings_for(ingest_db), sources=("members", "bill", "ballots"))
    # A divisions list contradicting the totals of 43-2 No. 69's ballots: a failed check.
    parliament.serve(
        "/Members/en/votes/XML?parlSession=43-2",
        division_list((43, 2, 69, 306, 25, 0, "2021-03-10")),
    )
    run_source(ingest_db, settings_for(ingest_db, parliament, ingest_sessions=["43-2"]), "votes")
    metrics.install()
    engine = create_engine(ingest_db)
    try:
        body, _ = render_metrics(engine)
    finally:
        engine.dispose()
    exposition = body.decode()
    assert sample_value(exposition, "scraper_runs_total", source="members", status="succeeded") == 1
    assert (
        sample_value(exposition, "scraper_records_total", source="members", outcome="inserted")
        == 680
    )
    [(success,)] = query(
        "SELECT extract(epoch FROM last_success_at) FROM data_sources WHERE name = 'members'"
    )
    assert sample_value(
        exposition, "scraper_last_success_timestamp", source="members"
    ) == pytest.approx(float(success))
    # The bills name divisions with their totals: they exist, nothing fails there.
    assert sample_value(exposition, "fidelity_check_failures", source="bill") == 0
    assert sample_value(exposition, "fidelity_check_failures", source="votes") == 1
    assert sample_value(exposition, "fidelity_check_failures", source="members") == 0


@pytest.fixture
def cli_env(ingest_db: URL, monkeypatch: pytest.MonkeyPatch) -> Iterator[URL]:
    from openpolicy.config import get_settings

    monkeypatch.setenv("DATABASE_URL", ingest_db.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield ingest_db
    get_settings.cache_clear()


def test_ingest_sample_and_status_commands(cli_env: URL) -> None:
    runner = CliRunner()
    loaded = runner.invoke(app, ["ingest", "sample"])
    assert loaded.exit_code == 0, loaded.output
    assert "ballots: succeeded" in loaded.output
    assert "fidelity" not in loaded.output  # the sample passes its own checks
    status = runner.invoke(app, ["ingest", "status", "--json"])
    assert status.exit_code == 0
    states = {s["source"]: s for s in orjson.loads(status.stdout)}
    assert states["ballots"]["status"] == "ok"
    assert states["ballots"]["counts"]["inserted"] == 330
    assert all(s["status"] == "ok" and s["fidelity_failed"] == 0 for s in states.values())
    # For people: one line per source within 80 columns, statuses whole; errors in full below.
    table = runner.invoke(app, ["ingest", "status"], env={"COLUMNS": "80"})
    rows = [line for line in table.stdout.splitlines() if ": last error: " not in line]
    assert all(len(line.rstrip()) <= 80 for line in rows), table.stdout
    assert any(line.split()[:2] == ["ballots", "ok"] for line in rows), table.stdout
    again = runner.invoke(app, ["ingest", "run", "all", "--sample"])
    assert again.exit_code == 0
    assert "members: succeeded  inserted 0, updated 0, unchanged 680, failed 0" in again.output


def test_ingest_run_reports_failures_with_exit_status_1(
    cli_env: URL, parliament: Parliament, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpolicy.config import get_settings

    monkeypatch.setenv("OPENPOLICY_OURCOMMONS_BASE_URL", parliament.url)
    monkeypatch.setenv("OPENPOLICY_INGEST_PARLIAMENTS", "44")
    monkeypatch.setenv("OPENPOLICY_HTTP_REQUESTS_PER_SECOND", "1000")
    get_settings.cache_clear()
    parliament.serve_fixture("/Members/en/search/XML", "ourcommons/members-current-45.xml")
    result = CliRunner().invoke(app, ["ingest", "run", "members"])
    assert result.exit_code == 1
    assert "members: partial  inserted 343" in result.output
    assert f"{parliament.url}/Members/en/search/XML?parliament=44: HTTP 404" in result.output
    unknown = CliRunner().invoke(app, ["ingest", "run", "senate"])
    assert unknown.exit_code == 2 and "unknown source senate" in unknown.output


def test_sources_fetch_prints_size_and_hash(
    parliament: Parliament, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpolicy.config import get_settings

    monkeypatch.setenv("OPENPOLICY_OURCOMMONS_BASE_URL", parliament.url)
    get_settings.cache_clear()
    parliament.serve_fixture("/Members/en/votes/43/2/69/XML", "ourcommons/vote-43-2-69.xml")
    try:
        result = CliRunner().invoke(
            app, ["sources", "fetch", "ballots", "--session", "43-2", "--number", "69"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "size          252767 bytes" in result.output
    assert re.search(r"sha256        25ab94337fce065d[0-9a-f]{48}", result.output)
    assert (
        "OpenPolicy/" in parliament.seen("/Members/en/votes/43/2/69/XML")[0].headers["User-Agent"]
    )


def test_up_loads_the_sample_into_an_empty_database(
    ingest_db: URL, query: Query, tmp_path: Path
) -> None:
    port = free_port()
    log = (tmp_path / "up.log").open("w")
    env = {
        **os.environ,
        "DATABASE_URL": ingest_db.render_as_string(hide_password=False),
        "OPENPOLICY_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "openpolicy.cli", "up", "--no-worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def answering() -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1, trust_env=False)
            return response.status_code < 600
        except httpx.HTTPError:
            return False

    try:
        wait_until(answering, 60, "openpolicy up to serve")
    except AssertionError:
        log.flush()
        raise AssertionError((tmp_path / "up.log").read_text()[-3000:]) from None
    finally:
        server.terminate()
        server.wait(20)
        log.close()
    assert query("SELECT count(*) FROM ballots") == [(330,)]
    assert query("SELECT count(*) FROM debates") == [(4,)]
    assert query("SELECT count(*) FROM procrastinate_jobs") == [(0,)]  # --no-worker


def test_migration_0002_goes_down_and_up(ingest_db: URL) -> None:
    engine = create_engine(ingest_db)
    try:
        schema.downgrade(engine, "0001")
        with engine.connect() as conn:
            leftovers = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM pg_tables WHERE tablename LIKE 'procrastinate%'),"
                    " (SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'),"
                    " (SELECT count(*) FROM information_schema.columns"
                    "  WHERE column_name IN ('imported_at', 'totals_derived', 'inferred'))"
                )
            ).one()
        assert tuple(leftovers) == (0, 0, 0)
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()
