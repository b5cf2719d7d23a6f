"""The operator's runbook as commands: backup, dr, maintenance, incident, cache, db care.

Each command is one procedure of docs/operations.md and works the same on the embedded
cluster and on a production PostgreSQL (DATABASE_URL). Expected failures raise
`OpenPolicyError` subclasses, which `openpolicy.cli.main` prints as one line with an exit
code; a failing check (integrity, DR readiness) exits non-zero after printing its report.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy.cli_kit import command_group, current_settings, echo_json, stderr, stdout

if TYPE_CHECKING:
    from openpolicy.config import Settings

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
# The vocabulary of openpolicy.ops.catalogue (kept here: importing it is not free).
BACKUP_NAME_HELP = (
    "`latest` (newest verified dump), a dump name (fetched from the bucket if not on disk), "
    "a path, or a time such as 2026-03-01T04:05Z (the newest dump taken by then)."
)
YesFlag = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

backup_app = command_group(
    help="Backups: logical dumps, object storage, restores, point-in-time recovery."
)
pitr_app = command_group(help="Point-in-time recovery with PostgreSQL's continuous WAL archiving.")
backup_app.add_typer(pitr_app, name="pitr")
dr_app = command_group(help="Disaster recovery: drills and readiness.")
maintenance_app = command_group(help="Maintenance mode (every replica within 2 s) and its notices.")
incident_app = command_group(help="Incidents: open, update, resolve, communicate.")
cache_app = command_group(help="The shared Redis cache.")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class IncidentFormat(StrEnum):
    text = "text"
    json = "json"
    email = "email"


class Scenario(StrEnum):
    database_corruption = "database-corruption"
    datacenter_failure = "datacenter-failure"


_echo_json = echo_json


def _say(message: str) -> None:
    stderr().print(f"[dim]…[/dim] {message}", highlight=False)


def _settings() -> Settings:
    return current_settings()


def _live_target(settings: Settings, target_url: str | None = None) -> Any:
    from openpolicy.ops.pg import PgTarget, target_from_settings

    if target_url:
        return PgTarget.from_url(target_url)
    return target_from_settings(settings)


def _confirm(yes: bool) -> Any:
    def ask(question: str) -> bool:
        return yes or typer.confirm(question, default=False)

    return ask


def _engine(settings: Settings) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from openpolicy.db import database_url

    return create_engine(database_url(settings), poolclass=NullPool)


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover


# ----------------------------------------------------------------------------- backup


@backup_app.command("create")
def backup_create(
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip verification (not counted as a success).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """pg_dump -Fc into the backup directory, checksum it, verify it, record the success."""
    from openpolicy.ops.backups import create_backup

    settings = _settings()
    info = create_backup(_live_target(settings), settings.backup_dir, verify=not no_verify)
    if as_json:
        _echo_json(info.as_dict())
        return
    state = "verified" if info.verified else "NOT verified"
    typer.echo(
        f"backup {info.path} ({_size(info.size_bytes)}, dumped in {info.dump_seconds:.1f} s, "
        f"sha256 {str(info.sha256)[:12]}…, {state})"
    )


@backup_app.command("verify")
def backup_verify(
    file: Annotated[str, typer.Argument(help=BACKUP_NAME_HELP)],
    as_json: JsonFlag = False,
) -> None:
    """Check a dump: checksum matches, and pg_restore can read its table of contents."""
    from openpolicy.ops.backups import verify_backup
    from openpolicy.ops.catalogue import resolve_dump

    settings = _settings()
    result = verify_backup(resolve_dump(settings, file, verified=False, announce=_say))
    if as_json:
        _echo_json(result.as_dict())
        return
    typer.echo(
        f"ok: {result.path.name}: checksum matches, {result.toc_entries} entries "
        f"({result.table_data_entries} tables of data) readable by pg_restore"
    )


@backup_app.command("list")
def backup_list(
    remote: Annotated[bool, typer.Option("--remote", help="List the bucket instead.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Dumps in the backup directory (or the bucket), newest first, with age and state."""
    from openpolicy.ops.backups import list_backups, utc_now
    from openpolicy.ops.pitr import list_base_backups

    settings = _settings()
    if remote:
        from openpolicy.ops.storage import list_remote

        objects = list_remote(settings)
        if as_json:
            _echo_json([{"key": o.key, "size": o.size, "modified": o.modified} for o in objects])
            return
        for obj in objects:
            typer.echo(f"{obj.modified:%Y-%m-%d %H:%M}  {_size(obj.size):>9}  {obj.key}")
        typer.echo(f"{len(objects)} object(s) in s3://{settings.s3_bucket}")
        return
    dumps = list_backups(settings.backup_dir)
    bases = list_base_backups(settings.backup_dir)
    if as_json:
        _echo_json(
            {"dumps": [d.as_dict() for d in dumps], "base_backups": [b.as_dict() for b in bases]}
        )
        return
    from rich.table import Table

    table = Table(title=f"Backups in {settings.backup_dir}")
    for column in ("file", "taken (UTC)", "age", "size", "verified"):
        table.add_column(column)
    now = utc_now()
    for info in dumps:
        hours = info.age_seconds(now) / 3600
        table.add_row(
            info.path.name,
            f"{info.created_at:%Y-%m-%d %H:%M:%S}",
            f"{hours:.1f} h",
            _size(info.size_bytes),
            "yes" if info.verified else "no",
        )
    for base in bases:
        table.add_row(
            f"base/{base.path.name}",
            f"{base.created_at:%Y-%m-%d %H:%M:%S}",
            f"{(now - base.created_at).total_seconds() / 3600:.1f} h",
            _size(base.size_bytes),
            "base backup",
        )
    stdout().print(table)
    if not dumps and not bases:
        typer.echo("no backups yet: run `openpolicy backup create`")


@backup_app.command("prune")
def backup_prune(
    keep_days: Annotated[
        int | None, typer.Option("--keep-days", help="Keep this many days (default: setting).")
    ] = None,
    remote: Annotated[bool, typer.Option("--remote", help="Prune the bucket too.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would go.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Delete backups older than N days (never the newest verified one) and unneeded WAL."""
    from openpolicy.ops.backups import prune_backups
    from openpolicy.ops.pg import OpsInputError

    settings = _settings()
    days = keep_days if keep_days is not None else settings.backup_keep_days
    if days < 1:
        raise OpsInputError(f"--keep-days must be at least 1 (got {days})")
    result = prune_backups(settings.backup_dir, days, dry_run=dry_run)
    output: dict[str, Any] = {"local": result.as_dict()}
    if remote:
        from openpolicy.ops.storage import prune_remote

        output["remote"] = prune_remote(settings, days, dry_run=dry_run).as_dict()
    if as_json:
        _echo_json(output)
        return
    verb = "would delete" if dry_run else "deleted"
    for path in result.deleted:
        typer.echo(f"{verb} {path}")
    typer.echo(f"{verb} {len(result.deleted)} local file(s), kept {len(result.kept)} backup(s)")
    if remote:
        for key in output["remote"]["deleted"]:
            typer.echo(f"{verb} s3 {key}")
        typer.echo(f"{verb} {len(output['remote']['deleted'])} object(s) in the bucket")


@backup_app.command("upload")
def backup_upload(
    keep_days: Annotated[
        int | None, typer.Option("--keep-days", help="Prune the bucket to N days after upload.")
    ] = None,
    no_prune: Annotated[bool, typer.Option("--no-prune", help="Do not prune the bucket.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Copy dumps, base backups and archived WAL to object storage, then prune there too."""
    from openpolicy.ops.storage import prune_remote, upload

    settings = _settings()
    result = upload(settings, settings.backup_dir)
    output: dict[str, Any] = {"upload": result.as_dict()}
    if not no_prune:
        days = keep_days if keep_days is not None else settings.backup_keep_days
        output["prune"] = prune_remote(settings, days).as_dict()
    if as_json:
        _echo_json(output)
        return
    typer.echo(
        f"uploaded {len(result.uploaded)} file(s) ({_size(result.bytes_uploaded)}) to "
        f"s3://{settings.s3_bucket}/{settings.s3_prefix or ''}; {result.skipped} already there"
    )
    if "prune" in output:
        typer.echo(f"pruned {len(output['prune']['deleted'])} old object(s) from the bucket")


@backup_app.command("download")
def backup_download(
    name: Annotated[
        str, typer.Argument(help="`latest`, a dump name, or a time (the newest dump by then).")
    ],
) -> None:
    """Fetch a dump (with checksum and manifest) from the bucket into the backup directory."""
    from openpolicy.ops.catalogue import remote_dump_name
    from openpolicy.ops.storage import download

    settings = _settings()
    path = download(settings, remote_dump_name(settings, name), settings.backup_dir)
    typer.echo(f"downloaded {path}")


@backup_app.command("restore")
def backup_restore(
    file: Annotated[str, typer.Argument(help=BACKUP_NAME_HELP)],
    yes: YesFlag = False,
    target_url: Annotated[
        str | None,
        typer.Option("--target-url", help="Restore into this database instead of the live one."),
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="pg_restore jobs.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Restore into a new database, check it, and only then switch it in (old one kept aside)."""
    from openpolicy.ops.catalogue import resolve_dump
    from openpolicy.ops.restore import restore_backup

    settings = _settings()
    dump = resolve_dump(settings, file, announce=_say)
    live = _live_target(settings, target_url)
    report = restore_backup(
        dump,
        live,
        confirm=_confirm(yes),
        jobs=jobs or settings.backup_restore_jobs,
        announce=_say,
    )
    if as_json:
        _echo_json(report.as_dict())
        return
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.steps.items())
    typer.echo(
        f"restored {dump.name} into {live.display()} in {report.total_seconds:.1f} s ({steps})"
    )
    if report.aside:
        typer.echo(f"the previous database is kept as {report.aside!r} (drop it when satisfied)")


@backup_app.command("base")
def backup_base(as_json: JsonFlag = False) -> None:
    """pg_basebackup of the whole cluster (zstd) into <backup dir>/base, for PITR."""
    from openpolicy.ops.pitr import take_base_backup

    settings = _settings()
    base = take_base_backup(settings, _live_target(settings))
    if as_json:
        _echo_json(base.as_dict())
        return
    typer.echo(
        f"base backup {base.path} ({_size(base.size_bytes)}, {base.seconds:.1f} s, "
        f"starts at WAL {base.start_wal})"
    )


@backup_app.command("restore-point")
def backup_restore_point(
    name: Annotated[str, typer.Argument(help="A name such as before-deploy-1.4.0.")],
) -> None:
    """pg_create_restore_point(NAME): a point `backup pitr restore --to NAME` can recover to."""
    from openpolicy.ops.catalogue import LATEST
    from openpolicy.ops.pg import OpsInputError
    from openpolicy.ops.pitr import create_restore_point

    if name == LATEST:
        raise OpsInputError(f"restore point name {name!r} is reserved: it means `now`")
    settings = _settings()
    entry = create_restore_point(_live_target(settings), name, settings.backup_dir)
    typer.echo(f"restore point {entry['name']!r} at WAL {entry['lsn']} ({entry['created_at']})")
    if not entry["archiving"]:
        stderr().print(
            "[yellow]warning:[/yellow] WAL archiving is off, so this point cannot be recovered "
            "to: run `openpolicy backup pitr enable`"
        )


@pitr_app.command("enable")
def pitr_enable(as_json: JsonFlag = False) -> None:
    """Set archive_command (copy-if-absent, fsynced) and archive_timeout; restart if embedded."""
    from openpolicy.ops.pitr import enable

    settings = _settings()
    result = enable(settings, _live_target(settings))
    if as_json:
        _echo_json(result.as_dict())
        return
    typer.echo(
        f"WAL archiving on: into {result.archive_dir}, archive_timeout {result.archive_timeout}s"
    )
    if result.restarted:
        typer.echo("the embedded server was restarted to apply archive_mode")
    if result.restart_needed:
        stderr().print(
            "[yellow]restart PostgreSQL now[/yellow]: archive_mode only changes at server start"
        )


@pitr_app.command("status")
def pitr_status(as_json: JsonFlag = False) -> None:
    """Archiving settings, the archiver's progress and failures, base backups."""
    from openpolicy.ops.pitr import status

    settings = _settings()
    values = status(settings, _live_target(settings))
    if as_json:
        _echo_json(values)
        return
    from rich.table import Table

    table = Table(title="WAL archiving", show_header=False)
    for key, value in values.items():
        table.add_row(key, "" if value is None else str(value))
    stdout().print(table)


@pitr_app.command("restore")
def pitr_restore(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="A restore point name, a time (2026-03-01T04:05Z), or `latest` (a restore "
            "point marked now on the live server).",
        ),
    ],
    yes: YesFlag = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Longest time for WAL replay (seconds).")
    ] = 600.0,
    as_json: JsonFlag = False,
) -> None:
    """Recover to a point: base backup + archived WAL, integrity check, then swap data dirs."""
    from openpolicy.ops import pitr
    from openpolicy.ops.backups import stamp, utc_now
    from openpolicy.ops.catalogue import LATEST
    from openpolicy.ops.pg import DatabaseUnreachableError

    settings = _settings()
    live = None
    try:
        live = _live_target(settings)
    except Exception as exc:  # the live server may be the thing that is broken
        _say(f"live database unreachable ({exc}); recovering from the archive alone")
    if to == LATEST:
        if live is None:
            raise DatabaseUnreachableError(
                "--to latest marks a restore point on the live server, which is unreachable: "
                "give a restore point name or a time"
            )
        to = f"latest-{stamp(utc_now())}"
        pitr.create_restore_point(live, to, settings.backup_dir)
        _say(f"marked restore point {to!r} on the live server: recovering to it")
    report = pitr.restore(
        settings, to, confirm=_confirm(yes), live=live, timeout=timeout, announce=_say
    )
    if as_json:
        _echo_json(report.as_dict())
        return
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.steps.items())
    typer.echo(
        f"recovered to {report.target} from {report.base_backup} in "
        f"{report.total_seconds:.1f} s ({steps})"
    )
    typer.echo(f"the previous data directory is kept as {report.aside}")


# ----------------------------------------------------------------------------- dr


@dr_app.command("drill")
def dr_drill(
    scenario: Annotated[Scenario, typer.Option("--scenario", help="What failed.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; touch nothing.")
    ] = False,
    take_backup: Annotated[
        bool, typer.Option("--take-backup", help="Take a fresh backup instead of the newest.")
    ] = False,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the scratch database/cluster for inspection.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Restore the newest backup somewhere safe, serve it, smoke-test it, measure RTO/RPO."""
    from openpolicy.ops import dr

    settings = _settings()
    if dry_run:
        steps = dr.plan(settings, scenario.value, take_backup=take_backup)
        if as_json:
            _echo_json({"scenario": scenario.value, "dry_run": True, "plan": steps})
            return
        typer.echo(f"DR drill plan ({scenario.value}), dry run: nothing is touched")
        for step in steps:
            typer.echo(f"  {step}")
        return
    report = dr.drill(settings, scenario.value, take_backup=take_backup, keep=keep, announce=_say)
    if as_json:
        _echo_json(report.as_dict() | {"report_files": report.report_files})
    else:
        typer.echo(report.render_markdown())
        typer.echo(f"report: {', '.join(report.report_files)}")
    if not report.passed:
        raise typer.Exit(report.exit_code or 1)


@dr_app.command("status")
def dr_status(
    verify: Annotated[
        bool, typer.Option("--verify", help="Also re-check the newest backup's checksum.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """DR readiness: newest backup fresh and intact, copied off-site, WAL archiver healthy."""
    from openpolicy.ops import dr
    from openpolicy.ops.pg import OpsError
    from openpolicy.ops.pitr import status as archive_status

    settings = _settings()
    values = dr.readiness(settings, verify=verify)
    code = 1
    try:
        archiving = archive_status(settings, _live_target(settings))
    except OpsError as exc:
        values["problems"].append(exc.detail)
        code = exc.exit_code if exc.exit_code == 4 else code
    else:
        values["wal_archiving"] = archiving["archive_mode"]
        if archiving["archive_mode"] != "off" and archiving["archiver_failing"]:
            values["problems"].append(
                f"WAL archiver failing since {archiving['last_failed_time']} "
                f"(segment {archiving['last_failed_wal']})"
            )
    values["ok"] = not values["problems"]
    if as_json:
        _echo_json(values)
    else:
        for key, value in values.items():
            if key not in {"ok", "problems"}:
                typer.echo(f"{key}: {value}")
        for problem in values["problems"]:
            typer.echo(f"FAIL: {problem}")
        typer.echo("DR readiness: OK" if values["ok"] else "DR readiness: FAILED")
    if not values["ok"]:
        raise typer.Exit(code)


# ----------------------------------------------------------------------------- maintenance


def _notify(settings: Settings, notice: Any, enabled: bool) -> None:
    """The one rule: notices go out only when asked for; asked with no channel, exit 2.

    The command's own change (the switch, the incident) is made first, so the error only says
    what is still missing.
    """
    from openpolicy.ops import notify
    from openpolicy.ops.notify import NotificationError, NotificationNotConfiguredError

    if not enabled:
        return
    if not notify.configured_channels(settings):
        raise NotificationNotConfiguredError(
            "notice not sent: no notification channel is configured "
            "(set OPENPOLICY_NOTIFICATION_CHANNELS=email,webhook, or leave out --notify)"
        )
    results = notify.send(settings, notice)
    for result in results:
        mark = "sent" if result.ok else "[red]FAILED[/red]"
        stderr().print(f"notice via {result.channel}: {mark}: {result.detail}", highlight=False)
    failed = [r for r in results if not r.ok]
    if failed:
        raise NotificationError(
            "notification failed on " + ", ".join(f"{r.channel} ({r.detail})" for r in failed)
        )


NotifyFlag = Annotated[
    bool,
    typer.Option(
        "--notify/--no-notify",
        help="Send the notice to the configured channels (exit 2 when none is configured).",
    ),
]


@maintenance_app.command("on")
def maintenance_on(
    message: Annotated[str | None, typer.Option("--message", "-m", help="What users see.")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Announced end: ISO time or duration (90m).")
    ] = None,
    notify: NotifyFlag = False,
) -> None:
    """Turn maintenance mode on (in effect on every replica within 2 seconds)."""
    from openpolicy.ops.backups import actor
    from openpolicy.ops.maintenance import parse_until, set_state, start_notice

    settings = _settings()
    end = parse_until(until)
    with _engine(settings).begin() as conn:
        state = set_state(conn, enabled=True, actor=actor(), message=message, until=end)
    typer.echo(
        f"maintenance ON: {state.message}"
        + (f" (until {state.until.isoformat()})" if state.until else "")
    )
    _notify(settings, start_notice(state.message or "", state.until, settings.environment), notify)


@maintenance_app.command("off")
def maintenance_off(
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Note for the completion notice.")
    ] = None,
    notify: NotifyFlag = False,
) -> None:
    """Turn maintenance mode off."""
    from openpolicy.ops.backups import actor
    from openpolicy.ops.maintenance import complete_notice, set_state

    settings = _settings()
    with _engine(settings).begin() as conn:
        set_state(conn, enabled=False, actor=actor())
    typer.echo("maintenance OFF")
    if settings.maintenance_mode:
        stderr().print(
            "[yellow]warning:[/yellow] MAINTENANCE_MODE is set, so replicas stay in maintenance"
        )
    _notify(settings, complete_notice(settings.environment, message), notify)


@maintenance_app.command("status")
def maintenance_status(as_json: JsonFlag = False) -> None:
    """Whether maintenance mode is on, since when, until when, and who switched it."""
    from openpolicy.ops.maintenance import MaintenanceStatus, read_state

    settings = _settings()
    with _engine(settings).connect() as conn:
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
    if as_json:
        _echo_json(state.as_dict())
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

    settings = _settings()
    if kind is NoticeKind.start:
        notice = start_notice(message or DEFAULT_MESSAGE, parse_until(until), settings.environment)
    else:
        notice = complete_notice(settings.environment, message)
    _notify(settings, notice, True)
    typer.echo(f"sent: {notice.subject}")


# ----------------------------------------------------------------------------- incidents


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
        _echo_json(incident.as_dict())
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
) -> None:
    """Open an incident (status Investigating); it appears on /status until resolved."""
    from openpolicy.ops.incidents import incident_notice, open_incident

    settings = _settings()
    with _engine(settings).begin() as conn:
        incident = open_incident(
            conn,
            severity=severity,
            impact=impact,
            services=services.split(","),
            title=title,
            note=note,
        )
    _show_incident(incident, settings, IncidentFormat.text)
    _notify(settings, incident_notice(incident, settings.environment), notify)


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
) -> None:
    """Post an update: new status and/or a note (the next-update time moves on)."""
    from openpolicy.ops.incidents import incident_notice, update_incident

    settings = _settings()
    with _engine(settings).begin() as conn:
        number = _incident_id(conn, incident_id)
        incident = update_incident(conn, number, status=status, note=note, severity=severity)
    _show_incident(incident, settings, IncidentFormat.text)
    _notify(settings, incident_notice(incident, settings.environment), notify)


@incident_app.command("resolve")
def incident_resolve(
    incident_id: Annotated[
        int | None, typer.Argument(help="Incident number (default: the only open one).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="How it was resolved.")] = "Resolved.",
    notify: NotifyFlag = False,
) -> None:
    """Resolve an incident (it leaves /status)."""
    from openpolicy.ops.incidents import incident_notice, update_incident

    settings = _settings()
    with _engine(settings).begin() as conn:
        number = _incident_id(conn, incident_id)
        incident = update_incident(conn, number, status="Resolved", note=note)
    _show_incident(incident, settings, IncidentFormat.text)
    _notify(settings, incident_notice(incident, settings.environment), notify)


@incident_app.command("show")
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="Incident number.")],
    output: Annotated[
        IncidentFormat,
        typer.Option("--format", help="text, json, or email (the communication template)."),
    ] = IncidentFormat.text,
) -> None:
    """Show an incident; `--format email` renders the runbook's communication template."""
    from openpolicy.ops.incidents import get_incident

    settings = _settings()
    with _engine(settings).connect() as conn:
        incident = get_incident(conn, incident_id)
    if output is IncidentFormat.text:
        _show_incident(incident, settings, output)
        for update in incident.updates:
            typer.echo(f"  {update.posted_at:%Y-%m-%d %H:%M} [{update.status}] {update.note}")
        return
    _show_incident(incident, settings, output)


@incident_app.command("list")
def incident_list(
    include_resolved: Annotated[bool, typer.Option("--all", help="Include resolved ones.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Open incidents (or all of them)."""
    from openpolicy.ops.incidents import list_incidents

    settings = _settings()
    with _engine(settings).connect() as conn:
        incidents = list_incidents(conn, include_resolved=include_resolved)
    if as_json:
        _echo_json([i.as_dict() for i in incidents])
        return
    if not incidents:
        typer.echo("no open incident")
    for incident in incidents:
        _show_incident(incident, settings, IncidentFormat.text)


# ----------------------------------------------------------------------------- cache


@cache_app.command("clear")
def cache_clear(
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Only keys under this prefix.")
    ] = None,
) -> None:
    """Delete OpenPolicy's cache keys from Redis (never FLUSHDB: other keys survive)."""
    from openpolicy.cache import redis_client
    from openpolicy.ops.cachectl import CACHE_KEY_PREFIX, clear_cache
    from openpolicy.ops.pg import OpsInputError

    settings = _settings()
    client = redis_client(settings)
    if client is None:
        typer.echo("no REDIS_URL: each process caches in memory; restart the processes to clear it")
        return
    chosen = prefix or CACHE_KEY_PREFIX
    if not chosen.startswith(CACHE_KEY_PREFIX):
        raise OpsInputError(f"--prefix {chosen!r} must start with {CACHE_KEY_PREFIX!r}")
    try:
        deleted = clear_cache(client, chosen)
    finally:
        client.close()
    typer.echo(f"deleted {deleted} cache key(s) under {chosen!r}")
