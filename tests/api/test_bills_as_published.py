"""Bills and divisions as LEGISinfo publishes them, through the API (issue "Exactly as
published").

Facts from tests/fixtures/legisinfo/bill-44-1-C-11.xml: the bill's latest event is
`LatestBillEventDateTime` 2023-04-27T14:00:00 (Ottawa time, EDT); its status "Royal assent
received"; its first message between the chambers is "Message sent to the House of
Commons", 2023-02-02T19:15:00 (EST), sitting 96 of the Senate (ChamberOrganizationId 2);
12 such messages; its committee stage ended 2022-06-15T20:48:51.87. It names 11
divisions (`HouseVoteDetails`), among them No. 86 (time allocation, 174 yeas, 145 nays,
0 paired). No ballots document of 44-1 is in the sample: those divisions are known by
their official totals only. tests/fixtures/ourcommons/vote-43-2-69.xml is the ballots
document of 43-2 No. 69 (330 ballots: 305 yeas, 25 nays).
"""

from __future__ import annotations

import httpx

from tests.api.conftest import ok


def test_latest_stage_beside_the_source_status(client: httpx.Client) -> None:
    bill = ok(client.get("/api/v1/bills/44-1/C-11"))["data"]
    assert bill["status_en"] == "Royal assent received"  # the source's own words
    assert bill["latest_stage"] == {
        "stage": "royal_assent",
        "chamber": "royal_assent",
        "name_en": "Royal assent",
        "name_fr": "Sanction royale",
    }
    # The stages run to it: the latest stage is the last one reached.
    assert bill["stages"][-1]["stage"] == bill["latest_stage"]["stage"]


def test_times_keep_their_real_offset(client: httpx.Client) -> None:
    bill = ok(client.get("/api/v1/bills/44-1/C-11"))["data"]
    # 14:00 in Ottawa is served as 14:00-04:00 (the same instant as 18:00Z), never as a
    # midnight or a UTC wall-clock time.
    assert bill["latest_activity_at"] == "2023-04-27T14:00:00-04:00"
    committee = next(s for s in bill["stages"] if s["stage"] == "committee")
    assert committee["date"] == "2022-06-15"
    assert committee["at"] == "2022-06-15T20:48:51.870000-04:00"
    listed = ok(client.get("/api/v1/bills", params={"session": "44-1", "include": "stages"}))
    c11 = next(b for b in listed["data"] if b["number"] == "C-11")
    assert [s["at"] for s in c11["stages"]] == [s["at"] for s in bill["stages"]]


def test_messages_between_the_chambers(client: httpx.Client) -> None:
    messages = ok(client.get("/api/v1/bills/44-1/C-11"))["data"]["messages"]
    assert len(messages) == 12
    assert messages[0] == {
        "sequence": 1,
        "chamber": "senate",
        "name_en": "Message sent to the House of Commons",
        "name_fr": "Message envoyé à la Chambre des communes",
        "at": "2023-02-02T19:15:00-05:00",  # winter: EST
        "sitting": 96,
    }
    assert [m["sequence"] for m in messages] == list(range(1, 13))


def test_named_divisions_are_served_with_their_totals_ballots_pending(
    client: httpx.Client,
) -> None:
    bill = ok(client.get("/api/v1/bills/44-1/C-11"))["data"]
    named = {d["number"]: d for d in bill["divisions"]}
    assert set(named) >= {86, 87, 88, 89, 158, 159, 160, 163, 164, 291, 292}
    assert {d["ballots_status"] for d in named.values()} == {"pending"}
    division = ok(client.get("/api/v1/votes/44-1/86"))["data"]
    assert (division["yeas"], division["nays"], division["paired"]) == (174, 145, 0)
    assert division["result"] == "agreed"
    assert division["ballots_status"] == "pending"
    assert division["ballots"] == [] and division["party_breakdown"] == []
    assert division["bill"]["number"] == "C-11"
    listed = ok(client.get("/api/v1/votes", params={"session": "44-1", "limit": 100}))["data"]
    assert next(v for v in listed if v["number"] == 86)["ballots_status"] == "pending"
    recorded = ok(client.get("/api/v1/votes/43-2/69"))["data"]
    assert recorded["ballots_status"] == "recorded" and len(recorded["ballots"]) == 330


def test_sessions_carry_their_dates(client: httpx.Client) -> None:
    sessions = {s["code"]: s for s in ok(client.get("/api/v1/sessions"))["data"]}
    # The Library of Parliament's record: 44-1 opened 2021-11-22 and was prorogued
    # 2025-01-06; 42-1 ran 2015-12-03 to 2019-09-11.
    assert (sessions["44-1"]["start_date"], sessions["44-1"]["end_date"]) == (
        "2021-11-22",
        "2025-01-06",
    )
    assert (sessions["42-1"]["start_date"], sessions["42-1"]["end_date"]) == (
        "2015-12-03",
        "2019-09-11",
    )
