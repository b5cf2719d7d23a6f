"""Request-scoped helpers of the web pages: the database session and the maintenance guard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
from fastapi import Request
from psycopg_pool import ConnectionPool
from sqlalchemy.orm import Session

from openpolicy.db import session_scope
from openpolicy.errors import MaintenanceError
from openpolicy.ops.maintenance import MaintenanceReader, MaintenanceStatus


class Reader:
    """A page's database access, opened on first use and closed with the request.

    `conn` is a psycopg connection in autocommit (the civic-data queries take tuple rows and
    manage their own transactions): the API's read pool when the app has one, so both
    surfaces share prepared statements, else a connection of the app's engine. `session` is
    a SQLAlchemy session for the operations queries (status, incidents).
    """

    def __init__(self, state: Any) -> None:
        self._state = state
        self._stack = ExitStack()
        self._conn: psycopg.Connection[Any] | None = None
        self._session: Session | None = None

    @property
    def conn(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            pool = getattr(getattr(self._state, "api", None), "pool", None)
            if isinstance(pool, ConnectionPool):
                self._conn = self._stack.enter_context(pool.connection())
            else:
                raw = self._state.engine.raw_connection()
                driver = raw.driver_connection
                assert isinstance(driver, psycopg.Connection)
                driver.autocommit = True

                def give_back() -> None:
                    driver.autocommit = False
                    raw.close()

                self._stack.callback(give_back)
                self._conn = driver
        return self._conn

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._stack.enter_context(session_scope(self._state.sessions))
        return self._session

    def close(self) -> None:
        self._stack.close()


def db(request: Request) -> Iterator[Reader]:
    """The page's database access; connections go back to their pool when it is done."""
    reader = Reader(request.app.state)
    try:
        yield reader
    finally:
        reader.close()


def maintenance_reader(request: Request) -> MaintenanceReader:
    """The process's cached reader of the switch: the app's own when ops installed one."""
    state = request.app.state
    reader = getattr(state, "maintenance", None)
    if isinstance(reader, MaintenanceReader):
        return reader
    reader = getattr(state, "web_maintenance", None)
    if not isinstance(reader, MaintenanceReader) or reader.engine is not state.engine:
        reader = MaintenanceReader(state.engine, state.settings)
        state.web_maintenance = reader
    return reader


def maintenance_status(request: Request) -> MaintenanceStatus:
    return maintenance_reader(request).current()


def maintenance_guard(request: Request) -> None:
    """Every page but /status answers the maintenance page (503) while the switch is on."""
    status = maintenance_status(request)
    if status.enabled:
        raise MaintenanceError(
            status.message or "Down for maintenance.",
            retry_after=status.retry_after_seconds or 300,
            until=status.until.isoformat() if status.until else None,
        )
