"""Output for people and for scripts: 80-column tables that never cut what people copy,
`--format json` wherever records are printed, colours only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openpolicy.cli import app
from openpolicy.cli_output import fit_widths
from openpolicy.cli_reference import subcommands

OPENPOLICY = Path(sys.executable).parent / "openpolicy"

# Commands that print no records, with the reason.
NO_RECORDS = {
    "openpolicy serve": "a server: logs, not records",
    "openpolicy up": "a server: logs, not records",
    "openpolicy worker": "a worker: logs, not records",
    "openpolicy db psql": "psql's own output",
    "openpolicy db upgrade": "prints SQL (--sql) or one line",
    "openpolicy db downgrade": "prints one line",
    "openpolicy sources parse": "prints records as JSON lines by default (--format json|table)",
    "openpolicy maintenance notify": "sends a notice; prints its subject",
    "openpolicy keys revoke": "prints one line",
}


def _walk(command: Any, path: str) -> list[tuple[str, Any]]:
    children = subcommands(command)
    if children is None:
        return [(path, command)]
    return [found for name, child in children.items() for found in _walk(child, f"{path} {name}")]


def test_every_command_that_prints_records_takes_format_json() -> None:
    import typer.main

    missing = []
    for path, command in _walk(typer.main.get_command(app), "openpolicy"):
        if path in NO_RECORDS:
            continue
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--format" not in options:
            missing.append(path)
    assert missing == []


def test_widths_shrink_the_widest_first_and_never_below_a_floor() -> None:
    # name (kept) 40, age 5, size 7, state 30; two spaces between columns; 80 available.
    widths = fit_widths([40, 5, 7, 30], [40, 3, 4, 6], 80)
    assert widths == [40, 5, 7, 22]
    assert sum(widths) + 2 * 3 == 80
    # Not enough room even at the floors: the kept column stays whole, the lines are longer.
    assert fit_widths([90, 5], [90, 3], 80) == [90, 3]
    assert fit_widths([10, 10], [10, 4], 80) == [10, 10]


def _world(tmp_path: Path, **extra: str) -> dict[str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPENPOLICY_") and k not in {"DATABASE_URL", "REDIS_URL", "NO_COLOR"}
    }
    environment.update(
        OPENPOLICY_DATA_DIR=str(tmp_path / "pgdata"),
        OPENPOLICY_BACKUP_DIR=str(tmp_path / "backups"),
        COLUMNS="80",
        **extra,
    )
    return environment


def _dump(backups: Path, database: str, stamp: str, verified: bool) -> str:
    name = f"{database}-{stamp}.dump"
    (backups / name).write_bytes(b"PGDMP" + bytes(2048))
    manifest = {"file": name, "database": database, "created_at": None}
    if verified:
        manifest["verified_at"] = "2026-03-01T03:01:00+00:00"
    (backups / f"{name}.json").write_text(json.dumps(manifest))
    return name


def test_backup_list_fits_80_columns_and_keeps_names_whole(tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    names = [
        _dump(backups, "openpolicy_production_replica", "20260301T030000Z-2", True),
        _dump(backups, "openpolicy", "20260302T030000Z", False),
    ]
    result = subprocess.run(
        [str(OPENPOLICY), "backup", "list"],
        env=_world(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines), result.stdout
    for name in names:
        assert any(name in line for line in lines), (name, result.stdout)
    assert "unverified" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes
    as_json = subprocess.run(
        [str(OPENPOLICY), "backup", "list", "--format", "json"],
        env=_world(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert sorted(d["name"] for d in json.loads(as_json.stdout)["dumps"]) == sorted(names)


def _run_on_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run with stdout and stderr on a pseudo-terminal; everything it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize(
    ("on_terminal", "no_color", "coloured"),
    [(True, False, True), (True, True, False), (False, False, False)],
)
def test_colours_only_on_a_terminal(
    on_terminal: bool, no_color: bool, coloured: bool, tmp_path: Path
) -> None:
    env = _world(tmp_path, TERM="xterm-256color")
    if no_color:
        env["NO_COLOR"] = "1"
    args = [str(OPENPOLICY), "backup", "verify", "nope.dump"]
    if on_terminal:
        output = _run_on_terminal(args, env)
    else:
        output = subprocess.run(args, env=env, capture_output=True, text=True, check=False).stderr
    assert "no backup file nope.dump" in output
    assert ("\x1b[" in output) is coloured, repr(output)


# --- The plain writer (no rich off a terminal) writes what rich writes ----------------------

TEXTS = [
    "",
    "openpolicy-20260301T030000Z.dump",
    "verified",
    "a value with spaces",
    "Débats de la Chambre",
    "[bold]not markup[/bold]",
    "files [1] and [x]",
    ":thumbs_up: not an emoji",
    "03:00:00 and :100: percent",
    "x" * 95,
    "C-11",
    "7",
]


def _rich_lines(render: Any, width: int = 80) -> str:
    """What rich writes to a plain (non-terminal) stream of this width."""
    import io

    from rich.console import Console

    stream = io.StringIO()
    render(Console(file=stream, width=width, highlight=False))
    return stream.getvalue()


@pytest.fixture
def no_colour_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def _random_table(seed: int) -> tuple[list[Any], list[list[Any]], str | None, int]:
    import random

    from rich.text import Text

    from openpolicy.cli_output import Column

    chance = random.Random(seed)
    columns = [
        Column(
            chance.choice(["name", "age", "size", "state", "key", "status"]),
            keep=chance.random() < 0.3,
            right=chance.random() < 0.4,
        )
        for _ in range(chance.randint(1, 5))
    ]
    rows: list[list[Any]] = []
    for _ in range(chance.randint(0, 4)):
        row: list[Any] = []
        for _ in columns:
            value: Any = chance.choice(TEXTS)
            if chance.random() < 0.2:
                value = Text(value or "-", style="yellow")
            elif chance.random() < 0.1:
                value = chance.randint(0, 10**6)
            row.append(value)
        rows.append(row)
    title = chance.choice([None, "", "Backups in /var/lib/openpolicy/backups", "3 object(s)"])
    return columns, rows, title, chance.choice([40, 60, 80, 100, 132])


def test_plain_tables_are_the_lines_rich_draws(no_colour_overrides: None) -> None:
    from openpolicy.cli_output import _rich_table, plain_table, table_widths

    drawn_plain = 0
    for seed in range(300):
        columns, rows, title, available = _random_table(seed)
        widths = table_widths(columns, rows, available)
        lines = plain_table(columns, rows, widths, title)
        if lines is None:
            continue
        drawn_plain += 1
        expected = _rich_lines(
            lambda console, c=columns, r=rows, w=widths, t=title: _rich_table(c, r, w, t, console),
            width=available,
        )
        assert "\n".join(lines) + "\n" == expected, (seed, columns, rows, title)
    assert drawn_plain > 200  # most tables need no rich at all


def test_values_rich_would_change_go_through_rich(no_colour_overrides: None) -> None:
    from openpolicy.cli_output import Column, plain_table

    columns = [Column("name", keep=True)]
    assert plain_table(columns, [["tab\there"]], [20], None) is None
    assert plain_table(columns, [["line\nbreak"]], [20], None) is None
    assert plain_table(columns, [["議事録"]], [20], None) is None  # two cells a character
    assert plain_table(columns, [[" padded "]], [20], None) is None
    assert plain_table(columns, [["x"]], [4], "a title wider than the table") is None
    # Rich shows a value with brackets as it is (not markup), on both paths.
    lines = plain_table(columns, [["openpolicy-[x].dump"]], [19], None)
    assert lines is not None and lines[-1] == "openpolicy-[x].dump"


@pytest.mark.parametrize(
    ("mark", "rest"),
    [("error:", " " + text) for text in TEXTS if text] + [("… ", "loading 45-1"), ("warning:", "")],
)
def test_plain_message_lines_are_what_rich_writes(
    mark: str, rest: str, no_colour_overrides: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.text import Text

    from openpolicy.cli_output import _plain_line

    if not _plain_line(sys.stderr, mark + rest):
        assert (mark + rest).strip() != mark + rest  # only what rich must lay out is left to it
        return
    expected = _rich_lines(
        lambda console: console.print(Text.assemble((mark, "red"), rest), soft_wrap=True)
    )
    assert capsys.readouterr().err == expected


def test_terminal_detection_follows_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from openpolicy.cli_output import is_plain

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for environment in (
        {},
        {"FORCE_COLOR": "1"},
        {"FORCE_COLOR": ""},
        {"TTY_COMPATIBLE": "0"},
        {"TTY_COMPATIBLE": "1"},
        {"TTY_COMPATIBLE": "1", "FORCE_COLOR": ""},
    ):
        for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        for stream in (io.StringIO(), Terminal()):
            assert is_plain(stream) is not Console(file=stream).is_terminal, environment


@pytest.mark.parametrize("color_system", ["standard", "256", "truecolor"])
@pytest.mark.parametrize("no_color", [False, True])
def test_a_bold_title_on_a_terminal_is_what_rich_writes(
    color_system: str,
    no_color: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    from rich.console import Console
    from rich.text import Text

    from openpolicy.cli_output import _bold_line

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # stdout counts as a terminal, as for rich
    monkeypatch.setenv("TERM", "xterm-256color")
    assert _bold_line("Database")
    stream = io.StringIO()
    console = Console(
        file=stream,
        force_terminal=True,
        color_system=color_system,  # type: ignore[arg-type]
        no_color=no_color,
    )
    console.print(Text("Database", style="bold"))
    assert capsys.readouterr().out == stream.getvalue() == "\x1b[1mDatabase\x1b[0m\n"
    monkeypatch.setenv("TERM", "dumb")  # rich writes no styles there: left to rich
    assert not _bold_line("Database")
