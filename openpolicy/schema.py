"""Alembic, driven from our code: the only way the schema changes (never create_all)."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

# Tables owned by libraries whose schema our migrations install verbatim (procrastinate's
# job queue): autogenerate must not try to drop them.
FOREIGN_TABLE_PREFIXES = ("procrastinate_",)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object | None
) -> bool:
    """Alembic filter: compare only our own tables (and their indexes/constraints)."""
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not (table_name or "").startswith(FOREIGN_TABLE_PREFIXES)


def migrations_dir() -> Path:
    """Migrations shipped inside the wheel, or the repository's `migrations/` in a checkout."""
    packaged = Path(__file__).parent / "migrations"
    if (packaged / "env.py").exists():
        return packaged
    return Path(__file__).parent.parent / "migrations"


def alembic_config(url: URL | str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.attributes["url"] = rendered
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` in the database behind `engine`."""
    config = alembic_config(engine.url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to `revision` (`-1`, `base`, or a revision id)."""
    config = alembic_config(engine.url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def upgrade_sql(revision: str = "head", from_revision: str | None = None) -> str:
    """The DDL an upgrade would run, without connecting anywhere."""
    config = alembic_config("postgresql+psycopg://offline/openpolicy")
    buffer = io.StringIO()
    config.output_buffer = buffer
    target = f"{from_revision}:{revision}" if from_revision else revision
    with redirect_stdout(buffer):
        command.upgrade(config, target, sql=True)
    return buffer.getvalue()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
