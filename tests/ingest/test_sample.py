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
    # One member per PersonId: 460 people in the two lists, 2 found again by their ballot
    # (Jasraj Singh Hallan in his old seat, Pierre Poilievre in Carleton), 54 voters known
    # only from their ballot, and Poilievre's second row merged away.
    assert query(
        "SELECT count(*), count(person_id), count(DISTINCT person_id) FROM elected_members"
    ) == [(513, 490, 490)]
    assert reports["ballots"].counts.inserted == 330
    # 4 sittings and their items, one row each (a written question is two: question, answer).
    assert reports["hansard"].counts.inserted == 4 + 78 + 231 + (560 + 29) + 369

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
    # Divisions: the 880 of the 42-1 list, 43-2 No. 69 from its ballots, the 13 of 44-1
    # that C-11 and C-291 name (with their official totals, ballots pending), and five
    # printed in the sittings (44-1 Nos. 332-333, 41-2 Nos. 140-142).
    assert query(
        "SELECT count(*), count(*) FILTER (WHERE totals_derived),"
        " count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM ballots b WHERE b.vote_id = v.id))"
        " FROM votes v"
    ) == [(880 + 1 + 13 + 5, 1, 880 + 13 + 5)]
    # Sessions carry their dates; bills their messages between the chambers and the
    # latest stage, with its chamber, beside the source's status words.
    assert query(
        "SELECT code, start_date::text, end_date::text FROM parliamentary_sessions ORDER BY 1"
    ) == [
        ("41-2", "2013-10-16", "2015-08-02"),
        ("42-1", "2015-12-03", "2019-09-11"),
        ("43-2", "2020-09-23", "2021-08-15"),
        ("44-1", "2021-11-22", "2025-01-06"),
        ("45-1", "2025-05-26", None),
    ]
    assert query(
        "SELECT s.code, b.number, b.status_en, b.latest_stage_name_en, b.latest_stage_chamber,"
        " (SELECT count(*) FROM bill_messages m WHERE m.bill_id = b.id)"
        " FROM bills b JOIN parliamentary_sessions s ON s.id = b.session_id"
        " WHERE (s.code, b.number) IN (('42-1', 'C-69'), ('44-1', 'C-11')) ORDER BY 1"
    ) == [
        ("42-1", "C-69", "Introduction and First Reading", "Introduction and First Reading",
         "senate", 0),
        ("44-1", "C-11", "Royal assent received", "Royal assent", "royal_assent", 12),
    ]  # fmt: skip
    # The latest event with its time and offset: 2023-04-27 14:00 in Ottawa, not midnight.
    assert query(
        "SELECT to_char(latest_activity_at AT TIME ZONE 'America/Toronto', 'YYYY-MM-DD HH24:MI')"
        " FROM bills b JOIN parliamentary_sessions s ON s.id = b.session_id"
        " WHERE s.code = '44-1' AND b.number = 'C-11'"
    ) == [("2023-04-27 14:00",)]
    # Sponsors are linked whichever came first: C-291's sponsor is Mel Arnold (89294).
    assert query(
        "SELECT m.person_id FROM bills b JOIN elected_members m ON m.id = b.sponsor_member_id"
        " JOIN parliamentary_sessions s ON s.id = b.session_id"
        " WHERE s.code = '44-1' AND b.number = 'C-291'"
    ) == [(89294,)]
    # Every source passes its own checks: nothing degraded on a fresh install.
    assert query("SELECT name FROM data_sources WHERE status <> 'ok'") == []

    # Hansard in both languages where both editions were captured (42-1 No. 2). Every
    # item of each sitting: its interventions, the turns printed inside them (a bold
    # label), notes, written questions with their answers, division tables.
    assert query(
        "SELECT s.code, d.number, sp.kind, count(*), count(sp.text_en), count(sp.text_fr)"
        " FROM debates d JOIN parliamentary_sessions s ON s.id = d.session_id"
        " JOIN speeches sp ON sp.debate_id = d.id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    ) == [
        ("41-2", 86, "answer", 29, 29, 0),
        ("41-2", 86, "division", 3, 3, 0),
        ("41-2", 86, "note", 22, 22, 0),
        ("41-2", 86, "question", 29, 29, 0),
        ("41-2", 86, "speech", 479 + 27, 479 + 27, 0),
        ("42-1", 2, "note", 24, 24, 24),
        ("42-1", 2, "speech", 42 + 12, 42 + 12, 42 + 12),
        ("44-1", 5, "note", 8, 8, 0),
        ("44-1", 5, "speech", 216 + 7, 216 + 7, 0),
        ("44-1", 200, "division", 2, 2, 0),
        ("44-1", 200, "note", 25, 25, 0),
        ("44-1", 200, "speech", 321 + 21, 321 + 21, 0),
    ]
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
    assert (
        speakers.resolved + speakers.unresolved + speakers.presiding_unnamed + speakers.collective
        # 41-2 No. 86: 506 speeches, 29 questions, 6 answers signed by a minister (23 are
        # returns tabled without a name); then 42-1 No. 2, 44-1 Nos. 5 and 200.
        == (506 + 29 + 6) + 54 + 223 + 342
    )

    # Loading again changes nothing and says so.
    again = load_sample(ingest_db, settings)
    assert all(r.skipped == r.units and r.counts.inserted + r.counts.updated == 0 for r in again)
    assert (
        sum(r.counts.unchanged for r in again)
        == sum(r.counts.inserted for r in reports.values()) + reports["bill"].counts.unchanged
    )
