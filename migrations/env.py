"""Alembic environment: a URL from our settings, online or --sql.

The migrations are the schema's only declaration (no models are kept beside them): new
revisions are written by hand, and tests check the schema they build (tests/foundation/
test_migrations.py) and every read statement's columns against its row class (the read
side's named rows, openpolicy.queries._sql)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from openpolicy.schema import include_object

config = context.config


def _url() -> str:
    """The URL handed over by openpolicy.schema, or the one the settings resolve to."""
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from openpolicy.config import get_settings
    from openpolicy.db import database_url

    return database_url(get_settings()).render_as_string(hide_password=False)


def _configure(connection: Connection | None = None, **kwargs: Any) -> None:
    context.configure(
        target_metadata=None,
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
        transaction_per_migration=True,
        connection=connection,
        **kwargs,
    )


def run_offline() -> None:
    """`--sql`: emit the DDL, connect to nothing."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
