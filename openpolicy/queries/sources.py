"""Official data sources and their freshness, as operators and the API report them."""

from __future__ import annotations

from typing import Any

from openpolicy.queries._sql import Connection, fetch_all

FIELDS: tuple[str, ...] = (
    "name",
    "url",
    "status",
    "last_run",
    "last_success",
    "last_updated",
    "counts",
    "last_error",
)


def list_data_sources(conn: Connection) -> list[dict[str, Any]]:
    """Every source by name: last run, last success, last run that changed data, counts."""
    rows = fetch_all(
        conn,
        "SELECT name, url, status, last_run_at, last_success_at, last_updated_at, counts,"
        " last_error FROM data_sources ORDER BY name",
    )
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]


def list_sessions(conn: Connection) -> list[dict[str, Any]]:
    """Parliamentary sessions, newest first, written `45-1`."""
    rows = fetch_all(
        conn,
        "SELECT code, parliament, session, start_date, end_date FROM parliamentary_sessions"
        " ORDER BY parliament DESC, session DESC",
    )
    keys = ("code", "parliament", "session", "start_date", "end_date")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def list_parties(conn: Connection) -> list[dict[str, Any]]:
    """Parties as the feeds name them, with the colour the site uses."""
    rows = fetch_all(
        conn,
        "SELECT short_name_en, short_name_fr, name_en, name_fr, abbreviation, colour"
        " FROM parties ORDER BY short_name_en",
    )
    keys = ("short_name_en", "short_name_fr", "name_en", "name_fr", "abbreviation", "colour")
    return [dict(zip(keys, row, strict=True)) for row in rows]
