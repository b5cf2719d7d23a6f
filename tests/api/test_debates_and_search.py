"""Hansard sittings and bilingual full-text search against the sample.

From the fixtures: four sittings — 41-2 no. 86 (2014-05-14, 479 interventions), 42-1 no. 2
(2015-12-04, 42, English and French editions), 44-1 no. 5 (2021-11-26, 216) and 44-1 no. 200
(2023-05-18, 321). In 44-1 no. 5, 11 interventions say "softwood lumber": Mary Ng 5 times
(4 labelled Lib., 1 unlabelled), CPC 3, BQ 2, NDP 1; 6 of the 11 never say "minister(s)".
42-1 no. 2 has one intervention on the École polytechnique in each language; its headings
start "Opening of Parliament", "Oaths of Office", "Speech from the Throne" /
"Ouverture de la législature", "Les serments d'office", "Le discours du Trône".
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.conftest import fresh_get, ok, problem, queries
from tests.support.services import RedisServer


def test_debate_list_and_filters(client: httpx.Client) -> None:
    sittings = ok(client.get("/api/v1/debates"))["data"]
    assert [(d["session"], d["number"], d["date"]) for d in sittings] == [
        ("44-1", 200, "2023-05-18"),
        ("44-1", 5, "2021-11-26"),
        ("42-1", 2, "2015-12-04"),
        ("41-2", 86, "2014-05-14"),
    ]
    assert [d["number"] for d in ok(client.get("/api/v1/debates?session=44-1"))["data"]] == [
        200,
        5,
    ]
    window = ok(client.get("/api/v1/debates?date_from=2015-01-01&date_to=2022-01-01"))["data"]
    assert [d["number"] for d in window] == [5, 2]
    oldest = ok(client.get("/api/v1/debates?sort=date&limit=1"))["data"][0]
    assert oldest["number"] == 86


def test_debate_detail_in_both_languages(client: httpx.Client, redis: RedisServer) -> None:
    english = ok(client.get("/api/v1/debates/42-1/2"))["data"]
    assert english["date"] == "2015-12-04"
    # Every item: 42 interventions, 12 turns printed inside them, 24 notes.
    assert english["speech_count"] == 78
    # The Speaker's report opens the sitting under "Opening of Parliament".
    assert [c["heading"] for c in english["contents"]][:3] == [
        "Opening of Parliament",
        "Oaths of Office",
        "Speech from the Throne",
    ]
    french = ok(client.get("/api/v1/debates/42-1/2?lang=fr"))["data"]
    assert french["lang"] == "fr"
    assert [c["heading"] for c in french["contents"]][:3] == [
        "Ouverture de la législature",
        "Les serments d'office",
        "Le discours du Trône",
    ]
    assert any("minute de silence" in (s["text"] or "") for s in french["speeches"])
    problem(client.get("/api/v1/debates/42-1/3"), 404)
    problem(client.get("/api/v1/debates/42-1/2?lang=de"), 422)


def test_a_long_sitting_comes_a_page_of_speeches_at_a_time(
    client: httpx.Client, redis: RedisServer
) -> None:
    """41-2 no. 86 has 589 items (479 interventions, the turns inside them, written
    questions and answers, notes, division tables): every one comes once, in order,
    `limit` at a time, following `pagination.next`, each page with the whole contents."""
    first = fresh_get(client, redis, "/api/v1/debates/41-2/86?limit=200")
    assert queries(first) == 3  # the sitting, its contents and a page: one round trip
    body = ok(first)
    assert body["data"]["speech_count"] == 589
    contents = body["data"]["contents"]
    sequences: list[int] = []
    pages = 0
    while True:
        pages += 1
        assert len(body["data"]["speeches"]) <= 200
        assert body["data"]["contents"] == contents
        sequences += [s["sequence"] for s in body["data"]["speeches"]]
        following = body["pagination"]["next"]
        if following is None:
            break
        assert "limit=200" in following
        body = ok(client.get(following))
    assert pages == 3
    assert len(sequences) == 589 and sequences == sorted(set(sequences))
    default = ok(client.get("/api/v1/debates/41-2/86"))
    assert len(default["data"]["speeches"]) == 50
    assert default["pagination"]["limit"] == 50
    only = ok(client.get("/api/v1/debates/41-2/86?limit=2&fields=sequence,speaker_name"))
    assert all(set(s) == {"sequence", "speaker_name"} for s in only["data"]["speeches"])
    problem(client.get("/api/v1/debates/41-2/86?limit=501"), 422)
    problem(client.get("/api/v1/debates/41-2/86?cursor=bogus"), 400)


def search(client: httpx.Client, **params: Any) -> Any:
    return ok(client.get("/api/v1/search", params=params))


def test_phrase_exclusion_and_or(client: httpx.Client) -> None:
    phrase = search(client, q='"softwood lumber"', sort="newest", limit=100)
    assert len(phrase["data"]) == 11
    assert phrase["pagination"] == {
        "limit": 100,
        "next_cursor": None,
        "next": None,
        "total": 11,
        "total_relation": "eq",
        "estimated_total": 11,
    }
    assert search(client, q="softwood -lumber")["data"] == []
    assert len(search(client, q="softwood -minister")["data"]) == 6
    either = search(client, q="softwood or polytechnique", limit=100)
    assert len(either["data"]) == 12


def test_snippets_ranking_and_order(client: httpx.Client) -> None:
    ranked = search(client, q="softwood lumber", limit=100)["data"]
    assert isinstance(ranked, list)
    ranks = [hit["rank"] for hit in ranked]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > 0
    assert all("<mark>" in hit["snippet"] for hit in ranked)
    first = ranked[0]
    assert (first["session"], first["debate_number"], first["date"]) == (
        "44-1",
        5,
        "2021-11-26",
    )
    newest = search(client, q="softwood lumber", sort="newest", limit=100)["data"]
    assert isinstance(newest, list)
    assert [h["rank"] for h in newest] == [None] * 11
    assert [h["sequence"] for h in newest] == sorted((h["sequence"] for h in newest), reverse=True)


def test_french_configuration(client: httpx.Client) -> None:
    hits = search(client, q="polytechnique", lang="fr")["data"]
    assert isinstance(hits, list) and len(hits) == 1
    assert hits[0]["session"] == "42-1" and "<mark>" in hits[0]["snippet"]
    # French stemming: "silences" finds "silence".
    assert len(search(client, q="silences", lang="fr")["data"]) == 1


def test_filters(client: httpx.Client) -> None:
    assert search(client, q="softwood", session="41-2")["data"] == []
    assert search(client, q="softwood", date_from="2021-11-27")["data"] == []
    assert len(search(client, q="softwood", date_to="2021-11-26", limit=100)["data"]) == 11
    liberal = search(client, q="softwood", party="Liberal", limit=100)["data"]
    assert isinstance(liberal, list) and len(liberal) == 4
    assert len(search(client, q="softwood", party="CPC", limit=100)["data"]) == 3
    member = liberal[0]["member_id"]
    assert {h["speaker_name"] for h in liberal} == {"Hon. Mary Ng"}
    assert len(search(client, q="softwood", member=member, limit=100)["data"]) == 5


def test_pagination_of_results(client: httpx.Client) -> None:
    for sort in ("newest", "relevance"):
        seen: list[int] = []
        body = search(client, q="softwood", sort=sort, limit=4)
        while True:
            data = body["data"]
            assert isinstance(data, list)
            seen += [hit["id"] for hit in data]
            pagination = body["pagination"]
            assert isinstance(pagination, dict)
            if not pagination["next"]:
                break
            body = ok(client.get(pagination["next"]))
        assert len(seen) == 11 == len(set(seen)), sort


def test_bills_and_members(client: httpx.Client) -> None:
    bills = search(client, q="border", type="bills")["data"]
    assert isinstance(bills, list)
    assert ("45-1", "C-2") in {(b["session"], b["number"]) for b in bills}
    assert "<mark>" in bills[0]["snippet"]
    members = search(client, q="Aboultaif", type="members")["data"]
    assert members == [
        {
            "id": members[0]["id"],
            "name": "Ziad Aboultaif",
            "party": "Conservative",
            "constituency": "Edmonton Manning",
            "province": "AB",
            "current": True,
        }
    ]


def test_search_errors(client: httpx.Client) -> None:
    assert "q" in problem(client.get("/api/v1/search"), 400)["detail"]
    assert "stop words" in problem(client.get("/api/v1/search?q=the"), 400)["detail"]
    problem(client.get("/api/v1/search?q=x&type=votes"), 422)
    problem(client.get("/api/v1/search?q=x&limit=101"), 422)
    problem(client.get("/api/v1/search?q=softwood&cursor=abc"), 400)


def test_words_as_typed_rank_above_other_forms_of_their_stem(client: httpx.Client) -> None:
    # "housing" and "House" share the English stem `hous`: the sample's sittings say
    # "House" hundreds of times and "housing" in fewer speeches (HAN086-E-412.xml,
    # HAN200-E-441.xml...). Every speech with the word as typed comes first.
    ranked = search(client, q="housing", limit=100)
    flags = [hit["exact"] for hit in ranked["data"]]
    assert flags[0] is True and flags == sorted(flags, reverse=True)
    quoted = search(client, q='"housing"', limit=100)
    assert 0 < quoted["pagination"]["total"] < ranked["pagination"]["total"]
    assert flags.count(True) == min(quoted["pagination"]["total"], 100)
    # Quoted: only the form as typed, highlighted as typed.
    for hit in quoted["data"]:
        marked = {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", hit["snippet"])}
        assert marked == {"housing"}, hit["snippet"]
    # Relevance pages keep the order across pages (cursor on the reranked score).
    first = search(client, q="housing", limit=10)
    second = search(client, q="housing", limit=10, cursor=first["pagination"]["next_cursor"])
    assert [h["id"] for h in first["data"] + second["data"]] == [
        h["id"] for h in ranked["data"][:20]
    ]


def test_quoted_phrases_match_as_printed(client: httpx.Client) -> None:
    # "softwood lumber" is printed 11 times in the sample (see test_phrase_exclusion_and_or);
    # the words apart, in the other order, are not the phrase.
    assert search(client, q='"lumber softwood"')["pagination"]["total"] == 0
    phrase = search(client, q='"softwood lumber"', limit=100)
    assert all(
        re.search(r"<mark>softwood</mark>\W+<mark>lumber</mark>", h["snippet"], re.I)
        for h in phrase["data"]
    )


def test_divisions_are_searched(client: httpx.Client) -> None:
    # votes-42-1-legacy-2018.xml: No. 394, "2nd reading of Bill C-325, An Act to amend the
    # Canadian Bill of Rights (right to housing)"; "Motion to adjourn the House" shares
    # only the stem and comes after it.
    found = search(client, q="housing", type="divisions", limit=100)
    first = found["data"][0]
    assert (first["session"], first["number"], first["yeas"], first["nays"]) == (
        "42-1",
        394,
        42,
        243,
    )
    assert "<mark>housing</mark>" in first["snippet"]
    assert any("adjourn" in (h["subject_en"] or "") for h in found["data"][1:])
    assert found["pagination"]["total_relation"] == "eq"
    by_bill = search(client, q="C-325", type="divisions")["data"]
    assert [(h["session"], h["number"]) for h in by_bill][:1] == [("42-1", 394)]


def test_everything_at_once_with_counts_facets_and_trend(client: httpx.Client) -> None:
    body = search(client, q="housing", type="all", limit=3)
    assert set(body["data"]) == {"speeches", "bills", "divisions", "members"}
    assert len(body["data"]["speeches"]) == 3 and len(body["data"]["divisions"]) == 3
    counts = body["counts"]
    speeches = search(client, q="housing", limit=1)["pagination"]["total"]
    assert counts["speeches"] == {"total": speeches, "relation": "eq"}
    assert (
        counts["divisions"]["total"]
        == search(client, q="housing", type="divisions")["pagination"]["total"]
    )
    assert counts["bills"]["total"] >= 2  # C-264 and C-325, "right to housing" (42-1)
    facets = body["facets"]
    assert facets["exact"] is True and facets["seen"] == speeches
    assert sum(p["hits"] for p in facets["parties"]) <= speeches
    liberal = next(p for p in facets["parties"] if p["value"] == "Liberal")
    filtered = search(client, q="housing", party="Liberal", limit=1)["pagination"]["total"]
    assert liberal["hits"] == filtered
    assert sum(y["hits"] for y in facets["years"]) == speeches
    months = body["trend"]
    assert sum(m["speeches"] for m in months) == speeches
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)
    assert months[0]["speeches"] > 0 and months[-1]["speeches"] > 0


def test_presiding_officers_are_named_by_role(client: httpx.Client) -> None:
    hits = search(client, q="order", limit=100, sort="newest")["data"]
    # Printed by role alone ("The Deputy Speaker:"), with no name: the role names them.
    chair = [h for h in hits if h["speaker_role"] and not h["speaker_name"]]
    assert chair, "the Speaker calls the House to order in every sitting"
    assert {h["speaker_role"] for h in chair} >= {"The Speaker", "The Deputy Speaker"}


def _sample_speeches(client: httpx.Client) -> dict[tuple[str, int, int], str]:
    """Every English speech text of the sample, read through the sittings' API (the stored
    text, not the search): (session, sitting number, sequence) -> text."""
    texts: dict[tuple[str, int, int], str] = {}
    sittings = ok(client.get("/api/v1/debates", params={"limit": 100}))["data"]
    for sitting in sittings:
        url: str | None = f"/api/v1/debates/{sitting['session']}/{sitting['number']}?limit=500"
        while url:
            body = ok(client.get(url))
            for speech in body["data"]["speeches"]:
                if speech["text"]:
                    key = (sitting["session"], sitting["number"], speech["sequence"])
                    texts[key] = speech["text"]
            url = body["pagination"]["next"]
    return texts


def _all_hits(client: httpx.Client, **params: Any) -> list[tuple[str, int, int]]:
    """Every hit of a speech search, page after page, in the order served."""
    keys: list[tuple[str, int, int]] = []
    cursor = None
    while True:
        body = search(client, limit=100, **params, **({"cursor": cursor} if cursor else {}))
        keys += [(h["session"], h["debate_number"], h["sequence"]) for h in body["data"]]
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            return keys


def test_housing_ranks_above_house_on_the_sample_text(client: httpx.Client) -> None:
    """Checked against the sample's own text, not against what the search computed: the
    speeches that print "housing" are exactly the quoted search's hits, and the ranked
    search serves every one of them before any speech that has only "House"."""
    texts = _sample_speeches(client)
    printed = {key for key, text in texts.items() if re.search(r"\bhousing\b", text, re.I)}
    house_only = {
        key
        for key, text in texts.items()
        if key not in printed and re.search(r"\bhouse\b", text, re.I)
    }
    assert len(printed) >= 5 and len(house_only) > len(printed)  # the trap is real
    assert set(_all_hits(client, q='"housing"')) == printed
    ranked = _all_hits(client, q="housing")
    assert set(ranked[: len(printed)]) == printed
    assert set(ranked[len(printed) :]) <= house_only | {
        key for key, text in texts.items() if re.search(r"\bhous", text, re.I)
    }
    assert set(ranked[len(printed) :]) & house_only  # stem-only matches still come, after
