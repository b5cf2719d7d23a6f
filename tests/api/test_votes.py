"""Divisions and ballots against the sample.

From the fixtures: votes-42-1-legacy-2018.xml holds 880 divisions of 42-1 (627 Agreed To,
252 Negatived, 1 Tie: no. 57 on 2016-05-16), 176 of them in 2016, 359 of type Supply, 60
whose subject names the Criminal Code; no. 1 (2015-12-08) was negatived 52 to 276.
vote-43-2-69.xml: division 69 of 43-2 on 2021-03-10, 330 ballots: Liberal 150 yea,
Conservative 119 yea, Bloc Québécois 32 yea, Independent 4 yea, NDP 22 nay, Green Party 3
nay; the first by last name is Ziad Aboultaif (Conservative, Edmonton Manning, AB).
"""

from __future__ import annotations

import csv
import io

import httpx
import orjson

from tests.api.conftest import fresh_get, ok, problem, queries
from tests.support.services import RedisServer


def count(client: httpx.Client, query: str) -> int:
    total = 0
    url: str | None = f"/api/v1/votes?{query}&limit=500&fields=number"
    while url:
        body = ok(client.get(url))
        total += len(body["data"])
        url = body["pagination"]["next"]
    return total


def test_session_and_result_filters(client: httpx.Client) -> None:
    assert count(client, "session=42-1") == 880
    assert count(client, "session=42-1&result=agreed") == 627
    assert count(client, "session=42-1&result=negatived") == 252
    tied = ok(client.get("/api/v1/votes?result=tied"))["data"]
    assert [(v["session"], v["number"], v["date"]) for v in tied] == [("42-1", 57, "2016-05-16")]


def test_date_bill_and_subject_filters(client: httpx.Client) -> None:
    assert count(client, "date_from=2016-01-01&date_to=2016-12-31") == 176
    assert count(client, "session=42-1&bill=C-69") == 14
    # 60 in the 42-1 list, and C-291 (44-1) names two divisions on the Criminal Code.
    assert count(client, "subject=criminal%20code") == 62


def test_list_item_and_query_count(client: httpx.Client, redis: RedisServer) -> None:
    response = fresh_get(client, redis, "/api/v1/votes?session=42-1&sort=date&limit=1")
    first = ok(response)["data"][0]
    assert first == {
        "session": "42-1",
        "number": 1,
        "date": "2015-12-08",
        "subject_en": "Address in Reply to the Speech from the Throne (subamendment)",
        "subject_fr": None,
        "result": "negatived",
        "yeas": 52,
        "nays": 276,
        "paired": 0,
        "document_type": "Address in Reply",
        "bill_number": None,
        "sitting": 4,
        "ballots_status": "pending",  # the divisions list alone: official totals only
    }
    assert queries(response) == 1  # the page (session ids and the version are known)


def test_include_party_breakdown(client: httpx.Client) -> None:
    body = ok(client.get("/api/v1/votes?session=43-2&include=party_breakdown"))
    (division,) = body["data"]
    parties = {p["party"]: (p["yea"], p["nay"]) for p in division["party_breakdown"]}
    assert parties == {
        "Liberal": (150, 0),
        "Conservative": (119, 0),
        "Bloc Québécois": (32, 0),
        "NDP": (0, 22),
        "Independent": (4, 0),
        "Green Party": (0, 3),
    }


def test_division_with_every_ballot(client: httpx.Client, redis: RedisServer) -> None:
    response = fresh_get(client, redis, "/api/v1/votes/43-2/69")
    vote = ok(response)["data"]
    assert (vote["date"], vote["result"], vote["yeas"], vote["nays"], vote["paired"]) == (
        "2021-03-10",
        "agreed",
        305,
        25,
        0,
    )
    assert len(vote["ballots"]) == 330
    assert vote["ballots"][0] == {
        "member_id": vote["ballots"][0]["member_id"],
        "name": "Ziad Aboultaif",
        "party": "Conservative",
        "constituency": "Edmonton Manning",
        "province": "AB",
        "value": "yea",
    }
    assert sum(b["value"] == "nay" for b in vote["ballots"]) == 25
    breakdown = {p["party"]: p for p in vote["party_breakdown"]}
    assert breakdown["NDP"] == {
        "party": "NDP",
        "yea": 0,
        "nay": 22,
        "paired": 0,
        "total": 22,
        "majority": "nay",
        "voted_together": True,
    }
    assert [p["party"] for p in vote["party_breakdown"]][:2] == ["Liberal", "Conservative"]
    assert all(p["voted_together"] for p in vote["party_breakdown"])
    # The division and its ballots: one statement whatever the number of ballots; names
    # and seats come from the in-memory reference.
    assert queries(response) == 1


def test_ballots_list_and_streamed_csv(client: httpx.Client) -> None:
    nays = ok(client.get("/api/v1/ballots?session=43-2&value=nay&limit=500"))["data"]
    assert len(nays) == 25
    ndp = ok(client.get("/api/v1/ballots?session=43-2&party=NDP&limit=500"))["data"]
    assert {b["value"] for b in ndp} == {"nay"} and len(ndp) == 22
    with client.stream("GET", "/api/v1/ballots?session=43-2&format=csv") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "content-length" not in response.headers  # streamed, not buffered
        text = b"".join(response.iter_bytes()).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 330
    assert set(rows[0]) == {"session", "vote_number", "date", "member_id", "name", "party", "value"}
    assert sum(r["value"] == "yea" for r in rows) == 305


def test_ballot_pages_do_not_overlap(client: httpx.Client) -> None:
    seen: list[int] = []
    url: str | None = "/api/v1/ballots?session=43-2&limit=100&fields=member_id"
    while url:
        body = ok(client.get(url))
        seen += [b["member_id"] for b in body["data"]]
        url = body["pagination"]["next"]
    assert len(seen) == 330 == len(set(seen))


def test_jsonl_export(client: httpx.Client) -> None:
    """An export comes in the order of the list's pages: newest first by default, oldest
    first with `sort=date`."""
    response = client.get("/api/v1/votes?session=42-1&format=jsonl&fields=number,result")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.splitlines()
    assert len(lines) == 880
    assert lines[0] == '{"number":880,"result":"agreed"}'
    oldest = client.get("/api/v1/votes?session=42-1&format=jsonl&fields=number,result&sort=date")
    assert oldest.text.splitlines()[0] == '{"number":1,"result":"negatived"}'
    pages = ok(client.get("/api/v1/votes?session=42-1&fields=number&sort=date&limit=500"))
    assert [orjson.loads(line)["number"] for line in oldest.text.splitlines()[:500]] == [
        item["number"] for item in pages["data"]
    ]


def test_errors(client: httpx.Client) -> None:
    assert "result" in problem(client.get("/api/v1/votes?result=maybe"), 422)["detail"]
    assert "date_from" in problem(client.get("/api/v1/votes?date_from=yesterday"), 400)["detail"]
    problem(client.get("/api/v1/votes/43-2/9999"), 404)
    problem(client.get("/api/v1/votes/43-2/abc"), 400)
