"""The worker's alert tasks (procrastinate, queue `alerts`, in the same worker as ingest).

* `openpolicy.alerts.deliver`: send every due delivery. Deferred in the very transaction
  that creates deliveries (a sign-up, a matching pass), through procrastinate's own SQL
  function, so a job exists exactly when there is something to send; one waits at most.
* `openpolicy.alerts.tick`, every minute: match changes no ingest hook took (a failed hook,
  hand-made changes), put back deliveries of dead workers, send what is due (retries), and
  the housekeeping (expired sign-ups, addresses without alerts, old items).
* `openpolicy.alerts.digest`, on `alerts_digest_schedule`: the daily digests.
"""

from __future__ import annotations

import logging
from typing import Any

import procrastinate
from sqlalchemy.engine import URL

from openpolicy.alerts.queue import DELIVER_TASK, DIGEST_TASK, QUEUE, TICK_TASK
from openpolicy.config import Settings

__all__ = ["DELIVER_TASK", "DIGEST_TASK", "QUEUE", "TICK_TASK", "digest", "register_tasks", "tick"]

log = logging.getLogger("openpolicy.alerts.jobs")


def tick(database: URL | str, settings: Settings) -> dict[str, Any]:
    """The minute's housekeeping, then every due delivery."""
    from openpolicy import db
    from openpolicy.alerts import delivery, matching, subscriptions

    with db.connect(database, autocommit=True, application_name="openpolicy-alerts") as conn:
        matched = matching.match_changes(conn, settings)
        with conn.transaction():
            leftover = matching.group_items(conn, "immediate")  # e.g. a digest made immediate
            requeued = delivery.requeue_stale(conn)
            cleaned = subscriptions.cleanup(conn, settings)
    sent = delivery.send_due(database, settings)
    return {
        "matched": matched.total_items,
        "leftover": leftover,
        "requeued": requeued,
        "cleaned": cleaned,
        "sent": sent.as_dict(),
    }


def digest(database: URL | str, settings: Settings) -> dict[str, Any]:
    """Group every address's waiting daily items into one digest each, then send them."""
    from openpolicy import db
    from openpolicy.alerts import delivery, matching

    with db.connect(database, autocommit=True, application_name="openpolicy-alerts") as conn:
        matching.match_changes(conn, settings)
        with conn.transaction():
            made = matching.group_items(conn, "daily")
    sent = delivery.send_due(database, settings)
    return {"digests": made, "sent": sent.as_dict()}


def register_tasks(app: procrastinate.App, settings: Settings, database: URL) -> None:
    """Add the alert tasks and their schedules to the worker's app."""
    from openpolicy.alerts import delivery

    @app.task(name=DELIVER_TASK, queue=QUEUE, queueing_lock=DELIVER_TASK)
    def deliver_job() -> dict[str, int]:
        return delivery.send_due(database, settings).as_dict()

    @app.periodic(cron="* * * * *", periodic_id="alerts-tick")
    @app.task(name=TICK_TASK, queue=QUEUE, queueing_lock=TICK_TASK)
    def tick_job(timestamp: int) -> dict[str, Any]:
        return tick(database, settings)

    @app.periodic(cron=settings.alerts_digest_schedule, periodic_id="alerts-digest")
    @app.task(name=DIGEST_TASK, queue=QUEUE, queueing_lock=DIGEST_TASK)
    def digest_job(timestamp: int) -> dict[str, Any]:
        return digest(database, settings)
