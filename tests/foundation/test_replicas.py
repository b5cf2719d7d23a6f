"""Reading from streaming replicas (DATABASE_REPLICA_URLS), on a real hot standby.

A primary of its own (the embedded cluster), a standby built from it with the wheel's
`pg_basebackup -R` and streaming replication over a Unix socket, and the app served with
DATABASE_URL on the primary and the standby as its replica. An ingest on the primary reaches
the site and the API through the standby; while the standby's replay is paused the site
keeps serving the standby's data (so the reads do go there), while key checks and the audit
trail still see the primary at once; a standby stopped, or stuck behind, is left out and
the primary serves until it is back.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from openpolicy import embedded, schema
from openpolicy.api import keys
from openpolicy.app import create_app
from openpolicy.config import Settings
from openpolicy.dataversion import bump_data_version
from openpolicy.db import ReadPool, conninfo
from openpolicy.ingest.sample import load_sample
from openpolicy.ops.pg import grant_server_access
from tests.support.services import LiveServer, free_port, wait_until

DATABASE = "openpolicy"
BILL_PAGE = "/bills/44-1/C-291"
BILL_JSON = "/api/v1/bills/44-1/C-291"


@dataclass
class Standby:
    """A hot standby of `primary`, started with pg_ctl on a Unix socket of its own."""

    data_dir: Path
    port: int

    def url(self) -> URL:
        return URL.create(
            "postgresql+psycopg",
            username=embedded.SUPERUSER,
            database=DATABASE,
            query={"host": str(self.data_dir), "port": str(self.port)},
        )

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(conninfo(self.url()), autocommit=True)

    def start(self) -> None:
        embedded.run_pg_tool(
            "pg_ctl",
            [
                "-D",
                str(self.data_dir),
                "-w",
                "-l",
                str(self.data_dir / "log"),
                "-o",
                f"-h '' -k {self.data_dir} -p {self.port}",
                "start",
            ],
        )

    def stop(self) -> None:
        embedded.run_pg_tool("pg_ctl", ["-D", str(self.data_dir), "-w", "-m", "fast", "stop"])


def build_standby(primary: embedded.EmbeddedCluster, where: Path) -> Standby:
    """`pg_basebackup -R`: a copy of the primary that streams its WAL from then on."""
    grant_server_access(where, embedded.system_user())
    data_dir = where / "pgdata"
    embedded.run_pg_tool(
        "pg_basebackup",
        [*primary.libpq_args(), "-D", str(data_dir), "-R", "-X", "stream", "-c", "fast"],
    )
    standby = Standby(data_dir, free_port())
    standby.start()
    return standby


@dataclass
class Replicated:
    primary: URL
    standby: Standby
    app: object
    server: LiveServer
    client: httpx.Client

    @property
    def reads(self) -> ReadPool:
        reads: ReadPool = self.app.state.reads  # type: ignore[attr-defined]
        return reads


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    """Primary with the sample but the bill details; a standby; the app reading from it."""
    root = tmp_path_factory.mktemp("replicas")
    primary = embedded.start(root / "primary", database=DATABASE)
    url = primary.url(DATABASE)
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    settings = Settings(database_url=url.render_as_string(hide_password=False))
    loaded = load_sample(url, settings, sources=("members", "bills", "votes", "ballots"))
    assert all(report.status == "succeeded" for report in loaded), loaded
    standby = build_standby(primary, root / "standby")
    app = create_app(
        Settings(
            database_url=url.render_as_string(hide_password=False),
            database_replica_urls=[standby.url().render_as_string(hide_password=False)],
            # This test pauses the standby's replay and expects it to keep serving.
            database_replica_max_lag_seconds=3600,
            api_cache_enabled=False,
            api_access_log=False,
            db_pool_size=2,
            db_max_overflow=2,
        )
    )
    try:
        with (
            LiveServer(app) as server,
            httpx.Client(base_url=server.url, timeout=30) as client,
        ):
            yield Replicated(url, standby, app, server, client)
    finally:
        standby.stop()
        primary.detach()


def version_of(response: httpx.Response) -> int:
    """The data version a response was built from (its ETag: `"<version hex>-<url>"`)."""
    found = re.match(r'"([0-9a-f]+)-', response.headers["etag"])
    assert found is not None, response.headers
    return int(found.group(1), 16)


def primary_version(replicated: Replicated) -> int:
    with psycopg.connect(conninfo(replicated.primary)) as conn:
        row = conn.execute("SELECT version FROM data_version WHERE id = 1").fetchone()
    assert row is not None
    return int(row[0])


def test_the_standby_is_a_hot_standby_the_app_reads(replicated: Replicated) -> None:
    with replicated.standby.connect() as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        assert conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone() == ("streaming",)
    replica = replicated.reads.replicas[0]
    wait_until(lambda: replica.version.current() is not None, 60, "the replica's version")
    assert replica.version.standby and not replica.version.listening  # it polls
    assert replicated.reads.version.listening and not replicated.reads.version.standby
    assert replicated.reads.pick() is replica
    assert replicated.client.get(BILL_PAGE).status_code == 404  # not ingested yet


def test_an_ingest_on_the_primary_reaches_the_site_and_the_api_through_the_replica(
    replicated: Replicated,
) -> None:
    client, standby = replicated.client, replicated.standby
    replica = replicated.reads.replicas[0]
    with standby.connect() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        wait_until(
            lambda: (
                conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() == ("paused",)
            ),
            60,
            "the standby's replay to pause",
        )
    before = replica.version.current()
    assert before is not None
    settings = Settings(database_url=replicated.primary.render_as_string(hide_password=False))
    (report,) = load_sample(replicated.primary, settings, sources=("bill",))
    assert report.status == "succeeded", report
    ingested = primary_version(replicated)
    assert ingested > before[0]
    # The primary has the bill and the app knows it (its watcher LISTENs there), but the
    # pages and the API read the paused standby: they still answer from its data.
    wait_until(
        lambda: (replicated.reads.version.current() or (0,))[0] == ingested,
        60,
        "the primary's watcher to hear the ingest",
    )
    page, data = client.get(BILL_PAGE), client.get(BILL_JSON)
    assert (page.status_code, data.status_code) == (404, 404)
    listed = client.get("/api/v1/bills?session=44-1")
    assert listed.status_code == 200 and version_of(listed) == before[0]
    assert replicated.reads.pick() is replica

    with standby.connect() as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    wait_until(lambda: client.get(BILL_PAGE).status_code == 200, 30, "the bill page via replica")
    page, data = client.get(BILL_PAGE), client.get(BILL_JSON)
    assert page.status_code == 200 and "C-291" in page.text
    assert data.status_code == 200 and data.json()["data"]["number"] == "C-291"
    # Labelled with the replica's version, which follows its replay (polled, so it may
    # trail the data by a poll, never run ahead of it).
    wait_until(lambda: version_of(client.get(BILL_JSON)) == ingested, 60, "the replica's version")
    assert (replica.version.current() or (0,))[0] == ingested


def test_key_checks_and_the_audit_trail_use_the_primary(replicated: Replicated) -> None:
    """With the standby's replay paused, a key issued on the primary works at once, and a
    refused key's audit event is on the primary (a write never goes to a replica)."""
    client, standby = replicated.client, replicated.standby
    with standby.connect() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        with psycopg.connect(conninfo(replicated.primary)) as conn:
            key, _key_id = keys.create(
                conn, name="replica test", service="tests", scopes=["read", "admin"]
            )
        with standby.connect() as conn:
            wait_until(
                lambda: (
                    conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() == ("paused",)
                ),
                60,
                "the standby's replay to pause",
            )
        assert client.get("/api/v1/bills", headers={"X-API-Key": key}).status_code == 200
        refused = client.get("/api/v1/bills", headers={"X-API-Key": "opk_00000000_" + "x" * 30})
        assert refused.status_code == 401

        def refusal_written() -> bool:
            # Refusals are written as counts per address and minute (openpolicy.api.audit),
            # flushed every audit_flush_seconds; a row keeps up to five actors.
            events = client.get(
                "/api/v1/admin/audit-events?action=api.unauthorized", headers={"X-API-Key": key}
            )
            assert events.status_code == 200
            return any(
                e["actor"] == "key:00000000"
                or "key:00000000" in ((e.get("details") or {}).get("actors") or [])
                for e in events.json()["data"]
            )

        wait_until(refusal_written, 30, "the refused key's count in the primary's audit trail")
        with standby.connect() as conn:
            found = conn.execute(
                "SELECT count(*) FROM api_keys WHERE name = 'replica test'"
            ).fetchone()
        assert found == (0,)  # the standby has not replayed the key: the check read the primary
    finally:
        with standby.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def test_the_primary_serves_while_the_replica_is_down(replicated: Replicated) -> None:
    client, standby, reads = replicated.client, replicated.standby, replicated.reads
    replica = reads.replicas[0]
    standby.stop()
    try:
        wait_until(lambda: replica.version.current() is None, 60, "the replica to be missed")
        assert reads.pick() is reads
        page, data = client.get(BILL_PAGE), client.get(BILL_JSON)
        assert (page.status_code, data.status_code) == (200, 200)
        assert version_of(data) == primary_version(replicated)
    finally:
        standby.start()
    wait_until(lambda: reads.pick() is replica, 60, "the replica back in turn")
    assert client.get(BILL_JSON).status_code == 200


def test_a_replica_stuck_behind_is_left_out_until_it_catches_up(replicated: Replicated) -> None:
    """A pool with a short lag limit: the replica's replay paused, an ingest on the primary,
    and once it has been behind longer than the limit reads go to the primary."""
    standby = replicated.standby
    settings = Settings(
        database_url=replicated.primary.render_as_string(hide_password=False),
        database_replica_urls=[standby.url().render_as_string(hide_password=False)],
        database_replica_max_lag_seconds=0.5,
        db_pool_size=1,
        db_max_overflow=0,
    )

    async def scenario() -> None:
        reads = ReadPool(
            settings,
            replicated.primary,
            replicas=[standby.url().render_as_string(hide_password=False)],
        )
        await reads.open()
        try:
            replica = reads.replicas[0]
            await until(lambda: reads.pick() is replica, "the replica in turn")
            with standby.connect() as conn:
                conn.execute("SELECT pg_wal_replay_pause()")
            try:
                with psycopg.connect(conninfo(replicated.primary)) as conn:
                    moved = bump_data_version(conn)
                await until(
                    lambda: (reads.version.current() or (0,))[0] == moved, "the primary's bump"
                )
                await until(lambda: reads.pick() is reads, "the stuck replica to be left out")
            finally:
                with standby.connect() as conn:
                    conn.execute("SELECT pg_wal_replay_resume()")
            await until(lambda: reads.pick() is replica, "the replica caught up, in turn again")
        finally:
            await reads.close()

    asyncio.run(scenario())


async def until(condition: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """`wait_until` for a coroutine test: the pools' watchers run on this event loop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
