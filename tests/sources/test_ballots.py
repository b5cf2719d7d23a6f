"""Ballots parser against division 69 of the 43rd Parliament, 2nd session."""

from collections import Counter
from collections.abc import Callable

from openpolicy.sources.ballots import parse_ballots
from openpolicy.vocab import BallotValue, Province

Read = Callable[[str], bytes]
URL = "https://www.ourcommons.ca/members/en/votes/43/2/69/xml"


def test_division_69(capture: Read) -> None:
    ballots = list(parse_ballots(capture("ourcommons/vote-43-2-69.xml"), URL))
    assert len(ballots) == 330
    assert Counter(b.value for b in ballots) == {BallotValue.YEA: 305, BallotValue.NAY: 25}
    assert all(
        (b.session, b.parliament, b.session_number, b.division_number) == ("43-2", 43, 2, 69)
        for b in ballots
    )
    assert all(b.source_url == URL for b in ballots)
    assert len({b.person_id for b in ballots}) == 330
    # The 25 nays: the NDP and the Green Party.
    assert Counter(b.caucus for b in ballots if b.value is BallotValue.NAY) == {
        "NDP": 22,
        "Green Party": 3,
    }


def test_ballot_fields(capture: Read) -> None:
    ballots = list(parse_ballots(capture("ourcommons/vote-43-2-69.xml"), URL))
    first = ballots[0]
    assert (first.person_id, first.salutation, first.first_name, first.last_name) == (
        89156,
        "Mr.",
        "Ziad",
        "Aboultaif",
    )
    assert (first.constituency, first.province, first.caucus, first.value) == (
        "Edmonton Manning",
        Province.AB,
        "Conservative",
        BallotValue.YEA,
    )
    singh = next(b for b in ballots if b.last_name == "Singh")
    assert (singh.person_id, singh.constituency, singh.province, singh.value) == (
        71588,
        "Burnaby South",
        Province.BC,
        BallotValue.NAY,
    )
    qaqqaq = next(b for b in ballots if b.last_name == "Qaqqaq")
    assert qaqqaq.province is Province.NU and qaqqaq.value is BallotValue.NAY
    assert (ballots[-1].first_name, ballots[-1].last_name, ballots[-1].person_id) == (
        "Sameer",
        "Zuberi",
        54157,
    )
    assert Counter(b.salutation for b in ballots) == {"Mr.": 230, "Ms.": 70, "Mrs.": 30}


def test_paired_ballot(capture: Read) -> None:
    """The capture has no paired ballot; flip one, as the feed prints it, to see it read."""
    body = capture("ourcommons/vote-43-2-69.xml").replace(
        b"<VoteValueName>Yea</VoteValueName><PersonOfficialFirstName>Ziad",
        b"<VoteValueName>Paired</VoteValueName><PersonOfficialFirstName>Ziad",
        1,
    )
    body = body.replace(
        b"<IsVoteYea>true</IsVoteYea><IsVoteNay>false</IsVoteNay><IsVotePaired>false",
        b"<IsVoteYea>false</IsVoteYea><IsVoteNay>false</IsVoteNay><IsVotePaired>true",
        1,
    )
    ballots = list(parse_ballots(body, URL))
    assert ballots[0].value is BallotValue.PAIRED
    assert Counter(b.value for b in ballots)[BallotValue.PAIRED] == 1
