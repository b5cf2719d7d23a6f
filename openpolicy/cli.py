"""The `openpolicy` command: noun-verb groups that mirror the operator's runbook.

Every command starts at once: this module imports only Typer, and each command group's
module is imported when that group runs. Adding a group is one line in COMMAND_GROUPS.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import suppress
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy import __version__
from openpolicy.cli_kit import (
    command_group,
    current_settings,
    exit_status,
    lazy_group,
    lazy_groups,
)
from openpolicy.cli_output import (
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    error,
    print_mapping,
    reader_gone,
    wants_json,
)

if TYPE_CHECKING:
    from openpolicy.config import Settings

# name → ("module:attribute" of its typer.Typer, one line for `openpolicy --help`).
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "alerts": ("openpolicy.alerts.cli:app", "Alerts: subscriptions, queues, sending."),
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


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"
    critical = "critical"


@app.command("logs")
def show_logs(
    level: Annotated[
        LogLevel, typer.Option("--level", help="Only entries at this level or above.")
    ] = LogLevel.debug,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only entries since: 90s, 10m, 2h, 3d, or 2026-03-01T04:05Z."),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Then print new entries as they come (Ctrl-C).")
    ] = False,
    last: Annotated[
        int | None, typer.Option("--lines", "-n", min=1, help="Only the last N entries.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read this log file (default: the setting).")
    ] = None,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Read the log file `up` and `serve` write: filter by level and time, follow it.

    `--format json` prints the entries as JSON lines (one object each), as the file holds them.
    """
    from collections import deque

    from openpolicy import logs
    from openpolicy.errors import BadRequestError, ConfigurationError, NotFoundError

    path = file or current_settings().log_file
    if path is None:
        raise ConfigurationError("no log file: OPENPOLICY_LOG_FILE is empty")
    try:
        moment = logs.parse_since(since) if since else None
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    if not path.exists() and not follow:
        raise NotFoundError(f"no log file at {path} yet: `openpolicy up` and `serve` write it")
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    raw = wants_json(output, as_json)

    def show(entry: dict[str, object]) -> None:
        if raw:
            import orjson

            typer.echo(orjson.dumps(entry).decode())
        else:
            typer.echo(logs.render_human(entry, colour))

    end = logs.mark(path)  # what is there now is read; what comes after it, followed
    found = logs.selected(
        logs.read_entries(path, upto=end) if end else iter(()), level=level.value, since=moment
    )
    for entry in deque(found, maxlen=last) if last else found:
        show(entry)
    if not follow:
        return
    start = end or logs.Mark.beginning()
    try:  # until Ctrl-C, or until the reader of a pipe (`| head`, `| grep -m1`) is gone
        for entry in logs.selected(
            logs.follow(path, stop=reader_gone, start=start), level=level.value, since=moment
        ):
            show(entry)
    except (KeyboardInterrupt, BrokenPipeError):
        _quiet_stdout()
        return


def _quiet_stdout() -> None:
    """Point stdout at /dev/null: its reader is gone, so the flush at exit must not fail."""
    with suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


HostOption = Annotated[str | None, typer.Option("--host", help="Address to bind.")]
PortOption = Annotated[int | None, typer.Option("--port", help="Port to bind.")]


def _serve(settings: Settings, host: str | None, port: int | None, worker: Any = None) -> None:
    import uvicorn

    from openpolicy.app import create_app
    from openpolicy.proxies import ClientAddresses

    uvicorn.run(
        create_app(settings, worker=worker),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        log_config=None,  # uvicorn's lines go through openpolicy.logs like ours
        access_log=False,
        # X-Forwarded-* believed from OPENPOLICY_TRUSTED_PROXIES only (uvicorn's default
        # trusts 127.0.0.1 whatever the app is told).
        **ClientAddresses(settings.trusted_proxies).uvicorn_options(),
    )


def _start_logging(settings: Settings, *, log_file: bool) -> logging.Logger:
    """Readable lines on the terminal (JSON if OPENPOLICY_LOG_JSON), and the log file."""
    from openpolicy import logs

    path = logs.configure(settings, log_file=log_file)
    log = logging.getLogger("openpolicy")
    if path is not None:
        log.info("logging to %s too (openpolicy logs reads it)", path)
    return log


@app.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the API and the web site (the database must be migrated)."""
    settings = current_settings()
    _start_logging(settings, log_file=True)
    _serve(settings, host, port)


@app.command()
def worker() -> None:
    """Run the ingest worker and scheduler (periodic jobs); replicas may run side by side."""
    from openpolicy.db import database_url
    from openpolicy.ingest.jobs import run_worker

    settings = current_settings()
    log = _start_logging(settings, log_file=False)
    log.info("worker: running ingest jobs and schedules (Ctrl-C stops)")
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
    from openpolicy.config import mask_url
    from openpolicy.db import create_db_engine, database_url

    settings = current_settings()
    log = _start_logging(settings, log_file=True)
    url = database_url(settings)
    where = (
        f"embedded PostgreSQL in {settings.data_dir}"
        if settings.uses_embedded_database
        else mask_url(url.render_as_string(hide_password=False))
    )
    log.info("openpolicy %s: database: %s", __version__, where)
    engine = create_db_engine(settings, url)
    schema.upgrade(engine)
    log.info("schema at %s", schema.current_revision(engine))
    engine.dispose()
    from openpolicy.ingest.sample import database_is_empty, load_sample

    if settings.load_sample_when_empty and database_is_empty(url):
        log.info("empty database: loading the bundled sample (real captures, offline)")
        for report in load_sample(url, settings):
            log.info("  %s: %s, %d records", report.source, report.status, report.counts.inserted)
    background = None
    if not no_worker:
        from openpolicy.ingest.jobs import BackgroundWorker

        background = BackgroundWorker(settings, url).start()
        log.info("ingest worker running in this process (--no-worker to turn off)")
    log.info(
        "serving on http://%s:%s  (Ctrl-C stops)", host or settings.host, port or settings.port
    )
    try:
        _serve(settings, host, port, worker=background)
    finally:
        if background is not None:
            background.stop()


def main() -> None:
    """Entry point: expected errors become one clear line and an exit code, never a trace."""
    import gc

    # What is loaded by now (the interpreter, Typer) lives as long as the process: keeping
    # it out of the collector's full passes saves ~3% of a command's start.
    gc.freeze()
    from openpolicy.embedded import exit_cleanly_on_sigterm
    from openpolicy.logs import configure_console

    exit_cleanly_on_sigterm()
    configure_console()  # warnings (an HTTP retry, a fallback) as readable lines
    try:
        lazy_group(app)()  # what `app()` runs, building only the command that runs
    except Exception as exc:
        if os.environ.get("OPENPOLICY_DEBUG"):
            raise
        code, lines = exit_status(exc)
        for line in lines:
            error(line)
        sys.exit(code)


if __name__ == "__main__":
    main()
