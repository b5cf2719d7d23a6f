"""The `openpolicy` command: noun-verb groups that mirror the operator's runbook."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError

from openpolicy import __version__
from openpolicy.config import Settings, get_settings
from openpolicy.errors import OpenPolicyError

app = typer.Typer(
    name="openpolicy",
    help="OpenPolicy: the Parliament of Canada, readable. Run, ingest, serve and operate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database: migrations, status, pool.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()
err_console = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_mapping(title: str, values: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(values, option=orjson.OPT_INDENT_2, default=str).decode())
        return
    table = Table(title=title, show_header=False)
    for key, value in values.items():
        table.add_row(key, "" if value is None else str(value))
    console.print(table)


@app.command()
def commands(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
) -> None:
    """List every command with a one-line description (docs/cli.md holds the same table)."""
    from openpolicy.cli_reference import command_paths, reference_markdown

    if markdown:
        typer.echo(reference_markdown(app), nl=False)
        return
    for path in command_paths(app):
        typer.echo(path)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command("settings")
def show_settings(
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

    settings = get_settings()
    values = settings.masked()
    env_file = env_file_path()
    values["(env file)"] = str(env_file) if env_file else None
    _print_mapping("Effective settings", values, as_json)


def _engine(settings: Settings) -> Any:
    from openpolicy.db import create_db_engine

    return create_db_engine(settings)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    sql: Annotated[bool, typer.Option("--sql", help="Print the DDL; touch nothing.")] = False,
) -> None:
    """Apply migrations (to the latest revision by default)."""
    from openpolicy import schema

    if sql:
        typer.echo(schema.upgrade_sql(revision))
        return
    engine = _engine(get_settings())
    before = schema.current_revision(engine)
    schema.upgrade(engine, revision)
    after = schema.current_revision(engine)
    typer.echo(f"database at {after} (was {before or 'empty'})")


@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target: -1, base, or a revision id.")],
) -> None:
    """Revert migrations, e.g. `openpolicy db downgrade -1`."""
    from openpolicy import schema

    engine = _engine(get_settings())
    before = schema.current_revision(engine)
    schema.downgrade(engine, revision)
    after = schema.current_revision(engine)
    typer.echo(f"database at {after or 'base'} (was {before or 'empty'})")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision and whether it is the latest."""
    from openpolicy import schema

    engine = _engine(get_settings())
    current = schema.current_revision(engine)
    head = schema.head_revision()
    state = "up to date" if current == head else f"behind (latest is {head})"
    typer.echo(f"{current or 'empty'} ({state})")


@db_app.command("status")
def db_status(as_json: JsonFlag = False) -> None:
    """Where the data lives; for the embedded cluster, whether it runs and who is attached."""
    from openpolicy import embedded
    from openpolicy.db import database_url

    settings = get_settings()
    if settings.uses_embedded_database:
        values: dict[str, Any] = {
            "mode": "embedded",
            **embedded.status(settings.data_dir).as_dict(),
        }
    else:
        values = {
            "mode": "external",
            "url": database_url(settings).render_as_string(hide_password=True),
        }
    _print_mapping("Database", values, as_json)


@db_app.command("pool-status")
def db_pool_status(as_json: JsonFlag = False) -> None:
    """Pool settings and live connections per application, as PostgreSQL sees them."""
    from sqlalchemy import text

    from openpolicy.db import pool_status

    settings = get_settings()
    engine = _engine(settings)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT coalesce(nullif(application_name, ''), '(none)') AS app, state, count(*)"
                " FROM pg_stat_activity WHERE datname = current_database()"
                " GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()
        max_connections = conn.execute(text("SHOW max_connections")).scalar_one()
    local = pool_status(engine)  # after the query's connection went back to the pool
    values: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pre_ping": settings.db_pool_pre_ping,
        "recycle_seconds": settings.db_pool_recycle_seconds,
        "this_process": local.as_dict(),
        "server_max_connections": int(max_connections),
        "server_connections": [
            {"application": app_name, "state": state, "count": count}
            for app_name, state, count in rows
        ],
    }
    if as_json:
        _print_mapping("Pool", values, as_json=True)
        return
    flat = {k: v for k, v in values.items() if k not in {"server_connections", "this_process"}}
    flat.update({f"this process {k}": v for k, v in local.as_dict().items()})
    _print_mapping("Connection pool", flat, as_json=False)
    table = Table(title="Connections on the server")
    for column in ("application", "state", "count"):
        table.add_column(column)
    for entry in values["server_connections"]:
        table.add_row(entry["application"], str(entry["state"]), str(entry["count"]))
    console.print(table)


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
    _serve(get_settings(), host, port)


@app.command()
def worker() -> None:
    """Run the ingest worker and scheduler (periodic jobs); replicas may run side by side."""
    from openpolicy.db import database_url
    from openpolicy.ingest.jobs import run_worker

    settings = get_settings()
    err_console.print("worker: running ingest jobs and schedules (Ctrl-C stops)")
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

    settings = get_settings()
    url = database_url(settings)
    where = (
        f"embedded PostgreSQL in {settings.data_dir}"
        if settings.uses_embedded_database
        else url.render_as_string(hide_password=True)
    )
    err_console.print(f"[bold]openpolicy[/bold] {__version__}: database: {where}")
    engine = create_db_engine(settings, url)
    schema.upgrade(engine)
    err_console.print(f"schema at {schema.current_revision(engine)}")
    engine.dispose()
    from openpolicy.ingest.sample import database_is_empty, load_sample

    if settings.load_sample_when_empty and database_is_empty(url):
        err_console.print("empty database: loading the bundled sample (real captures, offline)")
        for report in load_sample(url, settings):
            err_console.print(
                f"  {report.source}: {report.status}, {report.counts.inserted} records",
                highlight=False,
            )
    background = None
    if not no_worker:
        from openpolicy.ingest.jobs import BackgroundWorker

        background = BackgroundWorker(settings, url).start()
        err_console.print("ingest worker running in this process (--no-worker to turn off)")
    err_console.print(
        f"serving on http://{host or settings.host}:{port or settings.port}  (Ctrl-C stops)"
    )
    try:
        _serve(settings, host, port)
    finally:
        if background is not None:
            background.stop()


def _register_optional_groups() -> None:
    """Command groups that live with their domain."""
    from openpolicy.ops import cli as ops_cli

    ops_cli.register_db_commands(db_app)
    app.add_typer(ops_cli.backup_app, name="backup")
    app.add_typer(ops_cli.dr_app, name="dr")
    app.add_typer(ops_cli.maintenance_app, name="maintenance")
    app.add_typer(ops_cli.incident_app, name="incident")
    app.add_typer(ops_cli.cache_app, name="cache")
    from openpolicy.api.keys_cli import app as keys_app

    app.add_typer(keys_app, name="keys", help="API keys: create, list, revoke, rotate.")
    try:
        from openpolicy.sources.cli import app as sources_app
    except ImportError:  # pragma: no cover - during development only
        return
    app.add_typer(sources_app, name="sources", help="Official sources: list, fetch, parse.")
    from openpolicy.ingest.cli import app as ingest_app

    app.add_typer(ingest_app, name="ingest", help="Ingest: run sources, load the sample, status.")


_register_optional_groups()


def main() -> None:
    """Entry point: expected errors become one clear line and an exit code, never a trace."""
    from openpolicy.embedded import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()
    try:
        app()
    except OpenPolicyError as exc:
        err_console.print(f"[red]error:[/red] {exc.detail}", highlight=False)
        sys.exit(exc.exit_code)
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "settings"
            err_console.print(f"[red]error:[/red] setting {where}: {problem['msg']}")
        sys.exit(2)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        err_console.print(f"[red]error:[/red] database unreachable: {reason}", highlight=False)
        sys.exit(4)
    except Exception as exc:
        if os.environ.get("OPENPOLICY_DEBUG"):
            raise
        err_console.print(
            f"[red]error:[/red] unexpected {type(exc).__name__}: {exc} "
            "(set OPENPOLICY_DEBUG=1 to see the traceback)",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
