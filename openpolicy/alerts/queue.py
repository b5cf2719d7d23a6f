"""The worker's alert queue: names, and queuing the sending job from SQL.

The transaction that creates deliveries (a sign-up, a matching pass, a webhook re-enabled)
also queues the job that sends them, through procrastinate's own SQL function: the job
exists exactly when there is something to send, and at most one waits (queueing lock).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import Connection

QUEUE = "alerts"
DELIVER_TASK = "openpolicy.alerts.deliver"
TICK_TASK = "openpolicy.alerts.tick"
DIGEST_TASK = "openpolicy.alerts.digest"


def defer_delivery(conn: Connection[Any]) -> bool:
    """Queue a deliver job in the caller's transaction (False: one is already waiting)."""
    try:
        with conn.transaction():  # a savepoint: a waiting job is not an error
            conn.execute(
                "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(%s, %s, 0, NULL, %s,"
                " '{}'::jsonb, NULL)::procrastinate_job_to_defer_v1])",
                (QUEUE, DELIVER_TASK, DELIVER_TASK),
            )
    except psycopg.errors.UniqueViolation:
        return False
    return True
