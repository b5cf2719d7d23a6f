"""Every item of a sitting through the API, as published (issue "Exactly as published").

Facts from the captures (tests/fixtures/hansard): HAN200-E-441.xml (44-1 No. 200) prints
five petitions under "Petitions", each with its topic (`SubjectOfBusinessQualifier`:
"Medical Cannabis Licences", "Air Transportation", "Religious Neutrality of the State",
"Air Transportation", "Aquaculture"), the opposition motion "Opposition Motion—Opioid
Crisis" under "Business of Supply" in "Government Orders", and the tables of divisions 332
(110 yeas, 209 nays, 4 paired) and 333. HAN086-E-412.xml (41-2 No. 86) answers 29 written
questions, the first "Question No. 406--" asked by Ms. Lise St-Denis and answered by
Hon. Lisa Raitt (Minister of Transport). In HAN005-E-441.xml "The Deputy Speaker" speaks
18 times, printed by role only; the Speaker of the House that day is Anthony Rota.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.conftest import ok

ALLOWED_TAGS = {"p", "blockquote", "em", "strong", "sup", "sub"}


def every_item(client: httpx.Client, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    body = ok(client.get(f"{path}?limit=500"))
    items = list(body["data"]["speeches"])
    while body["pagination"]["next"]:
        body = ok(client.get(body["pagination"]["next"]))
        items += body["data"]["speeches"]
    return body["data"], items


def test_contents_has_sections_headings_and_subheadings(client: httpx.Client) -> None:
    sitting = ok(client.get("/api/v1/debates/44-1/200?limit=1"))["data"]
    contents = sitting["contents"]
    petitions = next(entry for entry in contents if entry["heading"] == "Petitions")
    assert petitions["section"] == "ROUTINE PROCEEDINGS"  # as printed in this sitting
    assert [sub["subheading"] for sub in petitions["subheadings"]] == [
        "Medical Cannabis Licences",
        "Air Transportation",
        "Religious Neutrality of the State",
        "Air Transportation",
        "Aquaculture",
    ]
    first = petitions["subheadings"][0]
    assert first["sequence"] == petitions["sequence"]
    assert sum(sub["speeches"] for sub in petitions["subheadings"]) <= petitions["speeches"]
    supply = next(entry for entry in contents if entry["heading"] == "Business of Supply")
    assert supply["section"] == "Government Orders"
    assert supply["subheadings"][0]["subheading"] == "Opposition Motion—Opioid Crisis"
    page = ok(
        client.get(
            "/api/v1/debates/44-1/200",
            params={"limit": 5, "fields": "sequence,section,heading,subheading"},
        )
    )["data"]["speeches"]
    assert all(set(item) == {"sequence", "section", "heading", "subheading"} for item in page)
    # Each sub-heading's first item is under it.
    _, every = every_item(client, "/api/v1/debates/44-1/200")
    by_sequence = {item["sequence"]: item for item in every}
    for sub in petitions["subheadings"]:
        item = by_sequence[sub["sequence"]]
        assert (item["section"], item["heading"], item["subheading"]) == (
            "ROUTINE PROCEEDINGS",
            "Petitions",
            sub["subheading"],
        )


def test_items_of_every_kind(client: httpx.Client) -> None:
    sitting, items = every_item(client, "/api/v1/debates/44-1/200")
    assert len(items) == sitting["speech_count"]
    kinds = {item["kind"] for item in items}
    assert kinds == {"speech", "note", "division"}
    notes = [item for item in items if item["kind"] == "note"]
    assert all(item["speaker_name"] is None and item["member_id"] is None for item in notes)
    texts = {item["text"]: item["note_type"] for item in notes}
    assert texts["(Motions deemed adopted, bill read the first time and printed)"] == "procedural"
    assert texts["The House resumed consideration of the motion."] == "resumed"
    # Division tables, linked to the division they print, which the API serves.
    tables = [item for item in items if item["kind"] == "division"]
    assert [table["division_number"] for table in tables] == [332, 333]
    assert tables[0]["text"].startswith("(Division No. 332)")
    assert "Aboultaif" in tables[0]["text"]
    division = ok(client.get("/api/v1/votes/44-1/332"))["data"]
    assert (division["yeas"], division["nays"], division["paired"]) == (110, 209, 4)


def test_written_questions_with_asker_and_answerer(client: httpx.Client) -> None:
    _, items = every_item(client, "/api/v1/debates/41-2/86")
    questions = [item for item in items if item["kind"] == "question"]
    answers = [item for item in items if item["kind"] == "answer"]
    assert len(questions) == len(answers) == 29
    first = questions[0]
    assert first["question_number"] == 406
    assert first["speaker_name"] == "Ms. Lise St-Denis"
    assert first["heading"] == "Questions on the Order Paper"
    assert first["text"].startswith("With regard to contracts under $10,000")
    answer = next(item for item in answers if item["question_number"] == 406)
    assert answer["sequence"] == first["sequence"] + 1
    assert (answer["speaker_name"], answer["speaker_role"], answer["party"]) == (
        "Hon. Lisa Raitt",
        "Minister of Transport",
        "CPC",
    )


def test_presiding_officers_are_named_by_role(client: httpx.Client) -> None:
    sitting, items = every_item(client, "/api/v1/debates/44-1/5")
    assert sitting["house_speaker"] == "Anthony Rota"
    deputy = [item for item in items if item["speaker_role"] == "The Deputy Speaker"]
    assert len(deputy) >= 18
    assert all(item["speaker_name"] is None for item in deputy)
    french = ok(client.get("/api/v1/debates/42-1/2?lang=fr&limit=10"))["data"]["speeches"]
    assert "Le Président" in {item["speaker_role"] for item in french}
    # Search hits carry the role too.
    hits = ok(
        client.get(
            "/api/v1/search",
            params={"q": '"request for an emergency debate"', "type": "speeches"},
        )
    )["data"]
    assert hits and {hit["speaker_role"] for hit in hits} == {"The Deputy Speaker"}
    assert all(hit["speaker_name"] is None and hit["kind"] == "speech" for hit in hits)


def test_search_hits_carry_subheadings(client: httpx.Client) -> None:
    hits = ok(
        client.get("/api/v1/search", params={"q": "aquaculture", "type": "speeches", "limit": 50})
    )["data"]
    assert any(hit["heading"] == "Petitions" and hit["subheading"] == "Aquaculture" for hit in hits)


def test_the_safe_markup_and_the_source_characters(client: httpx.Client) -> None:
    _, items = every_item(client, "/api/v1/debates/44-1/5")
    for item in items:
        assert item["html"], item["sequence"]
        tags = set(re.findall(r"</?([a-zA-Z0-9]+)", item["html"]))
        assert tags <= ALLOWED_TAGS, (item["sequence"], tags)
        attributes = set(re.findall(r"\s([a-z-]+)=", item["html"]))
        assert attributes <= {"class", "data-floor", "data-time"}
        assert "<script" not in item["html"].lower()
    markers = [item for item in items if 'class="floor"' in item["html"]]
    assert any('data-floor="fr">[<em>Translation</em>]' in item["html"] for item in markers)
    assert any("<blockquote>" in item["html"] for item in items)
    # Text and markup say the same words: the markup without its tags and markers.
    speech = next(item for item in items if item["sequence"] == 190)
    assert "Elmwood—Transcona" in speech["text"] and "Elmwood—Transcona" in speech["html"]
    # Non-breaking spaces are kept as printed (42-1 No. 2: "December 10, 2015").
    _, english = every_item(client, "/api/v1/debates/42-1/2")
    assert any("\u00a0" in (item["text"] or "") for item in english)
