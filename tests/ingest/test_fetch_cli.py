"""`openpolicy sources fetch` as an operator sees it offline or against a flaky server:
one line naming the host at once, and the retries said as they happen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from openpolicy import embedded, schema
from tests.conftest import fresh_database
from tests.ingest.parliament import Fault, Parliament

OPENPOLICY = Path(sys.executable).parent / "openpolicy"


def _run(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPENPOLICY_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    environment.update(COLUMNS="200", **env)
    return subprocess.run(
        [str(OPENPOLICY), *args],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_unresolvable_host_is_one_clear_line(tmp_path: Path) -> None:
    result = _run(
        "sources",
        "fetch",
        "members",
        "--url",
        "https://-offline.invalid/Members/en/search/XML",
        tmp_path=tmp_path,
        OPENPOLICY_HTTP_BACKOFF_SECONDS="30",  # a retry would show (and take minutes)
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: https://-offline.invalid/Members/en/search/XML: cannot resolve host "
        "-offline.invalid (Name or service not known): check the network and the name"
    ]


def test_retries_are_said_on_the_terminal(parliament: Parliament, tmp_path: Path) -> None:
    url = parliament.serve_fixture("/Members/en/search/XML", "ourcommons/members-44.xml")
    parliament.script("/Members/en/search/XML", Fault(503), Fault(502))
    result = _run(
        "sources",
        "fetch",
        "members",
        "--url",
        url,
        "--format",
        "json",
        tmp_path=tmp_path,
        OPENPOLICY_HTTP_BACKOFF_SECONDS="0.01",
        OPENPOLICY_HTTP_REQUESTS_PER_SECOND="1000",
    )
    assert result.returncode == 0, result.stderr
    retries = [line for line in result.stderr.splitlines() if "retry" in line]
    assert len(retries) == 2
    assert "WARNING" in retries[0] and "retry 1 of 4 in " in retries[0]
    assert retries[0].endswith(f"{url}: HTTP 503") and retries[1].endswith(f"{url}: HTTP 502")
    assert '"status": 200' in result.stdout


def test_an_offline_ingest_run_fails_in_one_clear_line_per_document(
    pg_cluster: embedded.EmbeddedCluster, tmp_path: Path
) -> None:
    url = fresh_database(pg_cluster, "ingest_offline")
    engine = create_engine(url, poolclass=NullPool)
    schema.upgrade(engine)
    engine.dispose()
    result = _run(
        "ingest",
        "run",
        "members",
        "votes",
        tmp_path=tmp_path,
        DATABASE_URL=url.render_as_string(hide_password=False),
        OPENPOLICY_OURCOMMONS_BASE_URL="https://-offline.invalid",
        OPENPOLICY_HTTP_BACKOFF_SECONDS="30",  # any retry would take minutes
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert errors and all("cannot resolve host -offline.invalid" in line for line in errors)
    assert "retry" not in result.stderr and "disallowed" not in result.stderr
