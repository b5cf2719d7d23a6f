"""`openpolicy dr …`: disaster-recovery drills (with a stopwatch) and readiness."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from openpolicy.cli_kit import (
    command_group,
    current_settings,
    live_target,
)
from openpolicy.cli_output import (
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    say,
    wants_json,
)

dr_app = command_group(help="Disaster recovery: drills and readiness.")


class Scenario(StrEnum):
    database_corruption = "database-corruption"
    datacenter_failure = "datacenter-failure"
    complete_recovery = "complete-recovery"


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
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="What to recover: `latest`, a dump name or path, a time; for "
            "complete-recovery also a restore point.",
        ),
    ] = "latest",
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Recover from the backups somewhere safe, serve the copy, smoke-test it, measure RTO/RPO.

    database-corruption: a dump into a scratch database; datacenter-failure: a dump (from
    the bucket) into a brand-new cluster; complete-recovery: from the off-site copies only,
    base backup + archived WAL replayed to --target (or a dump) in a brand-new cluster.
    """
    from openpolicy.ops import dr

    settings = current_settings()
    if dry_run:
        steps = dr.plan(settings, scenario.value, take_backup=take_backup, target=target)
        if wants_json(output, as_json):
            echo_json({"scenario": scenario.value, "dry_run": True, "plan": steps})
            return
        typer.echo(f"DR drill plan ({scenario.value}), dry run: nothing is touched")
        for step in steps:
            typer.echo(f"  {step}")
        return
    report = dr.drill(
        settings,
        scenario.value,
        take_backup=take_backup,
        keep=keep,
        target=target,
        announce=say,
    )
    if wants_json(output, as_json):
        echo_json(report.as_dict() | {"report_files": report.report_files})
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
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """DR readiness: newest backup fresh and intact, copied off-site, WAL archiver healthy."""
    from openpolicy.ops import dr
    from openpolicy.ops.pg import OpsError
    from openpolicy.ops.pitr import status as archive_status

    settings = current_settings()
    values = dr.readiness(settings, verify=verify)
    code = 1
    try:
        archiving = archive_status(settings, live_target(settings))
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
    if wants_json(output, as_json):
        echo_json(values)
    else:
        for key, value in values.items():
            if key not in {"ok", "problems"}:
                typer.echo(f"{key}: {value}")
        for problem in values["problems"]:
            typer.echo(f"FAIL: {problem}")
        typer.echo("DR readiness: OK" if values["ok"] else "DR readiness: FAILED")
    if not values["ok"]:
        raise typer.Exit(code)
