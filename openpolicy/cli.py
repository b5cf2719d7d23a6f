"""The `openpolicy` command: noun-verb groups that mirror the operator's runbook.

Every command starts at once: this module imports only Typer, and each command group's
module is imported when that group runs. Adding a group is one line in COMMAND_GROUPS.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from openpolicy import __version__
from openpolicy.cli_kit import command_group, current_settings, exit_status, lazy_groups
from openpolicy.cli_output import (
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    error,
    print_mapping,
    stderr,
    wants_json,
)

if TYPE_CHECKING:
    from openpolicy.config import Settings

# name → ("module:attribute" of its typer.Typer, one line for `openpolicy --help`).
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "backup": (
        "openpolicy.ops.backup_cli:backup_app",
        "Backups: dumps, object storage, restores, point-in-time recovery.",
    ),
    "cache": ("openpolicy.ops.cache_cli:cache_app", "The shared Redis cache."),
    "db": ("openpolicy.ops.db_cli:app", "Database: migrations, status, checks and care."),
    "dr": ("openpolicy.ops.dr_cli:dr_app", "Disaster recovery: drills and readiness."),
    "incident": (
        "openpolicy.ops.incident_cli:incident_app",
        "Incidents: open, update, resolve, tell.",
    ),
    "ingest": ("openpolicy.ingest.cli:app", "Ingest: run sources, load the sample, status."),
    "keys": ("openpolicy.ops.keys_cli:app", "API keys: create, list, revoke, rotate."),
    "maintenance": (
        "openpolicy.ops.maintenance_cli:maintenance_app",
        "Maintenance mode and its notices.",
    ),
    "sources": ("openpolicy.sources.cli:app", "Official sources: list, fetch, parse."),
}

app = command_group(
    name="openpolicy",
    help="OpenPolicy: the Parliament of Canada, readable. Run, ingest, serve and operate.",
    cls=lazy_groups(COMMAND_GROUPS),
    add_completion=False,
)


@app.command()
def commands(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """List every command with a one-line description (docs/cli.md holds the same table)."""
    from openpolicy.cli_reference import command_paths, command_summaries, reference_markdown

    if markdown:
        typer.echo(reference_markdown(app), nl=False)
    elif wants_json(output, as_json):
        echo_json(command_summaries(app))
    else:
        for path in command_paths(app):
            typer.echo(path)


@app.command()
def version(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Print the version."""
    if wants_json(output, as_json):
        echo_json({"version": __version__})
    else:
        typer.echo(__version__)


@app.command("settings")
def show_settings(
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
    template: Annotated[
        bool, typer.Option("--template", help="Print an env file documenting every setting.")
    ] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the settings reference as a Markdown table.")
    ] = False,
) -> None:
    """Print the effective settings, with secrets masked (or a template of all settings)."""
    from openpolicy.config import env_file_path, env_template, settings_markdown

    if template:
        typer.echo(env_template(), nl=False)
        return
    if markdown:
        typer.echo(settings_markdown(), nl=False)
        return

    values = current_settings().masked()
    env_file = env_file_path()
    values["(env file)"] = str(env_file) if env_file else None
    if wants_json(output, as_json):
        echo_json(values)
    else:
        print_mapping(values)


HostOption = Annotated[str | None, typer.Option("--host", help="Address to bind.")]
PortOption = Annotated[int | None, typer.Option("--port", help="Port to bind.")]


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from openpolicy.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        access_log=False,
    )


@app.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the API and the web site (the database must be migrated)."""
    _serve(current_settings(), host, port)


@app.command()
def worker() -> None:
    """Run the ingest worker and scheduler (periodic jobs); replicas may run side by side."""
    from openpolicy.db import database_url
    from openpolicy.ingest.jobs import run_worker

    settings = current_settings()
    stderr().print("worker: running ingest jobs and schedules (Ctrl-C stops)")
    run_worker(settings, database_url(settings))


@app.command()
def up(
    host: HostOption = None,
    port: PortOption = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run the ingest worker in this process.")
    ] = False,
) -> None:
    """Everything on one machine: database → migrate → sample if empty → serve + worker."""
    from openpolicy import schema
    from openpolicy.db import create_db_engine, database_url

    settings = current_settings()
    url = database_url(settings)
    where = (
        f"embedded PostgreSQL in {settings.data_dir}"
        if settings.uses_embedded_database
        else url.render_as_string(hide_password=True)
    )
    stderr().print(f"[bold]openpolicy[/bold] {__version__}: database: {where}")
    engine = create_db_engine(settings, url)
    schema.upgrade(engine)
    stderr().print(f"schema at {schema.current_revision(engine)}")
    engine.dispose()
    from openpolicy.ingest.sample import database_is_empty, load_sample

    if settings.load_sample_when_empty and database_is_empty(url):
        stderr().print("empty database: loading the bundled sample (real captures, offline)")
        for report in load_sample(url, settings):
            stderr().print(
                f"  {report.source}: {report.status}, {report.counts.inserted} records",
                highlight=False,
            )
    background = None
    if not no_worker:
        from openpolicy.ingest.jobs import BackgroundWorker

        background = BackgroundWorker(settings, url).start()
        stderr().print("ingest worker running in this process (--no-worker to turn off)")
    stderr().print(
        f"serving on http://{host or settings.host}:{port or settings.port}  (Ctrl-C stops)"
    )
    try:
        _serve(settings, host, port)
    finally:
        if background is not None:
            background.stop()


def main() -> None:
    """Entry point: expected errors become one clear line and an exit code, never a trace."""
    from openpolicy.embedded import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()
    try:
        app()
    except Exception as exc:
        if os.environ.get("OPENPOLICY_DEBUG"):
            raise
        code, lines = exit_status(exc)
        for line in lines:
            error(line)
        sys.exit(code)


if __name__ == "__main__":
    main()
