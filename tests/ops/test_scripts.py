"""The operations scripts: strict bash, shellcheck-clean, executable, clear usage errors."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ops.conftest import OPENPOLICY, REPO_ROOT, OpsEnv, load_small_dataset, run_script

OPS_SCRIPTS = [
    "full-health-check.sh",
    "dr-health-check.sh",
    "dr-drill.sh",
    "enable-maintenance.sh",
    "clear-all-caches.sh",
    "restore-from-backup.sh",
    "send-maintenance-notification.sh",
    "send-maintenance-complete.sh",
]


@pytest.mark.parametrize("name", OPS_SCRIPTS)
def test_script_is_strict_and_rejects_bad_usage(name: str) -> None:
    path = REPO_ROOT / "scripts" / name
    lines = path.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash" and "set -euo pipefail" in lines
    assert os.access(path, os.X_OK)
    bad = run_script(name, "--bogus", "extra", "args")
    assert bad.returncode == 2, (bad.stdout, bad.stderr)


def test_shellcheck_is_clean() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "apt-get install shellcheck"
    result = subprocess.run(
        [
            shellcheck,
            "-x",
            *(f"scripts/{n}" for n in OPS_SCRIPTS),
            "scripts/_openpolicy-cli.sh",
            "scripts/_target.sh",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_full_health_check_runs_every_step(ops_env: OpsEnv) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from openpolicy.app import create_app
    from openpolicy.config import Settings
    from openpolicy.ops.backups import create_backup
    from tests.support.services import LiveServer

    load_small_dataset(ops_env.engine)
    engine = create_engine(ops_env.url, poolclass=NullPool)
    app = create_app(Settings(database_url=ops_env.url_string), engine=engine)
    with LiveServer(app) as server:
        missing_backup = run_script("full-health-check.sh", server.url)
        create_backup(ops_env.target, ops_env.backup_dir)
        ok = run_script("full-health-check.sh", server.url)
    engine.dispose()
    assert missing_backup.returncode == 1
    assert "FAILED (dr status)" in missing_backup.stdout
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for step in ("== health-check", "== smoke-tests", "== db integrity-check", "== dr status"):
        assert step in ok.stdout
    assert ok.stdout.rstrip().endswith("full health check: OK")


@pytest.mark.parametrize(
    ("environment", "env_file", "expected"),
    [
        ({"OPENPOLICY_PORT": "8123"}, None, "http://127.0.0.1:8123"),
        ({"OPENPOLICY_PORT": "8123", "OPENPOLICY_HOST": "::1"}, None, "http://[::1]:8123"),
        ({}, "OPENPOLICY_PORT=8124\nOPENPOLICY_HOST=0.0.0.0\n", "http://127.0.0.1:8124"),
        ({}, None, "http://127.0.0.1:8000"),
    ],
)
def test_the_local_target_follows_the_port(
    environment: dict[str, str], env_file: str | None, expected: str, tmp_path: Path
) -> None:
    """`scripts/health-check.sh local` checks the server `openpolicy up` started, on its port."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPENPOLICY_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env |= environment | {"OPENPOLICY_CLI": str(OPENPOLICY)}
    if env_file is not None:
        (tmp_path / "local.env").write_text(env_file)
        env["OPENPOLICY_ENV_FILE"] = str(tmp_path / "local.env")
    result = subprocess.run(
        [
            "bash",
            "-c",
            f"PROG=test ENVIRONMENTS_DIR={REPO_ROOT}/deploy/environments; "
            f"source {REPO_ROOT}/scripts/_target.sh; resolve_base_url local",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
