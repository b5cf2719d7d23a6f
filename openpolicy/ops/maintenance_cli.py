"""`openpolicy maintenance …`: the switch every replica obeys within 2 s, and its notices."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from openpolicy.cli_kit import (
    command_group,
    current_settings,
    engine,
)
from openpolicy.cli_output import (
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    wants_json,
    warn,
)
from openpolicy.ops.notice_cli import NotifyFlag, send_if_asked

maintenance_app = command_group(help="Maintenance mode (every replica within 2 s) and its notices.")


@maintenance_app.command("on")
def maintenance_on(
    message: Annotated[str | None, typer.Option("--message", "-m", help="What users see.")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Announced end: ISO time or duration (90m).")
    ] = None,
    notify: NotifyFlag = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Turn maintenance mode on (in effect on every replica within 2 seconds)."""
    from openpolicy.ops.backups import actor
    from openpolicy.ops.maintenance import parse_until, set_state, start_notice

    settings = current_settings()
    end = parse_until(until)
    with engine(settings).begin() as conn:
        state = set_state(conn, enabled=True, actor=actor(), message=message, until=end)
    if wants_json(output, as_json):
        echo_json(state.as_dict())
    else:
        typer.echo(
            f"maintenance ON: {state.message}"
            + (f" (until {state.until.isoformat()})" if state.until else "")
        )
    send_if_asked(
        settings, start_notice(state.message or "", state.until, settings.environment), notify
    )


@maintenance_app.command("off")
def maintenance_off(
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Note for the completion notice.")
    ] = None,
    notify: NotifyFlag = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Turn maintenance mode off."""
    from openpolicy.ops.backups import actor
    from openpolicy.ops.maintenance import complete_notice, set_state

    settings = current_settings()
    with engine(settings).begin() as conn:
        state = set_state(conn, enabled=False, actor=actor())
    if wants_json(output, as_json):
        echo_json(state.as_dict())
    else:
        typer.echo("maintenance OFF")
    if settings.maintenance_mode:
        warn("MAINTENANCE_MODE is set, so replicas stay in maintenance")
    send_if_asked(settings, complete_notice(settings.environment, message), notify)


@maintenance_app.command("status")
def maintenance_status(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Whether maintenance mode is on, since when, until when, and who switched it."""
    from openpolicy.ops.maintenance import MaintenanceStatus, read_state

    settings = current_settings()
    with engine(settings).connect() as conn:
        state = read_state(conn)
    if settings.maintenance_mode:
        state = MaintenanceStatus(
            enabled=True,
            message=state.message,
            until=state.until,
            started_at=state.started_at,
            updated_at=state.updated_at,
            updated_by=state.updated_by,
            forced_by_setting=True,
        )
    if wants_json(output, as_json):
        echo_json(state.as_dict())
        return
    if not state.enabled:
        typer.echo("maintenance: off")
        return
    typer.echo(f"maintenance: ON — {state.message or ''}")
    if state.forced_by_setting:
        typer.echo("  forced by the MAINTENANCE_MODE setting")
    if state.started_at:
        typer.echo(f"  since {state.started_at.isoformat()} (by {state.updated_by})")
    if state.until:
        typer.echo(f"  until {state.until.isoformat()}")


class NoticeKind(StrEnum):
    start = "start"
    complete = "complete"


@maintenance_app.command("notify")
def maintenance_notify(
    kind: Annotated[NoticeKind, typer.Argument(help="start (scheduled/started) or complete.")],
    message: Annotated[str | None, typer.Option("--message", "-m", help="The notice text.")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Announced end: ISO time or duration (90m).")
    ] = None,
) -> None:
    """Only send a maintenance notice (the switch is not touched)."""
    from openpolicy.ops.maintenance import (
        DEFAULT_MESSAGE,
        complete_notice,
        parse_until,
        start_notice,
    )

    settings = current_settings()
    if kind is NoticeKind.start:
        notice = start_notice(message or DEFAULT_MESSAGE, parse_until(until), settings.environment)
    else:
        notice = complete_notice(settings.environment, message)
    send_if_asked(settings, notice, True)
    typer.echo(f"sent: {notice.subject}")
