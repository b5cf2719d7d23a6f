"""Shared helpers for the deployment-artifact tests (tests/deploy)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from .fake_service import CannedService

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
SCRIPTS = REPO_ROOT / "scripts"
FAKE_SERVICE = Path(__file__).resolve().parent / "fake_service.py"

#: The metric names the application exports (the contract with openpolicy/ops/metrics).
CONTRACT_METRICS = frozenset(
    {
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "http_request_duration_seconds_sum",
        "http_request_duration_seconds_count",
        "scraper_last_success_timestamp",
        "scraper_runs_total",
        "scraper_records_total",
        "database_up",
        "db_pool_size",
        "db_pool_checked_out",
        "db_pool_overflow",
        "db_pool_capacity",
        "backup_last_success_timestamp",
        "fidelity_check_failures",
        "cache_requests_total",
        "alerts_sent_total",
        "alerts_queue_age_seconds",
        "alerts_queue_depth",
        "alerts_subscriptions",
        "up",
    }
)


def require_tool(name: str, install_hint: str) -> str:
    """The path of tool ``name`` (virtualenv first, then PATH); fail the test if missing."""
    in_venv = Path(sys.executable).parent / name
    if in_venv.is_file() and os.access(in_venv, os.X_OK):
        return str(in_venv)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is required by this test and was not found: {install_hint}", False)
    return found


def promtool() -> str:
    return require_tool("promtool", "apt-get install prometheus (Debian ships promtool in it)")


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_loopback_port() -> int:
    """A port that is free on 127.0.0.1 right now (chosen by the kernel, so unusual)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    documents = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    assert all(isinstance(doc, dict) for doc in documents), path
    return documents


def base_env() -> dict[str, str]:
    """A minimal environment for the scripts: no operator variables leak into a test."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
    }


STUB_TEMPLATE = """#!{python}
# Recording stand-in for kubectl: logs argv, keeps manifests read from stdin, answers canned
# output. `port-forward` answers are served by fake_service.py on the requested local port.
import json, os, sys
from pathlib import Path

state = Path(os.environ["KUBECTL_STUB_STATE"])
args = sys.argv[1:]
with (state / "calls.jsonl").open("a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
if "-f" in args and args[args.index("-f") + 1] == "-":
    count = len(list(state.glob("stdin-*.yaml")))
    (state / f"stdin-{{count:03d}}.yaml").write_text(sys.stdin.read(), encoding="utf-8")
for answer in json.loads((state / "answers.json").read_text(encoding="utf-8")):
    if all(token in args for token in answer["match"]):
        if answer.get("serve"):
            port = args[-1].split(":")[0]
            os.execv(sys.executable, [sys.executable, {fake_service!r}, answer["serve"], port])
        sys.stdout.write(answer["stdout"])
        sys.stderr.write(answer["stderr"])
        sys.exit(answer["exit"])
sys.exit(0)
"""


@dataclass
class KubectlStub:
    """A ``kubectl`` placed first on PATH that records every call and answers canned output.

    Answers are matched in the order they were added: the first whose tokens all appear in
    the argv wins. Calls that match no answer succeed silently.
    """

    state: Path
    bin_dir: Path
    check_port: int
    answers: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)
        stub = self.bin_dir / "kubectl"
        stub.write_text(
            STUB_TEMPLATE.format(python=sys.executable, fake_service=str(FAKE_SERVICE)),
            encoding="utf-8",
        )
        stub.chmod(0o755)
        self._save()

    def _save(self) -> None:
        (self.state / "answers.json").write_text(json.dumps(self.answers), encoding="utf-8")

    def answer(self, *match: str, stdout: str = "", stderr: str = "", exit: int = 0) -> None:
        self.answers.append(
            {"match": list(match), "stdout": stdout, "stderr": stderr, "exit": exit, "serve": None}
        )
        self._save()

    def serve(self, *match: str, service: CannedService) -> None:
        """Answer a matching ``port-forward`` by serving ``service`` on the local port."""
        spec = self.state / f"service-{len(self.answers)}.json"
        spec.write_text(service.to_json(), encoding="utf-8")
        self.answers.append(
            {"match": list(match), "stdout": "", "stderr": "", "exit": 0, "serve": str(spec)}
        )
        self._save()

    def calls(self) -> list[list[str]]:
        log = self.state / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    def applied(self) -> list[dict[str, Any]]:
        """The manifests piped to ``kubectl apply -f -``, in order."""
        documents: list[dict[str, Any]] = []
        for path in sorted(self.state.glob("stdin-*.yaml")):
            documents.extend(load_yaml_documents(path))
        return documents

    def run_script(
        self, script: str, *args: str, extra_env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = base_env()
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env['PATH']}"
        env["KUBECTL_STUB_STATE"] = str(self.state)
        env["OPENPOLICY_CHECK_PORT"] = str(self.check_port)
        env["OPENPOLICY_CHECK_TIMEOUT"] = "5"
        env.update(extra_env or {})
        return run([str(SCRIPTS / script), *args], env=env, timeout=90)


@pytest.fixture
def kubectl(tmp_path: Path) -> Iterator[KubectlStub]:
    require_tool("curl", "apt-get install curl")
    yield KubectlStub(
        state=tmp_path / "kubectl-state",
        bin_dir=tmp_path / "bin",
        check_port=free_loopback_port(),
    )
