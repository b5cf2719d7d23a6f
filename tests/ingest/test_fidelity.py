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


def test_divisions_a_bill_names_must_exist(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """C-291 (44-1) names divisions 221 and 249 (its HouseVoteDetails)."""
    settings = settings_for(ingest_db, parliament, ingest_sessions=["44-1"])
    bill = parliament.serve_fixture(
        "/legisinfo/en/bill/44-1/c-291/xml", "legisinfo/bill-44-1-C-291.xml"
    )
    report = run_source(ingest_db, settings, "bill", units=[Unit("bill", (bill,))])
    assert report.status == "succeeded" and report.source_status == "degraded"
    [check] = report.checks
    assert (check.name, check.passed, check.failures) == ("bill_divisions_exist", False, 2)
    assert check.examples == ["44-1 C-291 names division 221", "44-1 C-291 names division 249"]
    status, stored = query("SELECT status, fidelity FROM data_sources WHERE name = 'bill'")[0]
    assert status == "degraded" and stored["failed"] == 1

    # The divisions arrive (a list made from the real capture): linked to the bill, check passes.
    parliament.serve(
        "/Members/en/votes/XML?parlSession=44-1",
        division_list(
            (44, 1, 221, 172, 149, 0, "2022-12-14"), (44, 1, 249, 318, 0, 0, "2023-02-08")
        ),
    )
    votes = run_source(ingest_db, settings, "votes")
    assert votes.source_status == "ok"
    assert query(
        "SELECT v.number, b.number FROM votes v JOIN bills b ON b.id = v.bill_id ORDER BY 1"
    ) == [(221, "C-291"), (249, "C-291")]
    again = run_source(ingest_db, settings, "bill", units=[Unit("bill", (bill,))], force=True)
    assert [c.passed for c in again.checks] == [True]
    assert query("SELECT status FROM data_sources WHERE name = 'bill'") == [("ok",)]


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
