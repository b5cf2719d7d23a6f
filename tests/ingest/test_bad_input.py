"""Bad input: the document fails with its URL and what was wrong, stored data is untouched,
other documents carry on, and the source's status says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from openpolicy.ingest.plans import Unit
from openpolicy.ingest.runner import RunReport, run_source
from tests.ingest.conftest import settings_for
from tests.ingest.edits import ballots_with_one_yea_flipped, division_list
from tests.ingest.parliament import Parliament

Query = Callable[..., list[tuple[Any, ...]]]
Capture = Callable[[str], bytes]
MEMBERS = "/Members/en/search/XML"
MEMBERS_44 = "/Members/en/search/XML?parliament=44"
BALLOTS = "/Members/en/votes/43/2/69/XML"
VOTES_43_2 = "/Members/en/votes/XML?parlSession=43-2"


def run_members(database: URL, parliament: Parliament) -> RunReport:
    return run_source(
        database, settings_for(database, parliament, ingest_parliaments=[44]), "members"
    )


def test_truncated_xml_fails_alone(
    ingest_db: URL, parliament: Parliament, query: Query, capture: Capture
) -> None:
    parliament.serve(MEMBERS, capture("ourcommons/members-current-45.xml")[:80_000])
    parliament.serve_fixture(MEMBERS_44, "ourcommons/members-44.xml")
    report = run_members(ingest_db, parliament)
    assert report.status == "partial"
    assert report.counts.failed == 1 and report.counts.inserted == 337
    assert len(report.errors) == 1
    assert report.errors[0].startswith(f"{parliament.url}{MEMBERS} at line 1: malformed XML")
    status, error = query("SELECT status, last_error FROM data_sources WHERE name = 'members'")[0]
    assert status == "degraded" and error == report.errors[0]
    # Nothing of the bad document was archived as imported.
    assert query("SELECT count(*) FROM source_documents WHERE url LIKE %s", "%XML") == [(0,)]


def test_stored_data_is_untouched_when_a_new_version_is_broken(
    ingest_db: URL, parliament: Parliament, query: Query, capture: Capture
) -> None:
    parliament.serve_fixture(MEMBERS, "ourcommons/members-current-45.xml")
    parliament.serve_fixture(MEMBERS_44, "ourcommons/members-44.xml")
    assert run_members(ingest_db, parliament).status == "succeeded"
    before = query("SELECT count(*), max(updated_at) FROM elected_members")
    # A new version drops one member's last name: a required field.
    broken = capture("ourcommons/members-44.xml").replace(
        b"<PersonOfficialLastName>Aitchison</PersonOfficialLastName>", b"", 1
    )
    parliament.serve(MEMBERS_44, broken)
    report = run_members(ingest_db, parliament)
    assert report.status == "partial" and report.counts.unchanged == 343
    assert report.errors == [
        f"{parliament.url}{MEMBERS_44} at /ArrayOfMemberOfParliament/MemberOfParliament[2]"
        "/PersonOfficialLastName: required field PersonOfficialLastName is missing or empty"
    ]
    assert query("SELECT count(*), max(updated_at) FROM elected_members") == before
    assert query("SELECT status FROM data_sources WHERE name = 'members'") == [("degraded",)]


def test_truncated_json_fails_with_its_line(
    ingest_db: URL, parliament: Parliament, query: Query, capture: Capture
) -> None:
    url = parliament.serve(
        "/legisinfo/en/bill/44-1/c-291/json", capture("legisinfo/bill-44-1-C-291.json")[:20_000]
    )
    settings = settings_for(ingest_db, parliament)
    report = run_source(ingest_db, settings, "bill", units=[Unit("bill", (url,))])
    assert report.status == "failed"
    assert report.errors[0].startswith(f"{url} at line 1: malformed JSON")
    assert query("SELECT status FROM data_sources WHERE name = 'bill'") == [("failed",)]
    assert query("SELECT count(*) FROM bills") == [(0,)]


def test_html_error_page_with_status_200(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    page = b"<!DOCTYPE html><html><head><title>Error</title></head><body>Oops</body></html>"
    url = parliament.serve(BALLOTS, page, "text/html")
    settings = settings_for(ingest_db, parliament)
    report = run_source(ingest_db, settings, "ballots", units=[Unit("ballots", (url,))])
    assert report.errors == [f"{url} at line 1: got an HTML page instead of XML"]
    assert query("SELECT count(*) FROM ballots") == [(0,)]


def test_empty_list_of_ballots(ingest_db: URL, parliament: Parliament, query: Query) -> None:
    empty = (
        b'<ArrayOfVoteParticipant xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        b' xmlns:xsd="http://www.w3.org/2001/XMLSchema" />'
    )
    url = parliament.serve(BALLOTS, empty)
    settings = settings_for(ingest_db, parliament)
    report = run_source(ingest_db, settings, "ballots", units=[Unit("ballots", (url,))])
    assert report.errors == [
        f"{url} at /ArrayOfVoteParticipant: no ballots: the division does not exist (empty list)"
    ]
    assert query("SELECT count(*) FROM votes") == [(0,)]


def test_ballots_that_disagree_with_the_official_totals(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """Official 305 / 25 / 0 (from a divisions list); then a version of the ballots with one
    Yea turned Nay fails, and the ballots already stored stay as they were."""
    settings = settings_for(ingest_db, parliament, ingest_sessions=["43-2"])
    parliament.serve(VOTES_43_2, division_list((43, 2, 69, 305, 25, 0, "2021-03-10")))
    assert run_source(ingest_db, settings, "votes").status == "succeeded"
    good = parliament.serve_fixture(BALLOTS, "ourcommons/vote-43-2-69.xml")
    assert run_source(ingest_db, settings, "ballots", units=[Unit("ballots", (good,))]).status == (
        "succeeded"
    )
    parliament.serve(BALLOTS, ballots_with_one_yea_flipped())
    other = parliament.serve_fixture("/Members/en/votes/43/2/70/XML", "ourcommons/vote-43-2-69.xml")
    report = run_source(
        ingest_db, settings, "ballots", units=[Unit("ballots", (good,)), Unit("ballots", (other,))]
    )
    assert report.status == "partial"
    assert report.errors == [
        f"{good}: division 43-2 No. 69 has 304 yea / 26 nay / 0 paired ballots but the"
        " official totals are 305 / 25 / 0"
    ]
    # The other document (the same capture filed under another URL) was still read.
    assert report.counts.unchanged == 330
    assert query(
        "SELECT count(*) FILTER (WHERE value = 'yea'), count(*) FILTER (WHERE value = 'nay')"
        " FROM ballots"
    ) == [(305, 25)]
    assert query("SELECT status FROM data_sources WHERE name = 'ballots'") == [("degraded",)]
