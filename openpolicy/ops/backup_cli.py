"""`openpolicy backup …`: logical dumps, object storage, restores, point-in-time recovery.

Backups are named the same way everywhere (openpolicy.ops.catalogue): `latest`, a name,
a path, or a time.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from openpolicy.cli_kit import (
    YesFlag,
    command_group,
    confirmer,
    current_settings,
    live_target,
)
from openpolicy.cli_output import (
    Column,
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    human_age,
    human_size,
    print_mapping,
    print_table,
    say,
    styled,
    wants_json,
    warn,
)

# The vocabulary of openpolicy.ops.catalogue (kept here: importing it is not free).
BACKUP_NAME_HELP = (
    "`latest` (newest verified dump), a dump name (fetched from the bucket if not on disk), "
    "a path, or a time such as 2026-03-01T04:05Z (the newest dump taken by then)."
)

backup_app = command_group(
    help="Backups: logical dumps, object storage, restores, point-in-time recovery."
)
pitr_app = command_group(help="Point-in-time recovery with PostgreSQL's continuous WAL archiving.")
backup_app.add_typer(pitr_app, name="pitr")


@backup_app.command("create")
def backup_create(
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip verification (not counted as a success).")
    ] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """pg_dump -Fc into the backup directory, checksum it, verify it, record the success."""
    from openpolicy.ops.backups import create_backup

    settings = current_settings()
    info = create_backup(live_target(settings), settings.backup_dir, verify=not no_verify)
    if wants_json(output, as_json):
        echo_json(info.as_dict())
        return
    state = "verified" if info.verified else "NOT verified"
    typer.echo(
        f"backup {info.path} ({human_size(info.size_bytes)}, dumped in {info.dump_seconds:.1f} s, "
        f"sha256 {str(info.sha256)[:12]}…, {state})"
    )


@backup_app.command("verify")
def backup_verify(
    file: Annotated[str, typer.Argument(help=BACKUP_NAME_HELP)],
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Check a dump: checksum matches, and pg_restore can read its table of contents."""
    from openpolicy.ops.backups import verify_backup
    from openpolicy.ops.catalogue import resolve_dump

    settings = current_settings()
    result = verify_backup(resolve_dump(settings, file, verified=False, announce=say))
    if wants_json(output, as_json):
        echo_json(result.as_dict())
        return
    typer.echo(
        f"ok: {result.path.name}: checksum matches, {result.toc_entries} entries "
        f"({result.table_data_entries} tables of data) readable by pg_restore"
    )


@backup_app.command("list")
def backup_list(
    remote: Annotated[bool, typer.Option("--remote", help="List the bucket instead.")] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Dumps and base backups (or the bucket's objects), newest first, with age, size, state."""
    from openpolicy.ops.backups import list_backups, utc_now
    from openpolicy.ops.pitr import list_base_backups

    settings = current_settings()
    now = utc_now()
    if remote:
        from openpolicy.ops.storage import list_remote

        objects = sorted(list_remote(settings), key=lambda o: o.modified, reverse=True)
        if wants_json(output, as_json):
            echo_json([{"key": o.key, "size": o.size, "modified": o.modified} for o in objects])
            return
        print_table(
            [Column("key", keep=True), Column("age", right=True), Column("size", right=True)],
            [
                (o.key, human_age((now - o.modified).total_seconds()), human_size(o.size))
                for o in objects
            ],
            title=f"{len(objects)} object(s) in s3://{settings.s3_bucket}",
        )
        return
    dumps = list_backups(settings.backup_dir)
    bases = list_base_backups(settings.backup_dir)
    if wants_json(output, as_json):
        echo_json(
            {"dumps": [d.as_dict() for d in dumps], "base_backups": [b.as_dict() for b in bases]}
        )
        return
    if not dumps and not bases:
        typer.echo(f"no backups in {settings.backup_dir} yet: run `openpolicy backup create`")
        return
    rows: list[tuple[Any, ...]] = [
        (
            info.path.name,
            human_age(info.age_seconds(now)),
            human_size(info.size_bytes),
            "verified" if info.verified else styled("unverified", "yellow"),
        )
        for info in dumps
    ]
    rows += [
        (
            f"base/{base.path.name}",
            human_age((now - base.created_at).total_seconds()),
            human_size(base.size_bytes),
            "base",
        )
        for base in bases
    ]
    print_table(
        [
            Column("name", keep=True),
            Column("age", right=True),
            Column("size", right=True),
            Column("state"),
        ],
        rows,
        title=f"Backups in {settings.backup_dir}",
    )


@backup_app.command("prune")
def backup_prune(
    keep_days: Annotated[
        int | None, typer.Option("--keep-days", help="Keep this many days (default: setting).")
    ] = None,
    remote: Annotated[bool, typer.Option("--remote", help="Prune the bucket too.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would go.")] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Delete backups older than N days (never the newest verified one) and unneeded WAL."""
    from openpolicy.ops.pg import OpsInputError
    from openpolicy.ops.retention import prune_backups

    settings = current_settings()
    days = keep_days if keep_days is not None else settings.backup_keep_days
    if days < 1:
        raise OpsInputError(f"--keep-days must be at least 1 (got {days})")
    result = prune_backups(settings.backup_dir, days, dry_run=dry_run)
    result_doc: dict[str, Any] = {"local": result.as_dict()}
    if remote:
        from openpolicy.ops.storage import prune_remote

        result_doc["remote"] = prune_remote(settings, days, dry_run=dry_run).as_dict()
    if wants_json(output, as_json):
        echo_json(result_doc)
        return
    verb = "would delete" if dry_run else "deleted"
    for path in result.deleted:
        typer.echo(f"{verb} {path}")
    typer.echo(f"{verb} {len(result.deleted)} local file(s), kept {len(result.kept)} backup(s)")
    if remote:
        for key in result_doc["remote"]["deleted"]:
            typer.echo(f"{verb} s3 {key}")
        typer.echo(f"{verb} {len(result_doc['remote']['deleted'])} object(s) in the bucket")


@backup_app.command("upload")
def backup_upload(
    keep_days: Annotated[
        int | None, typer.Option("--keep-days", help="Prune the bucket to N days after upload.")
    ] = None,
    no_prune: Annotated[bool, typer.Option("--no-prune", help="Do not prune the bucket.")] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Copy dumps, base backups and archived WAL to object storage, then prune there too."""
    from openpolicy.ops.storage import prune_remote, upload

    settings = current_settings()
    result = upload(settings, settings.backup_dir)
    result_doc: dict[str, Any] = {"upload": result.as_dict()}
    if not no_prune:
        days = keep_days if keep_days is not None else settings.backup_keep_days
        result_doc["prune"] = prune_remote(settings, days).as_dict()
    if wants_json(output, as_json):
        echo_json(result_doc)
        return
    typer.echo(
        f"uploaded {len(result.uploaded)} file(s) ({human_size(result.bytes_uploaded)}) to "
        f"s3://{settings.s3_bucket}/{settings.s3_prefix or ''}; {result.skipped} already there"
    )
    if "prune" in result_doc:
        typer.echo(f"pruned {len(result_doc['prune']['deleted'])} old object(s) from the bucket")


@backup_app.command("download")
def backup_download(
    name: Annotated[
        str, typer.Argument(help="`latest`, a dump name, or a time (the newest dump by then).")
    ],
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Fetch a dump (with checksum and manifest) from the bucket into the backup directory."""
    from openpolicy.ops.catalogue import remote_dump_name
    from openpolicy.ops.storage import download

    settings = current_settings()
    path = download(settings, remote_dump_name(settings, name), settings.backup_dir)
    if wants_json(output, as_json):
        echo_json({"path": str(path), "name": path.name})
    else:
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
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Restore into a new database, check it, and only then switch it in (old one kept aside)."""
    from openpolicy.ops.catalogue import resolve_dump
    from openpolicy.ops.restore import restore_backup

    settings = current_settings()
    dump = resolve_dump(settings, file, announce=say)
    live = live_target(settings, target_url)
    report = restore_backup(
        dump,
        live,
        confirm=confirmer(yes),
        jobs=jobs or settings.backup_restore_jobs,
        announce=say,
    )
    if wants_json(output, as_json):
        echo_json(report.as_dict())
        return
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.steps.items())
    typer.echo(
        f"restored {dump.name} into {live.display()} in {report.total_seconds:.1f} s ({steps})"
    )
    if report.aside:
        typer.echo(f"the previous database is kept as {report.aside!r} (drop it when satisfied)")


@backup_app.command("recover-switch")
def backup_recover_switch(
    target_url: Annotated[
        str | None,
        typer.Option("--target-url", help="The database to recover instead of the live one."),
    ] = None,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Put back a live database an earlier version's restore left renamed aside mid-switch.

    When the live database is missing and `<db>_corrupt_<time>` exists, renames the newest
    such copy back (a restore, `db status` and the embedded cluster find the same state)."""
    from openpolicy.errors import NotFoundError
    from openpolicy.ops.pg import database_exists
    from openpolicy.ops.restore import recover_interrupted_switch

    live = live_target(current_settings(), target_url)
    found = recover_interrupted_switch(live)
    if found is None and not database_exists(live, live.database):
        raise NotFoundError(
            f"{live.display()} does not exist, and no restore left it renamed aside: nothing"
            " to put back (restore a backup into it: `openpolicy backup restore`)"
        )
    if wants_json(output, as_json):
        echo_json({"recovered": found is not None, **(found.as_dict() if found else {})})
        return
    if found is None:
        typer.echo(f"nothing to recover: {live.display()} is there")
        return
    typer.echo(found.describe(recovered=True))


@backup_app.command("base")
def backup_base(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """pg_basebackup of the whole cluster (zstd) into <backup dir>/base, for PITR."""
    from openpolicy.ops.pitr import take_base_backup

    settings = current_settings()
    base = take_base_backup(settings, live_target(settings))
    if wants_json(output, as_json):
        echo_json(base.as_dict())
        return
    typer.echo(
        f"base backup {base.path} ({human_size(base.size_bytes)}, {base.seconds:.1f} s, "
        f"starts at WAL {base.start_wal})"
    )


@backup_app.command("restore-point")
def backup_restore_point(
    name: Annotated[str, typer.Argument(help="A name such as before-deploy-1.4.0.")],
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """pg_create_restore_point(NAME): a point `backup pitr restore --to NAME` can recover to."""
    from openpolicy.ops.catalogue import LATEST
    from openpolicy.ops.pg import OpsInputError
    from openpolicy.ops.pitr import create_restore_point

    if name == LATEST:
        raise OpsInputError(f"restore point name {name!r} is reserved: it means `now`")
    settings = current_settings()
    entry = create_restore_point(live_target(settings), name, settings.backup_dir)
    if wants_json(output, as_json):
        echo_json(entry)
    else:
        typer.echo(f"restore point {entry['name']!r} at WAL {entry['lsn']} ({entry['created_at']})")
    if not entry["archiving"]:
        warn(
            "WAL archiving is off, so this point cannot be recovered "
            "to: run `openpolicy backup pitr enable`"
        )


@pitr_app.command("enable")
def pitr_enable(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Set archive_command (copy-if-absent, fsynced) and archive_timeout; restart if embedded."""
    from openpolicy.ops.pitr import enable

    settings = current_settings()
    result = enable(settings, live_target(settings))
    if wants_json(output, as_json):
        echo_json(result.as_dict())
        return
    typer.echo(
        f"WAL archiving on: into {result.archive_dir}, archive_timeout {result.archive_timeout}s"
    )
    if result.restarted:
        typer.echo("the embedded server was restarted to apply archive_mode")
    if result.restart_needed:
        warn("restart PostgreSQL now: archive_mode only changes at server start")


@pitr_app.command("status")
def pitr_status(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Archiving settings, the archiver's progress and failures, base backups."""
    from openpolicy.ops.pitr import status

    settings = current_settings()
    values = status(settings, live_target(settings))
    if wants_json(output, as_json):
        echo_json(values)
        return
    print_mapping(values, "WAL archiving")
    return


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
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Recover to a point: base backup + archived WAL, integrity check, then swap data dirs."""
    from openpolicy.ops import pitr
    from openpolicy.ops.backups import stamp, utc_now
    from openpolicy.ops.catalogue import LATEST
    from openpolicy.ops.pg import DatabaseUnreachableError

    settings = current_settings()
    live = None
    try:
        live = live_target(settings)
    except Exception as exc:  # the live server may be the thing that is broken
        say(f"live database unreachable ({exc}); recovering from the archive alone")
    if to == LATEST:
        if live is None:
            raise DatabaseUnreachableError(
                "--to latest marks a restore point on the live server, which is unreachable: "
                "give a restore point name or a time"
            )
        to = f"latest-{stamp(utc_now())}"
        pitr.create_restore_point(live, to, settings.backup_dir)
        say(f"marked restore point {to!r} on the live server: recovering to it")
    report = pitr.restore(
        settings, to, confirm=confirmer(yes), live=live, timeout=timeout, announce=say
    )
    if wants_json(output, as_json):
        echo_json(report.as_dict())
        return
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.steps.items())
    typer.echo(
        f"recovered to {report.target} from {report.base_backup} in "
        f"{report.total_seconds:.1f} s ({steps})"
    )
    typer.echo(f"the previous data directory is kept as {report.aside}")
