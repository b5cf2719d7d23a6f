"""The runbook's steps that had no command or no test of their own: psql and the URL of the
database (the integrity script, the audit trail), the cache's state and clearing it, what
`db upgrade --sql` would run, a duplicate incident caught before it opens, the incident
list, DR readiness; and the runbook table of docs/operations.md, step → command → test,
with no command of the runbook left out."""

from __future__ import annotations

import ast
import json
import os
import pty
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from typer.testing import Result

from openpolicy import schema
from openpolicy.ops import backups
from tests.ops.conftest import (
    OPENPOLICY,
    REPO_ROOT,
    OpsEnv,
    load_small_dataset,
    run_openpolicy,
    run_script,
)
from tests.ops.test_docs import _resolve
from tests.support.services import RedisServer


def test_db_psql_runs_the_wheels_psql_on_the_database(ops_env: OpsEnv) -> None:
    load_small_dataset(ops_env.engine)
    result = run_openpolicy("db", "psql", "-tA", "-c", "SELECT count(*) FROM ballots")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"
    script = run_openpolicy("db", "psql", "-v", "ON_ERROR_STOP=1", "-c", "SELECT nothing_here")
    assert script.returncode == 1  # psql's 3: a failed script is a failed operation
    assert 'column "nothing_here" does not exist' in script.stderr


def test_db_url_is_what_psql_and_pg_dump_take(ops_env: OpsEnv) -> None:
    shown = run_openpolicy("db", "url")
    assert shown.returncode == 0, shown.stderr
    url = shown.stdout.strip()
    assert url.startswith("postgresql://") and f"/{ops_env.database}?" in url
    from openpolicy.ops.pg import tool_path

    psql = subprocess.run(
        [str(tool_path("psql")), url, "-tA", "-c", "SELECT current_database()"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.strip() == ops_env.database


def test_db_url_masks_a_password_unless_revealed(ops_env: OpsEnv) -> None:
    env = ops_env.env() | {"DATABASE_URL": "postgresql://op:s3cret@db.internal:6432/openpolicy"}
    masked = run_openpolicy("db", "url", env=env)
    assert masked.stdout.strip() == "postgresql://op:***@db.internal:6432/openpolicy"
    revealed = run_openpolicy("db", "url", "--reveal", env=env)
    assert revealed.stdout.strip() == "postgresql://op:s3cret@db.internal:6432/openpolicy"


def test_upgrade_sql_prints_what_would_run(ops_env: OpsEnv) -> None:
    at_head = run_openpolicy("db", "upgrade", "--sql")
    assert at_head.returncode == 0, at_head.stderr
    head = schema.head_revision()
    assert at_head.stdout.strip() == f"-- the database is at {head}: nothing to run"
    previous = run_openpolicy("db", "upgrade", "--sql", "--from", "0005")
    assert previous.returncode == 0, previous.stderr
    assert "CREATE TABLE ingest_pauses" in previous.stdout
    assert "CREATE TABLE bills" not in previous.stdout  # only what 0005 → head would run
    whole = run_openpolicy("db", "upgrade", "--sql", "--from", "base")
    assert "CREATE TABLE bills" in whole.stdout and "CREATE TABLE ingest_pauses" in whole.stdout


def test_cache_status_pings_counts_and_measures(ops_env: OpsEnv, redis: RedisServer) -> None:
    client = Redis.from_url(redis.url)
    client.flushdb()
    client.set("openpolicy:api:bills:1", b"x")
    client.set("openpolicy:api:bills:2", b"y")
    client.set("openpolicy:ratelimit:127.0.0.1", b"3")
    client.set("someone-else:key", b"z")
    client.get("openpolicy:api:bills:1")
    client.get("openpolicy:api:missing")
    env = ops_env.env() | {"REDIS_URL": redis.url}
    result = run_openpolicy("cache", "status", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["configured"] is True and values["server"] == f"127.0.0.1:{redis.port}/0"
    assert values["keys"] == 3 and values["keys_by_kind"] == {"api": 2, "ratelimit": 1}
    assert values["keys_in_database"] == 4
    assert values["hits"] >= 1 and values["misses"] >= 1 and 0 < values["hit_ratio"] < 1
    assert values["ping_ms"] >= 0 and values["used_memory_bytes"] > 0
    text = run_openpolicy("cache", "status", env=env)
    assert "our keys" in text.stdout and "api 2, ratelimit 1" in text.stdout
    assert "hit ratio" in text.stdout
    client.close()


def test_cache_status_without_redis_says_so(ops_env: OpsEnv) -> None:
    result = run_openpolicy("cache", "status")
    assert result.returncode == 0
    assert "no REDIS_URL: each process caches in memory" in result.stdout


def test_an_incident_like_an_open_one_warns_and_asks_on_a_terminal(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    first = cli("incident", "open", "--severity", "SEV2", "--impact", "Search is down")
    assert first.exit_code == 0, first.output
    again = run_openpolicy(
        "incident", "open", "--severity", "SEV2", "--impact", "search is  DOWN", "--services", "x"
    )  # not a terminal: a warning, and it opens
    assert again.returncode == 0, again.stderr
    assert "warning: incident #1 (SEV2, Investigating: Search is down) is open" in again.stderr
    assert "openpolicy incident update 1" in again.stderr
    # On a terminal it asks first; answering no opens nothing and exits 1.
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(OPENPOLICY), "incident", "open", "--severity", "SEV3", "--impact", "Search is down"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=ops_env.env() | {"COLUMNS": "250"},
    )
    os.close(follower)
    seen = b""
    while b"Open a new incident anyway?" not in seen:
        chunk = os.read(leader, 4096)
        assert chunk, seen
        seen += chunk
    os.write(leader, b"n\n")
    assert process.wait(timeout=60) == 1
    os.close(leader)
    assert ops_env.sql("SELECT count(*) FROM incidents") == [(2,)]
    forced = run_openpolicy(
        "incident", "open", "--severity", "SEV3", "--impact", "Search is down", "--yes"
    )
    assert forced.returncode == 0 and "looks the same" in forced.stderr
    other = run_openpolicy("incident", "open", "--severity", "SEV4", "--impact", "Typo on /fr")
    assert other.returncode == 0 and "looks the same" not in other.stderr


def test_db_status_of_a_server_says_it_answers(ops_env: OpsEnv) -> None:
    result = run_openpolicy("db", "status", "--format", "json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["mode"] == "external" and values["reachable"] is True
    assert values["server_version"].startswith("18")


def test_the_integrity_sql_and_the_audit_trail_through_db_psql(ops_env: OpsEnv) -> None:
    """The runbook's psql steps: the shipped integrity script and the audit-trail query."""
    load_small_dataset(ops_env.engine)
    script = str(REPO_ROOT / "scripts" / "data-integrity-check.sql")
    checked = run_openpolicy("db", "psql", "-X", "-f", script)
    assert checked.returncode == 0, checked.stderr
    ops_env.sql("UPDATE votes SET yeas = yeas + 1")  # ballots no longer add up
    damaged = run_openpolicy("db", "psql", "-X", "-f", script)
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr  # psql's 3 → our 1
    ops_env.sql(
        "INSERT INTO audit_events (actor, action, path)"
        " VALUES ('203.0.113.9', 'auth.denied', '/api/v1/keys')"
    )
    audit = run_openpolicy(
        "db",
        "psql",
        "-tA",
        "-c",
        "SELECT occurred_at, actor, action, path FROM audit_events"
        " ORDER BY occurred_at DESC LIMIT 50",
    )
    assert audit.returncode == 0, audit.stderr
    assert "|203.0.113.9|auth.denied|/api/v1/keys" in audit.stdout


def test_incident_list_shows_the_open_ones_and_all_of_them_with_all(ops_env: OpsEnv) -> None:
    for impact in ("Search is down", "Exports are slow"):
        opened = run_openpolicy("incident", "open", "--severity", "SEV3", "--impact", impact)
        assert opened.returncode == 0, opened.stderr
    resolved = run_openpolicy("incident", "resolve", "1", "--note", "Search is back")
    assert resolved.returncode == 0, resolved.stderr
    open_now = json.loads(run_openpolicy("incident", "list", "--format", "json").stdout)
    assert [(i["id"], i["impact"]) for i in open_now] == [(2, "Exports are slow")]
    every = json.loads(run_openpolicy("incident", "list", "--all", "--format", "json").stdout)
    assert sorted(i["id"] for i in every) == [1, 2]
    table = run_openpolicy("incident", "list", "--all")
    assert table.returncode == 0 and "Exports are slow" in table.stdout
    assert "Resolved" in table.stdout


def test_clear_all_caches_script_deletes_only_our_keys(ops_env: OpsEnv, redis: RedisServer) -> None:
    client = Redis.from_url(redis.url)
    client.flushdb()
    client.set("openpolicy:api:bills:1", b"x")
    client.set("openpolicy:page:en:/", b"y")
    client.set("someone-else:key", b"z")
    cleared = run_script("clear-all-caches.sh", env=ops_env.env() | {"REDIS_URL": redis.url})
    assert cleared.returncode == 0, cleared.stderr
    assert sorted(client.keys("*")) == [b"someone-else:key"]
    client.close()


def test_dr_status_names_the_newest_backup_and_what_is_missing(ops_env: OpsEnv) -> None:
    none_yet = run_openpolicy("dr", "status", "--format", "json")
    assert none_yet.returncode == 1
    assert json.loads(none_yet.stdout)["problems"] == [
        f"no verified backup in {ops_env.backup_dir}"
    ]
    info = backups.create_backup(ops_env.target, ops_env.backup_dir)
    ready = run_openpolicy("dr", "status", "--verify", "--format", "json")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    values = json.loads(ready.stdout)
    assert values["ok"] is True and values["newest_backup"] == info.path.name
    assert values["newest_backup_verified_now"] is True


# The runbook table: step → command → the test that runs it.

OPERATIONS = REPO_ROOT / "docs" / "operations.md"
TABLE_HEADING = "## Runbook at a glance\n"


@dataclass(frozen=True)
class RunbookRow:
    step: str
    commands: tuple[tuple[str, ...], ...]  # the words of each command the row names
    test: str  # tests/…/test_x.py::test_name


def _code_spans(cell: str) -> list[str]:
    return [span.replace("\\|", "|") for span in re.findall(r"`([^`]+)`", cell)]


def runbook_table() -> tuple[list[RunbookRow], str]:
    """The table's rows, and the rest of the page (where the runbook's commands are)."""
    text = OPERATIONS.read_text(encoding="utf-8")
    before, found, after = text.partition(TABLE_HEADING)
    assert found, f"docs/operations.md has no section {TABLE_HEADING.strip()!r}"
    section, _, rest = after.partition("\n## ")
    rows = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| step ", "|---")):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
        assert len(cells) == 3, f"docs/operations.md: a runbook row is not 3 cells: {line}"
        step, commands, tests = cells
        named = _code_spans(tests)
        assert len(named) == 1, f"docs/operations.md: name one test for {step!r}"
        rows.append(
            RunbookRow(
                step, tuple(tuple(words.split()) for words in _code_spans(commands)), named[0]
            )
        )
    return rows, before + "\n## " + rest


def command_key(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """`openpolicy db psql -c …` → ("openpolicy", "db", "psql"); a script → its path."""
    if words[0] == "openpolicy":
        return ("openpolicy", *_resolve(list(words[1:])))
    assert words[0].startswith("scripts/") and (REPO_ROOT / words[0]).is_file(), words
    return (words[0],)


def runbook_commands(text: str) -> set[tuple[str, ...]]:
    """Every openpolicy and scripts/ command the page shows outside the table."""
    snippets = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        snippets.extend(block.splitlines())
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    snippets.extend(" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose))
    found = set()
    for snippet in snippets:
        for part in re.split(r"&&|\|", snippet):
            words = part.split("#", 1)[0].split()
            if words and (words[0] == "openpolicy" or words[0].startswith("scripts/")):
                if words[0].endswith(".sql"):
                    continue  # a file psql runs, not a command
                found.add(command_key(words))
    return found


def test_the_runbook_table_names_every_command_of_the_runbook() -> None:
    rows, rest = runbook_table()
    assert len(rows) > 50
    in_table = {command_key(words) for row in rows for words in row.commands}
    missing = runbook_commands(rest) - in_table
    assert not missing, f"docs/operations.md: add a runbook row for {sorted(missing)}"


def _test_source(reference: str) -> tuple[str, str]:
    """The named test function's source with the module helpers it calls, and the module's."""
    file, _, name = reference.partition("::")
    path = REPO_ROOT / file
    assert path.is_file(), f"docs/operations.md names {file}, which does not exist"
    module = path.read_text(encoding="utf-8")
    tree = ast.parse(module)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert name in functions, f"docs/operations.md names {reference}, which does not exist"
    called = {
        node.func.id
        for node in ast.walk(functions[name])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    parts = [ast.get_source_segment(module, functions[name]) or ""]
    parts += [
        ast.get_source_segment(module, functions[helper]) or ""
        for helper in sorted(called & set(functions) - {name})
    ]
    return "\n".join(parts), module


def _runs(source: str, module: str, key: tuple[str, ...]) -> bool:
    """Does the test's source run this command (its words as arguments, or the script)?"""
    if key[0] != "openpolicy":
        script = key[0].removeprefix("scripts/")
        return re.search(rf"(?<![\w-]){re.escape(script)}", source) is not None

    def quoted(words: tuple[str, ...]) -> re.Pattern[str]:
        return re.compile(r"""["']""" + r"""["'],\s*["']""".join(map(re.escape, words)) + "[\"']")

    path = key[1:]
    if quoted(path).search(source):
        return True
    group = path[0]  # a test of one group's own Typer app names only the command
    of_group = f'"{group}"' in module or f"openpolicy.{group}." in module
    return len(path) > 1 and quoted(path[1:]).search(source) is not None and of_group


def test_each_runbook_step_names_a_test_that_runs_its_command() -> None:
    rows, _ = runbook_table()
    problems = []
    for row in rows:
        source, module = _test_source(row.test)
        for words in row.commands:
            key = command_key(words)
            if not _runs(source, module, key):
                problems.append(f"{row.test} does not run `{' '.join(key)}` ({row.step})")
            for option in (word for word in words if word.startswith("--")):
                if f'"{option}"' not in source and f"'{option}'" not in source:
                    problems.append(f"{row.test} never passes {option} ({row.step})")
    assert not problems, "docs/operations.md, runbook table:\n" + "\n".join(problems)
