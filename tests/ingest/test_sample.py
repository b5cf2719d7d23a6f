"""The bundled sample: byte-identical captures, and what loading them offline stores."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from openpolicy.ingest.sample import SAMPLE_DIR, database_is_empty, load_sample, manifest
from openpolicy.sources.registry import SOURCE_NAMES, parse
from tests.ingest.conftest import settings_for
from tests.ingest.parliament import FIXTURES

Query = Callable[..., list[tuple[Any, ...]]]


def test_sample_files_are_the_captures_byte_for_byte() -> None:
    documents = manifest()
    assert len(documents) == 14
    for document in documents:
        body = document.path.read_bytes()
        assert body == (FIXTURES / document.file).read_bytes(), document.file
        assert hashlib.sha256(body).hexdigest() == document.sha256
        assert document.source in SOURCE_NAMES
        assert document.url.startswith(("https://www.parl.ca/", "https://www.ourcommons.ca/"))
        assert next(iter(parse(document.source, body, document.url))).source_url == document.url
    shipped = {p.relative_to(SAMPLE_DIR).as_posix() for p in SAMPLE_DIR.rglob("*.*")}
    assert shipped == {d.file for d in documents} | {"manifest.json", "PROVENANCE.md"}


def test_loading_the_sample(ingest_db: URL, query: Query) -> None:
    settings = settings_for(ingest_db)
    assert database_is_empty(ingest_db)
    reports = {r.source: r for r in load_sample(ingest_db, settings)}
    assert not database_is_empty(ingest_db)
    assert all(r.status == "succeeded" for r in reports.values())
    assert reports["members"].counts.inserted == 343 + 337
    assert reports["ballots"].counts.inserted == 330
    # 4 sittings: 42 (EN + FR paired) + 216 + 479 + 321 interventions.
    assert reports["hansard"].counts.inserted == 4 + 42 + 216 + 479 + 321

    # A real division with its 330 ballots, each with the voter's party that day.
    assert query(
        "SELECT p.short_name_en, b.value, count(*) FROM ballots b"
        " JOIN parties p ON p.id = b.party_id WHERE b.value = 'nay' GROUP BY 1, 2 ORDER BY 1"
    ) == [("Green Party", "nay", 3), ("NDP", "nay", 22)]
    assert query("SELECT count(*) FILTER (WHERE value = 'yea') FROM ballots") == [(305,)]
    # Every voter is a member keyed on the PersonId of the ballots feed.
    assert query(
        "SELECT count(DISTINCT m.person_id) FROM ballots b JOIN elected_members m"
        " ON m.id = b.member_id"
    ) == [(330,)]
    # Jagmeet Singh (PersonId 71588) sat for Burnaby South on 10 March 2021: a term
    # inferred from the ballot, since no members list of the 43rd Parliament was captured.
    assert query(
        "SELECT c.name_en, p.short_name_en, t.start_date::text, t.inferred FROM member_terms t"
        " JOIN elected_members m ON m.id = t.member_id JOIN constituencies c"
        " ON c.id = t.constituency_id JOIN parties p ON p.id = t.party_id"
        " WHERE m.person_id = 71588 AND t.start_date < '2021-09-20'"
    ) == [("Burnaby South", "NDP", "2021-03-10", True)]
    # Every PersonId of the 45th Parliament's list is a member.
    assert query("SELECT count(*) FROM elected_members WHERE person_id IS NOT NULL") >= [(343,)]

    # Bills: 353 from the 42-1 export, plus C-11 and C-291 (44-1) and C-2 (45-1).
    assert query("SELECT count(*) FROM bills") == [(356,)]
    assert query(
        "SELECT b.short_title_en, count(e.id) FROM bills b JOIN bill_events e"
        " ON e.bill_id = b.id JOIN parliamentary_sessions s ON s.id = b.session_id"
        " WHERE s.code = '45-1' AND b.number = 'C-2' GROUP BY 1"
    ) == [("Strong Borders Act", 8)]
    # Divisions: the 880 of the 42-1 list, plus 43-2 No. 69 from its ballots.
    assert query("SELECT count(*), count(*) FILTER (WHERE totals_derived) FROM votes") == [(881, 1)]

    # Hansard in both languages where both editions were captured (42-1 No. 2).
    assert query(
        "SELECT s.code, d.number, count(sp.text_en), count(sp.text_fr) FROM debates d"
        " JOIN parliamentary_sessions s ON s.id = d.session_id"
        " JOIN speeches sp ON sp.debate_id = d.id GROUP BY 1, 2 ORDER BY 1, 2"
    ) == [("41-2", 86, 479, 0), ("42-1", 2, 42, 42), ("44-1", 5, 216, 0), ("44-1", 200, 321, 0)]
    # Speakers: Kevin Lamoureux (Winnipeg North) is linked in 44-1 No. 5; nobody is linked in
    # the 41-2 sitting of 2014, which no captured members list or division covers.
    assert query(
        "SELECT count(*) > 0, count(*) = count(sp.member_id), count(DISTINCT c.name_en)"
        " FROM speeches sp LEFT JOIN member_terms t ON t.member_id = sp.member_id"
        " AND t.start_date = '2021-09-20' LEFT JOIN constituencies c ON c.id = t.constituency_id"
        " JOIN debates d ON d.id = sp.debate_id"
        " WHERE sp.speaker_name = 'Mr. Kevin Lamoureux' AND d.date >= '2021-09-20'"
    ) == [(True, True, 1)]
    assert query(
        "SELECT DISTINCT c.name_en FROM speeches sp JOIN member_terms t ON t.member_id ="
        " sp.member_id JOIN constituencies c ON c.id = t.constituency_id"
        " WHERE sp.speaker_name = 'Mr. Kevin Lamoureux'"
    ) == [("Winnipeg North",)]
    assert query(
        "SELECT count(sp.member_id) FROM speeches sp JOIN debates d ON d.id = sp.debate_id"
        " WHERE d.date < '2015-01-01'"
    ) == [(0,)]
    speakers = reports["hansard"].speakers
    assert speakers.resolved + speakers.unresolved + speakers.presiding_unnamed == 1058

    # Loading again changes nothing and says so.
    again = load_sample(ingest_db, settings)
    assert all(r.skipped == r.units and r.counts.inserted + r.counts.updated == 0 for r in again)
    assert (
        sum(r.counts.unchanged for r in again)
        == sum(r.counts.inserted for r in reports.values()) + reports["bill"].counts.unchanged
    )
