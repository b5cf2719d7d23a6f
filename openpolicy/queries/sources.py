"""Official data sources and their freshness, parliamentary sessions and parties, as the API
reports them."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from openpolicy.db import ReadConnection
from openpolicy.queries._sql import fetch_all


class DataSource(NamedTuple):
    name: str
    url: str | None
    status: str
    last_run: dt.datetime | None
    last_success: dt.datetime | None
    last_updated: dt.datetime | None
    counts: dict[str, Any] | None
    last_error: str | None


FIELDS: tuple[str, ...] = DataSource._fields


async def list_data_sources(conn: ReadConnection) -> list[dict[str, Any]]:
    """Every source by name: last run, last success, last run that changed data, counts."""
    rows = await fetch_all(
        conn,
        DataSource,
        "SELECT name, url, status, last_run_at AS last_run, last_success_at AS last_success,"
        " last_updated_at AS last_updated, counts, last_error FROM data_sources ORDER BY name",
    )
    return [row._asdict() for row in rows]


class Session(NamedTuple):
    code: str
    parliament: int
    session: int
    start_date: dt.date | None
    end_date: dt.date | None


async def list_sessions(conn: ReadConnection) -> list[dict[str, Any]]:
    """Parliamentary sessions, newest first, written `45-1`."""
    rows = await fetch_all(
        conn,
        Session,
        "SELECT code, parliament, session, start_date, end_date FROM parliamentary_sessions"
        " ORDER BY parliament DESC, session DESC",
    )
    return [row._asdict() for row in rows]


class Party(NamedTuple):
    short_name_en: str
    short_name_fr: str | None
    name_en: str | None
    name_fr: str | None
    abbreviation: str | None
    colour: str | None


async def list_parties(conn: ReadConnection) -> list[dict[str, Any]]:
    """Parties as the feeds name them, with the colour the site uses."""
    rows = await fetch_all(
        conn,
        Party,
        "SELECT short_name_en, short_name_fr, name_en, name_fr, abbreviation, colour"
        " FROM parties ORDER BY short_name_en",
    )
    return [row._asdict() for row in rows]
