"""Fidelity checks: after each run, compare what is stored with what the sources promise.

Results go to `data_sources.fidelity` (and from there to `/metrics` as
`fidelity_check_failures{source}`); a failed check makes the source `degraded`, it never
disappears silently. Checks look at the whole database, so a division imported by one
source and contradicted by another is caught whichever runs last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection

EXAMPLES = 10


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
    """How many Hansard speakers are linked to a member (informational: counted, not guessed)."""
    row = conn.execute(
        "SELECT count(*), count(member_id),"
        " count(*) FILTER (WHERE member_id IS NULL AND speaker_name IS NOT NULL),"
        " count(DISTINCT speaker_name) FILTER (WHERE member_id IS NULL),"
        " count(*) FILTER (WHERE member_id IS NULL AND speaker_name IS NULL)"
        " FROM speeches"
    ).fetchone()
    assert row is not None
    total, resolved, unresolved, names, presiding = (int(value) for value in row)
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


CHECKS: dict[str, tuple[Callable[[Connection[Any]], Check], ...]] = {
    "members": (members_have_terms,),
    "bills": (),
    "bill": (bill_divisions_exist,),
    "votes": (ballots_match_totals, bill_divisions_exist),
    "ballots": (ballots_match_totals, members_have_terms),
    "hansard": (speakers_resolved,),
}


def run_checks(conn: Connection[Any], source: str) -> list[Check]:
    """The checks that matter after a run of `source`."""
    return [check(conn) for check in CHECKS.get(source, ())]


def summary(checks: list[Check]) -> dict[str, Any]:
    """What `data_sources.fidelity` stores."""
    return {
        "failed": sum(1 for check in checks if not check.passed),
        "checks": [check.as_dict() for check in checks],
    }
