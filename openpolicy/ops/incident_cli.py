"""`openpolicy incident …`: open, update, resolve and communicate incidents (/status shows them)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy.cli_kit import EXIT_FAILED, command_group, current_settings, engine
from openpolicy.cli_output import (
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    error,
    wants_json,
    warn,
)
from openpolicy.ops.notice_cli import NotifyFlag, send_if_asked

if TYPE_CHECKING:
    from openpolicy.config import Settings

incident_app = command_group(help="Incidents: open, update, resolve, communicate.")


class IncidentFormat(StrEnum):
    text = "text"
    json = "json"
    email = "email"


def _format(output: OutputFormat, as_json: bool) -> IncidentFormat:
    return IncidentFormat.json if wants_json(output, as_json) else IncidentFormat.text


def _incident_id(conn: Any, incident_id: int | None) -> int:
    from openpolicy.ops.incidents import IncidentError, list_incidents

    if incident_id is not None:
        return incident_id
    open_ones = list_incidents(conn)
    if len(open_ones) == 1:
        return open_ones[0].id
    if not open_ones:
        raise IncidentError("no open incident: give its number")
    raise IncidentError(
        "several incidents are open ("
        + ", ".join(f"#{i.id}" for i in open_ones)
        + "): give the number"
    )


def _show_incident(incident: Any, settings: Settings, output: IncidentFormat) -> None:
    from openpolicy.ops.incidents import render_email

    if output is IncidentFormat.json:
        echo_json(incident.as_dict())
    elif output is IncidentFormat.email:
        subject, body = render_email(incident, settings.environment)
        typer.echo(f"Subject: {subject}\n\n{body}", nl=False)
    else:
        typer.echo(
            f"#{incident.id} {incident.severity} {incident.status}: {incident.title}"
            + (
                f" (next update by {incident.next_update_at:%H:%M} UTC)"
                if incident.next_update_at
                else ""
            )
        )


@incident_app.command("open")
def incident_open(
    severity: Annotated[str, typer.Option("--severity", help="SEV1 … SEV4.")],
    impact: Annotated[str, typer.Option("--impact", help="What users experience.")],
    services: Annotated[
        str, typer.Option("--services", help="Affected services, comma-separated (api,web).")
    ] = "",
    title: Annotated[str | None, typer.Option("--title", help="Short title.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="First note.")] = None,
    notify: NotifyFlag = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Open it even if an open incident looks the same.")
    ] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Open an incident (status Investigating); it appears on /status until resolved.

    An open incident with the same impact or title, or with the same severity and a service
    in common, is probably this one: on a terminal the command asks before opening another;
    elsewhere (or with --yes) it warns and opens it.
    """
    from openpolicy.ops.incidents import incident_notice, open_incident, similar_open_incidents

    settings = current_settings()
    with engine(settings).begin() as conn:
        similar = similar_open_incidents(
            conn, severity=severity, impact=impact, services=services.split(","), title=title
        )
        for match in similar:
            warn(
                f"incident #{match.id} ({match.severity}, {match.status}: {match.title}) is open "
                f"and looks the same: `openpolicy incident update {match.id} --note …` adds to it"
            )
        asked = similar and not yes and sys.stdin.isatty()
        if asked and not typer.confirm("Open a new incident anyway?", default=False):
            error(f"not opened: update #{similar[0].id} instead")
            raise typer.Exit(EXIT_FAILED)
        incident = open_incident(
            conn,
            severity=severity,
            impact=impact,
            services=services.split(","),
            title=title,
            note=note,
        )
    _show_incident(incident, settings, _format(output, as_json))
    send_if_asked(settings, incident_notice(incident, settings.environment), notify)


@incident_app.command("update")
def incident_update(
    note: Annotated[str, typer.Option("--note", help="What was done or found.")],
    incident_id: Annotated[
        int | None, typer.Argument(help="Incident number (default: the only open one).")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Investigating, Identified, Monitoring or Resolved."),
    ] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="Change severity.")] = None,
    notify: NotifyFlag = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Post an update: new status and/or a note (the next-update time moves on)."""
    from openpolicy.ops.incidents import incident_notice, update_incident

    settings = current_settings()
    with engine(settings).begin() as conn:
        number = _incident_id(conn, incident_id)
        incident = update_incident(conn, number, status=status, note=note, severity=severity)
    _show_incident(incident, settings, _format(output, as_json))
    send_if_asked(settings, incident_notice(incident, settings.environment), notify)


@incident_app.command("resolve")
def incident_resolve(
    incident_id: Annotated[
        int | None, typer.Argument(help="Incident number (default: the only open one).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="How it was resolved.")] = "Resolved.",
    notify: NotifyFlag = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Resolve an incident (it leaves /status)."""
    from openpolicy.ops.incidents import incident_notice, update_incident

    settings = current_settings()
    with engine(settings).begin() as conn:
        number = _incident_id(conn, incident_id)
        incident = update_incident(conn, number, status="Resolved", note=note)
    _show_incident(incident, settings, _format(output, as_json))
    send_if_asked(settings, incident_notice(incident, settings.environment), notify)


@incident_app.command("show")
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="Incident number.")],
    output: Annotated[
        IncidentFormat,
        typer.Option("--format", help="text, json, or email (the communication template)."),
    ] = IncidentFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Show an incident; `--format email` renders the runbook's communication template."""
    from openpolicy.ops.incidents import get_incident

    settings = current_settings()
    with engine(settings).connect() as conn:
        incident = get_incident(conn, incident_id)
    if as_json:
        output = IncidentFormat.json
    if output is IncidentFormat.text:
        _show_incident(incident, settings, output)
        for update in incident.updates:
            typer.echo(f"  {update.posted_at:%Y-%m-%d %H:%M} [{update.status}] {update.note}")
        return
    _show_incident(incident, settings, output)


@incident_app.command("list")
def incident_list(
    include_resolved: Annotated[bool, typer.Option("--all", help="Include resolved ones.")] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Open incidents (or all of them)."""
    from openpolicy.ops.incidents import list_incidents

    settings = current_settings()
    with engine(settings).connect() as conn:
        incidents = list_incidents(conn, include_resolved=include_resolved)
    if wants_json(output, as_json):
        echo_json([i.as_dict() for i in incidents])
        return
    if not incidents:
        typer.echo("no open incident")
    for incident in incidents:
        _show_incident(incident, settings, IncidentFormat.text)
