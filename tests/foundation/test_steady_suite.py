"""The suite stays green on a loaded machine: no test asserts a wall-clock gap or duration
that load can break, and no wait on a condition gives up quickly (read from the source).

Allowed: a bound of at least `GENEROUS_SECONDS` (the fault tests check that an answer came
"before the old 30 s hang would have ended"), and lower bounds the code itself guarantees
on its own clock (the polite client's departures), which load can only lengthen.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
GENEROUS_SECONDS = 10.0
SHORTEST_WAIT_SECONDS = 30.0
CLOCK_CALLS = {"perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time"}
TIMING_WORDS = ("elapsed", "duration", "took", "latency", "seconds_taken")


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in TESTS.rglob("*.py")]


def _constants(tree: ast.Module) -> dict[str, float]:
    """Module-level names bound to a number (`OLD_HANG_SECONDS = 30.0`)."""
    values: dict[str, float] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, int | float):
                    values[target.id] = float(node.value.value)
    return values


def _reads_the_clock(node: ast.AST) -> bool:
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr in CLOCK_CALLS
            and isinstance(inner.func.value, ast.Name)
            and inner.func.value.id == "time"
        ):
            return True
        if isinstance(inner, ast.Name) and any(word in inner.id for word in TIMING_WORDS):
            return True
    return False


def _numbers(node: ast.AST, named: dict[str, float]) -> list[float]:
    found = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, int | float):
            found.append(float(inner.value))
        elif isinstance(inner, ast.Name) and inner.id in named:
            found.append(named[inner.id])
    return found


def test_no_assertion_on_a_short_wall_clock_duration() -> None:
    offenders = []
    sources = _sources()
    named: dict[str, float] = {}  # constants are imported across modules (faults/conftest)
    for _, tree in sources:
        named.update(_constants(tree))
    for path, tree in sources:
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and _reads_the_clock(node.test):
                bounds = [n for n in _numbers(node.test, named) if n > 0]
                if not bounds or max(bounds) < GENEROUS_SECONDS:
                    offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert offenders == [], f"timed assertions a loaded machine can break: {offenders}"


def test_no_wait_gives_up_quickly() -> None:
    offenders = []
    for path, tree in _sources():
        named = _constants(tree)
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "wait_until"
                and len(node.args) >= 2
            ):
                continue
            timeout = node.args[1]
            value = (
                float(timeout.value)
                if isinstance(timeout, ast.Constant) and isinstance(timeout.value, int | float)
                else named.get(timeout.id)
                if isinstance(timeout, ast.Name)
                else None
            )
            if value is not None and value < SHORTEST_WAIT_SECONDS:
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno} ({value} s)")
    assert offenders == [], f"waits that a loaded machine can outlast: {offenders}"


def test_the_checks_see_what_they_look_for() -> None:
    """The two checks above would catch the patterns they exist for."""
    sample = ast.parse(
        "import time\nstarted = time.monotonic()\nassert time.monotonic() - started < 2.0\n"
        "assert elapsed < 0.5\nwait_until(lambda: True, 2.0, 'x')\n"
    )
    asserts = [n for n in ast.walk(sample) if isinstance(n, ast.Assert)]
    assert all(_reads_the_clock(a.test) for a in asserts)
    assert all(max(_numbers(a.test, {})) < GENEROUS_SECONDS for a in asserts)
    generous = ast.parse("OLD_HANG_SECONDS = 30.0\nassert elapsed < OLD_HANG_SECONDS\n")
    (check,) = [n for n in ast.walk(generous) if isinstance(n, ast.Assert)]
    assert max(_numbers(check.test, _constants(generous))) >= GENEROUS_SECONDS
