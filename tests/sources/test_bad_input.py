"""Bad input fails with a SourceFormatError that names the URL and where it went wrong.

Bad bodies are made from the real captures: truncated, corrupted, emptied, or
swapped for an HTML error page.
"""

import re
from collections.abc import Callable

import pytest

from openpolicy.sources.errors import SourceFormatError
from openpolicy.sources.registry import parse

Read = Callable[[str], bytes]
URL = "https://www.ourcommons.ca/some/document"
HTML_PAGE = (
    b'<!DOCTYPE html>\r\n<html lang="en"><head><title>Error - House of Commons of Canada'
    b"</title></head><body><h1>Sorry, this page is temporarily unavailable.</h1></body></html>"
)

CAPTURES = [
    ("bills", "legisinfo/legacy/bills-42-1-legacy-2018.xml"),
    ("bill", "legisinfo/bill-44-1-C-291.json"),
    ("bill", "legisinfo/bill-44-1-C-291.xml"),
    ("members", "ourcommons/members-current-45.xml"),
    ("votes", "ourcommons/legacy/votes-42-1-legacy-2018.xml"),
    ("ballots", "ourcommons/vote-43-2-69.xml"),
    ("hansard", "hansard/HAN005-E-441.xml"),
]


def error_of(name: str, body: bytes, url: str = URL) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        list(parse(name, body, url))
    assert caught.value.url == url
    assert url in str(caught.value) and "\n" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize(("name", "path"), CAPTURES)
def test_truncated(capture: Read, name: str, path: str) -> None:
    body = capture(path)
    error = error_of(name, body[: len(body) // 2])
    assert error.line is not None and error.line >= 1
    assert "malformed" in error.problem


@pytest.mark.parametrize(("name", "path"), CAPTURES)
def test_html_error_page(name: str, path: str) -> None:
    error = error_of(name, HTML_PAGE)
    assert "HTML" in error.problem


@pytest.mark.parametrize(("name", "path"), CAPTURES)
def test_empty_body(name: str, path: str) -> None:
    assert "empty body" in error_of(name, b"").problem
    assert "empty body" in error_of(name, b"\xef\xbb\xbf  \r\n").problem


def test_xhtml_page_served_as_xml() -> None:
    body = b'<?xml version="1.0"?><html xmlns="x"><body>Service unavailable</body></html>'
    assert "HTML" in error_of("members", body).problem


def test_corrupted_markup(capture: Read) -> None:
    body = capture("ourcommons/vote-43-2-69.xml").replace(b"</PersonId>", b"</PersonID>", 1)
    error = error_of("ballots", body)
    assert error.line == 1 and "mismatch" in error.problem.lower()


def test_wrong_document(capture: Read) -> None:
    error = error_of("ballots", capture("hansard/HAN002-E-421.xml"))
    assert error.path == "/Hansard"
    assert "<ArrayOfVoteParticipant>" in error.problem and "<Hansard>" in error.problem


def test_empty_ballots_list_is_an_error() -> None:
    url = "https://www.ourcommons.ca/Members/en/votes/45/1/9999/XML"
    body = (
        b'<ArrayOfVoteParticipant xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xmlns:xsd="http://www.w3.org/2001/XMLSchema" />'
    )
    error = error_of("ballots", body, url)
    assert error.path == "/ArrayOfVoteParticipant"
    assert "does not exist" in error.problem
    assert str(error).startswith(url)


def test_empty_members_list_is_an_error() -> None:
    error = error_of("members", b"<ArrayOfMemberOfParliament></ArrayOfMemberOfParliament>")
    assert "empty" in error.problem


def _remove_in_nth(body: bytes, record: bytes, field: bytes, nth: int) -> bytes:
    """Drop ``<field>…</field>`` from the nth (1-based) ``<record>`` of a real capture."""
    starts = [m.start() for m in re.finditer(b"<" + record + b">", body)]
    start = starts[nth - 1]
    end = body.index(b"</" + record + b">", start)
    chunk = re.sub(b"<" + field + b">[^<]*</" + field + b">", b"", body[start:end], count=1)
    return body[:start] + chunk + body[end:]


def test_missing_required_ballot_field(capture: Read) -> None:
    body = _remove_in_nth(
        capture("ourcommons/vote-43-2-69.xml"), b"VoteParticipant", b"PersonOfficialLastName", 12
    )
    error = error_of("ballots", body)
    assert error.path == "/ArrayOfVoteParticipant/VoteParticipant[12]/PersonOfficialLastName"
    assert "PersonOfficialLastName" in error.problem


def test_bad_ballot_values(capture: Read) -> None:
    body = capture("ourcommons/vote-43-2-69.xml")
    error = error_of("ballots", body.replace(b"<PersonId>89156<", b"<PersonId>8915x<", 1))
    assert error.path == "/ArrayOfVoteParticipant/VoteParticipant[1]/PersonId"
    error = error_of("ballots", body.replace(b">Yea</VoteValueName>", b">Maybe</VoteValueName>", 1))
    assert "Maybe" in error.problem
    contradiction = body.replace(b">Yea</VoteValueName>", b">Nay</VoteValueName>", 1)
    assert "contradicts" in error_of("ballots", contradiction).problem
    error = error_of("ballots", body.replace(b">Alberta<", b">Atlantis<", 1))
    assert error.path == (
        "/ArrayOfVoteParticipant/VoteParticipant[1]/ConstituencyProvinceTerritoryName"
    )


def test_missing_required_member_field(capture: Read) -> None:
    body = _remove_in_nth(
        capture("ourcommons/members-current-45.xml"), b"MemberOfParliament", b"ConstituencyName", 3
    )
    error = error_of("members", body)
    assert error.path == "/ArrayOfMemberOfParliament/MemberOfParliament[3]/ConstituencyName"


def test_bad_division(capture: Read) -> None:
    body = capture("ourcommons/legacy/votes-42-1-legacy-2018.xml")
    error = error_of("votes", body.replace(b">Tie<", b">Postponed<"))
    assert error.path == "/List/VoteParticipant[57]/DecisionResultName"
    error = error_of(
        "votes", _remove_in_nth(body, b"VoteParticipant", b"DecisionDivisionNumber", 2)
    )
    assert error.path == "/List/VoteParticipant[2]/DecisionDivisionNumber"
    bad_date = body.replace(b"2015-12-08T00:00:00", b"8 December 2015", 1)
    assert "ISO" in error_of("votes", bad_date).problem


def test_bill_json_errors(capture: Read) -> None:
    body = capture("legisinfo/bill-44-1-C-291.json")
    error = error_of("bill", re.sub(rb'"LongTitleEn": "[^"]*"', b'"LongTitleEn": " "', body))
    assert error.path == "$[0].LongTitleEn"
    error = error_of(
        "bill", body.replace(b'"ParliamentNumber": 44', b'"ParliamentNumber": "XLIV"', 1)
    )
    assert error.path == "$[0].ParliamentNumber"
    error = error_of("bill", b"[" + body.strip()[1:-1] + b", " + body.strip()[1:-1] + b"]")
    assert "exactly one bill" in error.problem
    error = error_of("bill", body.replace(b'"DivisionNumber": 221', b'"DivisionNumber": null'))
    assert error.path == "$[0].HouseVoteDetails[0].DivisionNumber"
    error = error_of("bill", body.replace(b'"2022-06-17T12:19:08.94"', b'"17/06/2022"', 1))
    assert "ISO" in error.problem
    error = error_of("bill", body.replace(b"Private Member\\u2019s Bill", b"Mystery Bill", 1))
    assert "Mystery Bill" in error.problem


def test_truncated_json_gives_a_line(capture: Read) -> None:
    body = capture("legisinfo/bill-44-1-C-291.json")
    error = error_of("bill", body[:1000])
    assert error.line == 1 and "malformed JSON" in error.problem
    error = error_of("bills", b'[\n{"BillNumberFormatted": "C-2",\n')
    assert error.line == 3


def test_bill_xml_errors(capture: Read) -> None:
    body = capture("legisinfo/bill-44-1-C-291.xml")
    error = error_of("bill", body.replace(b"<NumberCode>C-291<", b"<NumberCode>291<"))
    assert error.path == "/Bills/Bill/NumberCode" and "'291'" in error.problem
    error = error_of("bill", capture("legisinfo/legacy/bills-42-1-legacy-2018.xml"))
    assert "exactly one <Bill>" in error.problem
    error = error_of("bill", b"<Bills />")
    assert "found 0" in error.problem


def test_legacy_bill_errors(capture: Read) -> None:
    body = capture("legisinfo/legacy/bills-42-1-legacy-2018.xml")
    error = error_of("bills", body.replace(b'<BillNumber prefix="S" number="210" />', b"", 1))
    assert error.path == "/Bills/Bill[1]/BillNumber"
    assert "empty" in error_of("bills", b"<Bills></Bills>").problem


def test_hansard_errors(capture: Read) -> None:
    body = capture("hansard/HAN002-E-421.xml")
    no_parliament = body.replace(b'<ExtractedItem Name="ParliamentNumber">42</ExtractedItem>', b"")
    assert "ParliamentNumber" in error_of("hansard", no_parliament).problem
    bad_clock = body.replace(b'<Timestamp Hr="15" Mn="50">', b'<Timestamp Hr="3 pm" Mn="50">')
    error = error_of("hansard", bad_clock)
    assert error.path is not None and error.path.endswith("/Timestamp")
    no_id = body.replace(b'<Hansard xml:lang="EN" id="8759785">', b'<Hansard xml:lang="EN">')
    assert "DocId" in error_of("hansard", no_id).problem


def test_entities_are_never_expanded(capture: Read) -> None:
    body = capture("ourcommons/vote-43-2-69.xml").replace(
        b"<ArrayOfVoteParticipant ",
        b'<!DOCTYPE ArrayOfVoteParticipant [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        b'<!ENTITY big "AAAAAAAAAAAAAAAAAAAA">]><ArrayOfVoteParticipant ',
        1,
    )
    body = body.replace(b">Ziad<", b">&xxe;&big;<", 1)
    # Neither the external nor the internal entity is expanded: the name is left empty.
    error = error_of("ballots", body)
    assert error.path == "/ArrayOfVoteParticipant/VoteParticipant[1]/PersonOfficialFirstName"
