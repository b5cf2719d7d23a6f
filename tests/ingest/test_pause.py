"""`openpolicy ingest pause | resume`: a maintenance window every worker honours."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

from openpolicy.ingest.jobs import build_app, defer_run, run_worker_async
from openpolicy.ingest.plans import SOURCE_ORDER
from openpolicy.ingest.runner import run_source
from tests.ingest.conftest import settings_for
from tests.ingest.parliament import Fault, Parliament
from tests.support.services import wait_until

Query = Callable[..., list[tuple[Any, ...]]]
MEMBERS = "/Members/en/search/XML"
NEVER = "0 0 1 1 *"
OPENPOLICY = Path(sys.executable).parent / "openpolicy"


@pytest.fixture
def cli(ingest_db: URL, parliament: Parliament) -> Iterator[Callable[..., Any]]:
    """`openpolicy …` as a process against the test's database and the loopback server."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPENPOLICY_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env |= {
        "DATABASE_URL": ingest_db.render_as_string(hide_password=False),
        "OPENPOLICY_OURCOMMONS_BASE_URL": parliament.url,
        "OPENPOLICY_INGEST_PARLIAMENTS": "",
        "OPENPOLICY_HTTP_REQUESTS_PER_SECOND": "1000",
        "COLUMNS": "200",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(OPENPOLICY), *args], env=env, capture_output=True, text=True, timeout=120
        )

    yield run


def run_queue(ingest_db: URL, parliament: Parliament) -> None:
    """Defer a run of members and let a real worker empty the queue."""
    settings = settings_for(
        ingest_db,
        parliament,
        ingest_parliaments=[],
        **{f"ingest_schedule_{source}": NEVER for source in SOURCE_ORDER},
    )
    app = build_app(settings, ingest_db)
    with app.open():
        defer_run(app, "members")
    asyncio.run(run_worker_async(settings, ingest_db, install_signal_handlers=False, wait=False))


def test_a_pause_stops_every_run_until_resumed(
    ingest_db: URL, parliament: Parliament, query: Query, cli: Callable[..., Any]
) -> None:
    parliament.serve_fixture(MEMBERS, "ourcommons/members-current-45.xml")
    paused = cli("ingest", "pause", "--reason", "database upgrade", "--until", "2h")
    assert paused.returncode == 0, paused.stderr
    assert "ingestion of every source paused since" in paused.stdout
    assert "(database upgrade)" in paused.stdout and "no run is going" in paused.stdout

    status = json.loads(cli("ingest", "status", "--format", "json").stdout)
    assert all(s["paused"]["source"] == "all" for s in status)
    assert "database upgrade" in cli("ingest", "status").stderr

    refused = cli("ingest", "run", "members")
    assert refused.returncode == 75
    assert "paused since" in refused.stderr and "openpolicy ingest resume" in refused.stderr

    run_queue(ingest_db, parliament)  # the worker takes the job and does not run it
    assert query("SELECT count(*) FROM ingest_runs") == [(0,)]
    assert parliament.seen(MEMBERS) == []

    resumed = cli("ingest", "resume")
    assert resumed.returncode == 0 and "lifted 1 pause(s)" in resumed.stdout
    run_queue(ingest_db, parliament)
    assert query("SELECT status FROM ingest_runs") == [("succeeded",)]


def test_one_source_paused_and_the_every_source_pause_wins(
    ingest_db: URL, parliament: Parliament, cli: Callable[..., Any]
) -> None:
    assert cli("ingest", "pause", "hansard").returncode == 0
    assert cli("ingest", "pause").returncode == 0
    resumed = cli("ingest", "resume", "hansard")
    assert resumed.returncode == 0
    assert "still in effect: ingestion of every source paused" in resumed.stderr
    assert cli("ingest", "run", "bills").returncode == 75
    assert cli("ingest", "pause", "senate").returncode == 2


def test_pause_wait_returns_once_the_running_run_ended(
    ingest_db: URL, parliament: Parliament, query: Query, cli: Callable[..., Any]
) -> None:
    parliament.serve_fixture(MEMBERS, "ourcommons/members-current-45.xml")
    held = threading.Event()
    parliament.script(MEMBERS, Fault(200, hold=held, hold_seconds=30))
    settings = settings_for(ingest_db, parliament, ingest_parliaments=[])
    running = threading.Thread(target=run_source, args=(ingest_db, settings, "members"))
    running.start()
    try:
        wait_until(lambda: len(parliament.seen(MEMBERS)) == 1, 30, "the run to fetch")
        paused = cli("ingest", "pause", "members")
        assert "still running (it finishes): members" in paused.stdout
        held.set()
        waited = cli("ingest", "pause", "members", "--wait")
        assert waited.returncode == 0 and "no run is going" in waited.stdout
        assert query("SELECT status FROM ingest_runs") == [("succeeded",)]
    finally:
        held.set()
        running.join(60)
