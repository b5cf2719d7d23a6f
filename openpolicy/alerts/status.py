"""`openpolicy alerts status`: subscriptions, queues, recent outcomes, configuration."""

from __future__ import annotations

from typing import Any

from psycopg import Connection

from openpolicy.config import Settings


def status(conn: Connection[Any], settings: Settings) -> dict[str, Any]:
    """Everything an operator checks first, in one dictionary (the CLI prints it)."""
    from openpolicy.alerts.delivery import email_problems, sender
    from openpolicy.alerts.render import site_base

    def scalar(sql: str) -> Any:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None

    subscriptions = {
        f"{channel} {status}": count
        for channel, status, count in conn.execute(
            "SELECT channel, status, count(*) FROM alert_subscriptions GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    }
    kinds = {
        kind: count
        for kind, count in conn.execute(
            "SELECT kind, count(*) FROM alert_subscriptions WHERE status = 'active'"
            " GROUP BY 1 ORDER BY 1"
        ).fetchall()
    }
    deliveries = {
        f"{channel} {status}": count
        for channel, status, count in conn.execute(
            "SELECT channel, status, count(*) FROM alert_deliveries GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    }
    totals = {
        f"{channel} {outcome}": total
        for channel, outcome, total in conn.execute(
            "SELECT channel, outcome, total FROM alert_delivery_totals ORDER BY 1, 2"
        ).fetchall()
    }
    due = conn.execute(
        "SELECT count(*), extract(epoch FROM now() - min(next_attempt_at))"
        " FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
    ).fetchone()
    changes = conn.execute(
        "SELECT count(*), extract(epoch FROM now() - min(changed_at)) FROM alert_changes"
    ).fetchone()
    disabled = [
        {"id": row[0], "owner": row[1], "url": row[2], "reason": row[3]}
        for row in conn.execute(
            "SELECT id, owner, url, disabled_reason FROM alert_subscriptions"
            " WHERE status = 'disabled' ORDER BY updated_at DESC LIMIT 10"
        ).fetchall()
    ]
    problems = email_problems(settings)
    if not settings.site_url:
        problems.append(
            f"OPENPOLICY_SITE_URL is not set: links in e-mails use {site_base(settings)}"
        )
    return {
        "email_alerts": "ready" if not email_problems(settings) else "not configured",
        "sender": sender(settings),
        "site": site_base(settings),
        "problems": problems,
        "addresses": scalar("SELECT count(*) FROM alert_recipients"),
        "subscriptions": subscriptions,
        "active_by_kind": kinds,
        "saved_searches": scalar("SELECT count(*) FROM alert_searches"),
        "changes_waiting": int(changes[0]) if changes else 0,
        "oldest_change_seconds": round(float(changes[1]), 1) if changes and changes[1] else 0.0,
        "deliveries_due": int(due[0]) if due else 0,
        "oldest_due_seconds": round(float(due[1]), 1) if due and due[1] else 0.0,
        "deliveries": deliveries,
        "attempts": totals,
        "last_sent_at": scalar("SELECT max(sent_at) FROM alert_deliveries"),
        "disabled_webhooks": disabled,
    }
