"""Every command exits as docs/cli.md says: one case or more per command, none forgotten.

`down` cases point DATABASE_URL at a real cluster that was migrated and then stopped: every
command that needs the database must exit 4 (with one line naming it), never 1 or 70.
`live` cases run against a per-test database; `local` cases need no database at all and run
with the stopped one configured, which proves they never touch it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openpolicy import embedded, schema
from openpolicy.cli import app
from openpolicy.cli_kit import exit_status
from openpolicy.cli_reference import command_paths
from openpolicy.config import get_settings
from tests.ops.conftest import OpsEnv, run_openpolicy

OK, FAILED, BAD_INPUT, NOT_FOUND, UNREACHABLE = 0, 1, 2, 3, 4
SITTING = str(Path(__file__).parents[1] / "fixtures" / "hansard" / "HAN005-E-441.xml")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    world: str = "down"  # down | live | local
    env: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{' '.join(self.args)} [{self.world}] -> {self.code}"


def case(*args: str, code: int, world: str = "down", **env: str) -> Case:
    return Case(args, code, world, env)


CASES: dict[str, list[Case]] = {
    "alerts send-pending": [
        case("alerts", "send-pending", code=UNREACHABLE),
        case("alerts", "send-pending", "--digests", code=OK, world="live"),
    ],
    "alerts status": [
        case("alerts", "status", code=UNREACHABLE),
        case("alerts", "status", "--format", "json", code=OK, world="live"),
    ],
    "backup base": [case("backup", "base", code=UNREACHABLE)],
    "backup create": [case("backup", "create", code=UNREACHABLE)],
    "backup download": [case("backup", "download", "latest", code=BAD_INPUT, world="local")],
    "backup list": [
        case("backup", "list", code=OK, world="local"),
        case("backup", "list", "--remote", code=BAD_INPUT, world="local"),
    ],
    "backup pitr enable": [case("backup", "pitr", "enable", code=UNREACHABLE)],
    "backup pitr restore": [
        case("backup", "pitr", "restore", "--to", "latest", code=UNREACHABLE),
        case("backup", "pitr", "restore", "--to", " ", code=BAD_INPUT, world="local"),
    ],
    "backup pitr status": [case("backup", "pitr", "status", code=UNREACHABLE)],
    "backup prune": [case("backup", "prune", "--keep-days", "0", code=BAD_INPUT, world="local")],
    "backup recover-switch": [
        case("backup", "recover-switch", code=UNREACHABLE),
        case("backup", "recover-switch", "--format", "json", code=OK, world="live"),
    ],
    "backup restore": [
        case("backup", "restore", "nope.dump", "--yes", code=NOT_FOUND, world="local"),
        case("backup", "restore", "latest", "--yes", code=NOT_FOUND, world="local"),
        case("backup", "restore", "2026-01-01", "--yes", code=NOT_FOUND, world="local"),
    ],
    "backup restore-point": [
        case("backup", "restore-point", "before-test", code=UNREACHABLE),
        case("backup", "restore-point", "latest", code=BAD_INPUT, world="local"),
    ],
    "backup upload": [case("backup", "upload", code=BAD_INPUT, world="local")],
    "backup verify": [
        case("backup", "verify", "nope.dump", code=NOT_FOUND, world="local"),
        case("backup", "verify", "latest", code=NOT_FOUND, world="local"),
        case("backup", "verify", "openpolicy-20260301T030000Z.dump", code=FAILED, world="local"),
    ],
    "cache clear": [
        case("cache", "clear", code=FAILED, world="local", REDIS_URL="redis://127.0.0.1:9/0")
    ],
    "cache status": [
        case("cache", "status", code=OK, world="local"),
        case("cache", "status", code=FAILED, world="local", REDIS_URL="redis://127.0.0.1:9/0"),
    ],
    "commands": [case("commands", code=OK, world="local")],
    "db activity": [case("db", "activity", code=UNREACHABLE)],
    "db current": [case("db", "current", code=UNREACHABLE)],
    "db downgrade": [case("db", "downgrade", "-1", code=UNREACHABLE)],
    "db integrity-check": [case("db", "integrity-check", code=UNREACHABLE)],
    "db locks": [case("db", "locks", code=UNREACHABLE)],
    "db maintain": [case("db", "maintain", code=UNREACHABLE)],
    "db pool-status": [case("db", "pool-status", code=UNREACHABLE)],
    "db psql": [case("db", "psql", "-c", "SELECT 1", code=UNREACHABLE)],
    "db status": [case("db", "status", code=UNREACHABLE)],
    "db upgrade": [
        case("db", "upgrade", code=UNREACHABLE),
        case("db", "upgrade", "--sql", code=UNREACHABLE),
        case("db", "upgrade", "--from", "base", code=BAD_INPUT, world="local"),
    ],
    "db url": [case("db", "url", code=OK)],
    "dr drill": [
        case("dr", "drill", "--scenario", "database-corruption", code=UNREACHABLE),
        case("dr", "drill", "--scenario", "flood", code=BAD_INPUT, world="local"),
    ],
    "dr status": [case("dr", "status", code=UNREACHABLE)],
    "incident list": [case("incident", "list", code=UNREACHABLE)],
    "incident open": [
        case("incident", "open", "--severity", "SEV2", "--impact", "slow", code=UNREACHABLE),
        case(
            "incident", "open", "--severity", "SEV9", "--impact", "x", code=BAD_INPUT, world="live"
        ),
    ],
    "incident resolve": [case("incident", "resolve", code=UNREACHABLE)],
    "incident show": [
        case("incident", "show", "1", code=UNREACHABLE),
        case("incident", "show", "99", code=NOT_FOUND, world="live"),
    ],
    "incident update": [
        case("incident", "update", "--note", "x", code=UNREACHABLE),
        case("incident", "update", "99", "--note", "x", code=NOT_FOUND, world="live"),
    ],
    "ingest pause": [
        case("ingest", "pause", code=UNREACHABLE),
        case("ingest", "pause", "senate", code=BAD_INPUT, world="local"),
        case("ingest", "pause", "--until", "whenever", code=BAD_INPUT, world="local"),
    ],
    "ingest resume": [case("ingest", "resume", code=UNREACHABLE)],
    "ingest run": [
        case("ingest", "run", "members", code=UNREACHABLE),
        case("ingest", "run", "senate", code=BAD_INPUT, world="local"),
    ],
    "ingest file": [
        case("ingest", "file", "hansard", SITTING, code=UNREACHABLE),
        case("ingest", "file", "senate", SITTING, code=BAD_INPUT, world="local"),
        case("ingest", "file", "hansard", "missing.xml", code=BAD_INPUT, world="local"),
    ],
    "ingest sample": [case("ingest", "sample", code=UNREACHABLE)],
    "ingest status": [case("ingest", "status", code=UNREACHABLE)],
    "keys create": [
        case("keys", "create", "--service", "civic-app", code=UNREACHABLE),
        case("keys", "create", "--service", "x", "--rate-limit", "0", code=BAD_INPUT),
        case("keys", "create", "--service", "x", "--rate-limit", "-5", code=BAD_INPUT),
        case("keys", "create", "--service", "x", "--rate-limit", "10" * 10, code=BAD_INPUT),
        case("keys", "create", "--service", "x", "--expires-days", "-1", code=BAD_INPUT),
    ],
    "keys list": [case("keys", "list", code=UNREACHABLE)],
    "keys revoke": [
        case("keys", "revoke", "deadbeef", code=UNREACHABLE),
        case("keys", "revoke", "deadbeef", code=NOT_FOUND, world="live"),
    ],
    "keys rotate": [
        case("keys", "rotate", "--service", "all", code=UNREACHABLE),
        case("keys", "rotate", "--service", "all", "--grace-hours", "-1", code=BAD_INPUT),
    ],
    "logs": [
        case("logs", code=NOT_FOUND, world="local"),
        case("logs", "--since", "yesterday", code=BAD_INPUT, world="local"),
        case("logs", code=BAD_INPUT, world="local", OPENPOLICY_LOG_FILE=""),
    ],
    "maintenance notify": [case("maintenance", "notify", "start", code=BAD_INPUT, world="local")],
    "maintenance off": [case("maintenance", "off", code=UNREACHABLE)],
    "maintenance on": [
        case("maintenance", "on", code=UNREACHABLE),
        case("maintenance", "on", "--notify", code=BAD_INPUT, world="live"),
    ],
    "maintenance status": [case("maintenance", "status", code=UNREACHABLE)],
    "serve": [case("serve", "--port", "http", code=BAD_INPUT, world="local")],
    "settings": [
        case("settings", code=OK, world="local"),
        case("settings", code=BAD_INPUT, world="local", OPENPOLICY_DB_POOL_SIZE="many"),
    ],
    "sources coverage": [
        case("sources", "coverage", "hansard", SITTING, code=OK, world="local"),
        case("sources", "coverage", "votes", SITTING, code=BAD_INPUT, world="local"),
        case("sources", "coverage", "hansard", "missing.xml", code=BAD_INPUT, world="local"),
    ],
    "sources fetch": [
        case("sources", "fetch", "senate", code=BAD_INPUT, world="local"),
        case(
            "sources",
            "fetch",
            "members",
            "--url",
            "https://-offline.invalid/Members/en/search/XML",
            code=FAILED,
            world="local",
        ),
    ],
    "sources list": [case("sources", "list", code=OK, world="local")],
    "sources parse": [
        case("sources", "parse", "votes", "missing.xml", code=BAD_INPUT, world="local"),
    ],
    "up": [case("up", "--port", "http", code=BAD_INPUT, world="local")],
    "version": [case("version", code=OK, world="local")],
    "worker": [case("worker", code=UNREACHABLE)],
}


def all_cases() -> list[Case]:
    return [one for cases in CASES.values() for one in cases]


def test_every_command_has_exit_code_cases() -> None:
    paths = {path.removeprefix("openpolicy ") for path in command_paths(app)}
    assert set(CASES) == paths, (
        f"commands without a case: {sorted(paths - set(CASES))}; "
        f"cases without a command: {sorted(set(CASES) - paths)}"
    )
    for path, cases in CASES.items():
        for one in cases:
            assert " ".join(one.args).startswith(path), (path, one.args)


@pytest.fixture(scope="module")
def stopped_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real cluster, migrated, then stopped: its URL answers nothing."""
    data_dir = tmp_path_factory.mktemp("stopped") / "pgdata"
    cluster = embedded.start(data_dir, database="openpolicy")
    url = cluster.url("openpolicy")
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    schema.upgrade(engine)
    engine.dispose()
    cluster.stop()
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        cluster.detach()
        shutil.rmtree(data_dir, ignore_errors=True)


def invoke(args: tuple[str, ...], env: dict[str, str]) -> tuple[int, str]:
    """The command in this process, its escaped exception mapped as `openpolicy.cli.main` does."""
    get_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level  # `worker` configures logging
    try:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=True)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        get_settings.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        code, lines = exit_status(result.exception)
        return code, result.output + "\n".join(lines)
    return result.exit_code, result.output


def _corrupt_dump(backup_dir: Path) -> None:
    backup_dir.mkdir(parents=True, exist_ok=True)
    dump = backup_dir / "openpolicy-20260301T030000Z.dump"
    dump.write_bytes(b"PGDMP not really")
    dump.with_name(dump.name + ".sha256").write_text(f"{'0' * 64}  {dump.name}\n")


@pytest.mark.parametrize("one", all_cases(), ids=lambda one: one.id)
def test_exit_code(one: Case, ops_env: OpsEnv, stopped_database: str) -> None:
    env = dict(one.env)
    if one.world != "live":
        env["DATABASE_URL"] = stopped_database
    _corrupt_dump(ops_env.backup_dir)
    code, output = invoke(one.args, env)
    assert code == one.code, output
    assert "Traceback" not in output
    if one.code == UNREACHABLE:
        assert "unreachable" in output or "cannot connect" in output, output


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("ingest", "status"), UNREACHABLE, "database unreachable"),
        (("incident", "show", "1"), UNREACHABLE, "database unreachable: connection to server"),
        (("backup", "verify", "nope.dump"), NOT_FOUND, "no backup file nope.dump"),
        (("keys", "create", "--service", "x", "--rate-limit", "0"), BAD_INPUT, "--rate-limit"),
    ],
)
def test_the_real_entry_point_prints_one_line(
    args: tuple[str, ...], code: int, says: str, ops_env: OpsEnv, stopped_database: str
) -> None:
    env = ops_env.env() | {"DATABASE_URL": stopped_database}
    result = run_openpolicy(*args, env=env)
    assert result.returncode == code, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
