"""One person is one member: PersonId identity, names over time, renamed members, merges
written to the audit log, links that do not depend on import order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import URL

from openpolicy.ingest.runner import connect, run_source
from openpolicy.ingest.source import Unit
from openpolicy.ops.integrity import CHECKS
from tests.ingest.conftest import settings_for
from tests.ingest.edits import ballots_renamed, members_list
from tests.ingest.parliament import Parliament

Query = Callable[..., list[tuple[Any, ...]]]
MEMBERS_45 = "/Members/en/search/XML"
MEMBERS_44 = "/Members/en/search/XML?parliament=44"
MEMBERS_43 = "/Members/en/search/XML?parliament=43"
BALLOTS_69 = "/Members/en/votes/43/2/69/XML"


def run(ingest_db: URL, parliament: Parliament, source: str, *paths: str) -> None:
    settings = settings_for(ingest_db, parliament, ingest_sessions=["43-2"])
    units = [Unit(source, (parliament.url + path,)) for path in paths]
    report = run_source(ingest_db, settings, source, units=units)
    assert report.status == "succeeded", report.errors


def identity_checks(query: Query) -> dict[str, int]:
    """The integrity checks about identity: offending rows of each."""
    found = {}
    for check in CHECKS:
        if check.name in ("one_seat_two_members", "member_without_person_id", "duplicate_members"):
            found[check.name] = query(f"SELECT count(*) FROM ({check.sql}) AS q")[0][0]
    return found


def names_of(query: Query, person_id: int) -> tuple[str, set[str]]:
    rows = query(
        "SELECT m.full_name, n.full_name FROM elected_members m"
        " JOIN member_names n ON n.member_id = m.id WHERE m.person_id = %s",
        person_id,
    )
    return rows[0][0], {row[1] for row in rows}


@pytest.mark.parametrize("order", [(MEMBERS_45, MEMBERS_44), (MEMBERS_44, MEMBERS_45)])
def test_members_lists_in_any_order_then_ballots(
    ingest_db: URL, parliament: Parliament, query: Query, order: tuple[str, str]
) -> None:
    """The real captures: the 45th list (PersonIds), the 44th (none), 43-2 No. 69's ballots.
    They print Rachael Thomas / Rachael Harder, Rhéal Éloi Fortin / Rhéal Fortin, Jasraj
    Hallan / Jasraj Singh Hallan, and Pierre Poilievre in two seats."""
    parliament.serve_fixture(MEMBERS_45, "ourcommons/members-current-45.xml")
    parliament.serve_fixture(MEMBERS_44, "ourcommons/members-44.xml")
    parliament.serve_fixture(BALLOTS_69, "ourcommons/vote-43-2-69.xml")
    run(ingest_db, parliament, "members", *order)
    run(ingest_db, parliament, "ballots", BALLOTS_69)

    # One member per PersonId, and every PersonId of a source on a member.
    assert query(
        "SELECT count(*) = count(DISTINCT person_id) FROM elected_members"
        " WHERE person_id IS NOT NULL"
    ) == [(True,)]
    assert identity_checks(query) == {
        "one_seat_two_members": 0,
        "member_without_person_id": 0,
        "duplicate_members": 0,
    }
    # 460 people in the two lists (343 + 337 entries, 220 of them in both under the same
    # name and seat), 2 more known under another name or seat (Hallan, Poilievre: found
    # by their ballot), 54 voters known only from the ballots.
    assert query("SELECT count(*) FROM elected_members") == [(460 - 2 + 54 + 1,)]
    assert names_of(query, 89200) == ("Rachael Thomas", {"Rachael Thomas", "Rachael Harder"})
    assert names_of(query, 88605) == (
        "Rhéal Éloi Fortin",
        {"Rhéal Éloi Fortin", "Rhéal Fortin"},
    )
    assert names_of(query, 105630) == ("Jasraj Hallan", {"Jasraj Hallan", "Jasraj Singh Hallan"})
    # Each holds their terms of both Parliaments and their ballot.
    assert query(
        "SELECT m.person_id, count(DISTINCT t.parliament), count(DISTINCT b.id)"
        " FROM elected_members m JOIN member_terms t ON t.member_id = m.id"
        " JOIN ballots b ON b.member_id = m.id WHERE m.person_id IN (89200, 88605, 105630)"
        " GROUP BY 1 ORDER BY 1"
    ) == [(88605, 3, 1), (89200, 3, 1), (105630, 3, 1)]


@pytest.mark.parametrize("ballots_first", [False, True])
def test_renamed_members_in_one_seat_are_one_person(
    ingest_db: URL, parliament: Parliament, query: Query, ballots_first: bool
) -> None:
    """A 43rd-Parliament list without PersonIds prints Rachael Harder and Rhéal Fortin;
    the ballots print them as Rachael Thomas and Rhéal Éloi Fortin with their PersonIds.
    A seat has one member on a day: whichever comes first, each is one member."""
    parliament.serve(
        MEMBERS_43,
        members_list(
            since="2019-10-21",
            only={"Thomas", "Fortin"},
            renamed={
                ("Rachael", "Thomas"): ("Rachael", "Harder"),
                ("Rhéal Éloi", "Fortin"): ("Rhéal", "Fortin"),
            },
        ),
    )
    parliament.serve(
        BALLOTS_69,
        ballots_renamed(
            {
                ("Rachael", "Harder"): ("Rachael", "Thomas"),
                ("Rhéal", "Fortin"): ("Rhéal Éloi", "Fortin"),
            }
        ),
    )
    steps = [("members", MEMBERS_43), ("ballots", BALLOTS_69)]
    for source, path in reversed(steps) if ballots_first else steps:
        run(ingest_db, parliament, source, path)
    for person_id, names in (
        (89200, {"Rachael Harder", "Rachael Thomas"}),
        (88605, {"Rhéal Fortin", "Rhéal Éloi Fortin"}),
    ):
        assert names_of(query, person_id)[1] == names
        assert query(
            "SELECT count(*) FROM elected_members m WHERE m.full_name = ANY(%s)", list(names)
        ) == [(1,)]
        # The list's term (from 2019-10-21) and the ballot's day are on that one member.
        assert (
            query(
                "SELECT count(*) FILTER (WHERE NOT t.inferred), count(b.id) > 0"
                " FROM elected_members m JOIN member_terms t ON t.member_id = m.id"
                " LEFT JOIN ballots b ON b.member_id = m.id WHERE m.person_id = %s",
                person_id,
            )[0][0]
            >= 1
        )
    assert identity_checks(query) == {
        "one_seat_two_members": 0,
        "member_without_person_id": 0,
        "duplicate_members": 0,
    }


def test_a_merge_moves_everything_and_is_audited(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """The 44th list creates Jasraj Singh Hallan without a PersonId; the 45th knows him
    as Jasraj Hallan (105630) in a renamed seat; his ballot of 2021 prints his full name in
    the old seat: the two rows are one person, merged with an audit entry."""
    parliament.serve_fixture(MEMBERS_45, "ourcommons/members-current-45.xml")
    parliament.serve_fixture(MEMBERS_44, "ourcommons/members-44.xml")
    parliament.serve_fixture(BALLOTS_69, "ourcommons/vote-43-2-69.xml")
    run(ingest_db, parliament, "members", MEMBERS_45, MEMBERS_44)
    before = query(
        "SELECT count(*), count(*) FILTER (WHERE person_id IS NULL) FROM elected_members"
        " WHERE last_name = 'Hallan'"
    )
    assert before == [(2, 1)]
    terms = query("SELECT count(*) FROM member_terms")[0][0]
    run(ingest_db, parliament, "ballots", BALLOTS_69)
    assert query("SELECT person_id, full_name FROM elected_members WHERE last_name = 'Hallan'") == [
        (105630, "Jasraj Hallan")
    ]
    [(actor, details)] = query(
        "SELECT actor, details FROM audit_events WHERE action = 'member.merge'"
        " AND details->>'merged_name' = 'Jasraj Singh Hallan'"
    )
    assert actor == "ingest" and details["person_id"] == 105630
    assert details["kept_name"] == "Jasraj Hallan" and details["moved"]["terms"] == 1
    # Nothing lost: the merged row's term is the member's now (plus the ballot's day).
    assert query(
        "SELECT c.name_en, t.inferred FROM member_terms t JOIN constituencies c"
        " ON c.id = t.constituency_id JOIN elected_members m ON m.id = t.member_id"
        " WHERE m.person_id = 105630 ORDER BY t.start_date"
    ) == [
        ("Calgary Forest Lawn", True),
        ("Calgary Forest Lawn", False),
        ("Calgary East", False),
    ]
    assert query("SELECT count(*) FROM member_terms WHERE NOT inferred")[0][0] == terms


def test_a_successor_is_another_person(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """A by-election: another name takes the seat. Two people; the first one's open term
    ends the day before the second one's begins (one member per seat and day)."""
    parliament.serve(MEMBERS_44, members_list())
    parliament.serve(
        MEMBERS_45,
        members_list(renamed={("Ziad", "Aboultaif"): ("Jane", "Doe")}).replace(
            b"<PersonOfficialLastName>Doe</PersonOfficialLastName>"
            b"<ConstituencyName>Edmonton Manning</ConstituencyName>"
            b"<ConstituencyProvinceTerritoryName>Alberta</ConstituencyProvinceTerritoryName>"
            b"<CaucusShortName>Conservative</CaucusShortName>"
            b"<FromDateTime>2021-09-20T00:00:00</FromDateTime>",
            b"<PersonOfficialLastName>Doe</PersonOfficialLastName>"
            b"<ConstituencyName>Edmonton Manning</ConstituencyName>"
            b"<ConstituencyProvinceTerritoryName>Alberta</ConstituencyProvinceTerritoryName>"
            b"<CaucusShortName>Conservative</CaucusShortName>"
            b"<FromDateTime>2023-06-19T00:00:00</FromDateTime>",
        ),
    )
    run(ingest_db, parliament, "members", MEMBERS_44, MEMBERS_45)
    assert query(
        "SELECT m.full_name, t.start_date::text, t.end_date::text FROM member_terms t"
        " JOIN elected_members m ON m.id = t.member_id JOIN constituencies c"
        " ON c.id = t.constituency_id WHERE c.name_en = 'Edmonton Manning'"
        " ORDER BY t.start_date"
    ) == [("Ziad Aboultaif", "2021-09-20", "2023-06-18"), ("Jane Doe", "2023-06-19", None)]
    assert identity_checks(query)["one_seat_two_members"] == 0


def test_links_do_not_depend_on_import_order(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """Hansard and a bill before the members list: speakers and the sponsor are linked
    when the members arrive, as if the list had come first."""
    settings = settings_for(ingest_db, parliament, ingest_sessions=["44-1"])
    parliament.serve_fixture(
        "/Content/House/441/Debates/005/HAN005-E.XML", "hansard/HAN005-E-441.xml"
    )
    parliament.serve_fixture("/legisinfo/en/bill/44-1/c-291/xml", "legisinfo/bill-44-1-C-291.xml")
    parliament.serve_fixture(MEMBERS_45, "ourcommons/members-current-45.xml")
    parliament.serve_fixture(MEMBERS_44, "ourcommons/members-44.xml")
    hansard = Unit("hansard", (parliament.url + "/Content/House/441/Debates/005/HAN005-E.XML",))
    run_source(ingest_db, settings, "hansard", units=[hansard])
    run_source(
        ingest_db,
        settings,
        "bill",
        units=[Unit("bill", (parliament.url + "/legisinfo/en/bill/44-1/c-291/xml",))],
    )
    assert query("SELECT count(member_id) FROM speeches") == [(0,)]
    assert query("SELECT sponsor_member_id, sponsor_person_id FROM bills") == [(None, 89294)]
    report = run_source(
        ingest_db,
        settings,
        "members",
        units=[
            Unit("members", (parliament.url + MEMBERS_45,)),
            Unit("members", (parliament.url + MEMBERS_44,)),
        ],
    )
    assert report.notes["relinked"]["speakers"] > 100
    assert query(
        "SELECT m.full_name FROM bills b JOIN elected_members m ON m.id = b.sponsor_member_id"
    ) == [("Mel Arnold",)]
    linked_later = query("SELECT count(member_id) FROM speeches")[0][0]

    # The same documents with the members first link the same speeches.
    with connect(ingest_db) as conn:
        conn.execute("TRUNCATE speeches, debates CASCADE")
        conn.execute("DELETE FROM source_documents WHERE source = 'hansard'")
    run_source(ingest_db, settings, "hansard", units=[hansard])
    assert query("SELECT count(member_id) FROM speeches") == [(linked_later,)]
