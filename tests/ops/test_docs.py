"""docs/operations.md is executable: every `openpolicy …` and `scripts/…` command exists."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from typing import Any

import typer.main
from typer.testing import CliRunner

from openpolicy.cli import app
from openpolicy.cli_reference import subcommands
from tests.ops.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "operations.md"
# Scripts written by the deploy developer take a TARGET and have no --help.
NO_HELP = {
    "health-check.sh",
    "smoke-tests.sh",
    "blue-green-deploy.sh",
    "force-rollback.sh",
    "emergency-scale.sh",
}


def _snippets() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    lines: list[str] = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        lines.extend(block.splitlines())
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    lines.extend(" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose))
    return [line.strip() for line in lines if line.strip()]


def _commands(prefix: str) -> list[list[str]]:
    found = []
    for snippet in _snippets():
        for part in re.split(r"&&|\|", snippet):
            part = part.strip()
            if part.startswith(prefix):
                try:
                    found.append(shlex.split(part, comments=True))
                except ValueError:
                    found.append(part.split())
    return found


def _resolve(words: list[str]) -> tuple[str, ...]:
    """The command path of `openpolicy WORDS…`; fails on an unknown group or command."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    for word in words:
        children = subcommands(command)
        if children is None:  # a command: the rest are its arguments and options
            break
        assert word in children, (
            f"docs/operations.md: no command `openpolicy {' '.join([*path, word])}`"
        )
        command = children[word]
        path.append(word)
    assert subcommands(command) is None, f"`openpolicy {' '.join(path)}` is a group"
    return tuple(path)


def test_every_openpolicy_command_in_the_runbook_exists() -> None:
    commands = _commands("openpolicy ")
    assert len(commands) > 40
    paths = {_resolve(words[1:]) for words in commands}
    runner = CliRunner()
    for path in sorted(paths):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
    for needed in [
        ("backup", "create"),
        ("backup", "verify"),
        ("backup", "list"),
        ("backup", "prune"),
        ("backup", "upload"),
        ("backup", "restore"),
        ("backup", "base"),
        ("backup", "restore-point"),
        ("backup", "pitr", "enable"),
        ("backup", "pitr", "restore"),
        ("dr", "drill"),
        ("maintenance", "on"),
        ("maintenance", "off"),
        ("maintenance", "status"),
        ("incident", "open"),
        ("incident", "update"),
        ("incident", "resolve"),
        ("incident", "show"),
        ("cache", "clear"),
        ("db", "integrity-check"),
        ("db", "maintain"),
        ("db", "locks"),
        ("db", "activity"),
    ]:
        assert needed in paths, f"the runbook never shows `openpolicy {' '.join(needed)}`"


def test_every_script_in_the_runbook_exists_and_answers_help() -> None:
    scripts = {words[0] for words in _commands("scripts/")}
    assert {
        "scripts/restore-from-backup.sh",
        "scripts/enable-maintenance.sh",
        "scripts/dr-health-check.sh",
        "scripts/full-health-check.sh",
    } <= scripts
    for script in sorted(scripts):
        path = REPO_ROOT / script
        assert path.is_file(), f"docs/operations.md names {script}, which does not exist"
        if path.suffix != ".sh":
            continue
        assert os.access(path, os.X_OK), f"chmod +x {script}"
        if path.name in NO_HELP:
            assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0
            continue
        result = subprocess.run(
            ["bash", str(path), "--help"], capture_output=True, text=True, check=False, timeout=30
        )
        assert result.returncode == 0 and "Usage:" in result.stdout, (script, result.stderr)


def test_every_alert_has_a_runbook_section() -> None:
    import yaml

    rules = yaml.safe_load(
        (REPO_ROOT / "deploy" / "prometheus" / "rules" / "openpolicy-alerts.yml").read_text()
    )
    headings = {
        re.sub(r"[^a-z0-9-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
        for line in DOC.read_text().splitlines()
        if line.startswith("#")
    }
    for group in rules["groups"]:
        for rule in group["rules"]:
            anchor = rule["annotations"]["runbook"].split("#", 1)[1]
            assert anchor in headings, f"docs/operations.md has no section for #{anchor}"
