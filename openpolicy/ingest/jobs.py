"""The scheduler and worker: procrastinate jobs in the same PostgreSQL database.

* One periodic job per source, on the cron schedule from settings. Every replica runs the
  scheduler; procrastinate defers each tick once (`procrastinate_periodic_defers`).
* The same source never runs twice at once: jobs carry the lock `ingest:{source}` (jobs
  with one lock run one after another), a queueing lock keeps at most one waiting, and the
  runner itself holds a PostgreSQL advisory lock (which also covers `openpolicy ingest run`).
* A crashed run is retried: a run that raises is retried with exponential backoff up to
  `ingest_job_attempts`; a worker that dies mid-run stops its heartbeat, and a live worker
  puts its job back in the queue (at start-up and every minute).
* A paused source (`openpolicy ingest pause`, openpolicy.ingest.pause) is not run: the job
  ends as "paused" before fetching anything, on every worker.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from typing import Any

import procrastinate
from procrastinate import PsycopgConnector, RetryStrategy
from sqlalchemy.engine import URL

from openpolicy.alerts.queue import QUEUE as ALERTS_QUEUE
from openpolicy.config import Settings
from openpolicy.db import conninfo
from openpolicy.ingest.pause import holding
from openpolicy.ingest.plans import SOURCE_ORDER
from openpolicy.ingest.runner import run_source

log = logging.getLogger("openpolicy.ingest.jobs")

QUEUE = "ingest"
RUN_TASK = "openpolicy.ingest.run_source"
STALLED_TASK = "openpolicy.ingest.retry_stalled_jobs"
PRUNE_AUDIT_TASK = "openpolicy.ops.prune_audit_events"
PRUNE_AUDIT_CRON = "17 3 * * *"  # daily, at a quiet hour


class RunFailedError(Exception):
    """Every document of a run failed (network down, site changed): worth a retry later."""


def lock_name(source: str) -> str:
    return f"ingest:{source}"


def stalled_after(settings: Settings) -> float:
    """Seconds without a heartbeat after which a worker counts as dead."""
    return settings.worker_heartbeat_seconds * 3


def build_app(settings: Settings, database: URL) -> procrastinate.App:
    """The procrastinate app: tasks, periodic schedules, and the connector to `database`."""
    app = procrastinate.App(connector=PsycopgConnector(conninfo=conninfo(database)))

    @app.task(
        name=RUN_TASK,
        queue=QUEUE,
        # max_attempts counts retries: N attempts in all are N - 1 retries.
        retry=RetryStrategy(max_attempts=settings.ingest_job_attempts - 1, exponential_wait=2)
        if settings.ingest_job_attempts > 1
        else False,
    )
    def run_source_job(timestamp: int = 0, source: str = "") -> dict[str, Any]:
        """One run of `source` (`timestamp`: the schedule tick, for periodic jobs)."""
        held = holding(database, source)
        if held is not None:  # a maintenance window: the job ends, not retried, nothing fetched
            log.info("job %s: not run, %s", source, held.describe())
            return {"status": "paused", **held.as_dict()}
        report = run_source(database, settings, source)
        log.info("job %s: %s %s", source, report.status, report.counts.as_dict())
        if report.status == "failed":
            raise RunFailedError(f"{source}: {'; '.join(report.errors[:3])}")
        return {"status": report.status, **report.counts.as_dict()}

    for source in SOURCE_ORDER:
        app.periodic(
            cron=str(getattr(settings, f"ingest_schedule_{source}")),
            periodic_id=source,
            lock=lock_name(source),
            queueing_lock=lock_name(source),
            task_kwargs={"source": source},
        )(run_source_job)

    @app.periodic(cron="* * * * *", periodic_id="retry-stalled")
    @app.task(name=STALLED_TASK, queue=QUEUE, queueing_lock=STALLED_TASK)
    async def retry_stalled_jobs(timestamp: int) -> int:
        return await requeue_stalled(app, settings)

    @app.periodic(cron=PRUNE_AUDIT_CRON, periodic_id="prune-audit-events")
    @app.task(name=PRUNE_AUDIT_TASK, queue=QUEUE, queueing_lock=PRUNE_AUDIT_TASK)
    def prune_audit_events_job(timestamp: int = 0) -> int:
        """The audit trail's retention (`audit_retention_days`)."""
        from openpolicy.db import connect
        from openpolicy.ops.audit import prune_audit_events

        with connect(database, autocommit=True, application_name="openpolicy-retention") as conn:
            deleted = prune_audit_events(conn, settings.audit_retention_days)
        log.info(
            "audit_events: %d older than %d days deleted", deleted, settings.audit_retention_days
        )
        return deleted

    from openpolicy.alerts.jobs import register_tasks

    register_tasks(app, settings, database)  # the alerts' deliveries, tick and digests
    return app


async def requeue_stalled(app: procrastinate.App, settings: Settings) -> int:
    """Put the jobs of dead workers back in the queue; returns how many."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=stalled_after(settings)
    )
    count = 0
    for job in stalled:
        log.warning("retrying job %s (%s): its worker stopped", job.id, job.call_string)
        await app.job_manager.retry_job(job)
        count += 1
    return count


def defer_run(app: procrastinate.App, source: str) -> int | None:
    """Queue a run of `source` now (None when one is already waiting)."""
    task = app.tasks[RUN_TASK]
    try:
        return int(
            task.configure(
                lock=lock_name(source), queueing_lock=lock_name(source), task_kwargs={}
            ).defer(source=source)
        )
    except procrastinate.exceptions.AlreadyEnqueued:
        return None


async def run_worker_async(
    settings: Settings, database: URL, *, install_signal_handlers: bool = True, wait: bool = True
) -> None:
    """Run a worker until stopped (or, with `wait=False`, until the queue is empty)."""
    app = build_app(settings, database)
    async with app.open_async():
        await requeue_stalled(app, settings)
        await app.run_worker_async(
            queues=[QUEUE, ALERTS_QUEUE],
            name="openpolicy-worker",
            concurrency=settings.worker_concurrency,
            wait=wait,
            install_signal_handlers=install_signal_handlers,
            update_heartbeat_interval=settings.worker_heartbeat_seconds,
            stalled_worker_timeout=stalled_after(settings),
            fetch_job_polling_interval=min(5.0, settings.worker_heartbeat_seconds),
            delete_jobs="successful",
        )


def run_worker(settings: Settings, database: URL) -> None:
    """`openpolicy worker`: block running jobs and the scheduler; Ctrl-C stops it."""
    asyncio.run(run_worker_async(settings, database))


class BackgroundWorker:
    """A worker in a thread of this process (`openpolicy up`), supervised.

    Any failure (the database restarted, a heartbeat that could not be written, a bug) ends
    the procrastinate worker; the supervisor starts a new one after a backoff that doubles
    from `BACKOFF_SECONDS` to `BACKOFF_MAX_SECONDS` (and starts over once a worker has run
    for a while). A worker whose heartbeat row goes stale while it "runs" is restarted too.
    `status()` is what /health reports.
    """

    BACKOFF_SECONDS = 1.0
    BACKOFF_MAX_SECONDS = 60.0
    HEALTHY_RUN_SECONDS = 60.0

    def __init__(self, settings: Settings, database: URL) -> None:
        self.settings = settings
        self.database = database
        self.state = "starting"
        self.restarts = 0
        self.last_error: str | None = None
        self.worker_id: int | None = None
        self.next_attempt_in: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="openpolicy-worker", daemon=True)

    def status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "worker_id": self.worker_id,
            "restarts": self.restarts,
            "last_error": self.last_error,
            "next_attempt_in_seconds": self.next_attempt_in,
        }

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(self._supervise())
        self._ready.set()
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self.state = "stopped"
            loop.close()

    async def _supervise(self) -> None:
        delay = self.BACKOFF_SECONDS
        while True:
            started = time.monotonic()
            try:
                await self._run_once()
                reason = "the worker stopped by itself"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                text = str(exc).strip().splitlines()
                reason = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
            self.worker_id = None
            self.last_error = reason
            self.restarts += 1
            if time.monotonic() - started > self.HEALTHY_RUN_SECONDS:
                delay = self.BACKOFF_SECONDS
            wait = delay * random.uniform(0.8, 1.2)
            log.warning("in-process worker failed (%s); restarting in %.1f s", reason, wait)
            self.state = "restarting"
            self.next_attempt_in = round(wait, 1)
            await asyncio.sleep(wait)
            self.next_attempt_in = None
            delay = min(delay * 2, self.BACKOFF_MAX_SECONDS)

    async def _run_once(self) -> None:
        """One worker's life: register, run, watch its heartbeat row; returns or raises when
        it ends."""
        from procrastinate.worker import Worker

        app = build_app(self.settings, self.database)
        async with app.open_async():
            await requeue_stalled(app, self.settings)
            worker = Worker(
                app=app,
                queues=[QUEUE, ALERTS_QUEUE],
                name="openpolicy-worker",
                concurrency=self.settings.worker_concurrency,
                wait=True,
                install_signal_handlers=False,
                update_heartbeat_interval=self.settings.worker_heartbeat_seconds,
                stalled_worker_timeout=stalled_after(self.settings),
                fetch_job_polling_interval=min(5.0, self.settings.worker_heartbeat_seconds),
                delete_jobs="successful",
            )
            running = asyncio.create_task(
                worker.run(),  # type: ignore[no-untyped-call]
                name="procrastinate-worker",
            )
            watchdog = asyncio.create_task(self._watch(worker), name="worker-watchdog")
            try:
                done, _ = await asyncio.wait(
                    {running, watchdog}, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    task.result()  # raises what ended it
            finally:
                for task in (running, watchdog):
                    task.cancel()
                await asyncio.gather(running, watchdog, return_exceptions=True)

    async def _watch(self, worker: Any) -> None:
        """Mark the worker running once registered; raise when its heartbeat goes stale."""
        from openpolicy.db import connect_async

        period = self.settings.worker_heartbeat_seconds
        while worker.worker_id is None:  # noqa: ASYNC110  (procrastinate has no event for it)
            await asyncio.sleep(0.05)
        self.worker_id = worker.worker_id
        self.state = "running"
        while True:
            await asyncio.sleep(period)
            async with connect_async(
                self.database, application_name="openpolicy-worker-watch", connect_timeout=5
            ) as conn:
                cursor = await conn.execute(
                    "SELECT extract(epoch FROM now() - last_heartbeat)::float8"
                    " FROM procrastinate_workers WHERE id = %s",
                    (worker.worker_id,),
                )
                row = await cursor.fetchone()
            if row is None or row[0] > stalled_after(self.settings):
                raise RuntimeError(f"worker {worker.worker_id}: heartbeat stale or missing")

    def start(self) -> BackgroundWorker:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self, timeout: float = 30) -> None:
        if self._loop is not None and self._task is not None and not self._task.done():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
