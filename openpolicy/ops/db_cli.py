"""`openpolicy db …`: migrations, where the data lives, psql on it, and its care and checks.

Each command works the same on the embedded cluster and on a production PostgreSQL
(DATABASE_URL).
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

import typer

from openpolicy.cli_kit import (
    EXIT_DATABASE_UNREACHABLE,
    EXIT_FAILED,
    command_group,
    current_settings,
    live_target,
)
from openpolicy.cli_output import (
    Column,
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    error,
    human_age,
    print_mapping,
    print_table,
    wants_json,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from openpolicy.config import Settings
    from openpolicy.ops.pg import PgTarget

app = command_group()


def _engine(settings: Settings) -> Engine:
    from openpolicy.db import create_db_engine

    return create_db_engine(settings)


@app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    sql: Annotated[
        bool,
        typer.Option("--sql", help="Print the SQL the upgrade would run; change nothing."),
    ] = False,
    from_revision: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="With --sql: start from this revision (`base`: an empty database) instead of "
            "the database's own; nothing connects.",
        ),
    ] = None,
) -> None:
    """Apply migrations (to the latest revision by default), or print what would run."""
    from openpolicy import schema

    if from_revision is not None and not sql:
        from openpolicy.ops.pg import OpsInputError

        raise OpsInputError("--from goes with --sql (it names where the printed SQL starts)")
    if sql:
        start = from_revision
        if start is None:
            start = schema.current_revision(_engine(current_settings())) or "base"
        target = schema.head_revision() if revision == "head" else revision
        if start == target:
            typer.echo(f"-- the database is at {start}: nothing to run")
            return
        typer.echo(schema.upgrade_sql(revision, None if start == "base" else start), nl=False)
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
def db_current(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Print the database's migration revision and whether it is the latest."""
    from openpolicy import schema

    current = schema.current_revision(_engine(current_settings()))
    head = schema.head_revision()
    if wants_json(output, as_json):
        echo_json({"revision": current, "latest": head, "up_to_date": current == head})
        return
    state = "up to date" if current == head else f"behind (latest is {head})"
    typer.echo(f"{current or 'empty'} ({state})")


@app.command("status")
def db_status(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Where the data lives: the embedded cluster's state, or whether the server answers."""
    from openpolicy import embedded

    settings = current_settings()
    if settings.uses_embedded_database:
        values: dict[str, Any] = {
            "mode": "embedded",
            **embedded.status(settings.data_dir).as_dict(),
        }
        _print_values(values, "Database", output, as_json)
        return
    from openpolicy.ops.pg import DatabaseUnreachableError, server_version

    target = live_target(settings)
    from openpolicy.config import mask_url

    values = {"mode": "external", "url": mask_url(libpq_url(target))}
    unreachable = None
    try:
        values["server_version"] = server_version(target)
        values["reachable"] = True
    except DatabaseUnreachableError as exc:
        values["reachable"] = False
        values["error"] = exc.detail
        unreachable = exc
        interrupted = _interrupted_restore(target)
        if interrupted is not None:
            values["interrupted_restore"] = interrupted
    _print_values(values, "Database", output, as_json)
    if unreachable is not None:
        raise typer.Exit(unreachable.exit_code)


def _interrupted_restore(target: PgTarget) -> str | None:
    """Why the database is missing, when an earlier version's restore left it renamed aside."""
    from openpolicy.ops.pg import DatabaseUnreachableError
    from openpolicy.ops.restore import interrupted_switch

    try:
        found = interrupted_switch(target)
    except DatabaseUnreachableError:  # the server itself is down: the error says so
        return None
    return found.describe(recovered=False) if found is not None else None


def _print_values(values: dict[str, Any], title: str, output: OutputFormat, as_json: bool) -> None:
    if wants_json(output, as_json):
        echo_json(values)
    else:
        print_mapping(values, title)


def libpq_url(target: PgTarget, *, reveal: bool = False) -> str:
    """The database as a libpq URL (`psql URL`, `pg_dump URL`); the password masked unless
    `reveal`. A Unix socket directory goes in `?host=`, as libpq reads it."""
    user = quote(target.user or "", safe="")
    if target.password is not None:
        user += ":" + (quote(target.password, safe="") if reveal else "***")
    query = dict(target.options)
    netloc = ""
    if target.host and not target.host.startswith("/"):
        netloc = target.host + (f":{target.port}" if target.port else "")
    else:
        if target.host:
            query["host"] = target.host
        if target.port:
            query["port"] = str(target.port)
    at = "@" if user else ""
    suffix = f"?{urlencode(query, safe='/')}" if query else ""
    return f"postgresql://{user}{at}{netloc}/{quote(target.database, safe='')}{suffix}"


@app.command("url")
def db_url(
    reveal: Annotated[
        bool, typer.Option("--reveal", help='Print the password too (for `psql "$(…)"`).')
    ] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """The database's URL for psql and other libpq tools (the embedded cluster is started)."""
    target = live_target(current_settings())
    url = libpq_url(target, reveal=reveal)
    if wants_json(output, as_json):
        echo_json({"url": url, "database": target.database, "host": target.host})
        return
    typer.echo(url)


@app.command(
    "psql",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def db_psql(ctx: typer.Context) -> None:
    """psql on the database: the wheel's own against the embedded cluster, or DATABASE_URL.

    Extra arguments go to psql, e.g. `openpolicy db psql -c "SELECT count(*) FROM bills"`.
    The password reaches psql in its environment, never on a command line.
    """
    import os

    from openpolicy.ops.pg import tool_path

    target = live_target(current_settings())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(target.libpq_env())
    env.pop("PGCONNECT_TIMEOUT", None)
    env["PGAPPNAME"] = "openpolicy db psql"
    # A child, not exec: this process stays attached to the embedded cluster meanwhile (the
    # server stops when the last attached process leaves).
    try:
        completed = subprocess.run([str(tool_path("psql")), *ctx.args], env=env, check=False)
    except KeyboardInterrupt:  # psql handles Ctrl-C itself; we only wait for it
        raise typer.Exit(130) from None
    code = PSQL_EXIT_CODES.get(completed.returncode, completed.returncode)
    if code == EXIT_DATABASE_UNREACHABLE:
        error(f"database unreachable: psql could not connect to {target.display()}")
    raise typer.Exit(code)


# psql's exit codes in ours: 2 "the connection to the server went bad" is an unreachable
# database; 3 "an error in a script with ON_ERROR_STOP" is a failed operation.
PSQL_EXIT_CODES = {2: EXIT_DATABASE_UNREACHABLE, 3: EXIT_FAILED}


@app.command("pool-status")
def db_pool_status(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Pool settings and live connections per application, as PostgreSQL sees them."""
    from sqlalchemy import text

    from openpolicy.db import pool_status

    settings = current_settings()
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
    if wants_json(output, as_json):
        echo_json(values)
        return
    flat = {k: v for k, v in values.items() if k not in {"server_connections", "this_process"}}
    flat.update({f"this process {k}": v for k, v in local.as_dict().items()})
    print_mapping(flat, "Connection pool")
    typer.echo("")
    print_table(
        [Column("application", keep=True), Column("state"), Column("count", right=True)],
        [
            (entry["application"], entry["state"] or "", entry["count"])
            for entry in values["server_connections"]
        ],
        title="Connections on the server",
    )


@app.command("integrity-check")
def db_integrity_check(
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
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
    report = integrity.check_database(live_target(current_settings(), target_url))
    if wants_json(output, as_json):
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
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """VACUUM (ANALYZE) every table; REINDEX CONCURRENTLY the large ones (reads never wait)."""
    from openpolicy.ops.dbops import maintain

    report = maintain(live_target(current_settings()), reindex=not no_reindex, tables=table or None)
    if wants_json(output, as_json):
        echo_json(report.as_dict())
    else:
        vacuum = sum(report.vacuumed.values())
        reindex = sum(report.reindexed.values())
        typer.echo(f"VACUUM (ANALYZE) {len(report.vacuumed)} table(s) in {vacuum:.1f} s")
        if report.reindexed:
            typer.echo(f"REINDEX CONCURRENTLY {', '.join(report.reindexed)} in {reindex:.1f} s")
    if report.invalid_indexes:
        error(
            "invalid indexes left by an interrupted rebuild: "
            f"{', '.join(report.invalid_indexes)} (drop them and run again)"
        )
        raise typer.Exit(EXIT_FAILED)


def _seconds(value: Any) -> str:
    return human_age(float(value)) if value is not None else "-"


@app.command("locks")
def db_locks(output: FormatOption = OutputFormat.text, as_json: JsonFlag = False) -> None:
    """Blocked queries and the queries blocking them (pg_blocking_pids)."""
    from openpolicy.ops.dbops import locks

    rows = locks(live_target(current_settings()))
    if wants_json(output, as_json):
        echo_json(rows)
        return
    if not rows:
        typer.echo("no query is waiting on a lock")
        return
    print_table(
        [
            Column("pid", keep=True, right=True),
            Column("waiting", right=True),
            Column("blocked by", keep=True, right=True),
            Column("its state"),
            Column("its xact", right=True),
            Column("blocked query"),
            Column("blocking query"),
        ],
        [
            (
                row["blocked_pid"],
                _seconds(row["waiting_seconds"]),
                row["blocking_pid"],
                row["blocking_state"],
                _seconds(row["blocking_transaction_seconds"]),
                _one_line(row["blocked_query"]),
                _one_line(row["blocking_query"]),
            )
            for row in rows
        ],
        title="Blocked queries",
    )
    typer.echo("to end a blocker: SELECT pg_terminate_backend(<blocked by>);")
    typer.echo("whole queries: openpolicy db locks --format json")


def _one_line(query: Any) -> str:
    return " ".join(str(query or "").split())


@app.command("activity")
def db_activity(
    all_databases: Annotated[bool, typer.Option("--all", help="Every database.")] = False,
    idle: Annotated[bool, typer.Option("--idle", help="Include idle connections.")] = False,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """What each client connection is doing now (pg_stat_activity)."""
    from openpolicy.ops.dbops import activity

    rows = activity(live_target(current_settings()), all_databases=all_databases, include_idle=idle)
    if wants_json(output, as_json):
        echo_json(rows)
        return
    print_table(
        [
            Column("pid", keep=True, right=True),
            Column("database", keep=True),
            Column("application"),
            Column("state"),
            Column("waiting for"),
            Column("for", right=True),
            Column("query"),
        ],
        [
            (
                row["pid"],
                row["database"],
                row["application"],
                row["state"],
                row["waiting_for"],
                _seconds(row["query_seconds"]),
                _one_line(row["query"]),
            )
            for row in rows
        ],
        title="Connections",
    )
