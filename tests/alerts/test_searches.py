"""Saved searches: the anchors that let one join test 10,000 searches, and the stored parse."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import URL

from openpolicy.alerts.searches import SearchSpec, anchors, saved_search_id
from openpolicy.errors import NotFoundError, ValidationFailedError
from tests.alerts.conftest import Query, alert_settings, connect, load


@pytest.mark.parametrize(
    ("tsquery", "expected"),
    [
        ("'pharmacar'", {"pharmacar"}),
        # AND: either side will do; the one the statistics say is rarer is kept.
        ("'climat' & 'chang'", {"climat"}),
        ("'dental' & 'care'", {"dental"}),
        # A phrase is an AND for anchoring.
        ("'climat' <-> 'chang'", {"climat"}),
        ("'carbon' <2> 'tax'", {"carbon"}),
        # OR: a match may hold either, so both are anchors.
        ("'dental' | 'pharmacar'", {"dental", "pharmacar"}),
        ("( 'housing' | 'rent' ) & 'crisi'", {"crisi"}),
        # NOT anchors nothing, but the other side of an AND still does.
        ("'budget' & !'deficit'", {"budget"}),
        ("!'budget'", None),
        ("'budget' | !'deficit'", None),
        ("'it''s'", {"it's"}),
        ("'climat':*", None),  # a prefix has no single lexeme
    ],
)
def test_anchors(tsquery: str, expected: set[str] | None) -> None:
    shares = {"chang": 0.2, "care": 0.1, "tax": 0.05, "crisi": 0.001, "housing": 0.01}
    found = anchors(tsquery, shares)
    assert (set(found) if found is not None else None) == expected


def test_rarity_decides_between_sides() -> None:
    assert anchors("'climat' & 'chang'", {"climat": 0.3, "chang": 0.01}) == frozenset({"chang"})
    # Unknown to the statistics means rarer than any listed lexeme.
    assert anchors("'climat' & 'chang'", {"climat": 0.3}) == frozenset({"chang"})


def test_saved_searches_store_both_parses_and_are_shared(alerts_db: URL, query: Query) -> None:
    settings = alert_settings(alerts_db)
    load(alerts_db, settings, "members")
    with connect(alerts_db) as conn, conn.transaction():
        first = saved_search_id(conn, SearchSpec("  Climate   change ", "any", party="ndp"))
        again = saved_search_id(conn, SearchSpec("Climate change", "any", party="NDP"))
        french = saved_search_id(conn, SearchSpec("Climate change", "fr"))
    assert first == again != french
    assert query(
        "SELECT query, language, query_en::text, query_fr::text, p.short_name_en, unanchored"
        " FROM alert_searches q JOIN parties p ON p.id = q.party_id"
    ) == [("Climate change", "any", "'climat' & 'chang'", "'climat' & 'chang'", "NDP", False)]
    assert query(
        "SELECT config, count(*) FROM alert_search_anchors WHERE search_id = %s GROUP BY 1"
        " ORDER BY 1",
        first,
    ) == [("en", 1), ("fr", 1)]
    with connect(alerts_db) as conn:
        with pytest.raises(ValidationFailedError, match="no searchable words"):
            saved_search_id(conn, SearchSpec("the and of", "en"))
        with pytest.raises(NotFoundError, match="no party"):
            saved_search_id(conn, SearchSpec("budget", party="Whigs"))
        with pytest.raises(ValidationFailedError, match="at most 200"):
            saved_search_id(conn, SearchSpec("budget " * 40))
        with pytest.raises(ValidationFailedError, match="en, fr or any"):
            saved_search_id(conn, SearchSpec("budget", "de"))
        # Only words to leave out: nearly every speech would match. Refused, unless the
        # search follows one speaker.
        with pytest.raises(ValidationFailedError, match="only words to leave out"):
            saved_search_id(conn, SearchSpec("-climate", "en"))
    [[member]] = query("SELECT min(id) FROM elected_members")
    with connect(alerts_db) as conn, conn.transaction():
        negation = saved_search_id(conn, SearchSpec("-climate", "en", member_id=member))
        word = saved_search_id(conn, SearchSpec("Pharmacare", "any"))
        phrase = saved_search_id(conn, SearchSpec('"dental care"', "en"))
    flags = {
        row[0]: row[1:]
        for row in query(
            "SELECT id, unanchored, exact FROM alert_searches WHERE id IN (%s, %s, %s)",
            negation,
            word,
            phrase,
        )
    }
    # (unanchored, exact): a single word needs no @@ once its anchor is found.
    assert flags == {negation: (True, False), word: (False, True), phrase: (False, False)}
