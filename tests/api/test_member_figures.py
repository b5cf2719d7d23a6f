"""A member's participation and votes against their party, and party cohesion per session,
as the API serves them (`/members/{id}/participation`, `/parties/cohesion`) and as the
site's pages show them: one implementation behind both.

The bundled sample has one division with ballots and nobody breaking ranks, so these tests
write a small Parliament of their own, with every expected figure worked out by hand below.

Two sessions, five divisions with ballots (and one whose ballots are pending):

    division      date        Ann  Bob  Hal  Cal  Dee  Gus  Eve  Ivy
                              Lib  Lib  Lib  Con  Con  Con  NDP  Ind
    44-1 No. 1    2022-02-01  yea  yea   ·   nay  nay  nay   ·    ·
    44-1 No. 2    2023-03-01  yea  nay   ·   yea  nay  nay   ·    ·
    44-1 No. 3    2024-06-01  pair nay   ·   nay   ·   yea   ·    ·
    45-1 No. 1    2025-06-10  yea  yea  yea  nay   ·    ·   nay   ·
    45-1 No. 2    2025-06-11  nay  yea  yea   —    ·    ·   yea  yea
    45-1 No. 3    2025-06-12  (ballots pending: no ballot on file)

`·`: not sitting (Dee's term ended 2023-06-30; Hal, Eve and Ivy sit from 2025-04-28);
`—`: sitting, did not vote. Ann, Bob and Cal sat in both Parliaments (44th until
2025-03-23, 45th from 2025-04-28). Joe sits from 2025-07-01, after every division.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from lxml import html
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from openpolicy import embedded, schema
from openpolicy.dataversion import bump_data_version
from openpolicy.db import conninfo
from tests.api.conftest import api_settings, fresh_get, ok, problem, queries, serve
from tests.conftest import fresh_database
from tests.support.services import LiveServer, RedisServer

DATABASE = "openpolicy_member_figures"

ANN, BOB, CAL, DEE, EVE, GUS, HAL, IVY, JOE = range(1, 10)

PARLIAMENT = [
    "INSERT INTO parliamentary_sessions (id, parliament, session, code, start_date, end_date)"
    " VALUES (1, 44, 1, '44-1', DATE '2021-11-22', DATE '2025-01-06'),"
    " (2, 45, 1, '45-1', DATE '2025-05-26', NULL)",
    "INSERT INTO parties (id, short_name_en, short_name_fr, name_en, abbreviation) VALUES"
    " (1, 'Liberal', 'Libéral', 'Liberal Party of Canada', 'Lib.'),"
    " (2, 'Conservative', 'Conservateur', 'Conservative Party of Canada', 'CPC'),"
    " (3, 'NDP', 'NPD', 'New Democratic Party', 'NDP'),"
    " (4, 'Independent', 'Indépendant', 'Independent', 'Ind.')",
    "INSERT INTO constituencies (id, name_en, name_fr, province) VALUES"
    " (1, 'Ottawa Centre', 'Ottawa-Centre', 'ON'), (2, 'Halifax', 'Halifax', 'NS'),"
    " (3, 'Calgary Centre', 'Calgary-Centre', 'AB'), (4, 'Regina', 'Regina', 'SK'),"
    " (5, 'Victoria', 'Victoria', 'BC'), (6, 'Red Deer', 'Red Deer', 'AB'),"
    " (7, 'Hull', 'Hull', 'QC'), (8, 'Iqaluit', 'Iqaluit', 'NU'), (9, 'Jasper', 'Jasper', 'AB')",
    "INSERT INTO elected_members (id, first_name, last_name, full_name) VALUES"
    " (1, 'Ann', 'Able', 'Ann Able'), (2, 'Bob', 'Baker', 'Bob Baker'),"
    " (3, 'Cal', 'Cole', 'Cal Cole'), (4, 'Dee', 'Dunn', 'Dee Dunn'),"
    " (5, 'Eve', 'Ezra', 'Eve Ezra'), (6, 'Gus', 'Gill', 'Gus Gill'),"
    " (7, 'Hal', 'Hunt', 'Hal Hunt'), (8, 'Ivy', 'Ide', 'Ivy Ide'),"
    " (9, 'Joe', 'Jay', 'Joe Jay')",
    "INSERT INTO member_terms (member_id, constituency_id, party_id, parliament, start_date,"
    " end_date) VALUES"
    " (1, 1, 1, 44, DATE '2021-09-20', DATE '2025-03-23'), (1, 1, 1, 45, DATE '2025-04-28', NULL),"
    " (2, 2, 1, 44, DATE '2021-09-20', DATE '2025-03-23'), (2, 2, 1, 45, DATE '2025-04-28', NULL),"
    " (3, 3, 2, 44, DATE '2021-09-20', DATE '2025-03-23'), (3, 3, 2, 45, DATE '2025-04-28', NULL),"
    " (4, 4, 2, 44, DATE '2021-09-20', DATE '2023-06-30'),"
    " (6, 6, 2, 44, DATE '2021-09-20', DATE '2025-03-23'),"
    " (5, 5, 3, 45, DATE '2025-04-28', NULL), (7, 7, 1, 45, DATE '2025-04-28', NULL),"
    " (8, 8, 4, 45, DATE '2025-04-28', NULL), (9, 9, 2, 45, DATE '2025-07-01', NULL)",
    "INSERT INTO votes (id, session_id, number, date, subject_en, result, yeas, nays, paired)"
    " VALUES (1, 1, 1, DATE '2022-02-01', 'Motion one', 'agreed', 2, 3, 0),"
    " (2, 1, 2, DATE '2023-03-01', 'Motion two', 'negatived', 2, 3, 0),"
    " (3, 1, 3, DATE '2024-06-01', 'Motion three', 'tied', 1, 2, 1),"
    " (4, 2, 1, DATE '2025-06-10', 'Motion four', 'agreed', 3, 2, 0),"
    " (5, 2, 2, DATE '2025-06-11', 'Motion five', 'agreed', 5, 1, 0),"
    " (6, 2, 3, DATE '2025-06-12', 'Motion six', 'agreed', 100, 90, 0)",
    "INSERT INTO ballots (vote_id, member_id, party_id, value) VALUES"
    " (1, 1, 1, 'yea'), (1, 2, 1, 'yea'), (1, 3, 2, 'nay'), (1, 4, 2, 'nay'), (1, 6, 2, 'nay'),"
    " (2, 1, 1, 'yea'), (2, 2, 1, 'nay'), (2, 3, 2, 'yea'), (2, 4, 2, 'nay'), (2, 6, 2, 'nay'),"
    " (3, 1, 1, 'paired'), (3, 2, 1, 'nay'), (3, 3, 2, 'nay'), (3, 6, 2, 'yea'),"
    " (4, 1, 1, 'yea'), (4, 2, 1, 'yea'), (4, 7, 1, 'yea'), (4, 3, 2, 'nay'), (4, 5, 3, 'nay'),"
    " (5, 1, 1, 'nay'), (5, 2, 1, 'yea'), (5, 7, 1, 'yea'), (5, 5, 3, 'yea'), (5, 8, 4, 'yea')",
]


@pytest.fixture(scope="module")
def figures_server(pg_cluster: embedded.EmbeddedCluster, redis: RedisServer) -> Iterator[str]:
    url: URL = fresh_database(pg_cluster, DATABASE)
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    with psycopg.connect(conninfo(url)) as conn:
        for statement in PARLIAMENT:
            conn.execute(statement)
        bump_data_version(conn)
    server: LiveServer
    with serve(api_settings(url, redis)) as server:
        yield server.url


@pytest.fixture
def api(figures_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=figures_server, timeout=30) as client:
        yield client


def doc(response: httpx.Response) -> html.HtmlElement:
    assert response.status_code == 200, response.text[:500]
    return html.fromstring(response.content)


def words(element: html.HtmlElement) -> str:
    return " ".join(" ".join(element.itertext()).split())


def participation(api: httpx.Client, member: int) -> dict[str, Any]:
    body = ok(api.get(f"/api/v1/members/{member}/participation"))
    assert set(body) == {"data"}
    data: dict[str, Any] = body["data"]
    return data


def year(y: int, divisions: int, voted: int, dissents: int) -> dict[str, Any]:
    return {
        "year": y,
        "divisions": divisions,
        "voted": voted,
        "dissents": dissents,
        "participation": voted / divisions,
        "dissent_rate": dissents / voted if voted else None,
    }


def test_participation_of_a_member_who_broke_ranks_once(api: httpx.Client) -> None:
    # Ann: five divisions while she sat (No. 6 of 45-1 has no ballot on file), a ballot in
    # each (the pair of 2024 included); against her party once: 45-1 No. 2, nay while the
    # Liberals voted 2–1 yea. 44-1 No. 2 is no dissent: the Liberals split 1–1.
    ann = participation(api, ANN)
    method = ann.pop("method")
    assert ann == {
        "member_id": ANN,
        "name": "Ann Able",
        "divisions": 5,
        "voted": 5,
        "dissents": 1,
        "participation": 1.0,
        "dissent_rate": 0.2,
        "years": [
            year(2022, 1, 1, 0),
            year(2023, 1, 1, 0),
            year(2024, 1, 1, 0),
            year(2025, 2, 2, 1),
        ],
    }
    assert "paired ballots included" in method and "split evenly" in method


def test_participation_counts_absences_and_ends_with_the_term(api: httpx.Client) -> None:
    # Cal: absent from 45-1 No. 2; yea in 44-1 No. 2 while the Conservatives voted 1–2 nay
    # (a dissent); nay in 44-1 No. 3 while they split 1–1 (none).
    cal = participation(api, CAL)
    assert (cal["divisions"], cal["voted"], cal["dissents"]) == (5, 4, 1)
    assert (cal["participation"], cal["dissent_rate"]) == (0.8, 0.25)
    assert cal["years"] == [
        year(2022, 1, 1, 0),
        year(2023, 1, 1, 1),
        year(2024, 1, 1, 0),
        year(2025, 2, 1, 0),
    ]
    # Dee's term ended 2023-06-30: only the first two divisions were hers.
    dee = participation(api, DEE)
    assert dee["years"] == [year(2022, 1, 1, 0), year(2023, 1, 1, 0)]
    # Joe sits from 2025-07-01, after every division: nothing to count, no rate.
    joe = participation(api, JOE)
    assert (joe["divisions"], joe["voted"], joe["participation"], joe["dissent_rate"]) == (
        0,
        0,
        None,
        None,
    )
    assert joe["years"] == []


def test_participation_figures_are_the_member_page_s(api: httpx.Client) -> None:
    page = doc(api.get(f"/members/{CAL}"))
    cells = [words(r) for r in page.xpath("//details[@class='series-table']//tbody/tr")]
    assert cells == [
        "2022 1 1 100.0% 0 0.0%",
        "2023 1 1 100.0% 1 100.0%",
        "2024 1 1 100.0% 0 0.0%",
        "2025 2 1 50.0% 0 0.0%",
    ]
    stats = words(page.xpath("//ul[@class='stat-row']")[0])
    assert "Participation 80.0% voted in 4 of 5 divisions" in stats
    assert "Votes against their party 25.0% 1 ballot" in stats


def test_unknown_member_is_a_problem_naming_it(api: httpx.Client) -> None:
    body = problem(api.get("/api/v1/members/999999/participation"), 404)
    assert "999999" in body["detail"]
    assert problem(api.get("/api/v1/members/abc/participation"), 400)
    unknown = problem(api.get(f"/api/v1/members/{ANN}/participation?year=2022"), 400)
    assert unknown["detail"].startswith("year: unknown parameter")


def cohesion_row(
    session: str,
    party: str,
    party_fr: str,
    ballots_by_division: list[tuple[int, int]],
) -> dict[str, Any]:
    """The expected row from a party's (yeas, nays) in each division, by the page's
    definitions (worked out by hand in the test's comments, computed the same way here)."""
    against = sum(min(y, n) for y, n in ballots_by_division if y != n)
    split = sum(1 for y, n in ballots_by_division if y and n)
    ballots = sum(y + n for y, n in ballots_by_division)
    return {
        "session": session,
        "party": party,
        "party_fr": party_fr,
        "divisions": len(ballots_by_division),
        "ballots": ballots,
        "against": against,
        "against_share": against / ballots,
        "split": split,
        "split_share": split / len(ballots_by_division),
        "unity": pytest.approx(
            sum(abs(y - n) / (y + n) for y, n in ballots_by_division) / len(ballots_by_division)
        ),
    }


def test_party_cohesion_per_session(api: httpx.Client) -> None:
    response = api.get("/api/v1/parties/cohesion")
    body = ok(response)
    assert body["pagination"] == {"limit": 5, "next_cursor": None, "next": None}
    assert "Rice's index" in body["method"] and "Independents are left out" in body["method"]
    # 45-1 first (newest), larger caucuses first; Ivy, an Independent, left out; No. 3 of
    # 45-1 (no ballot on file) counts for nobody.
    # Liberals 45-1: 3–0, then 2–1 (Ann against): 6 ballots, 1 against, 1 split division,
    #   unity (1 + 1/3) / 2 = 2/3.  NDP: 0–1, 1–0.  Conservatives: 0–1 (Cal absent in No. 2).
    # Conservatives 44-1: 0–3, 1–2 (Cal against), 1–1 (a tie: nobody against): 8 ballots,
    #   1 against, 2 split, unity (1 + 1/3 + 0) / 3 = 4/9.  Liberals: 2–0, 1–1, 0–1 (Ann's
    #   pair is no yea or nay): 5 ballots, none against, 1 split, unity (1 + 0 + 1) / 3.
    assert body["data"] == [
        cohesion_row("45-1", "Liberal", "Libéral", [(3, 0), (2, 1)]),
        cohesion_row("45-1", "NDP", "NPD", [(0, 1), (1, 0)]),
        cohesion_row("45-1", "Conservative", "Conservateur", [(0, 1)]),
        cohesion_row("44-1", "Conservative", "Conservateur", [(0, 3), (1, 2), (1, 1)]),
        cohesion_row("44-1", "Liberal", "Libéral", [(2, 0), (1, 1), (0, 1)]),
    ]
    liberal_45, _ndp, _con, con_44, _lib = body["data"]
    assert (liberal_45["against"], liberal_45["split"]) == (1, 1)
    assert liberal_45["unity"] == pytest.approx(2 / 3)
    assert (con_44["ballots"], con_44["against"], con_44["split"]) == (8, 1, 2)
    assert con_44["unity"] == pytest.approx(4 / 9)
    one = ok(api.get("/api/v1/parties/cohesion", params={"session": "44-1"}))
    assert one["data"] == body["data"][3:]
    assert one["method"] == body["method"]


def test_party_cohesion_figures_are_the_page_s(api: httpx.Client) -> None:
    page = doc(api.get("/parties"))
    section = page.xpath("//section[h2[@id='session-44-1']]")[0]
    cells = {
        words(r.xpath("./th")[0]): [words(td) for td in r.xpath("./td")]
        for r in section.xpath(".//tbody/tr")
    }
    assert cells == {
        "Conservative": ["44.4%", "3", "2 (66.7%)", "1 (12.5%)"],
        "Liberal": ["66.7%", "3", "1 (33.3%)", "0 (0.0%)"],
    }


def test_party_cohesion_of_a_bad_or_unknown_session(api: httpx.Client) -> None:
    unknown = problem(api.get("/api/v1/parties/cohesion", params={"session": "46-1"}), 404)
    assert "46-1" in unknown["detail"]
    bad = problem(api.get("/api/v1/parties/cohesion", params={"session": "latest"}), 400)
    assert bad["detail"].startswith("session: expected a session")
    assert bad["parameter"] == "session"


def test_figures_are_cached_and_answer_head(api: httpx.Client) -> None:
    for path in (f"/api/v1/members/{ANN}/participation", "/api/v1/parties/cohesion?session=45-1"):
        got = api.get(path, headers={"Accept-Encoding": "identity"})
        assert got.headers["cache-control"].startswith("public, max-age=")
        etag = got.headers["etag"]
        again = api.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        head = api.head(path, headers={"Accept-Encoding": "identity"})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == etag
        assert head.headers["content-length"] == str(len(got.content))


def test_figures_cost_one_statement_once_the_tables_are_held(
    api: httpx.Client, redis: RedisServer
) -> None:
    # The divisions and majorities are held per data version (openpolicy.queries.record):
    # a member's figures then read only their ballots; cohesion is one aggregate.
    assert queries(fresh_get(api, redis, f"/api/v1/members/{BOB}/participation")) == 1
    assert queries(fresh_get(api, redis, "/api/v1/parties/cohesion?session=45-1")) == 1
