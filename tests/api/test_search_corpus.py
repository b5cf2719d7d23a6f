"""The search's corpus statistics belong to one database: a process that reads two (replicas,
the clusters of a test session) never ranks or windows one's search with the other's."""

from __future__ import annotations

import asyncio

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from openpolicy import embedded, schema
from openpolicy.db import connect_async, conninfo
from openpolicy.queries import search
from tests.conftest import fresh_database

OTHER_DATABASE = "openpolicy_search_other"


def _sittings(url: URL) -> list[tuple[int, object, int]]:
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT id, date, session_id FROM debates ORDER BY date DESC, id DESC"
        ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def _version(url: URL) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SELECT version FROM data_version WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def test_two_databases_at_the_same_version_keep_their_own_corpus(
    api_database: URL, pg_cluster: embedded.EmbeddedCluster
) -> None:
    """The sample's database and an empty one at the same data version: each search reads
    its own sittings and speech count, whichever was read first."""
    other = fresh_database(pg_cluster, OTHER_DATABASE)
    engine = create_engine(other)
    schema.upgrade(engine)
    engine.dispose()
    version = _version(api_database)
    assert version > 0
    with psycopg.connect(conninfo(other), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO data_version (id, version, changed_at) VALUES (1, %s, now())"
            " ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            (version,),
        )
    sample_sittings = _sittings(api_database)
    assert sample_sittings and _sittings(other) == []

    async def read(url: URL) -> search.Corpus:
        async with connect_async(url) as conn:
            return await search.corpus(conn)

    async def scenario() -> None:
        first = await read(api_database)
        assert first.sittings == sample_sittings
        empty = await read(other)
        assert empty.version == version
        assert empty.sittings == [] and empty.speeches == 0
        again = await read(api_database)
        assert again.sittings == sample_sittings and again.speeches > 0

    try:
        asyncio.run(scenario())
    finally:
        with psycopg.connect(conninfo(pg_cluster.url("postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{OTHER_DATABASE}" WITH (FORCE)')
