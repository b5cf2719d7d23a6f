"""Runs over HTTP against the loopback server: imports, provenance, idempotency, locking."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from openpolicy.ingest.plans import Unit
from openpolicy.ingest.runner import connect, run_source, source_lock
from tests.ingest.conftest import settings_for
from tests.ingest.parliament import Parliament

Query = Callable[..., list[tuple[Any, ...]]]
MEMBERS = "/Members/en/search/XML"
MEMBERS_44 = "/Members/en/search/XML?parliament=44"


def serve_members(parliament: Parliament) -> None:
    parliament.serve_fixture(MEMBERS, "ourcommons/members-current-45.xml")
    parliament.serve_fixture(MEMBERS_44, "ourcommons/members-44.xml")


def test_members_run_imports_both_lists_and_archives_them(
    ingest_db: URL, parliament: Parliament, query: Query, capture: Callable[[str], bytes]
) -> None:
    serve_members(parliament)
    settings = settings_for(ingest_db, parliament, ingest_parliaments=[44])
    report = run_source(ingest_db, settings, "members")
    assert report.status == "succeeded"
    # One record per MemberOfParliament entry: 343 + 337, all new.
    assert report.counts.as_dict() == {"inserted": 680, "updated": 0, "unchanged": 0, "failed": 0}
    documents = query(
        "SELECT url, sha256, size_bytes, record_count FROM source_documents ORDER BY url"
    )
    assert documents == [
        (
            parliament.url + MEMBERS,
            hashlib.sha256(capture("ourcommons/members-current-45.xml")).hexdigest(),
            160_829,
            343,
        ),
        (
            parliament.url + MEMBERS_44,
            hashlib.sha256(capture("ourcommons/members-44.xml")).hexdigest(),
            148_511,
            337,
        ),
    ]
    # Ziad Aboultaif: PersonId 89156 (45th list), Edmonton Manning in both Parliaments.
    rows = query(
        "SELECT m.person_id, c.name_en, c.province, p.short_name_en, t.start_date::text,"
        " t.parliament FROM elected_members m JOIN member_terms t ON t.member_id = m.id"
        " JOIN constituencies c ON c.id = t.constituency_id JOIN parties p ON p.id = t.party_id"
        " WHERE m.last_name = 'Aboultaif' ORDER BY t.start_date"
    )
    assert rows == [
        (89156, "Edmonton Manning", "AB", "Conservative", "2021-09-20", 44),
        (89156, "Edmonton Manning", "AB", "Conservative", "2025-04-28", 45),
    ]
    assert query("SELECT status, last_error FROM data_sources WHERE name = 'members'") == [
        ("ok", None)
    ]


def test_second_run_is_conditional_and_reports_everything_unchanged(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    serve_members(parliament)
    settings = settings_for(ingest_db, parliament, ingest_parliaments=[44])
    first = run_source(ingest_db, settings, "members")
    version = query("SELECT version FROM data_version")
    second = run_source(ingest_db, settings, "members")
    assert first.counts.inserted == 680
    # One move per changed document; none for a run that changed nothing.
    assert version == [(2,)] and query("SELECT version FROM data_version") == [(2,)]
    assert second.counts.as_dict() == {"inserted": 0, "updated": 0, "unchanged": 680, "failed": 0}
    assert second.skipped == 2
    # The second request carried the ETag of the first and got a 304.
    assert [r.status for r in parliament.seen(MEMBERS)] == [200, 304]
    assert "If-None-Match" in parliament.seen(MEMBERS)[1].headers
    runs = query("SELECT status, inserted, updated, unchanged, failed FROM ingest_runs ORDER BY id")
    assert runs == [("succeeded", 680, 0, 0, 0), ("succeeded", 0, 0, 680, 0)]


def test_forced_reimport_finds_nothing_to_change(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """Without the hash skip, the upserts themselves are idempotent."""
    serve_members(parliament)
    parliament.serve_fixture("/Members/en/votes/43/2/69/XML", "ourcommons/vote-43-2-69.xml")
    settings = settings_for(ingest_db, parliament, ingest_parliaments=[44])
    ballots = [Unit("ballots", (parliament.url + "/Members/en/votes/43/2/69/XML",))]
    run_source(ingest_db, settings, "members")
    run_source(ingest_db, settings, "ballots", units=ballots)
    before = query("SELECT count(*), max(updated_at) FROM member_terms")
    again = run_source(ingest_db, settings, "members", force=True)
    again_ballots = run_source(ingest_db, settings, "ballots", units=ballots, force=True)
    assert again.skipped == 0 and again.counts.unchanged == 680 and again.counts.updated == 0
    assert again_ballots.counts.as_dict() == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 330,
        "failed": 0,
    }
    assert query("SELECT count(*), max(updated_at) FROM member_terms") == before


def test_live_plan_pairs_editions_and_probes_for_new_sittings(
    ingest_db: URL, parliament: Parliament, query: Query
) -> None:
    """42-1: the divisions list (no French list: 404), Hansard sittings 1-3 probed."""
    parliament.serve_fixture(
        "/Members/en/votes/XML?parlSession=42-1", "ourcommons/legacy/votes-42-1-legacy-2018.xml"
    )
    parliament.serve_fixture(
        "/Content/House/421/Debates/002/HAN002-E.XML", "hansard/HAN002-E-421.xml"
    )
    parliament.serve_fixture(
        "/Content/House/421/Debates/002/HAN002-F.XML", "hansard/HAN002-F-421.xml"
    )
    settings = settings_for(ingest_db, parliament, ingest_sessions=["42-1"], ingest_hansard_probe=3)
    votes = run_source(ingest_db, settings, "votes")
    assert votes.status == "succeeded" and votes.counts.inserted == 880
    hansard = run_source(ingest_db, settings, "hansard")
    # Sittings 1 and 3 are not published (404): absent, not failed. Sitting 2: EN + FR.
    assert hansard.status == "succeeded" and hansard.absent == 2
    # The debate, its 42 interventions, 12 turns printed inside them, 24 notes.
    assert hansard.counts.inserted == 1 + 42 + 12 + 24
    # Both vectors are PostgreSQL's own to_tsvector of the stored text, where no-break
    # spaces, no-break hyphens and typographic apostrophes are plain (the stored text
    # keeps them: "14 h 30" with U+00A0 in French).
    plain = r"translate({}, E'\u00a0\u202f\u2009\u2007\u2011\u2010\u2019', '    --' || chr(39))"
    [(rows, french, same_vectors, no_break)] = query(
        "SELECT count(*), count(text_fr), count(*) FILTER (WHERE"
        f" search_en = to_tsvector('english', {plain.format('text_en')})"
        f" AND search_fr = to_tsvector('french', {plain.format('text_fr')})),"
        r" count(*) FILTER (WHERE strpos(text_fr, E'\u00a0') > 0) FROM speeches"
    )
    assert (rows, french, same_vectors) == (78, 78, 78) and no_break > 0
    # The next plan probes past sitting 2, and asks for the sittings divisions name.
    assert [r.status for r in parliament.seen("/Content/House/421/Debates/003/HAN003-E.XML")] == [
        404
    ]
    # Division 1 of 42-1 (sitting 4) has a subject in English only: no French list was read.
    assert query(
        "SELECT subject_en, subject_fr, sitting_number, yeas, nays FROM votes WHERE number = 1"
    ) == [("Address in Reply to the Speech from the Throne (subamendment)", None, 4, 52, 276)]


def test_a_source_never_runs_twice_at_once(ingest_db: URL, parliament: Parliament) -> None:
    settings = settings_for(ingest_db, parliament)
    holder = connect(ingest_db, "another-replica")
    try:
        with source_lock(holder, "members") as acquired:
            assert acquired
            report = run_source(ingest_db, settings, "members")
            assert report.status == "busy"
        assert parliament.requests == []  # nothing was fetched by the refused run
    finally:
        holder.close()
