"""Migration 0009 merges the duplicate members earlier versions created, loses nothing,
writes each merge to the audit log, and the round trip still holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, text

from openpolicy import embedded, schema
from tests.conftest import fresh_database


def sql(engine: Engine, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []


def seed_duplicates(engine: Engine) -> None:
    """The issue's cases, as the older importer left them in a 43rd-Parliament database:
    "Rhéal Fortin" (no PersonId: term, speech, sponsorship) and "Rhéal Éloi Fortin"
    (88605: the ballot and an inferred term in the same seat); "Rachael Harder" (no
    PersonId) and "Rachael Thomas" (89200) in one seat; and two namesakes in different
    seats who must stay apart."""
    statements = [
        "INSERT INTO parliamentary_sessions (id, parliament, session, code) VALUES (1, 43, 2,"
        " '43-2')",
        "INSERT INTO parties (id, short_name_en) VALUES (1, 'Bloc Québécois'), (2, 'Conservative')",
        "INSERT INTO constituencies (id, name_en, province) VALUES (1, 'Rivière-du-Nord', 'QC'),"
        " (2, 'Lethbridge', 'AB'), (3, 'Calgary Centre', 'AB'), (4, 'Toronto Centre', 'ON')",
        "INSERT INTO elected_members (id, person_id, first_name, last_name, full_name) VALUES"
        " (113, 88605, 'Rhéal Éloi', 'Fortin', 'Rhéal Éloi Fortin'),"
        " (516, NULL, 'Rhéal', 'Fortin', 'Rhéal Fortin'),"
        " (318, 89200, 'Rachael', 'Thomas', 'Rachael Thomas'),"
        " (517, NULL, 'Rachael', 'Harder', 'Rachael Harder'),"
        " (600, NULL, 'John', 'Smith', 'John Smith'),"
        " (601, 12345, 'John', 'Smith', 'John Smith')",
        "INSERT INTO member_terms (member_id, constituency_id, party_id, parliament,"
        " start_date, end_date, inferred) VALUES"
        " (516, 1, 1, 43, '2019-10-21', NULL, false),"
        " (113, 1, 1, 43, '2021-03-10', '2021-03-10', true),"
        " (517, 2, 2, 43, '2019-10-21', NULL, false),"
        " (318, 2, 2, 43, '2021-03-10', '2021-03-10', true),"
        " (600, 3, 2, 43, '2019-10-21', NULL, false),"
        " (601, 4, 2, 43, '2019-10-21', NULL, false)",
        "INSERT INTO votes (id, session_id, number, date, result, yeas, nays, paired)"
        " VALUES (1, 1, 69, '2021-03-10', 'agreed', 2, 0, 0)",
        "INSERT INTO ballots (vote_id, member_id, party_id, value) VALUES (1, 113, 1, 'yea'),"
        " (1, 318, 2, 'yea')",
        "INSERT INTO debates (id, session_id, number, date) VALUES (1, 1, 70, '2021-03-11')",
        "INSERT INTO speeches (debate_id, sequence, member_id, speaker_name, text_en) VALUES"
        " (1, 1, 516, 'Mr. Rhéal Fortin', 'Monsieur le Président…'),"
        " (1, 2, 517, 'Ms. Rachael Harder', 'Mr. Speaker…')",
        "INSERT INTO bills (id, session_id, number, title_en, sponsor_member_id) VALUES"
        " (1, 1, 'C-289', 'An Act', 516)",
    ]
    for statement in statements:
        sql(engine, statement)


def test_the_merge_migration(pg_cluster: embedded.EmbeddedCluster) -> None:
    engine = create_engine(fresh_database(pg_cluster, "migrations_merge"))
    try:
        schema.upgrade(engine, "0008")
        seed_duplicates(engine)
        schema.upgrade(engine)
        assert sql(engine, "SELECT id, person_id, full_name FROM elected_members ORDER BY id") == [
            (113, 88605, "Rhéal Éloi Fortin"),
            (318, 89200, "Rachael Thomas"),
            (600, None, "John Smith"),
            (601, 12345, "John Smith"),
        ]
        # Nothing lost: every term, ballot, speech and sponsorship is on the kept member.
        assert sql(
            engine,
            "SELECT member_id, count(*) FROM member_terms GROUP BY 1 ORDER BY 1",
        ) == [(113, 2), (318, 2), (600, 1), (601, 1)]
        assert sql(engine, "SELECT member_id FROM ballots ORDER BY 1") == [(113,), (318,)]
        assert sql(engine, "SELECT sequence, member_id FROM speeches ORDER BY 1") == [
            (1, 113),
            (2, 318),
        ]
        assert sql(engine, "SELECT sponsor_member_id FROM bills") == [(113,)]
        # The names each was known by.
        assert sql(
            engine,
            "SELECT member_id, full_name FROM member_names WHERE member_id IN (113, 318)"
            " ORDER BY 1, 2",
        ) == [
            (113, "Rhéal Fortin"),
            (113, "Rhéal Éloi Fortin"),
            (318, "Rachael Harder"),
            (318, "Rachael Thomas"),
        ]
        # Each merge is in the audit log, with what moved.
        merges = sql(
            engine,
            "SELECT actor, details->>'kept', details->>'merged', details->'moved'->>'terms',"
            " details->'moved'->>'speeches' FROM audit_events WHERE action = 'member.merge'"
            " ORDER BY 2",
        )
        assert merges == [
            ("migration 0009", "113", "516", "1", "1"),
            ("migration 0009", "318", "517", "1", "1"),
        ]
        # Down one step and up again: the schema round trip holds (merges stay).
        schema.downgrade(engine, "0008")
        assert sql(engine, "SELECT to_regclass('member_names')") == [(None,)]
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        assert sql(engine, "SELECT count(*) FROM elected_members") == [(4,)]
    finally:
        engine.dispose()
