"""Start-up time of the `openpolicy` command, as operators feel it: whole processes.

    .venv/bin/python -m bench.cli                        # this checkout
    .venv/bin/python -m bench.cli --baseline /tmp/main   # beside an older checkout
    .venv/bin/python -m bench.cli --every-command        # also `openpolicy … --help` of each

Each command runs as a new process through the installed `openpolicy` entry point (the
console script of this virtualenv), with `PYTHONPATH` pointing at the checkout measured, so
a baseline tree (e.g. `git archive main | tar -x -C /tmp/main`) runs with the same
interpreter and libraries. Runs of the two trees alternate, so a busy moment of the shared
machine falls on both. The commands need no running database: `db status` reads the
embedded cluster's files (an empty data directory here) and `backup list` a backup folder
holding a few dumps' manifests. Goal: every command starts in ≤ 0.5 s (median). The first
rows, the floors, are the bare interpreter and the interpreter importing Typer alone, timed
beside them: on a busy shared machine they show how much of each figure the machine, not our
code, costs.

Each tree's package is compiled to bytecode first (`compileall`), and the commands run with
bytecode writing allowed whatever the caller's `PYTHONDONTWRITEBYTECODE` says: an installed
package has its bytecode, and a tree without it (a fresh `git archive`) would otherwise pay
for compiling every module it imports on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 0.5
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("version",),
    ("db", "status"),
    ("backup", "list"),
)

# What any Typer command pays before our code runs: the interpreter, then Typer and the
# pydantic adapters it converts parameters with. Timed beside the commands (same moments of
# the shared machine), they show how much of a figure is ours.
FLOORS: dict[tuple[str, ...], str] = {
    ("<interpreter>",): "pass",
    ("<floor>",): "import typer, typer._adapters",
}


@dataclass
class Timing:
    """Wall-clock seconds of every run of one command in one tree."""

    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def entry_point() -> list[str]:
    """The console script installed beside this interpreter (what operators run)."""
    script = Path(sys.executable).parent / "openpolicy"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "openpolicy.cli"]


def world(workdir: Path) -> dict[str, str]:
    """An environment with an empty embedded data directory and a backup folder."""
    backups = workdir / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    for day in range(1, 4):
        stamp = f"202603{day:02d}T030000Z"
        name = f"openpolicy-{stamp}.dump"
        (backups / name).write_bytes(b"PGDMP" + bytes(1024))
        manifest = {
            "file": name,
            "database": "openpolicy",
            "created_at": f"2026-03-{day:02d}T03:00:00+00:00",
            "finished_at": f"2026-03-{day:02d}T03:00:41+00:00",
            "verified_at": f"2026-03-{day:02d}T03:00:44+00:00",
            "size_bytes": 1029,
            "sha256": "0" * 64,
            "dump_seconds": 41.0,
        }
        (backups / f"{name}.json").write_text(json.dumps(manifest))
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OPENPOLICY_")
        and key not in {"DATABASE_URL", "REDIS_URL", "PYTHONDONTWRITEBYTECODE"}
    }
    environment.update(
        {
            "OPENPOLICY_DATA_DIR": str(workdir / "pgdata"),
            "OPENPOLICY_BACKUP_DIR": str(backups),
            "OPENPOLICY_LOG_DIR": str(workdir / "logs"),
            "COLUMNS": "80",
        }
    )
    return environment


def run_once(tree: Path, args: tuple[str, ...], environment: dict[str, str], cwd: Path) -> float:
    env = dict(environment, PYTHONPATH=str(tree))
    argv = [sys.executable, "-c", FLOORS[args]] if args in FLOORS else [*entry_point(), *args]
    started = time.perf_counter()
    result = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"`openpolicy {' '.join(args)}` in {tree} exited {result.returncode}:\n"
            + result.stderr.decode(errors="replace")
        )
    return elapsed


def compile_tree(tree: Path) -> None:
    """Bytecode for every module of the tree's package, as an installed package has it."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "openpolicy")],
        capture_output=True,
        timeout=300,
        check=True,
    )


def floor_name(command: tuple[str, ...]) -> str:
    return f"floor: python -c '{FLOORS[command]}'"


def every_command_help(tree: Path, environment: dict[str, str], cwd: Path) -> list[tuple[str, ...]]:
    """`(path…, "--help")` for every command that `openpolicy commands` lists in `tree`."""
    result = subprocess.run(
        [*entry_point(), "commands"],
        env=dict(environment, PYTHONPATH=str(tree)),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    paths = [line.split()[1:] for line in result.stdout.splitlines() if line.strip()]
    return [(*path, "--help") for path in paths if path]


def measure(
    trees: dict[str, Path],
    commands: list[tuple[str, ...]],
    runs: int,
    environment: dict[str, str],
    cwd: Path,
) -> dict[tuple[str, ...], dict[str, Timing]]:
    results: dict[tuple[str, ...], dict[str, Timing]] = {}
    for command in commands:
        per_tree = {label: Timing() for label in trees}
        for tree in trees.values():  # warm-up: bytecode written, files in the page cache
            run_once(tree, command, environment, cwd)
        for _ in range(runs):
            for label, tree in trees.items():
                per_tree[label].runs.append(run_once(tree, command, environment, cwd))
        results[command] = per_tree
    return results


def report(results: dict[tuple[str, ...], dict[str, Timing]], labels: list[str]) -> bool:
    """Print one row per command; True when every median meets the goal in the last tree."""
    width = max(len(" ".join(command)) for command in results) + 11
    width = max(
        [width, *(len(floor_name(command)) + 1 for command in results if command in FLOORS)]
    )
    header = f"{'command':<{width}}" + "".join(f"{label + ' median':>16}" for label in labels)
    header += f"{'min':>8}{'max':>8}"
    if len(labels) == 2:
        header += f"{'ratio':>8}"
    print(header)
    all_met = True
    for command, per_tree in results.items():
        floor = command in FLOORS
        name = floor_name(command) if floor else "openpolicy " + " ".join(command)
        current = per_tree[labels[-1]]
        row = f"{name:<{width}}" + "".join(f"{per_tree[lb].median:>15.3f}s" for lb in labels)
        row += f"{min(current.runs):>7.3f}s{max(current.runs):>7.3f}s"
        if len(labels) == 2:
            row += f"{per_tree[labels[0]].median / current.median:>7.1f}x"
        if floor:
            print(row)
            continue
        met = current.median <= GOAL_SECONDS
        all_met = all_met and met
        print(row + ("" if met else "  over the goal"))
    worst = max(
        per_tree[labels[-1]].median
        for command, per_tree in results.items()
        if command not in FLOORS
    )
    verdict = "met" if all_met else "NOT met"
    print(f"goal: every command ≤ {GOAL_SECONDS} s (median); slowest {worst:.3f} s: {verdict}")
    return all_met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CLI start-up benchmark (prints its figures)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command and tree")
    parser.add_argument("--baseline", type=Path, help="an older checkout to run side by side")
    parser.add_argument(
        "--every-command", action="store_true", help="also time `--help` of every command"
    )
    args = parser.parse_args(argv)
    trees = {"this": REPO_ROOT}
    if args.baseline is not None:
        trees = {"baseline": args.baseline.resolve(), "this": REPO_ROOT}
    with tempfile.TemporaryDirectory(prefix="openpolicy-bench-cli-") as scratch:
        workdir = Path(scratch)
        environment = world(workdir)
        for tree in trees.values():
            compile_tree(tree)
        commands = [*FLOORS, *COMMANDS]
        if args.every_command:  # the commands every tree measured has
            known = [set(every_command_help(tree, environment, workdir)) for tree in trees.values()]
            commands += sorted(set.intersection(*known))
        print(
            f"openpolicy start-up: {args.runs} runs per command after one warm-up, whole"
            f" processes through {entry_point()[0]}; {os.cpu_count()} CPUs shared with other"
            f" work; load average {os.getloadavg()[0]:.2f}"
        )
        results = measure(trees, commands, args.runs, environment, workdir)
        met = report(results, list(trees))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
