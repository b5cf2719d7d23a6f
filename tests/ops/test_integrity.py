"""The data-integrity check finds each kind of impossible fact, and only those."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import text
from typer.testing import Result

from openpolicy.ops import integrity
from openpolicy.ops.pg import OpsError, PgTarget
from tests.ops.conftest import REPO_ROOT, OpsEnv, load_small_dataset, run_openpolicy


def failing(env: OpsEnv) -> dict[str, int]:
    report = integrity.check_database(env.target)
    return {r.name: r.problems for r in report.results if r.problems}


def test_consistent_data_passes(ops_env: OpsEnv) -> None:
    load_small_dataset(ops_env.engine)
    report = integrity.check_database(ops_env.target)
    assert report.passed, report.render_text()
    assert {r.name for r in report.results} >= {
        "orphan_ballots",
        "ballots_do_not_match_totals",
        "duplicate_members",
        "impossible_dates",
        "sittings_without_speeches",
    }


@pytest.mark.parametrize(
    ("damage", "check"),
    [
        ("UPDATE votes SET yeas = yeas + 1", "ballots_do_not_match_totals"),
        ("UPDATE votes SET result = 'negatived'", "result_contradicts_totals"),
        ("UPDATE votes SET date = DATE '1850-01-01'", "impossible_dates"),
        ("UPDATE bills SET royal_assent_date = DATE '2025-01-01'", "impossible_dates"),
        (
            "INSERT INTO debates (session_id, number, date) VALUES (1, 19, DATE '2025-06-18')",
            "sittings_without_speeches",
        ),
        (
            "INSERT INTO elected_members (person_id, first_name, last_name, full_name)"
            " VALUES (NULL, 'Yasir', 'Naqvi', 'Yasir Naqvi');"
            " INSERT INTO member_terms (member_id, constituency_id, party_id, parliament,"
            " start_date) SELECT max(id), 1, 1, 44, DATE '2021-09-20' FROM elected_members",
            "duplicate_members",
        ),
        (
            "INSERT INTO member_terms (member_id, constituency_id, party_id, parliament,"
            " start_date) VALUES (1, 2, 1, 45, DATE '2025-05-01')",
            "overlapping_member_terms",
        ),
        ("UPDATE speeches SET search_en = NULL", "missing_search_vectors"),
        (
            # A second member in Ottawa Centre while Yasir Naqvi holds it (open term).
            "INSERT INTO elected_members (id, first_name, last_name, full_name)"
            " VALUES (4, 'Jane', 'Doe', 'Jane Doe');"
            " INSERT INTO member_terms (member_id, constituency_id, party_id, parliament,"
            " start_date) VALUES (4, 1, 2, 45, DATE '2025-09-01')",
            "one_seat_two_members",
        ),
        (
            "UPDATE member_terms SET person_id = 1001 WHERE member_id = 1;"
            " UPDATE elected_members SET person_id = NULL WHERE id = 1",
            "member_without_person_id",
        ),
        (
            "INSERT INTO speeches (debate_id, sequence, kind, text_en)"
            " VALUES (1, 3, 'division', 'YEAS')",
            "division_tables_without_division",
        ),
        (
            "SET session_replication_role = replica; DELETE FROM votes;"
            " SET session_replication_role = DEFAULT",
            "orphan_ballots",
        ),
    ],
)
def test_each_kind_of_damage_is_found(ops_env: OpsEnv, damage: str, check: str) -> None:
    load_small_dataset(ops_env.engine)
    with ops_env.engine.begin() as conn:
        for statement in damage.split(";"):
            if statement.strip():
                conn.execute(text(statement))
    found = failing(ops_env)
    assert check in found, found
    report = integrity.check_database(ops_env.target)
    assert not report.passed
    assert f"FAIL {check}" in report.render_text()


def test_warnings_are_reported_but_pass(ops_env: OpsEnv) -> None:
    load_small_dataset(ops_env.engine)
    # A namesake without PersonId in another seat: suspicious, not impossible.
    ops_env.sql(
        "INSERT INTO elected_members (first_name, last_name, full_name)"
        " VALUES ('Greg', 'McLean', 'Greg McLean')"
    )
    ops_env.sql(
        "INSERT INTO member_terms (member_id, constituency_id, party_id, parliament, start_date)"
        " SELECT max(id), 3, 2, 44, DATE '2021-09-20' FROM elected_members"
    )
    report = integrity.check_database(ops_env.target)
    assert report.passed
    assert report.warnings == 1
    assert "warn possible_duplicate_members" in report.render_text()


def test_cli_json_report_and_exit_code(ops_env: OpsEnv, cli: Callable[..., Result]) -> None:
    load_small_dataset(ops_env.engine)
    ok = cli("db", "integrity-check", "--format", "json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["passed"] is True
    ops_env.sql("UPDATE votes SET nays = 7")
    bad = cli("db", "integrity-check", "--format", "json")
    assert bad.exit_code == 1
    document = json.loads(bad.stdout)
    assert document["passed"] is False
    mismatch = next(c for c in document["checks"] if c["name"] == "ballots_do_not_match_totals")
    assert mismatch["problems"] == 1
    assert mismatch["samples"][0]["nays"] == 7
    text = cli("db", "integrity-check")
    assert text.exit_code == 1
    assert "FAILED" in text.output and "vote 1" in text.output


def test_shipped_sql_script_is_current_and_runs_in_psql(ops_env: OpsEnv) -> None:
    script = REPO_ROOT / "scripts" / "data-integrity-check.sql"
    assert script.read_text() == integrity.render_sql_script(), (
        "regenerate: openpolicy db integrity-check --sql > scripts/data-integrity-check.sql"
    )
    from openpolicy.ops.pg import run_tool

    load_small_dataset(ops_env.engine)
    output = run_tool("psql", ["-X", "-f", str(script)], ops_env.target)
    assert "ballots_do_not_match_totals" in output
    ops_env.sql("UPDATE votes SET yeas = 0")
    with pytest.raises(OpsError, match=r"data integrity check FAILED: 2 problem\(s\)"):
        run_tool("psql", ["-X", "-f", str(script)], ops_env.target)


def test_unmigrated_database_gets_a_clear_error(ops_env: OpsEnv) -> None:
    empty = ops_env.target.with_database("postgres")
    with pytest.raises(OpsError, match=r"has no OpenPolicy schema .*run `openpolicy db upgrade`"):
        integrity.check_database(empty)


def test_unreachable_database_is_one_line_exit_4(ops_env: OpsEnv) -> None:
    env = ops_env.env()
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/openpolicy"
    result = run_openpolicy("db", "integrity-check", env=env)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert "cannot connect to database 'openpolicy' on 127.0.0.1:1" in result.stderr
    assert PgTarget.from_url(env["DATABASE_URL"]).port == 1
