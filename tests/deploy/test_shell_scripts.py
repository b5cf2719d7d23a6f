"""The operator scripts are strict bash, shellcheck-clean, executable; the docs cover them."""

from __future__ import annotations

import os

import pytest

from .conftest import REPO_ROOT, SCRIPTS, require_tool, run

SCRIPT_NAMES = [
    "blue-green-deploy.sh",
    "force-rollback.sh",
    "emergency-scale.sh",
    "health-check.sh",
    "smoke-tests.sh",
]


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_script_is_strict_executable_bash(name: str) -> None:
    path = SCRIPTS / name
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert os.access(path, os.X_OK), f"chmod +x scripts/{name}"
    syntax = run(["bash", "-n", str(path)])
    assert syntax.returncode == 0, syntax.stderr


def test_shellcheck_is_clean() -> None:
    """Every shell script of the repository, following what each one sources (-x)."""
    shellcheck = require_tool("shellcheck", "apt-get install shellcheck")
    scripts = sorted(str(p.relative_to(REPO_ROOT)) for p in SCRIPTS.glob("*.sh"))
    assert {f"scripts/{n}" for n in SCRIPT_NAMES} <= set(scripts)
    result = run([shellcheck, "-x", "--shell=bash", *scripts, ".ci/run"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_replica_scripts_are_clean_posix_sh() -> None:
    """deploy/postgres/*.sh run in the official postgres image (its /bin/sh is dash)."""
    shellcheck = require_tool("shellcheck", "apt-get install shellcheck")
    scripts = sorted((REPO_ROOT / "deploy" / "postgres").glob("*.sh"))
    assert {p.name for p in scripts} == {"allow-replication.sh", "standby.sh"}
    for path in scripts:
        assert path.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
        assert os.access(path, os.X_OK), f"chmod +x {path}"
    result = run([shellcheck, "--shell=sh", *(str(p) for p in scripts)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_docs_give_every_command() -> None:
    doc = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for needle in [
        *(f"scripts/{name}" for name in SCRIPT_NAMES),
        "scripts/smoke-routes.txt",
        "deploy/Dockerfile",
        "docker compose --env-file deploy/.env.staging -f deploy/docker-compose.yml config -q",
        "kubernetes-validate --strict deploy/k8s/*.yaml",
        "promtool check config deploy/prometheus/prometheus.yml",
        "promtool check rules deploy/prometheus/rules/*.yml",
        "promtool test rules deploy/prometheus/tests/*.yml",
        "deploy/grafana/dashboards/openpolicy.json",
        "deploy/environments/",
    ]:
        assert needle in doc, needle
