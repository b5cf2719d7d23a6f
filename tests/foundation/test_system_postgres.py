"""The oldest PostgreSQL we support (15) runs the migrations too, where one is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL

from openpolicy import schema
from tests.support.services import free_port

PG15_BIN = Path("/usr/lib/postgresql/15/bin")


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: use the embedded cluster's system user then."""
    return "embedded_postgres" if os.geteuid() == 0 else None


@pytest.fixture(scope="module")
def postgres15() -> Iterator[URL]:
    if not (PG15_BIN / "initdb").exists():
        pytest.skip(f"no system PostgreSQL 15 at {PG15_BIN}: migrations not checked on PG 15")
    workdir = Path(tempfile.mkdtemp(prefix="openpolicy-pg15-"))
    data = workdir / "data"
    user = _server_user()
    if user:
        subprocess.run(["useradd", "-M", "embedded_postgres"], check=False, capture_output=True)
        workdir.chmod(0o777)
    port = free_port()
    subprocess.run(
        [str(PG15_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
        user=user,
    )
    with tempfile.TemporaryFile() as log:
        subprocess.run(
            [
                str(PG15_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-l",
                str(workdir / "log"),
                "-o",
                f"-p {port} -k {workdir} -h 127.0.0.1",
                "start",
            ],
            check=True,
            stdout=log,
            stderr=log,
            user=user,
        )
    try:
        yield URL.create(
            "postgresql+psycopg",
            username="postgres",
            host="127.0.0.1",
            port=port,
            database="postgres",
        )
    finally:
        subprocess.run(
            [str(PG15_BIN / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"],
            check=False,
            capture_output=True,
            user=user,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def test_migrations_up_down_up_on_postgresql_15(postgres15: URL) -> None:
    engine = create_engine(postgres15)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version_num").scalar_one()
        assert 150000 <= int(version) < 160000
        schema.upgrade(engine)
        assert "ballots" in inspect(engine).get_table_names()
        schema.downgrade(engine, "base")
        assert "ballots" not in inspect(engine).get_table_names()
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()
