"""Bills whose path ended short of royal assent (pure: no database, no server).

The stage events below are written by hand after the retired LEGISinfo export of 42-1
(2018) in the sample: its event names as printed ("Bill Defeated at Second Reading",
"Bill Defeated at Third Reading", "Bill Not Proceeded With", "Dropped from Senate Order
Paper"), with the stage each is filed under. Expected trackers are written out stop by stop.
"""

from __future__ import annotations

from typing import Any, cast

import httpx
from lxml import html

from openpolicy.web.progress import Ending, ending, tracker
from tests.web.test_pages_http import doc, words


def event(chamber: str, stage: str, name: str, date: str) -> dict[str, Any]:
    return {"chamber": chamber, "stage": stage, "name_en": name, "date": date, "outcome": None}


def states(bill: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(step.chamber, step.stage, step.state) for step in tracker(bill)]


HOUSE_STOPS = ("first_reading", "second_reading", "committee", "report", "third_reading")


def path(*chambers: str) -> list[tuple[str, str]]:
    return [(chamber, stage) for chamber in chambers for stage in HOUSE_STOPS] + [
        ("royal_assent", "royal_assent")
    ]


def stops(order: list[tuple[str, str]], expected: list[str]) -> list[tuple[str, str, str]]:
    """The path's stops, each with the state expected of it (as many states as stops)."""
    return [
        (chamber, stage, state) for (chamber, stage), state in zip(order, expected, strict=True)
    ]


def test_a_bill_defeated_at_second_reading_in_the_house() -> None:
    # C-203 (42-1): introduced 2015-12-09, debated at second reading, defeated 2017-10-25.
    bill = {
        "number": "C-203",
        "chamber": "house",
        "royal_assent": None,
        "status_en": "Introduction and First Reading",
        "stages": [
            event("house", "first_reading", "Introduction and First Reading", "2015-12-09"),
            event("house", "other", "Placed in the Order of Precedence", "2016-02-03"),
            event("house", "second_reading", "Debate at Second Reading", "2017-06-12"),
            event("house", "second_reading", "Bill Defeated at Second Reading", "2017-10-25"),
        ],
        "divisions": [],
    }
    assert ending(bill) == Ending("defeated", "house", "second_reading", "2017-10-25")
    expected = ["done", "defeated"] + ["not_reached"] * 9
    assert states(bill) == stops(path("house", "senate"), expected)
    assert tracker(bill)[1].date == "2017-10-25"  # the day it was defeated


def test_a_senate_bill_defeated_in_the_house_after_passing_the_senate() -> None:
    # S-230 (42-1): every Senate stage, then first reading in the House, then defeated at
    # second reading there. A Senate bill's path starts in the Senate.
    bill = {
        "number": "S-230",
        "chamber": "senate",
        "royal_assent": None,
        "status_en": "First Reading",
        "stages": [
            event("senate", "first_reading", "Introduction and First Reading", "2016-10-04"),
            event("senate", "second_reading", "Second Reading", "2016-10-20"),
            event("senate", "committee", "Referral to Committee", "2016-10-26"),
            event("senate", "third_reading", "Third Reading", "2016-12-12"),
            event("house", "first_reading", "First Reading", "2017-02-09"),
            event("house", "second_reading", "Bill Defeated at Second Reading", "2017-10-25"),
        ],
        "divisions": [],
    }
    expected = ["done"] * 6 + ["defeated"] + ["not_reached"] * 4
    assert states(bill) == stops(path("senate", "house"), expected)


def test_a_bill_not_proceeded_with_ends_where_it_had_reached() -> None:
    # C-227 (42-1): reported by committee with amendments, then "Bill Not Proceeded With"
    # (filed under no stage): its path ends at the committee stop it had reached.
    bill = {
        "number": "C-227",
        "chamber": "house",
        "royal_assent": None,
        "status_en": "Committee Reporting the Bill with Amendments",
        "stages": [
            event("house", "first_reading", "Introduction and First Reading", "2016-02-24"),
            event(
                "house", "second_reading", "Second Reading and Referral to Committee", "2016-05-11"
            ),
            event(
                "house", "committee", "Committee Reporting the Bill with Amendments", "2016-10-31"
            ),
            event("house", "other", "Bill Not Proceeded With", "2017-01-31"),
        ],
        "divisions": [],
    }
    assert ending(bill) == Ending("not_proceeded", "house", None, "2017-01-31")
    expected = ["done", "done", "not_proceeded"] + ["not_reached"] * 8
    assert states(bill) == stops(path("house", "senate"), expected)


def test_a_senate_bill_dropped_from_the_order_paper() -> None:
    # S-241 (42-1): first reading, then "Dropped from Senate Order Paper".
    bill = {
        "number": "S-241",
        "chamber": "senate",
        "royal_assent": None,
        "status_en": "First Reading",
        "stages": [
            event("senate", "first_reading", "First Reading", "2017-05-02"),
            event("senate", "other", "Dropped from Senate Order Paper", "2018-05-03"),
        ],
        "divisions": [],
    }
    expected = ["dropped"] + ["not_reached"] * 10
    assert states(bill) == stops(path("senate", "house"), expected)


def test_a_negatived_division_on_a_reading_defeats_the_bill_but_an_amendment_does_not() -> None:
    # A detail whose stages say nothing of the defeat (the current LEGISinfo feed files it
    # under the stage), but whose House division on second reading was negatived, as 42-1
    # No. 86 was on C-239 ("2nd reading of Bill C-239, … (charitable gifts)").
    defeated = {
        "number": "C-239",
        "chamber": "house",
        "royal_assent": None,
        "status_en": None,
        "stages": [event("house", "first_reading", "First reading", "2016-02-25")],
        "divisions": [
            {
                "subject_en": "2nd reading of Bill C-239, An Act to amend the Income Tax Act"
                " (charitable gifts)",
                "result": "negatived",
                "date": "2016-06-08",
            }
        ],
    }
    assert ending(defeated) == Ending("defeated", "house", "second_reading", "2016-06-08")
    # C-11 (42-1 No. 87 and 88): the subamendment and the amendment to its second reading
    # were negatived; the bill itself went on.
    amended = dict(
        defeated,
        divisions=[
            {
                "subject_en": "2nd reading of Bill C-11, An Act to amend the Broadcasting Act"
                " and to make related and consequential amendments to other Acts (subamendment)",
                "result": "negatived",
                "date": "2016-05-03",
            },
            {
                "subject_en": "2nd reading of Bill C-4, An Act to amend the Canada Labour Code"
                " (reasoned amendment)",
                "result": "negatived",
                "date": "2016-05-03",
            },
        ],
    )
    assert ending(amended) is None
    assert [step.state for step in tracker(amended)][:2] == ["current", "todo"]


def test_a_status_in_those_words_ends_the_path_where_the_bill_stood() -> None:
    bill = {
        "number": "C-400",
        "chamber": "house",
        "royal_assent": None,
        "status_en": "Bill defeated",
        "stages": [
            event("house", "first_reading", "First reading", "2024-02-01"),
            event("house", "second_reading", "Second reading", "2024-05-01"),
        ],
        "divisions": [],
    }
    assert ending(bill) == Ending("defeated", None, None, None)
    assert [step.state for step in tracker(bill)][:3] == ["done", "defeated", "not_reached"]


def test_a_law_never_ended_early() -> None:
    bill = {
        "number": "C-11",
        "chamber": "house",
        "royal_assent": "2016-06-22",
        "status_en": "Royal Assent",
        "stages": [event("house", "first_reading", "Bill Not Proceeded With", "2016-01-01")],
        "divisions": [],
    }
    assert ending(bill) is None
    assert {step.state for step in tracker(bill)} == {"done"}


def test_defeated_bill_page_in_both_languages(http: httpx.Client) -> None:
    # C-203 (42-1), "Bill Defeated at Second Reading" on 2017-10-25.
    for path_, status, word, later in (
        (
            "/bills/42-1/C-203",
            "Defeated in the House of Commons: Second reading",
            "defeated",
            "not reached",
        ),
        (
            "/fr/bills/42-1/C-203",
            "Rejeté à la Chambre des communes : Deuxième lecture",
            "rejet",
            "non atteinte",
        ),
    ):
        page = doc(http.get(path_))
        plain = cast(list[html.HtmlElement], page.xpath("//p[@class='plain-status']/strong"))
        assert [words(strong) for strong in plain] == [status]
        stops = cast(list[html.HtmlElement], page.xpath("//ol[@class='tracker-steps']/li"))
        assert [stop.get("class") for stop in stops] == [
            "step step-done",
            "step step-defeated step-ended",
        ] + ["step step-not_reached"] * 9
        ended = stops[1]
        assert ended.get("aria-current") == "step"
        assert words(state_of(ended)).startswith(word)
        assert ended.xpath(".//time/@datetime") == ["2017-10-25"]
        assert [words(state_of(stop)) for stop in stops[2:]] == [later] * 9


def state_of(stop: html.HtmlElement) -> html.HtmlElement:
    return cast(list[html.HtmlElement], stop.xpath(".//span[@class='step-state']"))[0]


def test_a_bill_of_an_ended_session_says_what_that_means(http: httpx.Client) -> None:
    # 42-1 ended on 2019-09-11 (dissolution). The sample's 42-1 bills come from an export
    # of 2018: C-69's record ends with its first reading in the Senate on 2018-06-20, so the
    # page cannot say it died on the Order Paper (it did not: royal assent came in 2019);
    # it says what the end of a session means and where the record ends.
    english = doc(http.get("/bills/42-1/C-69"))
    notes = cast(list[html.HtmlElement], english.xpath("//p[contains(@class, 'session-ended')]"))
    assert [words(note) for note in notes] == [
        "Session 42-1 ended on September 11, 2019 (prorogation or dissolution). A bill that"
        " has not received royal assent by then dies on the Order Paper, unless it is"
        " reinstated in the next session. Our record of this bill ends on June 20, 2018."
    ]
    french = doc(http.get("/fr/bills/42-1/C-69"))
    notes = cast(list[html.HtmlElement], french.xpath("//p[contains(@class, 'session-ended')]"))
    assert [words(note) for note in notes] == [
        "La session 42-1 a pris fin le 11 septembre 2019 (prorogation ou dissolution). Un"
        " projet de loi qui n'a pas reçu la sanction royale à cette date meurt au Feuilleton,"
        " à moins d'être rétabli à la session suivante. Nos données sur ce projet de loi"
        " s'arrêtent au 20 juin 2018."
    ]
    # Not for a law (C-11 of 44-1), a bill whose path ended (C-203, defeated), nor a bill
    # of a session still sitting (C-2 of 45-1).
    for path_ in ("/bills/44-1/C-11", "/bills/42-1/C-203", "/bills/45-1/C-2"):
        assert not doc(http.get(path_)).xpath("//p[contains(@class, 'session-ended')]"), path_


def test_status_filter_counts_bills_by_how_their_path_ended(http: httpx.Client) -> None:
    # The 2018 export of 42-1 prints, for a bill defeated or not proceeded with, the last
    # stage it passed as its status ("Introduction and First Reading"); its events say how
    # it ended: 60 bills have "Bill Defeated at Second Reading" (42), "Bill Defeated at
    # Third Reading" (1), "Bill Not Proceeded With" (9) or "Dropped from Senate Order
    # Paper" (8), and none of them royal assent.
    ended = doc(http.get("/bills", params={"status": "defeated", "session": "42-1"}))
    counts = cast(list[html.HtmlElement], ended.xpath("//p[@class='result-count']"))
    assert [words(p) for p in counts] == ["60 bills · 50 on this page"]
    numbers = cast(list[str], ended.xpath("//tbody/tr/td[1]/a/text()"))
    following = cast(list[str], ended.xpath("//a[@rel='next']/@href"))
    rest = doc(http.get(following[0]))
    numbers += cast(list[str], rest.xpath("//tbody/tr/td[1]/a/text()"))
    assert len(set(numbers)) == 60
    assert {"C-203", "C-227", "S-204", "S-219", "S-230", "S-241"} <= set(numbers)
    # Of its 20 bills whose status names second reading ("Second Reading", "Second Reading
    # and Referral to Committee"), 6 were then not proceeded with: 14 are at second reading.
    second = doc(http.get("/bills", params={"status": "second_reading", "session": "42-1"}))
    counts = cast(list[html.HtmlElement], second.xpath("//p[@class='result-count']"))
    assert [words(p) for p in counts] == ["14 bills"]
    numbers = cast(list[str], second.xpath("//tbody/tr/td[1]/a/text()"))
    assert "C-226" not in numbers and "C-240" not in numbers  # not proceeded with
