"""`openpolicy keys create|list|revoke|rotate`: API keys from the operator's shell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openpolicy.cli_kit import command_group, current_settings
from openpolicy.cli_output import (
    Column,
    FormatOption,
    JsonFlag,
    OutputFormat,
    echo_json,
    print_table,
    wants_json,
)

if TYPE_CHECKING:
    import psycopg

app = command_group()

# Bounds that keep a typo from issuing a key no one meant: 1,000,000 requests a minute is far
# above any real client, and the column is a 32-bit integer.
MAX_RATE_LIMIT = 1_000_000
MAX_EXPIRES_DAYS = 3650
MAX_GRACE_HOURS = 24 * 90


@contextmanager
def _connection() -> Iterator[psycopg.Connection[Any]]:
    """One transaction on the configured database (committed when the command succeeds)."""
    from openpolicy.db import connect

    with connect(current_settings(), application_name="openpolicy-keys") as conn:
        yield conn


async def _listed(service: str | None) -> list[dict[str, Any]]:
    """The keys as the admin endpoint lists them (the same query function)."""
    from openpolicy.db import connect_async
    from openpolicy.queries.admin import api_keys

    async with connect_async(current_settings()) as conn:
        return await api_keys(conn, service)


def _when(moment: Any) -> str:
    return "-" if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


@app.command("create")
def create(
    service: Annotated[str, typer.Option("--service", help="Who holds the key.")],
    name: Annotated[str | None, typer.Option("--name", help="Label (default: service).")] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="read (default) or admin; repeatable.")
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit",
            min=1,
            max=MAX_RATE_LIMIT,
            help=f"Requests per minute for this key (1 to {MAX_RATE_LIMIT:,}).",
        ),
    ] = None,
    expires_days: Annotated[
        int | None,
        typer.Option(
            "--expires-days",
            min=1,
            max=MAX_EXPIRES_DAYS,
            help=f"Expire after this many days (1 to {MAX_EXPIRES_DAYS}).",
        ),
    ] = None,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Issue a key. It is printed once: store it now, only its hash is kept."""
    from openpolicy.api import keys

    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_days) if expires_days else None
    with _connection() as conn:
        key, key_id = keys.create(
            conn,
            name=name or service,
            service=service,
            scopes=scope or ["read"],
            rate_limit_per_minute=rate_limit,
            expires_at=expires,
        )
    if wants_json(output, as_json):
        echo_json({"key": key, "id": key_id, "prefix": key.split("_")[1], "service": service})
    else:
        typer.echo(key)
    typer.echo(f"(key {key_id} for {service}; shown once, store it now)", err=True)


@app.command("list")
def list_command(
    service: Annotated[str | None, typer.Option("--service", help="Only this service.")] = None,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Every key with its status (active, rotating, expired, revoked); never the key."""
    import asyncio

    rows = asyncio.run(_listed(service))
    if wants_json(output, as_json):
        echo_json(rows)
        return
    if not rows:
        typer.echo("no API key" + (f" for {service}" if service else ""))
        return
    print_table(
        [
            Column("prefix", keep=True),
            Column("service", keep=True),
            Column("status"),
            Column("scopes"),
            Column("expires (UTC)"),
            Column("last used (UTC)"),
            Column("name"),
        ],
        [
            (
                row["prefix"],
                row["service"],
                row["status"],
                ",".join(row["scopes"]),
                _when(row["expires_at"]),
                _when(row["last_used_at"]),
                row["name"],
            )
            for row in rows
        ],
        title="API keys",
    )


@app.command("revoke")
def revoke(prefix: Annotated[str, typer.Argument(help="The key's 8-digit prefix.")]) -> None:
    """Revoke a key now (every replica refuses it within API_KEY_CACHE_SECONDS)."""
    from openpolicy.api import keys

    with _connection() as conn:
        keys.revoke(conn, prefix)
    typer.echo(f"revoked {prefix}")


@app.command("rotate")
def rotate(
    service: Annotated[
        str, typer.Option("--service", help="Rotate this service's keys, or `all`.")
    ],
    grace_hours: Annotated[
        float | None,
        typer.Option(
            "--grace-hours",
            min=0,
            max=MAX_GRACE_HOURS,
            help="Old keys keep working this long, 0 to end them now (default: setting).",
        ),
    ] = None,
    output: FormatOption = OutputFormat.text,
    as_json: JsonFlag = False,
) -> None:
    """Issue replacements; old keys stay valid for the grace period, then expire."""
    from openpolicy.api import keys

    hours = grace_hours if grace_hours is not None else current_settings().api_key_grace_hours
    with _connection() as conn:
        rotated = keys.rotate(conn, service, dt.timedelta(hours=hours))
    if wants_json(output, as_json):
        echo_json(
            [
                {"service": owner, "old_prefix": old_prefix, "key": new_key}
                for owner, old_prefix, new_key in rotated
            ]
        )
    else:
        for owner, old_prefix, new_key in rotated:
            typer.echo(f"{owner}\t{old_prefix}\t{new_key}")
    typer.echo(f"(rotated {len(rotated)} key(s); old keys valid for {hours:g} h more)", err=True)
