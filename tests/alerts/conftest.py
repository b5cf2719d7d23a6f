"""Alert tests: a fresh migrated database per test, the bundled captures imported by the real
pipeline, a real SMTP server (aiosmtpd) and a real webhook receiver, both on loopback."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from openpolicy import db, embedded, schema
from openpolicy.alerts import delivery, subscriptions
from openpolicy.alerts.searches import SearchSpec
from openpolicy.alerts.targets import TargetSpec
from openpolicy.config import Settings
from openpolicy.ingest.plans import group_units
from openpolicy.ingest.runner import RunReport, run_source
from openpolicy.ingest.sample import SampleFetcher, load_sample, manifest
from openpolicy.sources.http import FetchResult
from tests.conftest import fresh_database
from tests.support.services import free_port, wait_until

TEMPLATE = "alerts_template"
SECRET = "test-secret-key-for-signed-links-0123456789"
SITE = "https://openpolicy.test"
_numbers = itertools.count(1)

__all__ = ["SearchSpec", "TargetSpec"]


@pytest.fixture(scope="session")
def alerts_template(pg_cluster: embedded.EmbeddedCluster) -> str:
    url = fresh_database(pg_cluster, TEMPLATE)
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return TEMPLATE


@pytest.fixture
def alerts_db(pg_cluster: embedded.EmbeddedCluster, alerts_template: str) -> Iterator[URL]:
    """A private, migrated, empty database for one test."""
    name = f"alerts_{next(_numbers)}"
    admin = create_engine(pg_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{alerts_template}"'))
    try:
        yield pg_cluster.url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- a real SMTP server -------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the loopback SMTP server received; `refuse` scripts temporary failures."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # replies for the next DATA commands
    lock: threading.Lock = field(default_factory=threading.Lock)
    handler: Any = None
    controller: Any = None

    def start(self) -> None:
        """Listen (again) on the same port."""
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until `start`."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1) -> list[EmailMessage]:
        wait_until(lambda: len(self.to(address)) >= count, 30, f"{count} e-mail(s) to {address}")
        return self.to(address)


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    box = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            with box.lock:
                if box.refusals:
                    return box.refusals.pop(0)
                message = message_from_bytes(envelope.original_content, policy=policy.default)
                assert isinstance(message, EmailMessage)
                box.messages.append(message)
            return "250 Message accepted for delivery"

    box.handler = Handler()
    box.start()
    try:
        yield box
    finally:
        box.stop()


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def body_html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def links(message: EmailMessage, purpose: str) -> list[str]:
    """Tokens of the signed links of `purpose` in the text part (`/alerts/<purpose>/<token>`)."""
    return re.findall(rf"/alerts/{purpose}/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", body_text(message))


# --- a real webhook receiver ----------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A loopback HTTP server recording every POST; `statuses` scripts the next answers."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = state.statuses.pop(0) if state.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/openpolicy"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- settings, data, following ---------------------------------------------------------------


def alert_settings(database: URL, mailbox: Mailbox | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.render_as_string(hide_password=False),
        "secret_key": SECRET,
        "site_url": SITE,
        "smtp_host": mailbox.host if mailbox else None,
        "smtp_port": mailbox.port if mailbox else 25,
        "smtp_starttls": False,
        "alerts_from": "alerts@openpolicy.test",
        "alerts_retry_seconds": 0,
        "alerts_max_item_age_days": 100_000,  # the captures are years old
        "alerts_webhook_allow_private": True,  # the receiver is on loopback
        "alerts_webhook_require_https": False,
        "db_pool_size": 2,
        "db_max_overflow": 2,
    }
    values.update(overrides)
    return Settings(**values)


def load(database: URL, settings: Settings, *sources: str) -> dict[str, RunReport]:
    """Import the bundled captures of `sources` through the real pipeline."""
    reports = {r.source: r for r in load_sample(database, settings, sources=sources)}
    assert all(r.status == "succeeded" for r in reports.values()), reports
    return reports


class EditedFetcher(SampleFetcher):
    """The sample, with some documents replaced (made from the captures, see each test)."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        super().__init__()
        self.bodies = bodies

    def fetch(self, url: str, previous: Any) -> FetchResult:
        if url in self.bodies:
            return FetchResult(url, 200, self.bodies[url], None, None, "text/xml")
        return super().fetch(url, previous)


def ingest_document(
    database: URL, settings: Settings, source: str, url: str, body: bytes | None = None
) -> RunReport:
    """Import one document of the sample (or `body` in its place) through the runner."""
    fetcher = EditedFetcher({url: body} if body is not None else {})
    report = run_source(
        database,
        settings,
        source,
        fetcher=fetcher,
        units=group_units(source, [url]),
        force=True,
    )
    assert report.status == "succeeded", report.errors
    return report


def sample_url(file: str) -> str:
    return next(d.url for d in manifest() if d.file == file)


Query = Callable[..., list[tuple[Any, ...]]]


def connect(database: URL) -> psycopg.Connection[Any]:
    """An autocommit connection to the test's database (each block opens its transaction)."""
    return db.connect(database, autocommit=True, application_name="openpolicy-test")


@pytest.fixture
def query(alerts_db: URL) -> Iterator[Query]:
    conn = connect(alerts_db)

    def run(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        cursor = conn.execute(sql.encode(), params or None)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    run.database = alerts_db  # type: ignore[attr-defined]
    yield run
    conn.close()


def member_id(query: Query, name: str) -> int:
    found = query("SELECT id FROM elected_members WHERE full_name = %s", name)
    assert len(found) == 1, (name, found)
    return int(found[0][0])


def sign_up(
    database: URL,
    settings: Settings,
    email: str,
    target: TargetSpec,
    *,
    cadence: str = "immediate",
    language: str = "en",
    client: str = "192.0.2.10",
) -> None:
    with connect(database) as conn, conn.transaction():
        subscriptions.sign_up(
            conn,
            settings,
            subscriptions.SignUp(email, language, cadence, target, client),
        )


def follow(
    database: URL,
    settings: Settings,
    mailbox: Mailbox,
    email: str,
    target: TargetSpec,
    *,
    cadence: str = "immediate",
    language: str = "en",
) -> EmailMessage:
    """Sign up, receive the confirmation e-mail over SMTP, and open its link."""
    before = len(mailbox.to(email))
    sign_up(database, settings, email, target, cadence=cadence, language=language)
    delivery.send_due(database, settings)
    message = mailbox.wait_for(email, before + 1)[-1]
    [token] = links(message, "confirm")
    with connect(database) as conn, conn.transaction():
        subscriptions.confirm(conn, settings, token)
    return message


def site_path(url: str) -> str:
    return urlsplit(url).path


__all__ += ["psycopg"]
