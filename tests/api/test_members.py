"""Members, their terms, voting record (absences and dissent), speeches and bills.

From the fixtures: members-current-45.xml lists 343 members (45th Parliament; 5 NDP, 4 seats
in Prince Edward Island); members-44.xml lists 337 (44th). Ziad Aboultaif is PersonId 89156,
Conservative, Edmonton Manning (AB). vote-43-2-69.xml is the only division with ballots.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL

from tests.api.conftest import bump, fresh_get, ok, problem, queries
from tests.support.services import RedisServer


def member_ids(client: httpx.Client, query: str) -> list[int]:
    ids: list[int] = []
    url: str | None = f"/api/v1/members?{query}&limit=500&fields=id"
    while url:
        body = ok(client.get(url))
        ids += [m["id"] for m in body["data"]]
        url = body["pagination"]["next"]
    return ids


def aboultaif(client: httpx.Client) -> dict[str, Any]:
    (member,) = ok(client.get("/api/v1/members?name=Aboultaif"))["data"]
    assert isinstance(member, dict)
    return member


def test_filters(client: httpx.Client) -> None:
    assert len(member_ids(client, "parliament=45")) == 343
    assert len(member_ids(client, "parliament=44")) == 337
    assert len(member_ids(client, "current=true")) == 343
    assert len(member_ids(client, "current=true&party=NDP")) == 5
    assert len(member_ids(client, "current=true&province=PE")) == 4
    assert len(member_ids(client, "current=true&constituency=Edmonton%20Manning")) == 1


def test_list_item_sorted_by_name(client: httpx.Client) -> None:
    response = client.get("/api/v1/members?current=true&limit=2&sort=name")
    first, second = ok(response)["data"]
    assert first["last_name"] <= second["last_name"]
    member = aboultaif(client)
    assert member["person_id"] == 89156
    assert (member["party"], member["constituency"], member["province"]) == (
        "Conservative",
        "Edmonton Manning",
        "AB",
    )
    assert member["current"] is True
    assert queries(response) == 1


def test_detail_with_terms(client: httpx.Client) -> None:
    member = ok(client.get(f"/api/v1/members/{aboultaif(client)['id']}"))["data"]
    assert member["name"] == "Ziad Aboultaif"
    parliaments = [t["parliament"] for t in member["terms"]]
    assert parliaments[:2] == [45, 44]
    assert 43 in parliaments  # known from his ballot in division 43-2 no. 69
    problem(client.get("/api/v1/members/999999"), 404)
    problem(client.get("/api/v1/members/abc"), 400)


def test_voting_record(client: httpx.Client, redis: RedisServer) -> None:
    member_id = aboultaif(client)["id"]
    response = fresh_get(client, redis, f"/api/v1/members/{member_id}/votes")
    record = ok(response)["data"]
    assert record[0] == {
        "session": "43-2",
        "number": 69,
        "date": "2021-03-10",
        "subject_en": None,
        "subject_fr": None,
        "result": "agreed",
        "bill_number": None,
        "ballot": "yea",
        "party": "Conservative",
        "party_majority": "yea",
        "dissent": False,
    }
    assert queries(response) == 1  # terms come from the in-memory reference tables


@pytest.fixture
def dissent_and_absence(
    sql: psycopg.Connection[Any], client: httpx.Client
) -> Iterator[tuple[int, int]]:
    """One NDP member votes yea against the party's nay; one Liberal's ballot is removed
    (he sat but did not vote). Committed (the server reads it), then restored."""
    vote = sql.execute(
        "SELECT v.id FROM votes v JOIN parliamentary_sessions s ON s.id = v.session_id"
        " WHERE s.code = '43-2' AND v.number = 69"
    ).fetchone()
    assert vote is not None
    rows = {
        party: sql.execute(
            "SELECT b.id, b.member_id, b.value, b.party_id FROM ballots b"
            " JOIN parties p ON p.id = b.party_id WHERE b.vote_id = %s"
            " AND p.short_name_en = %s ORDER BY b.member_id LIMIT 1",
            (vote[0], party),
        ).fetchone()
        for party in ("NDP", "Liberal")
    }
    ndp, liberal = rows["NDP"], rows["Liberal"]
    assert ndp is not None and liberal is not None
    bump(
        sql,
        client,
        f"UPDATE ballots SET value = 'yea' WHERE id = {int(ndp[0])}",
        f"DELETE FROM ballots WHERE id = {int(liberal[0])}",
    )
    try:
        yield ndp[1], liberal[1]
    finally:
        bump(
            sql,
            client,
            f"UPDATE ballots SET value = 'nay' WHERE id = {int(ndp[0])}",
            "INSERT INTO ballots (id, vote_id, member_id, party_id, value) VALUES"
            f" ({int(liberal[0])}, {int(vote[0])}, {int(liberal[1])}, {int(liberal[3])},"
            f" '{liberal[2]}')",
        )


def test_dissent_and_absence(client: httpx.Client, dissent_and_absence: tuple[int, int]) -> None:
    dissenter, absent = dissent_and_absence
    (row,) = [
        r for r in ok(client.get(f"/api/v1/members/{dissenter}/votes"))["data"] if r["number"] == 69
    ]
    assert (row["ballot"], row["party"], row["party_majority"], row["dissent"]) == (
        "yea",
        "NDP",
        "nay",
        True,
    )
    (row,) = [
        r for r in ok(client.get(f"/api/v1/members/{absent}/votes"))["data"] if r["number"] == 69
    ]
    assert (row["ballot"], row["party"], row["dissent"]) == (None, "Liberal", None)
    # The division itself now shows the NDP split (the triggers kept the totals).
    breakdown = {
        p["party"]: p for p in ok(client.get("/api/v1/votes/43-2/69"))["data"]["party_breakdown"]
    }
    assert (breakdown["NDP"]["yea"], breakdown["NDP"]["nay"]) == (1, 21)
    assert breakdown["NDP"]["voted_together"] is False


def test_speeches_and_bills(client: httpx.Client, sql: psycopg.Connection[Any]) -> None:
    speaker = sql.execute(
        "SELECT member_id, count(*) FROM speeches WHERE member_id IS NOT NULL"
        " GROUP BY member_id ORDER BY count(*) DESC, member_id LIMIT 1"
    ).fetchone()
    assert speaker is not None
    page = ok(client.get(f"/api/v1/members/{speaker[0]}/speeches?limit=2"))
    assert len(page["data"]) == 2
    assert page["data"][0]["date"] >= page["data"][1]["date"]
    assert page["data"][0]["text"]
    french = ok(client.get(f"/api/v1/members/{speaker[0]}/speeches?lang=fr&limit=1"))
    assert set(french["data"][0]) >= {"heading", "text", "session", "date"}
    sponsor = ok(client.get("/api/v1/bills/45-1/C-2"))["data"]["sponsor"]["id"]
    sponsored = ok(client.get(f"/api/v1/members/{sponsor}/bills"))["data"]
    assert ("45-1", "C-2") in {(b["session"], b["number"]) for b in sponsored}
    problem(client.get("/api/v1/members/999999/bills"), 404)


def test_voting_record_csv(client: httpx.Client) -> None:
    member_id = aboultaif(client)["id"]
    response = client.get(f"/api/v1/members/{member_id}/votes?format=csv&fields=number,ballot")
    assert response.text.splitlines()[:2] == ["number,ballot", "69,yea"]


# The voting record written the plain way, in SQL, as the test's own oracle: every division
# held during one of the member's terms whose ballots are published, with their ballot, the
# party of the ballot (or of the term), that party's majority, and the three-valued dissent.
RECORD_ORACLE = """
    WITH terms AS (
        SELECT start_date, coalesce(end_date, '9999-12-31'::date) AS end_date, party_id, id
        FROM member_terms WHERE member_id = %(member)s)
    SELECT ps.code, v.number, v.date, v.subject_en, v.subject_fr, v.result, v.bill_number,
           b.value, p.short_name_en,
           CASE WHEN pt.yeas > pt.nays THEN 'yea' WHEN pt.nays > pt.yeas THEN 'nay' END,
           (b.value IN ('yea', 'nay') AND pt.yeas <> pt.nays
            AND b.value <> CASE WHEN pt.yeas > pt.nays THEN 'yea' ELSE 'nay' END),
           v.date, v.id
    FROM votes v
    JOIN parliamentary_sessions ps ON ps.id = v.session_id
    JOIN LATERAL (
        SELECT t.party_id FROM terms t WHERE v.date BETWEEN t.start_date AND t.end_date
        ORDER BY t.start_date DESC, t.id DESC LIMIT 1) t ON true
    LEFT JOIN ballots b ON b.vote_id = v.id AND b.member_id = %(member)s
    LEFT JOIN parties p ON p.id = coalesce(b.party_id, t.party_id)
    LEFT JOIN vote_party_totals pt
           ON pt.vote_id = v.id AND pt.party_id = coalesce(b.party_id, t.party_id, 0)
    WHERE (%(session)s::int IS NULL OR v.session_id = %(session)s)
      -- a division whose ballots are pending is in no one's record yet
      AND EXISTS (SELECT 1 FROM ballots x WHERE x.vote_id = v.id)
    ORDER BY v.date DESC, v.id DESC
"""


def test_voting_record_equals_its_plain_sql_definition(
    api_database: URL,
    sql: psycopg.Connection[Any],
    dissent_and_absence: tuple[int, int],
) -> None:
    """The one implementation of the voting record (queries.record: divisions in memory and
    one index scan) gives the rows of the record's plain SQL definition, for every member,
    in both orders, pages joined by cursors, with a session filter; and its summary counts
    them. The fixture adds a dissent and an absence."""
    import asyncio

    from openpolicy.db import connect_async
    from openpolicy.queries import record
    from openpolicy.queries.paging import PageRequest, decode_cursor

    ids = [int(r[0]) for r in sql.execute("SELECT DISTINCT member_id FROM member_terms")]
    assert len(ids) > 300
    session_43_2 = sql.execute(
        "SELECT id FROM parliamentary_sessions WHERE code = '43-2'"
    ).fetchone()
    assert session_43_2 is not None
    expected: dict[tuple[int, int | None], list[tuple[Any, ...]]] = {
        (member_id, session): [
            tuple(row)
            for row in sql.execute(RECORD_ORACLE, {"member": member_id, "session": session})
        ]
        for member_id in ids
        for session in (None, session_43_2[0])
    }

    async def compare() -> tuple[int, int, int]:
        compared = dissents = absences = 0
        async with connect_async(api_database) as conn:
            for member_id in ids:
                for descending, limit, session in (
                    (True, 500, None),
                    (False, 7, None),
                    (True, 3, "43-2"),
                ):
                    oracle = expected[(member_id, None if session is None else session_43_2[0])]
                    wanted = oracle if descending else oracle[::-1]
                    page = PageRequest(limit=limit, descending=descending)
                    offset = 0
                    for _ in range(3):  # up to three pages, following the cursors
                        found = await record.record_page(conn, member_id, page, session)
                        rows = [tuple(row) for row in found.items]
                        assert rows == wanted[offset : offset + limit], (member_id, session)
                        offset += limit
                        compared += len(rows)
                        dissents += sum(1 for r in rows if r[10] is True)
                        absences += sum(1 for r in rows if r[7] is None)
                        if found.next_cursor is None:
                            assert offset >= len(wanted)
                            break
                        page = PageRequest(
                            limit=limit,
                            descending=descending,
                            cursor=decode_cursor(found.next_cursor),
                        )
                whole = expected[(member_id, None)]
                summary = await record.record_summary(conn, member_id)
                assert (summary["divisions"], summary["voted"], summary["dissents"]) == (
                    len(whole),
                    sum(1 for r in whole if r[7] is not None),
                    sum(1 for r in whole if r[10] is True),
                ), member_id
                by_year: dict[int, list[int]] = {}
                for r in whole:
                    tally = by_year.setdefault(r[2].year, [0, 0, 0])
                    tally[0] += 1
                    tally[1] += r[7] is not None
                    tally[2] += r[10] is True
                years = await record.record_by_year(conn, member_id)
                assert {y.year: [y.divisions, y.voted, y.dissents] for y in years} == by_year
        return compared, dissents, absences

    compared, dissents, absences = asyncio.run(compare())
    assert compared > 900  # the sample: division 69 for 43rd-Parliament members, and more
    assert dissents >= 1
    assert absences >= 1


def test_concurrent_requests_while_the_reference_reloads(
    client: httpx.Client, sql: psycopg.Connection[Any]
) -> None:
    """Requests share one event loop and suspend inside the query functions: a burst
    arriving just after the data version moved, while the in-memory reference and divisions
    reload, must all be answered, and read those tables once, not once per request."""
    import asyncio

    ids = [
        int(r[0])
        for r in sql.execute(
            "SELECT DISTINCT member_id FROM ballots ORDER BY member_id LIMIT 20"
        ).fetchall()
    ]
    bump(sql, client)
    paths = [f"/api/v1/members/{i}/votes?limit=5" for i in ids] + ["/api/v1/votes/43-2/69"] * 10

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=str(client.base_url), timeout=20) as http:
            return list(await asyncio.gather(*(http.get(path) for path in paths)))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * len(paths)
    assert all(r.headers["x-cache"] == "miss" for r in responses[:20])
    # Each answer sends one statement of its own; the tables were read by one request of
    # the burst (at most two: the reference and the divisions), the others awaited it.
    readers = [r for r in responses if queries(r) > 1]
    assert 1 <= len(readers) <= 2, [queries(r) for r in responses]
