"""Fidelity checks after runs: results land in the source's status, and links are made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.engine import URL

from openpolicy.ingest.plans import Unit
from openpolicy.ingest.runner import run_source
from tests.ingest.conftest import settings_for
from tests.ingest.edits import division_list
from tests.ingest.parliament import Parliament

Query = Callable[..., list[tuple[Any, ...]]]


def test_divisions_a_bill_names_exist_with_their_official_totals(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """C-291 (44-1) names divisions 221 and 249 (its HouseVoteDetails, with totals): they
    exist from then on, ballots pending, and the checks say so."""
    settings = settings_for(ingest_db, parliament, ingest_sessions=["44-1"])
    bill = parliament.serve_fixture(
        "/legisinfo/en/bill/44-1/c-291/xml", "legisinfo/bill-44-1-C-291.xml"
    )
    report = run_source(ingest_db, settings, "bill", units=[Unit("bill", (bill,))])
    assert report.status == "succeeded" and report.source_status == "ok"
    checks = {check.name: check for check in report.checks}
    assert (checks["bill_divisions_exist"].passed, checks["bill_divisions_exist"].failures) == (
        True,
        0,
    )
    assert checks["ballots_pending"].info["divisions_without_ballots"] == 2
    assert checks["ballots_pending"].info["newest"] == [
        "44-1 No. 249 (C-291)",
        "44-1 No. 221 (C-291)",
    ]
    # The figures printed in the capture's HouseVoteDetails and Decisions.
    assert query(
        "SELECT v.number, v.date::text, v.sitting_number, v.result, v.yeas, v.nays, v.paired,"
        " v.totals_derived, v.ballots_source, b.number, left(v.subject_en, 30)"
        " FROM votes v JOIN bills b ON b.id = v.bill_id ORDER BY 1"
    ) == [
        (221, "2022-11-23", 133, "agreed", 318, 0, 10, False, None, "C-291",
         "2nd reading of Bill C-291, An "),
        (249, "2023-02-01", 151, "agreed", 323, 0, 2, False, None, "C-291",
         "3rd reading and adoption of Bi"),
    ]  # fmt: skip
    status, stored = query("SELECT status, fidelity FROM data_sources WHERE name = 'bill'")[0]
    assert status == "ok" and stored["failed"] == 0
    # The ballots source plans the two divisions (ballots pending), newest first.
    from openpolicy.ingest.plans import plan
    from openpolicy.ingest.runner import connect

    with connect(ingest_db) as conn:
        planned = plan("ballots", conn, settings)
    assert [u.primary.rsplit("/", 2)[1] for u in planned] == ["249", "221"]

    # The divisions list arrives (made from the real capture, same totals): nothing moves.
    parliament.serve(
        "/Members/en/votes/XML?parlSession=44-1",
        division_list(
            (44, 1, 221, 318, 0, 10, "2022-11-23"), (44, 1, 249, 323, 0, 2, "2023-02-01")
        ),
    )
    votes = run_source(ingest_db, settings, "votes")
    assert votes.source_status == "ok"
    assert query(
        "SELECT v.number, b.number, v.yeas FROM votes v JOIN bills b ON b.id = v.bill_id ORDER BY 1"
    ) == [(221, "C-291", 318), (249, "C-291", 323)]


def test_totals_derived_then_contradicted_by_the_official_list(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """43-2 No. 69 arrives as ballots only (305 yea, 25 nay): its totals are derived.
    A divisions list then says 306 yeas: the check fails and names the division."""
    settings = settings_for(ingest_db, parliament, ingest_sessions=["43-2"])
    ballots = parliament.serve_fixture(
        "/Members/en/votes/43/2/69/XML", "ourcommons/vote-43-2-69.xml"
    )
    first = run_source(ingest_db, settings, "ballots", units=[Unit("ballots", (ballots,))])
    assert first.source_status == "ok"
    assert query("SELECT yeas, nays, paired, totals_derived, result, date::text FROM votes") == [
        (305, 25, 0, True, "agreed", "2021-03-10")
    ]
    info = first.checks[0].info
    assert info["totals_derived_from_ballots"] == ["43-2 No. 69"]

    parliament.serve(
        "/Members/en/votes/XML?parlSession=43-2",
        division_list((43, 2, 69, 306, 25, 0, "2021-03-10")),
    )
    votes = run_source(ingest_db, settings, "votes")
    totals = next(c for c in votes.checks if c.name == "ballots_match_totals")
    assert not totals.passed
    assert totals.examples == ["43-2 No. 69: official 306/25/0, ballots 305/25/0"]
    status, fidelity = query("SELECT status, fidelity FROM data_sources WHERE name = 'votes'")[0]
    assert status == "degraded"
    assert orjson.loads(orjson.dumps(fidelity))["checks"][0]["failures"] == 1
    # The ballots source plans this division again (its ballots disagree with the totals).
    from openpolicy.ingest.plans import plan
    from openpolicy.ingest.runner import connect

    with connect(ingest_db) as conn:
        planned = plan("ballots", conn, settings)
    assert [u.primary for u in planned] == [ballots]
