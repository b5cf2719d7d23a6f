"""The migrations are the schema: they run up, down and up again, and build what the
service reads and operators type."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import create_engine, inspect

from openpolicy import embedded, schema
from tests.conftest import fresh_database

# DESIGN.md §3, typed by hand: the names operators type.
DESIGN_TABLES = {
    "parliamentary_sessions",
    "parties",
    "constituencies",
    "elected_members",
    "member_terms",
    "bills",
    "bill_events",
    "votes",
    "ballots",
    "debates",
    "speeches",
    "data_sources",
    "ingest_runs",
    "source_documents",
    "api_keys",
    "audit_events",
    "incidents",
    "maintenance",
}


def test_up_down_up_on_a_real_database(pg_cluster: embedded.EmbeddedCluster) -> None:
    engine = create_engine(fresh_database(pg_cluster, "migrations_roundtrip"))
    try:
        schema.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables >= DESIGN_TABLES
        assert schema.current_revision(engine) == schema.head_revision()

        schema.downgrade(engine, "base")
        leftover = set(inspect(engine).get_table_names()) & DESIGN_TABLES
        assert leftover == set()
        assert schema.current_revision(engine) is None

        schema.upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= DESIGN_TABLES
    finally:
        engine.dispose()


def test_downgrade_one_step_then_back(pg_cluster: embedded.EmbeddedCluster) -> None:
    engine = create_engine(fresh_database(pg_cluster, "migrations_step"))
    try:
        schema.upgrade(engine)
        head = schema.current_revision(engine)
        schema.downgrade(engine, "-1")
        assert schema.current_revision(engine) != head
        schema.upgrade(engine)
        assert schema.current_revision(engine) == head
    finally:
        engine.dispose()


def test_sql_mode_prints_ddl_for_every_table() -> None:
    ddl = schema.upgrade_sql()
    created = set(re.findall(r"CREATE TABLE (\w+)", ddl))
    assert created >= DESIGN_TABLES
    assert "CREATE UNIQUE INDEX" in ddl or "UNIQUE" in ddl
    assert "REFERENCES ballots" not in ddl  # nothing points at the largest table
    assert "REFERENCES votes (id)" in ddl


def test_natural_keys_and_lookup_indexes_exist(engine: object) -> None:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    inspector = inspect(engine)

    def unique_columns(table: str) -> list[list[str]]:
        return [list(u["column_names"]) for u in inspector.get_unique_constraints(table)]

    def index_columns(table: str) -> list[list[str | None]]:
        return [list(i["column_names"]) for i in inspector.get_indexes(table)]

    assert ["session_id", "number"] in unique_columns("bills")
    assert ["session_id", "number"] in unique_columns("votes")
    assert ["session_id", "number"] in unique_columns("debates")
    assert ["vote_id", "member_id"] in unique_columns("ballots")
    assert ["person_id"] in unique_columns("elected_members")
    assert ["member_id", "vote_id"] in index_columns("ballots")
    assert ["member_id", "debate_id"] in index_columns("speeches")
    assert ["session_id", "status_en"] in index_columns("bills")
    fk_targets = {fk["referred_table"] for fk in inspector.get_foreign_keys("ballots")}
    assert {"votes", "elected_members", "parties"} <= fk_targets
    names = [fk["name"] for fk in inspector.get_foreign_keys("ballots")]
    assert "fk_ballots_vote_id_votes" in names  # the naming convention is applied


def test_speech_tsvectors_stay_in_the_row(pg_cluster: embedded.EmbeddedCluster) -> None:
    """0005: in a speech too long for one row, the tsvectors (all a search reads) stay in the
    row and the texts leave it; at 0004 (PostgreSQL's default) a tsvector was moved out."""
    engine = create_engine(fresh_database(pg_cluster, "migrations_storage"))
    try:
        schema.upgrade(engine)
        with engine.begin() as conn:
            session = conn.exec_driver_sql(
                "INSERT INTO parliamentary_sessions (parliament, session, code)"
                " VALUES (45, 1, '45-1') RETURNING id"
            ).scalar_one()
            debate = conn.exec_driver_sql(
                "INSERT INTO debates (session_id, number, date) VALUES (%s, 1, '2025-06-02')"
                " RETURNING id",
                (session,),
            ).scalar_one()
        assert moved_out(engine, debate, 1) == {
            "search_en": False,
            "search_fr": False,
            "text_en": True,
            "text_fr": True,
        }
        schema.downgrade(engine, "0004")
        assert moved_out(engine, debate, 2)["search_en"] is True
    finally:
        engine.dispose()


def moved_out(engine: Any, debate: int, sequence: int) -> dict[str, bool]:
    """Insert a speech of about 2.6 KB per language (a row over the 2 KB at which PostgreSQL
    toasts) and tell which columns were moved out of the row to TOAST."""
    text = " ".join(f"word{n} budget{n * 7} housing{n * 13}" for n in range(120))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO speeches (debate_id, sequence, text_en, text_fr, search_en,"
            " search_fr) VALUES (%s, %s, %s, %s, to_tsvector('english', %s),"
            " to_tsvector('french', %s))",
            (debate, sequence, text, text, text, text),
        )
        row = conn.exec_driver_sql(
            "SELECT pg_column_toast_chunk_id(search_en) IS NOT NULL,"
            " pg_column_toast_chunk_id(search_fr) IS NOT NULL,"
            " pg_column_toast_chunk_id(text_en) IS NOT NULL,"
            " pg_column_toast_chunk_id(text_fr) IS NOT NULL"
            " FROM speeches WHERE debate_id = %s AND sequence = %s",
            (debate, sequence),
        ).one()
    return dict(zip(("search_en", "search_fr", "text_en", "text_fr"), row, strict=True))
