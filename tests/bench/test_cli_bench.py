"""The start-up benchmark runs whole `openpolicy` processes and reports each command."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import (
    FLOORS,
    REPO_ROOT,
    Timing,
    compile_tree,
    every_command_help,
    measure,
    report,
    world,
)

FLOOR = ("<floor>",)
INTERPRETER = ("<interpreter>",)


def test_each_command_is_timed_in_each_tree(tmp_path: Path) -> None:
    environment = world(tmp_path)
    results = measure(
        {"this": REPO_ROOT}, [("version",), ("backup", "list")], 2, environment, tmp_path
    )
    assert list(results) == [("version",), ("backup", "list")]
    for per_tree in results.values():
        assert len(per_tree["this"].runs) == 2
        assert all(seconds > 0 for seconds in per_tree["this"].runs)


def test_every_command_help_names_leaf_commands(tmp_path: Path) -> None:
    commands = every_command_help(REPO_ROOT, world(tmp_path), tmp_path)
    assert ("db", "status", "--help") in commands
    assert ("backup", "pitr", "restore", "--help") in commands
    assert all(command[-1] == "--help" for command in commands)


def test_a_failing_command_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="exited 2"):
        measure({"this": REPO_ROOT}, [("no-such-command",)], 1, world(tmp_path), tmp_path)


def test_report_judges_the_goal_on_the_last_tree(capsys: pytest.CaptureFixture[str]) -> None:
    results: dict[tuple[str, ...], dict[str, Timing]] = {
        ("version",): {"baseline": Timing([2.0, 2.2]), "this": Timing([0.2, 0.3])}
    }
    assert report(results, ["baseline", "this"]) is True
    printed = capsys.readouterr().out
    assert "openpolicy version" in printed and "8.4x" in printed
    slow: dict[tuple[str, ...], dict[str, Timing]] = {("version",): {"this": Timing([0.9])}}
    assert report(slow, ["this"]) is False


def test_the_floors_are_timed_beside_and_never_judged(capsys: pytest.CaptureFixture[str]) -> None:
    results: dict[tuple[str, ...], dict[str, Timing]] = {
        INTERPRETER: {"this": Timing([0.6])},
        FLOOR: {"this": Timing([0.9])},
        ("version",): {"this": Timing([0.3])},
    }
    assert report(results, ["this"]) is True  # a floor over 0.5 s fails nothing
    printed = capsys.readouterr().out
    assert "floor: python -c 'pass'" in printed
    assert "floor: python -c 'import typer, typer._adapters'" in printed
    assert "slowest 0.300 s: met" in printed


def test_the_floors_run_the_interpreter_alone(tmp_path: Path) -> None:
    results = measure({"this": REPO_ROOT}, list(FLOORS), 1, world(tmp_path), tmp_path)
    assert [len(results[floor]["this"].runs) for floor in FLOORS] == [1, 1]


def test_commands_run_with_bytecode_as_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert "PYTHONDONTWRITEBYTECODE" not in world(tmp_path)
    tree = tmp_path / "tree"
    (tree / "openpolicy").mkdir(parents=True)
    (tree / "openpolicy" / "__init__.py").write_text("VERSION = 1\n")
    compile_tree(tree)
    assert list((tree / "openpolicy" / "__pycache__").glob("__init__.*.pyc"))
