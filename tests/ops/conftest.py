"""Fixtures of the operations tests: per-test databases, the CLI, and real loopback servers
(moto's S3 server, an aiosmtpd SMTP server, an http.server webhook receiver)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner, Result

from openpolicy import embedded, schema
from openpolicy.config import Settings, get_settings
from openpolicy.ops.pg import PgTarget
from tests.conftest import fresh_database
from tests.support.services import free_port, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "ops_template"
OPENPOLICY = Path(sys.executable).parent / "openpolicy"


@pytest.fixture(scope="session")
def ops_template(pg_cluster: embedded.EmbeddedCluster) -> str:
    """A migrated database that per-test databases are copied from (fast)."""
    url = fresh_database(pg_cluster, TEMPLATE)
    engine = create_engine(url, poolclass=NullPool)
    schema.upgrade(engine)
    engine.dispose()
    return TEMPLATE


def _admin(cluster: embedded.EmbeddedCluster) -> Engine:
    return create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def new_database(cluster: embedded.EmbeddedCluster, template: str, name: str) -> URL:
    admin = _admin(cluster)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return cluster.url(name)


def drop_databases_like(cluster: embedded.EmbeddedCluster, prefix: str) -> None:
    admin = _admin(cluster)
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": prefix + "%"}
        ).scalars()
        for name in list(names):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class OpsEnv:
    """One test's world: its own live database, backup directory and settings."""

    url: URL
    engine: Engine
    backup_dir: Path
    report_dir: Path
    monkeypatch: pytest.MonkeyPatch
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def database(self) -> str:
        assert self.url.database is not None
        return self.url.database

    @property
    def url_string(self) -> str:
        return self.url.render_as_string(hide_password=False)

    @property
    def target(self) -> PgTarget:
        return PgTarget.from_url(self.url)

    def setenv(self, name: str, value: str) -> None:
        self.extra[name] = value
        self.monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    def settings(self) -> Settings:
        get_settings.cache_clear()
        return get_settings()

    def env(self) -> dict[str, str]:
        """The environment a subprocess (script, CLI) needs to see the same world."""
        return dict(os.environ)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []


@pytest.fixture
def ops_env(
    pg_cluster: embedded.EmbeddedCluster,
    ops_template: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[OpsEnv]:
    name = f"ops_{uuid.uuid4().hex[:8]}"
    url = new_database(pg_cluster, ops_template, name)
    for variable in list(os.environ):
        if variable.startswith("OPENPOLICY_") or variable in {
            "DATABASE_URL",
            "REDIS_URL",
            "MAINTENANCE_MODE",
        }:
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)
    backup_dir = tmp_path / "backups"
    report_dir = tmp_path / "dr-reports"
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("OPENPOLICY_BACKUP_DIR", str(backup_dir))
    monkeypatch.setenv("OPENPOLICY_DR_REPORT_DIR", str(report_dir))
    get_settings.cache_clear()
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield OpsEnv(url, engine, backup_dir, report_dir, monkeypatch)
    finally:
        engine.dispose()
        get_settings.cache_clear()
        drop_databases_like(pg_cluster, name)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke `openpolicy …` in-process (fast); expected errors surface as exceptions."""
    from openpolicy.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        get_settings.cache_clear()
        return runner.invoke(app, list(args), input=input, catch_exceptions=True)

    return invoke


def run_openpolicy(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real `openpolicy` entry point in a subprocess (error handling, exit codes)."""
    environment = dict(env if env is not None else os.environ)
    environment["COLUMNS"] = "250"  # rich wraps stderr at 80 columns otherwise
    return subprocess.run(
        [str(OPENPOLICY), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def run_script(
    name: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(env if env is not None else os.environ)
    environment["OPENPOLICY_CLI"] = str(OPENPOLICY)
    return subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
        check=False,
    )


# ----------------------------------------------------------------------------- a small dataset


def load_small_dataset(engine: Engine) -> None:
    """A small, realistic and consistent slice of Parliament, written with SQL.

    Used where the bundled sample would be slower than the test needs; the full-cycle test
    uses the real sample loader (openpolicy.ingest.sample).
    """
    statements = [
        "INSERT INTO parliamentary_sessions (id, parliament, session, code, start_date)"
        " VALUES (1, 45, 1, '45-1', DATE '2025-05-26')",
        "INSERT INTO parties (id, short_name_en, short_name_fr, name_en, abbreviation) VALUES"
        " (1, 'Liberal', 'Libéral', 'Liberal Party of Canada', 'Lib.'),"
        " (2, 'Conservative', 'Conservateur', 'Conservative Party of Canada', 'CPC')",
        "INSERT INTO constituencies (id, name_en, name_fr, province) VALUES"
        " (1, 'Ottawa Centre', 'Ottawa-Centre', 'ON'),"
        " (2, 'Calgary Centre', 'Calgary-Centre', 'AB'),"
        " (3, 'Halifax', 'Halifax', 'NS')",
        "INSERT INTO elected_members (id, person_id, first_name, last_name, full_name) VALUES"
        " (1, 1001, 'Yasir', 'Naqvi', 'Yasir Naqvi'),"
        " (2, 1002, 'Greg', 'McLean', 'Greg McLean'),"
        " (3, 1003, 'Shannon', 'Miedema', 'Shannon Miedema')",
        "INSERT INTO member_terms (member_id, constituency_id, party_id, parliament, start_date)"
        " VALUES (1, 1, 1, 45, DATE '2025-04-28'), (2, 2, 2, 45, DATE '2025-04-28'),"
        " (3, 3, 1, 45, DATE '2025-04-28')",
        "INSERT INTO bills (id, session_id, number, title_en, title_fr, introduced_date,"
        " search_en, search_fr) VALUES (1, 1, 'C-2', 'Strong Borders Act',"
        " 'Loi visant une sécurité rigoureuse à la frontière', DATE '2025-06-03',"
        " to_tsvector('english', 'C-2 Strong Borders Act'),"
        " to_tsvector('french', 'C-2 Loi visant une sécurité rigoureuse à la frontière'))",
        "INSERT INTO bill_events (bill_id, sequence, chamber, stage, event_date) VALUES"
        " (1, 1, 'house', 'first_reading', DATE '2025-06-03'),"
        " (1, 2, 'house', 'second_reading', DATE '2025-06-17')",
        "INSERT INTO votes (id, session_id, number, date, subject_en, result, yeas, nays,"
        " paired, bill_id) VALUES (1, 1, 12, DATE '2025-06-17', '2nd reading of Bill C-2',"
        " 'agreed', 2, 1, 0, 1)",
        "INSERT INTO ballots (vote_id, member_id, party_id, value) VALUES"
        " (1, 1, 1, 'yea'), (1, 3, 1, 'yea'), (1, 2, 2, 'nay')",
        "INSERT INTO debates (id, session_id, number, date) VALUES (1, 1, 18, DATE '2025-06-17')",
        "INSERT INTO speeches (debate_id, sequence, member_id, speaker_name, text_en, text_fr,"
        " search_en, search_fr) VALUES"
        " (1, 1, 1, 'Yasir Naqvi', 'Mr. Speaker, the bill secures our borders.',"
        " 'Monsieur le Président, le projet de loi protège nos frontières.',"
        " to_tsvector('english', 'Mr. Speaker, the bill secures our borders.'),"
        " to_tsvector('french',"
        "  'Monsieur le Président, le projet de loi protège nos frontières.')),"
        " (1, 2, 2, 'Greg McLean', 'Mr. Speaker, it goes too far.', NULL,"
        " to_tsvector('english', 'Mr. Speaker, it goes too far.'), NULL)",
        "INSERT INTO data_sources (name, status, last_run_at, last_success_at) VALUES"
        " ('votes', 'ok', now(), now()), ('hansard', 'ok', now(), now())",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
        for table in (
            "parliamentary_sessions",
            "parties",
            "constituencies",
            "elected_members",
            "bills",
            "votes",
            "debates",
        ):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            )


# ----------------------------------------------------------------------------- loopback servers


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]

    def configure(self, env: OpsEnv, bucket: str, prefix: str = "") -> None:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="ca-central-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ca-central-1"}
        )
        env.setenv("OPENPOLICY_S3_BUCKET", bucket)
        env.setenv("OPENPOLICY_S3_ENDPOINT_URL", self.endpoint)
        env.setenv("OPENPOLICY_S3_REGION", "ca-central-1")
        env.setenv("OPENPOLICY_S3_ACCESS_KEY_ID", "testing")
        env.setenv("OPENPOLICY_S3_SECRET_ACCESS_KEY", "testing")
        if prefix:
            env.setenv("OPENPOLICY_S3_PREFIX", prefix)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3-compatible server on a free loopback port (a real HTTP S3 API)."""
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{endpoint}/moto-api/", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, 30, "moto server")
        yield S3Server(endpoint, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Message]

    def configure(self, env: OpsEnv) -> None:
        env.setenv("OPENPOLICY_SMTP_HOST", self.host)
        env.setenv("OPENPOLICY_SMTP_PORT", str(self.port))
        env.setenv("OPENPOLICY_SMTP_STARTTLS", "false")
        env.setenv("OPENPOLICY_SMTP_FROM", "ops@openpolicy.test")
        env.setenv("OPENPOLICY_SMTP_TO", "oncall@openpolicy.test,status@openpolicy.test")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    messages: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            messages.append(message_from_bytes(envelope.original_content))
            return "250 Message accepted for delivery"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, messages)
    finally:
        controller.stop()


@dataclass
class WebhookReceiver:
    url: str
    received: list[dict[str, Any]]
    status: list[int]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """An http.server on loopback that records JSON POST bodies."""
    received: list[dict[str, Any]] = []
    status = [204]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(status[0])
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebhookReceiver(f"http://127.0.0.1:{server.server_port}/hooks/ops", received, status)
    finally:
        server.shutdown()
        server.server_close()
