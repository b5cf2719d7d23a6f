"""The procrastinate worker: schedules from settings, one run per source at a time across
replicas, and a run whose worker died is retried by another worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from openpolicy.ingest.jobs import (
    PRUNE_AUDIT_CRON,
    PRUNE_AUDIT_TASK,
    RUN_TASK,
    BackgroundWorker,
    build_app,
    defer_run,
    run_worker_async,
)
from openpolicy.ingest.plans import SOURCE_ORDER
from tests.ingest.conftest import settings_for
from tests.ingest.parliament import Fault, Parliament
from tests.support.services import wait_until

Query = Callable[..., list[tuple[Any, ...]]]
MEMBERS = "/Members/en/search/XML"
NEVER = "0 0 1 1 *"  # keep the periodic jobs out of the way of these tests


def worker_settings(database: URL, parliament: Parliament, **overrides: Any) -> Any:
    values: dict[str, Any] = {f"ingest_schedule_{source}": NEVER for source in SOURCE_ORDER}
    values.update(
        ingest_parliaments=[],
        worker_heartbeat_seconds=0.2,
        worker_concurrency=2,
    )
    values.update(overrides)
    return settings_for(database, parliament, **values)


def test_one_periodic_job_per_source_from_settings(ingest_db: URL) -> None:
    settings = settings_for(ingest_db, ingest_schedule_hansard="*/10 * * * *")
    app = build_app(settings, ingest_db)
    periodic = app.periodic_registry.periodic_tasks
    by_id = {periodic_id: task for (_, periodic_id), task in periodic.items()}
    assert set(by_id) == {
        *SOURCE_ORDER,
        "retry-stalled",
        "prune-audit-events",
        "alerts-tick",
        "alerts-digest",
    }
    assert by_id["prune-audit-events"].cron == PRUNE_AUDIT_CRON
    assert by_id["hansard"].cron == "*/10 * * * *"
    assert by_id["members"].cron == settings.ingest_schedule_members
    assert by_id["ballots"].configure_kwargs["lock"] == "ingest:ballots"
    assert by_id["ballots"].configure_kwargs["task_kwargs"] == {"source": "ballots"}


def test_the_audit_trail_is_pruned_by_its_job(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    query(
        "INSERT INTO audit_events (occurred_at, action, actor) VALUES"
        " (now() - interval '40 days', 'api.unauthorized', 'old'),"
        " (now() - interval '20 days', 'api.unauthorized', 'recent'),"
        " (now(), 'maintenance.on', 'today') RETURNING id"
    )
    settings = worker_settings(ingest_db, parliament, audit_retention_days=30)
    app = build_app(settings, ingest_db)
    with app.open():
        app.tasks[PRUNE_AUDIT_TASK].defer()
    asyncio.run(run_worker_async(settings, ingest_db, install_signal_handlers=False, wait=False))
    assert sorted(row[0] for row in query("SELECT actor FROM audit_events")) == ["recent", "today"]


def test_a_deferred_run_is_executed(ingest_db: URL, parliament: Parliament, query: Query) -> None:
    parliament.serve_fixture(MEMBERS, "ourcommons/members-current-45.xml")
    settings = worker_settings(ingest_db, parliament)
    app = build_app(settings, ingest_db)
    with app.open():
        assert defer_run(app, "members") is not None
        assert defer_run(app, "members") is None  # one waiting run per source is enough
    asyncio.run(run_worker_async(settings, ingest_db, install_signal_handlers=False, wait=False))
    assert query("SELECT status, inserted FROM ingest_runs") == [("succeeded", 343)]


def test_replicas_never_run_one_source_twice_at_once(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    parliament.serve_fixture(MEMBERS, "ourcommons/members-current-45.xml")
    held = threading.Event()
    parliament.script(MEMBERS, Fault(200, hold=held, hold_seconds=20))
    settings = worker_settings(ingest_db, parliament)
    app = build_app(settings, ingest_db)
    workers = [BackgroundWorker(settings, ingest_db).start() for _ in range(2)]
    try:
        with app.open():
            defer_run(app, "members")
            wait_until(lambda: len(parliament.seen(MEMBERS)) == 1, 30, "the first run to fetch")
            # The first run is running: a second one may be queued, not started.
            assert defer_run(app, "members") is not None
            assert query(
                "SELECT status FROM procrastinate_jobs WHERE task_name = %s ORDER BY id", RUN_TASK
            ) == [("doing",), ("todo",)]
        held.set()
        wait_until(
            lambda: (
                query("SELECT count(*) FROM ingest_runs WHERE finished_at IS NOT NULL") == [(2,)]
            ),
            30,
            "both runs to finish",
        )
    finally:
        held.set()
        for worker in workers:
            worker.stop()
    runs = query("SELECT status, started_at, finished_at FROM ingest_runs ORDER BY id")
    assert [r[0] for r in runs] == ["succeeded", "succeeded"]
    assert runs[1][1] >= runs[0][2]  # the second started after the first finished


def test_a_run_whose_worker_died_is_retried(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    parliament.serve_fixture(MEMBERS, "ourcommons/members-current-45.xml")
    held = threading.Event()
    parliament.script(MEMBERS, Fault(200, hold=held, hold_seconds=20))
    settings = worker_settings(ingest_db, parliament)
    app = build_app(settings, ingest_db)
    with app.open():
        defer_run(app, "members")
    env = {
        **os.environ,
        "DATABASE_URL": ingest_db.render_as_string(hide_password=False),
        "OPENPOLICY_OURCOMMONS_BASE_URL": parliament.url,
        "OPENPOLICY_INGEST_PARLIAMENTS": "",
        "OPENPOLICY_WORKER_HEARTBEAT_SECONDS": "0.2",
        "OPENPOLICY_HTTP_REQUESTS_PER_SECOND": "1000",
        **{f"OPENPOLICY_INGEST_SCHEDULE_{s.upper()}": NEVER for s in SOURCE_ORDER},
    }
    doomed = subprocess.Popen(
        [sys.executable, "-m", "openpolicy.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    survivor = None
    try:
        wait_until(lambda: len(parliament.seen(MEMBERS)) == 1, 30, "the doomed worker to fetch")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        held.set()
        assert query("SELECT status FROM ingest_runs") == [("running",)]
        wait_until(
            lambda: (
                query(
                    "SELECT count(*) FROM procrastinate_workers"
                    " WHERE last_heartbeat > now() - interval '0.6 seconds'"
                )
                == [(0,)]
            ),
            30,
            "the dead worker's heartbeat to go stale",
        )
        survivor = BackgroundWorker(settings, ingest_db).start()
        wait_until(
            lambda: ("succeeded",) in query("SELECT status FROM ingest_runs"),
            30,
            "the retried run to succeed",
        )
    finally:
        held.set()
        if doomed.poll() is None:
            doomed.kill()
        if survivor is not None:
            survivor.stop()
    assert query("SELECT status, error FROM ingest_runs ORDER BY id") == [
        ("failed", "interrupted: the process running it stopped"),
        ("succeeded", None),
    ]
    assert len(parliament.seen(MEMBERS)) == 2
