"""Source names, dispatch and official URL builders."""

from collections import Counter
from collections.abc import Callable

import pytest

from openpolicy.records import Ballot, Bill, Debate, Member, Note, Speech, Vote
from openpolicy.sources.registry import (
    SOURCE_NAMES,
    UnknownSourceError,
    ballots_url,
    bill_url,
    bills_url,
    describe,
    hansard_url,
    members_url,
    parse,
    votes_url,
)
from openpolicy.vocab import Language

Read = Callable[[str], bytes]


def test_source_names() -> None:
    assert SOURCE_NAMES == ("bills", "bill", "members", "votes", "ballots", "hansard")
    assert all(describe(name) for name in SOURCE_NAMES)


@pytest.mark.parametrize(
    ("name", "path", "kinds"),
    [
        ("bills", "legisinfo/legacy/bills-42-1-legacy-2018.xml", {Bill: 353}),
        ("bill", "legisinfo/bill-44-1-C-291.json", {Bill: 1}),
        ("bill", "legisinfo/bill-45-1-C-2.xml", {Bill: 1}),
        ("members", "ourcommons/members-44.xml", {Member: 337}),
        ("votes", "ourcommons/legacy/votes-42-1-legacy-2018.xml", {Vote: 880}),
        ("ballots", "ourcommons/vote-43-2-69.xml", {Ballot: 330}),
        # 42 Interventions + 7 labels printed inside them + 5 continuations after a
        # procedural line in mid-intervention; 24 procedural and other notes.
        ("hansard", "hansard/HAN002-F-421.xml", {Debate: 1, Speech: 54, Note: 24}),
    ],
)
def test_parse_dispatches(capture: Read, name: str, path: str, kinds: dict[type, int]) -> None:
    records = list(parse(name, capture(path), "https://example.invalid/doc"))
    assert Counter(type(record) for record in records) == kinds
    assert all(record.source_url == "https://example.invalid/doc" for record in records)


def test_unknown_source() -> None:
    with pytest.raises(UnknownSourceError, match="'bils'"):
        parse("bils", b"", "u")
    with pytest.raises(ValueError):
        describe("nope")


def test_default_urls() -> None:
    assert bills_url("45-1") == "https://www.parl.ca/legisinfo/en/bills/json?parlsession=45-1"
    assert bill_url("45-1", "C-2") == "https://www.parl.ca/legisinfo/en/bill/45-1/c-2/json"
    assert bill_url("44-1", "C-291", "xml") == (
        "https://www.parl.ca/legisinfo/en/bill/44-1/c-291/xml"
    )
    assert members_url() == "https://www.ourcommons.ca/Members/en/search/XML"
    assert members_url(44) == "https://www.ourcommons.ca/Members/en/search/XML?parliament=44"
    assert votes_url("45-1") == ("https://www.ourcommons.ca/Members/en/votes/XML?parlSession=45-1")
    assert votes_url("45-1", Language.FR) == (
        "https://www.ourcommons.ca/Members/fr/votes/XML?parlSession=45-1"
    )
    assert ballots_url("43-2", 69) == "https://www.ourcommons.ca/Members/en/votes/43/2/69/XML"
    assert hansard_url("44-1", 5) == (
        "https://www.ourcommons.ca/Content/House/441/Debates/005/HAN005-E.XML"
    )
    assert hansard_url("42-1", 2, Language.FR) == (
        "https://www.ourcommons.ca/Content/House/421/Debates/002/HAN002-F.XML"
    )


def test_urls_on_another_base() -> None:
    base = "http://127.0.0.1:48123/"
    assert bills_url("45-1", base=base) == (
        "http://127.0.0.1:48123/legisinfo/en/bills/json?parlsession=45-1"
    )
    assert ballots_url("45-1", 7, base=base) == "http://127.0.0.1:48123/Members/en/votes/45/1/7/XML"
    assert hansard_url("45-1", 123, base=base).endswith(
        "/Content/House/451/Debates/123/HAN123-E.XML"
    )


def test_bad_session_code() -> None:
    with pytest.raises(ValueError, match="45/1"):
        bills_url("45/1")
