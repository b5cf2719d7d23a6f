"""Every command starts at once: heavy libraries load only inside the commands that use them.

bench/cli.py measures the start-up time; these tests hold the reason it is short, in fresh
interpreters (what an operator's shell starts), so they cannot pass by accident.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openpolicy.cli import COMMAND_GROUPS, app
from openpolicy.cli_reference import subcommands

# What made `openpolicy --help` take three seconds.
HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "sqlalchemy.orm",
    "alembic",
    "psycopg",
    "boto3",
    "botocore",
    "procrastinate",
    "httpx",
    "lxml",
    "redis",
    "jinja2",
    "zstandard",
    "typer.rich_utils",
    # Off a terminal, output is written without rich (~40 ms of a 0.5 s budget).
    "rich",
    "rich.console",
    "rich.table",
)

PROBE = """
import atexit, json, sys
heavy = {heavy!r}
def report():
    sys.stdout.flush()
    loaded = sorted(name for name in heavy if name in sys.modules)
    loader = sys.modules.get("pydantic.plugin._loader")
    if loader is not None and loader._plugins is not None:
        loaded.append("(pydantic plugin scan)")
    if "pydantic_settings" in sys.modules:
        loaded.append("(settings)")
    sys.stderr.write("\\nLOADED " + json.dumps(loaded) + "\\n")
atexit.register(report)
{body}
"""


def loaded_heavy_modules(body: str, tmp_path: Path, *, args: tuple[str, ...] = ()) -> list[str]:
    """Run `body` in a fresh interpreter; the heavy modules it had imported at exit."""
    code = PROBE.format(heavy=HEAVY, body=body)
    environment = {
        "PATH": "/usr/bin:/bin",
        "OPENPOLICY_DATA_DIR": str(tmp_path / "pgdata"),
        "OPENPOLICY_BACKUP_DIR": str(tmp_path / "backups"),
        "OPENPOLICY_LOG_DIR": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )
    marker = [line for line in result.stderr.splitlines() if line.startswith("LOADED ")]
    assert marker, result.stderr
    loaded: list[str] = json.loads(marker[-1].removeprefix("LOADED "))
    return loaded


def test_importing_the_cli_imports_no_heavy_module(tmp_path: Path) -> None:
    assert loaded_heavy_modules("import openpolicy.cli", tmp_path) == []


def test_loading_every_command_group_imports_no_heavy_module(tmp_path: Path) -> None:
    body = (
        "import typer.main\n"
        "from openpolicy.cli import app\n"
        "from openpolicy.cli_reference import command_paths\n"
        "assert len(command_paths(app)) > 40\n"
    )
    assert loaded_heavy_modules(body, tmp_path) == []


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("version",),
        ("db", "status"),
        ("backup", "list"),
        ("backup", "restore", "--help"),
        ("ingest", "--help"),
        ("keys", "create", "--help"),
    ],
)
def test_quick_commands_run_without_heavy_modules(argv: tuple[str, ...], tmp_path: Path) -> None:
    body = (
        "import sys\n"
        "sys.argv = ['openpolicy', *sys.argv[1:]]\n"
        "from openpolicy.cli import main\n"
        "main()\n"
    )
    loaded = loaded_heavy_modules(body, tmp_path, args=argv)
    # Only commands that read the settings load pydantic-settings, and none scans for
    # pydantic plugins (every installed distribution's metadata) to do it.
    assert loaded == (["(settings)"] if argv in {("db", "status"), ("backup", "list")} else [])


def test_the_probe_sees_a_plugin_scan_and_the_settings(tmp_path: Path) -> None:
    body = "from openpolicy.config import get_settings\nget_settings()\n"
    assert loaded_heavy_modules(body, tmp_path) == ["(pydantic plugin scan)", "(settings)"]


def test_reading_the_settings_leaves_the_plugin_switch_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    from openpolicy.cli_kit import current_settings
    from openpolicy.config import get_settings

    for value in (None, "logfire"):
        if value is None:
            monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
        else:
            monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", value)
        get_settings.cache_clear()
        current_settings()
        assert os.environ.get("PYDANTIC_DISABLE_PLUGINS") == value
    get_settings.cache_clear()


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    assert loaded_heavy_modules("import sqlalchemy.orm", tmp_path) == [
        "sqlalchemy",
        "sqlalchemy.orm",
    ]


def test_every_registered_group_loads_under_its_name() -> None:
    import typer.main

    root = typer.main.get_command(app)
    children = subcommands(root)
    assert children is not None
    for name, (_, summary) in COMMAND_GROUPS.items():
        group = children[name]
        assert group.name == name
        assert subcommands(group), f"{name} has no commands"
        assert summary.endswith(".")


def test_root_help_lists_every_group_with_its_summary() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name, (_, summary) in COMMAND_GROUPS.items():
        assert f"{name} " in result.output and summary in result.output, name


def test_a_mistyped_command_suggests_the_group() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["bakup", "list"])
    assert result.exit_code == 2
    assert "No such command 'bakup'" in result.output
    assert "'backup'" in result.output


def _group_apps() -> dict[str, Any]:
    import importlib

    found = {}
    for name, (target, _) in COMMAND_GROUPS.items():
        module_name, _, attribute = target.partition(":")
        found[name] = getattr(importlib.import_module(module_name), attribute)
    return found


def _helps(group: Any) -> dict[str, str]:
    """Every command's (and sub-group's) full help, as `--help` prints it."""
    import typer

    context = typer.Context(group, info_name=group.name)
    return {
        name: group.get_command(context, name).get_help(
            typer.Context(group.get_command(context, name), info_name=name, parent=context)
        )
        for name in group.list_commands(context)
    }


def test_lazily_built_groups_are_the_groups_typer_builds() -> None:
    import typer
    import typer.main

    from openpolicy.cli_kit import lazy_group

    for name, group_app in {"openpolicy": app, **_group_apps()}.items():
        eager = typer.main.get_group(group_app)
        lazy = lazy_group(group_app)
        context = typer.Context(eager, info_name=name)
        assert lazy.list_commands(context) == eager.list_commands(context), name
        assert lazy.get_help(context) == eager.get_help(context), name
        assert _helps(lazy) == _helps(eager), name


def test_running_a_command_builds_that_command_only() -> None:
    import typer

    from openpolicy.cli_kit import lazy_group

    database = lazy_group(_group_apps()["db"])
    assert database.commands.built() == []
    context = typer.Context(database, info_name="db")
    name, command, _ = database.resolve_command(context, ["status", "--format", "json"])
    assert name == "status" and command.name == "status"
    assert database.commands.built() == ["status"]
    assert "upgrade" in database.commands and database.commands.built() == ["status"]
    assert len(database.commands) > 10  # the others are there, unbuilt
