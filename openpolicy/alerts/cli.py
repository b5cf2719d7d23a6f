"""`openpolicy alerts …`: what the alert queues hold, and sending what is waiting now.

Exit status: 0 done; 1 when `send-pending` left deliveries failed or waiting for a retry;
4 when the database is unreachable.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from openpolicy.cli_kit import EXIT_FAILED, command_group, current_settings
from openpolicy.cli_output import (
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    print_mapping,
    wants_json,
)

app = command_group(help="Alerts: subscriptions, queues, and sending what is waiting.")


def _shown(value: Any) -> Any:
    """Nested values on one line for people (`email active 2, webhook disabled 1`)."""
    if isinstance(value, dict):
        return ", ".join(f"{key} {item}" for key, item in value.items()) or "-"
    if isinstance(value, list):
        return (
            "; ".join(
                ", ".join(f"{k} {v}" for k, v in item.items())
                if isinstance(item, dict)
                else str(item)
                for item in value
            )
            or "-"
        )
    return value


@app.command("status")
def status_command(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Subscriptions, waiting changes and deliveries, attempts by outcome, configuration."""
    from openpolicy import db
    from openpolicy.alerts.status import status

    settings = current_settings()
    with db.connect(settings, autocommit=True, application_name="openpolicy-cli") as conn:
        values = status(conn, settings)
    if wants_json(output, as_json):
        echo_json(values)
        return
    print_mapping({key.replace("_", " "): _shown(value) for key, value in values.items()}, "Alerts")


@app.command("send-pending")
def send_pending(
    digests: Annotated[
        bool, typer.Option("--digests", help="Also build and send the daily digests now.")
    ] = False,
    retry_now: Annotated[
        bool,
        typer.Option("--retry-now", help="Send deliveries waiting to be retried without waiting."),
    ] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Match waiting changes, then send every due delivery now (what the worker does)."""
    from openpolicy import db
    from openpolicy.alerts import delivery, matching

    settings = current_settings()
    with db.connect(settings, autocommit=True, application_name="openpolicy-cli") as conn:
        matched = matching.match_changes(conn, settings)
        with conn.transaction():
            requeued = delivery.requeue_stale(conn)
            matching.group_items(conn, "immediate")
            made = matching.group_items(conn, "daily") if digests else 0
            retried = delivery.bring_forward(conn) if retry_now else 0
    sent = delivery.send_due(settings, settings)
    result = {
        "matched_items": matched.total_items,
        "digests": made,
        "requeued": requeued,
        "brought_forward": retried,
        "sent": sent.total("sent"),
        "to_retry": sent.total("retried"),
        "failed": sent.total("failed"),
    }
    if wants_json(output, as_json):
        echo_json(result)
    else:
        print_mapping({key.replace("_", " "): value for key, value in result.items()})
    if sent.total("retried") or sent.total("failed"):
        raise typer.Exit(EXIT_FAILED)
