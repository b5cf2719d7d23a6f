"""`openpolicy db …`: migrations, where the data lives, and the database's care and checks.

Each command works the same on the embedded cluster and on a production PostgreSQL
(DATABASE_URL).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy.cli_kit import (
    EXIT_FAILED,
    command_group,
    current_settings,
    echo_json,
    print_mapping,
    print_rows,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from openpolicy.config import Settings

app = command_group()

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _engine(settings: Settings) -> Any:
    from openpolicy.db import create_db_engine

    return create_db_engine(settings)


def _live_target(settings: Settings, target_url: str | None = None) -> Any:
    from openpolicy.ops.pg import PgTarget, target_from_settings

    if target_url:
        return PgTarget.from_url(target_url)
    return target_from_settings(settings)


@app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    sql: Annotated[bool, typer.Option("--sql", help="Print the DDL; touch nothing.")] = False,
) -> None:
    """Apply migrations (to the latest revision by default)."""
    from openpolicy import schema

    if sql:
        typer.echo(schema.upgrade_sql(revision))
        return
    engine = _engine(current_settings())
    before = schema.current_revision(engine)
    schema.upgrade(engine, revision)
    after = schema.current_revision(engine)
    typer.echo(f"database at {after} (was {before or 'empty'})")


@app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target: -1, base, or a revision id.")],
) -> None:
    """Revert migrations, e.g. `openpolicy db downgrade -1`."""
    from openpolicy import schema

    engine = _engine(current_settings())
    before = schema.current_revision(engine)
    schema.downgrade(engine, revision)
    after = schema.current_revision(engine)
    typer.echo(f"database at {after or 'base'} (was {before or 'empty'})")


@app.command("current")
def db_current() -> None:
    """Print the database's migration revision and whether it is the latest."""
    from openpolicy import schema

    engine = _engine(current_settings())
    current = schema.current_revision(engine)
    head = schema.head_revision()
    state = "up to date" if current == head else f"behind (latest is {head})"
    typer.echo(f"{current or 'empty'} ({state})")


@app.command("status")
def db_status(as_json: JsonFlag = False) -> None:
    """Where the data lives: the embedded cluster's state, or whether the server answers."""
    from openpolicy import embedded

    chosen = current_settings()
    if chosen.uses_embedded_database:
        values: dict[str, Any] = {
            "mode": "embedded",
            **embedded.status(chosen.data_dir).as_dict(),
        }
        print_mapping("Database", values, as_json)
        return
    from openpolicy.db import database_url
    from openpolicy.ops.pg import DatabaseUnreachableError, PgTarget, server_version

    url = database_url(chosen)
    values = {"mode": "external", "url": url.render_as_string(hide_password=True)}
    unreachable = None
    try:
        values["server_version"] = server_version(PgTarget.from_url(url))
        values["reachable"] = True
    except DatabaseUnreachableError as exc:
        values["reachable"] = False
        values["error"] = exc.detail
        unreachable = exc
    print_mapping("Database", values, as_json)
    if unreachable is not None:
        raise typer.Exit(unreachable.exit_code)


@app.command("pool-status")
def db_pool_status(as_json: JsonFlag = False) -> None:
    """Pool settings and live connections per application, as PostgreSQL sees them."""
    from rich.table import Table
    from sqlalchemy import text

    from openpolicy.db import pool_status

    chosen = current_settings()
    engine = _engine(chosen)
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
        "pool_size": chosen.db_pool_size,
        "max_overflow": chosen.db_max_overflow,
        "pre_ping": chosen.db_pool_pre_ping,
        "recycle_seconds": chosen.db_pool_recycle_seconds,
        "this_process": local.as_dict(),
        "server_max_connections": int(max_connections),
        "server_connections": [
            {"application": app_name, "state": state, "count": count}
            for app_name, state, count in rows
        ],
    }
    if as_json:
        echo_json(values)
        return
    flat = {k: v for k, v in values.items() if k not in {"server_connections", "this_process"}}
    flat.update({f"this process {k}": v for k, v in local.as_dict().items()})
    print_mapping("Connection pool", flat, as_json=False)
    table = Table(title="Connections on the server")
    for column in ("application", "state", "count"):
        table.add_column(column)
    for entry in values["server_connections"]:
        table.add_row(entry["application"], str(entry["state"]), str(entry["count"]))
    stdout().print(table)


@app.command("integrity-check")
def db_integrity_check(
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text (readable report) or json.")
    ] = OutputFormat.text,
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the checks as a psql script instead.")
    ] = False,
    target_url: Annotated[
        str | None, typer.Option("--target-url", help="Check this database instead.")
    ] = None,
) -> None:
    """Find data that cannot be true (orphans, ballots ≠ totals, duplicates, bad dates…)."""
    from openpolicy.ops import integrity

    if sql:
        typer.echo(integrity.render_sql_script(), nl=False)
        return
    report = integrity.check_database(_live_target(current_settings(), target_url))
    if output is OutputFormat.json:
        echo_json(report.as_dict())
    else:
        typer.echo(report.render_text())
    if not report.passed:
        raise typer.Exit(EXIT_FAILED)


@app.command("maintain")
def db_maintain(
    no_reindex: Annotated[
        bool, typer.Option("--no-reindex", help="Only VACUUM (ANALYZE).")
    ] = False,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only this table (repeatable).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """VACUUM (ANALYZE) every table; REINDEX CONCURRENTLY the large ones (reads never wait)."""
    from openpolicy.ops.dbops import maintain

    report = maintain(
        _live_target(current_settings()), reindex=not no_reindex, tables=table or None
    )
    if as_json:
        echo_json(report.as_dict())
        return
    vacuum = sum(report.vacuumed.values())
    reindex = sum(report.reindexed.values())
    typer.echo(f"VACUUM (ANALYZE) {len(report.vacuumed)} table(s) in {vacuum:.1f} s")
    if report.reindexed:
        typer.echo(f"REINDEX CONCURRENTLY {', '.join(report.reindexed)} in {reindex:.1f} s")
    if report.invalid_indexes:
        stderr().print(
            f"[red]invalid indexes left by an interrupted rebuild:[/red] "
            f"{', '.join(report.invalid_indexes)} (drop them and run again)"
        )
        raise typer.Exit(1)


@app.command("locks")
def db_locks(
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text or json.")
    ] = OutputFormat.text,
) -> None:
    """Blocked queries and the queries blocking them (pg_blocking_pids)."""
    from openpolicy.ops.dbops import locks

    rows = locks(_live_target(current_settings()))
    if output is OutputFormat.json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no query is waiting on a lock")
        return
    print_rows(
        "Blocked queries",
        rows,
        [
            "blocked_pid",
            "waiting_seconds",
            "blocked_query",
            "blocking_pid",
            "blocking_state",
            "blocking_transaction_seconds",
            "blocking_query",
        ],
    )
    typer.echo("to end a blocker: SELECT pg_terminate_backend(<blocking_pid>);")


@app.command("activity")
def db_activity(
    all_databases: Annotated[bool, typer.Option("--all", help="Every database.")] = False,
    idle: Annotated[bool, typer.Option("--idle", help="Include idle connections.")] = False,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text or json.")
    ] = OutputFormat.text,
) -> None:
    """What each client connection is doing now (pg_stat_activity)."""
    from openpolicy.ops.dbops import activity

    rows = activity(
        _live_target(current_settings()), all_databases=all_databases, include_idle=idle
    )
    if output is OutputFormat.json:
        echo_json(rows)
        return
    print_rows(
        "Connections",
        rows,
        ["pid", "database", "application", "state", "waiting_for", "query_seconds", "query"],
    )
