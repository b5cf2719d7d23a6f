"""Fidelity checks: after each run, compare what is stored with what the sources promise.

Results go to `data_sources.fidelity` (and from there to `/metrics` as
`fidelity_check_failures{source}`); a failed check makes the source `degraded`, it never
disappears silently. Checks look at the whole database, so a division imported by one
source and contradicted by another is caught whichever runs last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection

from openpolicy.vocab import BillStage, bill_stage_from

EXAMPLES = 10
# "Some hon. members", "An hon. member", "Des voix": nobody in particular.
COLLECTIVE_ROLES = r"^(some|an|several|many) hon\.? members?$|^(des|une|plusieurs) voix$"


@dataclass
class Check:
    """One check's outcome; `informational` checks report counts and never fail."""

    name: str
    passed: bool
    failures: int = 0
    examples: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    informational: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "failures": self.failures,
            "examples": self.examples,
            "info": self.info,
        }


def ballots_match_totals(conn: Connection[Any]) -> Check:
    """Each division's ballots add up to its official yea / nay / paired totals."""
    rows = conn.execute(
        "SELECT s.code, v.number, v.yeas, v.nays, v.paired, b.yea, b.nay, b.pair"
        " FROM votes v JOIN parliamentary_sessions s ON s.id = v.session_id"
        " JOIN (SELECT vote_id, count(*) FILTER (WHERE value = 'yea') AS yea,"
        "   count(*) FILTER (WHERE value = 'nay') AS nay,"
        "   count(*) FILTER (WHERE value = 'paired') AS pair"
        "   FROM ballots GROUP BY vote_id) b ON b.vote_id = v.id"
        " WHERE (v.yeas, v.nays, v.paired) <> (b.yea, b.nay, b.pair)"
        " ORDER BY s.code, v.number"
    ).fetchall()
    checked = conn.execute("SELECT count(DISTINCT vote_id), count(*) FROM ballots").fetchone()
    derived = conn.execute(
        "SELECT s.code || ' No. ' || v.number FROM votes v"
        " JOIN parliamentary_sessions s ON s.id = v.session_id"
        " WHERE v.totals_derived ORDER BY 1"
    ).fetchall()
    return Check(
        name="ballots_match_totals",
        passed=not rows,
        failures=len(rows),
        examples=[
            f"{code} No. {number}: official {y}/{n}/{p}, ballots {by}/{bn}/{bp}"
            for code, number, y, n, p, by, bn, bp in rows[:EXAMPLES]
        ],
        info={
            "divisions_with_ballots": int(checked[0]) if checked else 0,
            "ballots": int(checked[1]) if checked else 0,
            # No divisions list seen: totals were counted from the ballots themselves.
            "totals_derived_from_ballots": [row[0] for row in derived[:EXAMPLES]],
            "totals_derived_count": len(derived),
        },
    )


def bill_divisions_exist(conn: Connection[Any]) -> Check:
    """Every division a bill names (LEGISinfo HouseVoteDetails) is stored."""
    rows = conn.execute(
        "SELECT s.code, b.number, d.n FROM bills b"
        " JOIN parliamentary_sessions s ON s.id = b.session_id"
        " CROSS JOIN LATERAL unnest(b.division_numbers) AS d(n)"
        " WHERE NOT EXISTS (SELECT 1 FROM votes v WHERE v.session_id = b.session_id"
        "   AND v.number = d.n)"
        " ORDER BY s.code, b.number, d.n"
    ).fetchall()
    named = conn.execute(
        "SELECT coalesce(sum(cardinality(division_numbers)), 0) FROM bills"
    ).fetchone()
    return Check(
        name="bill_divisions_exist",
        passed=not rows,
        failures=len(rows),
        examples=[f"{code} {number} names division {n}" for code, number, n in rows[:EXAMPLES]],
        info={"divisions_named": int(named[0]) if named else 0, "missing": len(rows)},
    )


def speakers_resolved(conn: Connection[Any]) -> Check:
    """How many Hansard speakers are linked to a member (informational: counted, not guessed).

    Counted over the items somebody says (speeches, written questions and answers);
    presiding officers printed by role and members speaking together are apart.
    """
    row = conn.execute(
        "SELECT count(*), count(member_id),"
        " count(*) FILTER (WHERE member_id IS NULL AND speaker_name IS NOT NULL),"
        " count(DISTINCT speaker_name) FILTER (WHERE member_id IS NULL),"
        " count(*) FILTER (WHERE member_id IS NULL AND speaker_name IS NULL"
        "  AND speaker_role IS NOT NULL AND speaker_role !~* %s),"
        " count(*) FILTER (WHERE member_id IS NULL AND speaker_name IS NULL"
        "  AND speaker_role ~* %s)"
        " FROM speeches WHERE kind IN ('speech', 'question', 'answer')",
        (COLLECTIVE_ROLES, COLLECTIVE_ROLES),
    ).fetchone()
    assert row is not None
    total, resolved, unresolved, names, presiding, collective = (int(value) for value in row)
    return Check(
        name="speakers_resolved",
        passed=True,
        informational=True,
        info={
            "speeches": total,
            "resolved": resolved,
            "unresolved": unresolved,
            "unresolved_names": names,
            "presiding_unnamed": presiding,
            "collective": collective,
        },
    )


def division_tables_match_ballots(conn: Connection[Any]) -> Check:
    """A division table printed in Hansard names exactly the division's ballots.

    Checked name by name where the division has a ballots document: a printed name with
    no ballot of the same value, or a ballot whose member the table does not print, is a
    failure. Names of divisions without one are counted (matched to a member or not).
    """
    unmatched = conn.execute(
        "SELECT s.code, v.number, d.value, d.name, b.value FROM division_names d"
        " JOIN votes v ON v.id = d.vote_id JOIN parliamentary_sessions s ON s.id = v.session_id"
        " LEFT JOIN ballots b ON b.vote_id = v.id AND b.member_id = d.member_id"
        " WHERE v.ballots_source = 'ballots' AND d.matched IS NOT TRUE"
        " ORDER BY s.code, v.number, d.id"
    ).fetchall()
    unprinted = conn.execute(
        "SELECT s.code, v.number, b.value, m.full_name FROM ballots b"
        " JOIN votes v ON v.id = b.vote_id JOIN parliamentary_sessions s ON s.id = v.session_id"
        " JOIN elected_members m ON m.id = b.member_id"
        " WHERE v.ballots_source = 'ballots'"
        " AND EXISTS (SELECT 1 FROM division_names d WHERE d.vote_id = v.id)"
        " AND NOT EXISTS (SELECT 1 FROM division_names d WHERE d.vote_id = v.id"
        "  AND d.member_id = b.member_id)"
        " ORDER BY s.code, v.number, m.full_name"
    ).fetchall()
    counted = conn.execute(
        "SELECT count(DISTINCT d.vote_id), count(*),"
        " count(*) FILTER (WHERE v.ballots_source = 'ballots' AND d.matched),"
        " count(DISTINCT d.vote_id) FILTER (WHERE v.ballots_source = 'hansard'),"
        " count(*) FILTER (WHERE v.ballots_source IS DISTINCT FROM 'ballots'"
        "  AND d.member_id IS NULL)"
        " FROM division_names d JOIN votes v ON v.id = d.vote_id"
    ).fetchone()
    tables, names, matched, from_tables, unnamed = (int(x) for x in counted or (0,) * 5)
    examples = [
        f"{code} No. {number}: printed {value} {name!r}, "
        + (f"but the ballot is {ballot}" if ballot else "and no ballot is theirs")
        for code, number, value, name, ballot in unmatched[:EXAMPLES]
    ]
    examples += [
        f"{code} No. {number}: ballot {value} of {name} is not printed"
        for code, number, value, name in unprinted[: max(0, EXAMPLES - len(examples))]
    ]
    return Check(
        name="division_tables_match_ballots",
        passed=not unmatched and not unprinted,
        failures=len(unmatched) + len(unprinted),
        examples=examples,
        info={
            "division_tables": tables,
            "names_printed": names,
            "names_matching_ballots": matched,
            "divisions_with_ballots_from_tables": from_tables,
            # No ballots document yet and no member found for the printed surname.
            "names_without_member": unnamed,
        },
    )


def ballots_pending(conn: Connection[Any]) -> Check:
    """Divisions known (with their official totals) whose ballots have not arrived yet.

    Informational: a division exists as soon as a source names it, and the ballots
    source fetches the missing ballots at its next runs.
    """
    rows = conn.execute(
        "SELECT s.code, v.number, b.number FROM votes v"
        " JOIN parliamentary_sessions s ON s.id = v.session_id"
        " LEFT JOIN bills b ON b.id = v.bill_id"
        " WHERE NOT EXISTS (SELECT 1 FROM ballots x WHERE x.vote_id = v.id)"
        " ORDER BY v.date DESC, v.number DESC"
    ).fetchall()
    named = sum(1 for row in rows if row[2] is not None)
    return Check(
        name="ballots_pending",
        passed=True,
        informational=True,
        info={
            "divisions_without_ballots": len(rows),
            "of_which_named_by_a_bill": named,
            "newest": [
                f"{code} No. {number}" + (f" ({bill})" if bill else "")
                for code, number, bill in rows[:EXAMPLES]
            ],
        },
    )


def bill_status_matches_stages(conn: Connection[Any]) -> Check:
    """The source's status words name the latest stage a bill reached (informational).

    The displayed status follows the latest stage; where LEGISinfo's status text names
    another stage, both are kept and the bill is listed here.
    """
    rows = conn.execute(
        "SELECT s.code, b.number, b.status_en, b.latest_stage, b.latest_stage_name_en,"
        " b.latest_stage_chamber FROM bills b JOIN parliamentary_sessions s"
        " ON s.id = b.session_id WHERE b.latest_stage IS NOT NULL AND b.status_en IS NOT NULL"
        " ORDER BY s.code, b.number_prefix, b.number_int, b.number"
    ).fetchall()
    differing = []
    for code, number, status, stage, name, chamber in rows:
        said = bill_stage_from(None, status)
        if said is not BillStage.OTHER and said.value != stage:
            differing.append(
                f"{code} {number}: status {status!r}, latest stage {name!r} ({chamber})"
            )
    return Check(
        name="bill_status_matches_stages",
        passed=True,
        informational=True,
        info={
            "bills_with_stages": len(rows),
            "status_names_another_stage": len(differing),
            "examples": differing[:EXAMPLES],
        },
    )


def members_have_terms(conn: Connection[Any]) -> Check:
    """Every member has at least one term (a seat, a party, dates)."""
    rows = conn.execute(
        "SELECT m.full_name FROM elected_members m WHERE NOT EXISTS"
        " (SELECT 1 FROM member_terms t WHERE t.member_id = m.id) ORDER BY m.full_name"
    ).fetchall()
    return Check(
        name="members_have_terms",
        passed=not rows,
        failures=len(rows),
        examples=[row[0] for row in rows[:EXAMPLES]],
    )


def run_checks(
    conn: Connection[Any], checks: Sequence[Callable[[Connection[Any]], Check]]
) -> list[Check]:
    """The checks that matter after a run of a source (its `Source.checks`)."""
    return [check(conn) for check in checks]


def summary(checks: list[Check]) -> dict[str, Any]:
    """What `data_sources.fidelity` stores."""
    return {
        "failed": sum(1 for check in checks if not check.passed),
        "checks": [check.as_dict() for check in checks],
    }
