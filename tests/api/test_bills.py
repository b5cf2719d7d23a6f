"""Bills: every filter, sorting, fields/include, cursor pagination, detail, query counts.

Expected values come from the fixture files (tests/fixtures/legisinfo/…): 353 bills of 42-1
in the legacy list (295 C, 58 S; 213 private members' bills, 82 House government bills,
53 Senate public bills; 70 with status Royal Assent), plus C-11 and C-291 of 44-1 and C-2
of 45-1 in detail.
"""

from __future__ import annotations

from typing import Any

import httpx
import psycopg

from tests.api.conftest import bump, fresh_get, ok, problem, queries
from tests.support.services import RedisServer


def all_pages(client: httpx.Client, path: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    url: str | None = path
    while url:
        body = ok(client.get(url))
        items += body["data"]
        url = body["pagination"]["next"]
    return items


def test_list_envelope_default_order_and_query_count(
    client: httpx.Client, redis: RedisServer
) -> None:
    response = fresh_get(client, redis, "/api/v1/bills?limit=3")
    body = ok(response)
    assert set(body) == {"data", "pagination"}
    assert body["pagination"]["limit"] == 3
    assert body["pagination"]["next_cursor"]
    # Newest activity first: 45-1 C-2 moved on 2025-09-17, later than anything else.
    first = body["data"][0]
    assert (first["session"], first["number"]) == ("45-1", "C-2")
    assert first["short_title_en"] == "Strong Borders Act"
    assert first["sponsor_name"] == "Gary Anandasangaree"
    # One statement, however many bills there are (the data version comes by NOTIFY).
    assert queries(response) == 1


def test_session_filter_counts_and_pages_without_repeats(client: httpx.Client) -> None:
    bills = all_pages(client, "/api/v1/bills?session=42-1&limit=100")
    numbers = [b["number"] for b in bills]
    assert len(numbers) == 353
    assert len(set(numbers)) == 353
    assert sum(1 for n in numbers if str(n).startswith("S-")) == 58


def test_type_chamber_status_filters(client: httpx.Client) -> None:
    private = all_pages(client, "/api/v1/bills?session=42-1&type=private_member&limit=500")
    assert len(private) == 213
    senate = all_pages(client, "/api/v1/bills?session=42-1&chamber=senate&limit=500")
    assert len(senate) == 58
    assent = all_pages(client, "/api/v1/bills?session=42-1&status=royal%20assent&limit=500")
    assert len(assent) == 70
    french = all_pages(client, "/api/v1/bills?session=42-1&status=sanction%20royale&limit=500")
    assert len(french) == 70


def test_sponsor_and_text_filters(client: httpx.Client) -> None:
    c2 = ok(client.get("/api/v1/bills", params={"q": "C-2", "session": "45-1"}))["data"]
    assert [b["number"] for b in c2] == ["C-2"]
    sponsor = c2[0]["sponsor_id"]
    by_sponsor = ok(client.get("/api/v1/bills", params={"sponsor": sponsor}))["data"]
    assert ("45-1", "C-2") in {(b["session"], b["number"]) for b in by_sponsor}
    border = ok(client.get("/api/v1/bills", params={"q": "border security"}))["data"]
    assert "C-2" in [b["number"] for b in border]
    french = ok(client.get("/api/v1/bills", params={"q": "frontière"}))["data"]
    assert "C-2" in [b["number"] for b in french]
    excluded = ok(client.get("/api/v1/bills", params={"q": "border -security"}))["data"]
    assert "C-2" not in [b["number"] for b in excluded]


def test_updated_since(client: httpx.Client) -> None:
    assert ok(client.get("/api/v1/bills?updated_since=2999-01-01T00:00:00Z"))["data"] == []
    everything = ok(client.get("/api/v1/bills?updated_since=2000-01-01T00:00:00Z&limit=1"))
    assert len(everything["data"]) == 1


def test_sort_fields_and_include(client: httpx.Client) -> None:
    body = ok(
        client.get(
            "/api/v1/bills",
            params={"session": "45-1", "fields": "number,introduced", "include": "stages"},
        )
    )
    item = body["data"][0]
    assert set(item) == {"number", "introduced", "stages"}
    assert item["number"] == "C-2"
    assert item["introduced"] == "2025-06-03"
    assert [s["stage"] for s in item["stages"]][:2] == ["first_reading", "second_reading"]
    oldest = ok(client.get("/api/v1/bills?session=42-1&sort=introduced&limit=1"))["data"][0]
    newest = ok(client.get("/api/v1/bills?session=42-1&sort=-introduced&limit=1"))["data"][0]
    assert oldest["introduced"] <= newest["introduced"]
    assert oldest["introduced"] == "2015-12-04"  # the first bills of 42-1 (C-1, S-1…)


def test_cursor_is_stable_when_rows_are_added(client: httpx.Client, sql: object) -> None:
    import psycopg

    assert isinstance(sql, psycopg.Connection)
    first = ok(client.get("/api/v1/bills?session=42-1&sort=-introduced&limit=5"))
    cursor = first["pagination"]["next_cursor"]
    expected = ok(
        client.get(f"/api/v1/bills?session=42-1&sort=-introduced&limit=5&cursor={cursor}")
    )
    session_id = sql.execute("SELECT id FROM parliamentary_sessions WHERE code = '42-1'").fetchone()
    assert session_id is not None
    bump(
        sql,
        client,
        "INSERT INTO bills (session_id, number, title_en, introduced_date)"
        f" VALUES ({session_id[0]}, 'C-9999', 'A newer bill', '2019-01-01')",
    )
    try:
        again = ok(
            client.get(f"/api/v1/bills?session=42-1&sort=-introduced&limit=5&cursor={cursor}")
        )
        assert again["data"] == expected["data"]
        refreshed = ok(client.get("/api/v1/bills?session=42-1&sort=-introduced&limit=1"))
        assert refreshed["data"][0]["number"] == "C-9999"
    finally:
        bump(sql, client, "DELETE FROM bills WHERE number = 'C-9999'")


def test_detail_with_stages_divisions_and_debates(client: httpx.Client) -> None:
    response = client.get("/api/v1/bills/45-1/C-2")
    bill = ok(response)["data"]
    assert bill["legisinfo_id"] == 13543613
    assert bill["title_fr"].startswith("Loi concernant certaines mesures")
    assert bill["sponsor"]["name"] == "Gary Anandasangaree"
    assert bill["status_en"] == "At second reading in the House of Commons"
    assert len(bill["stages"]) == 8
    assert bill["stages"][0] == {
        "sequence": 1,
        "chamber": "house",
        "stage": "first_reading",
        "name_en": "First reading",
        "name_fr": "Première lecture",
        "date": "2025-06-03",
        "at": "2025-06-03T10:02:53.767000-04:00",  # as printed, Ottawa time (EDT)
        "outcome": "completed",
    }
    assert bill["divisions"] == []
    # Lower-case numbers work as LEGISinfo's own URLs do.
    assert ok(client.get("/api/v1/bills/45-1/c-2"))["data"]["number"] == "C-2"


def test_debates_mentioning_a_bill(client: httpx.Client, redis: RedisServer) -> None:
    # HAN002-E-421 (42-1, sitting 2, 2015-12-04) introduces Bill C-1 (oaths of office).
    response = fresh_get(client, redis, "/api/v1/bills/42-1/C-1")
    bill = ok(response)["data"]
    assert {"session": "42-1", "number": 2, "date": "2015-12-04"}.items() <= bill["debates"][
        0
    ].items()
    assert bill["debates"][0]["mentions"] >= 1
    # The bill, its stages, its divisions and the sittings naming it: one statement.
    assert queries(response) == 1


def test_mentions_follow_speeches(sql: psycopg.Connection[Any]) -> None:
    """Triggers on speeches keep debate_bill_mentions exact inside the writing transaction:
    English or French, one count per speech, gone when the text no longer names the bill."""
    with sql.transaction(force_rollback=True):
        debate = sql.execute(
            "SELECT d.id FROM debates d JOIN parliamentary_sessions s ON s.id = d.session_id"
            " WHERE s.code = '42-1' AND d.number = 2"
        ).fetchone()
        assert debate is not None

        def mentions(number: str) -> int | None:
            row = sql.execute(
                "SELECT speeches FROM debate_bill_mentions WHERE debate_id = %s"
                " AND bill_number = %s",
                (debate[0], number),
            ).fetchone()
            return None if row is None else int(row[0])

        assert mentions("C-9999") is None
        sql.execute(
            "INSERT INTO speeches (debate_id, sequence, text_en, text_fr) VALUES"
            " (%s, 9001, 'Bill C-9999 and again c-9999.', NULL),"
            " (%s, 9002, NULL, 'Le projet de loi C-9999.'),"
            " (%s, 9003, 'Bill C-99, not C-99990 nor C-9999A.', NULL)",
            (debate[0], debate[0], debate[0]),
        )
        assert mentions("C-9999") == 2
        sql.execute(
            "UPDATE speeches SET text_fr = 'Autre chose.' WHERE debate_id = %s AND sequence = 9002",
            (debate[0],),
        )
        assert mentions("C-9999") == 1
        sql.execute("DELETE FROM speeches WHERE debate_id = %s AND sequence = 9001", (debate[0],))
        assert mentions("C-9999") is None
        assert mentions("C-99") == 1  # a longer number is not a mention of a shorter one


def test_divisions_held_on_a_bill(client: httpx.Client) -> None:
    # votes-42-1-legacy-2018.xml: BillNumberCode C-69 on divisions 455, 460, 461, 736,
    # 739-745, 870, 877 and 878.
    bill = ok(client.get("/api/v1/bills/42-1/C-69"))["data"]
    assert [d["number"] for d in bill["divisions"]] == [
        455,
        460,
        461,
        736,
        739,
        740,
        741,
        742,
        743,
        744,
        745,
        870,
        877,
        878,
    ]


def test_not_found_and_bad_paths(client: httpx.Client) -> None:
    assert "C-404" in problem(client.get("/api/v1/bills/45-1/C-404"), 404)["detail"]
    assert "99-9" in problem(client.get("/api/v1/bills/99-9/C-2"), 404)["detail"]
    problem(client.get("/api/v1/bills/451/C-2"), 400)
