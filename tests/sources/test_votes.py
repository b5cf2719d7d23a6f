"""Divisions list parser: the legacy 2018 ``<List>`` capture, and the current shape."""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

from openpolicy.sources.votes import pair_vote_lists, parse_votes
from openpolicy.vocab import VoteResult

Read = Callable[[str], bytes]
LEGACY_URL = "https://www.ourcommons.ca/Parliamentarians/en/HouseVotes/ExportVotes?output=XML"
EN_URL = "https://www.ourcommons.ca/Members/en/votes/XML?parlSession=42-1"
FR_URL = "https://www.ourcommons.ca/Members/fr/votes/XML?parlSession=42-1"


def test_legacy_list(capture: Read) -> None:
    votes = list(parse_votes(capture("ourcommons/legacy/votes-42-1-legacy-2018.xml"), LEGACY_URL))
    assert len(votes) == 880
    assert [v.number for v in votes] == list(range(1, 881))
    assert Counter(v.result for v in votes) == {
        VoteResult.AGREED: 627,
        VoteResult.NEGATIVED: 252,
        VoteResult.TIED: 1,
    }
    assert sum(1 for v in votes if v.bill_number) == 406
    assert sum(1 for v in votes if v.bill_number == "C-74") == 36
    assert sum(1 for v in votes if v.document_type == "Supply") == 359
    assert all(v.session == "42-1" and v.decided_at is None for v in votes)  # day only
    assert all(v.subject_en and v.subject_fr is None for v in votes)


def test_legacy_divisions(capture: Read) -> None:
    votes = list(parse_votes(capture("ourcommons/legacy/votes-42-1-legacy-2018.xml"), LEGACY_URL))
    first, tie, last = votes[0], votes[56], votes[-1]
    assert first.subject_en == "Address in Reply to the Speech from the Throne (subamendment)"
    assert (first.date, first.result, first.yeas, first.nays, first.paired) == (
        dt.date(2015, 12, 8),
        VoteResult.NEGATIVED,
        52,
        276,
        0,
    )
    assert (first.bill_number, first.document_type, first.sitting) == (
        None,
        "Address in Reply",
        4,
    )
    assert (tie.number, tie.result, tie.yeas, tie.nays, tie.bill_number) == (
        57,
        VoteResult.TIED,
        139,
        139,
        "C-10",
    )
    assert tie.date == dt.date(2016, 5, 16)
    assert (last.number, last.bill_number, last.yeas, last.nays, last.sitting) == (
        880,
        "C-71",
        212,
        85,
        318,
    )


def _current_shape(body: bytes) -> bytes:
    """The ``ArrayOfVote`` form has no capture: rename the legacy capture's elements."""
    body = body.replace(b"<List ", b"<ArrayOfVote ").replace(b"</List>", b"</ArrayOfVote>")
    body = body.replace(b"<VoteParticipant>", b"<Vote>").replace(b"</VoteParticipant>", b"</Vote>")
    # The current feed carries the time of day; give the last sitting's divisions one.
    return body.replace(b">2018-06-20T00:00:00<", b">2018-06-20T17:31:00<")


def test_current_array_of_vote_shape(capture: Read) -> None:
    legacy = capture("ourcommons/legacy/votes-42-1-legacy-2018.xml")
    body = _current_shape(legacy)
    assert b"<ArrayOfVote " in body and b"<VoteParticipant>" not in body
    votes = list(parse_votes(body, EN_URL))
    expected = list(parse_votes(legacy, EN_URL))
    assert len(votes) == 880
    timed = [v for v in votes if v.decided_at is not None]
    assert [v.number for v in timed] == list(range(876, 881))  # 5 divisions on 2018-06-20
    assert {v.decided_at for v in timed} == {
        dt.datetime(2018, 6, 20, 17, 31, tzinfo=ZoneInfo("America/Toronto"))
    }
    assert votes[:875] == expected[:875]
    assert [v.model_copy(update={"decided_at": None}) for v in timed] == expected[875:]


def test_current_shape_keeps_time_of_day() -> None:
    body = (
        b"<ArrayOfVote><Vote><ParliamentNumber>45</ParliamentNumber>"
        b"<SessionNumber>1</SessionNumber>"
        b"<DecisionEventDateTime>2025-06-04T15:21:00</DecisionEventDateTime>"
        b"<DecisionDivisionNumber>12</DecisionDivisionNumber>"
        b"<DecisionDivisionSubject>2nd reading of Bill C-5</DecisionDivisionSubject>"
        b"<DecisionResultName>Agreed to</DecisionResultName>"
        b"<DecisionDivisionNumberOfYeas>300</DecisionDivisionNumberOfYeas>"
        b"<DecisionDivisionNumberOfNays>20</DecisionDivisionNumberOfNays>"
        b"<DecisionDivisionNumberOfPaired>2</DecisionDivisionNumberOfPaired>"
        b"<BillNumberCode>C-5</BillNumberCode></Vote></ArrayOfVote>"
    )
    (vote,) = parse_votes(body, EN_URL)
    assert vote.decided_at == dt.datetime(2025, 6, 4, 15, 21, tzinfo=ZoneInfo("America/Toronto"))
    assert (vote.result, vote.bill_number, vote.sitting, vote.document_type) == (
        VoteResult.AGREED,
        "C-5",
        None,
        None,
    )


def test_empty_list_is_a_session_without_divisions() -> None:
    assert list(parse_votes(b"<ArrayOfVote />", EN_URL)) == []


def test_french_list_and_pairing(capture: Read) -> None:
    body = capture("ourcommons/legacy/votes-42-1-legacy-2018.xml")
    english = list(parse_votes(body, EN_URL))
    french = list(parse_votes(body, FR_URL))
    assert french[0].subject_fr == english[0].subject_en and french[0].subject_en is None
    paired = list(pair_vote_lists(english, french[:-1]))
    assert len(paired) == 880
    assert paired[0].subject_fr == paired[0].subject_en
    assert paired[-1].subject_fr is None  # missing from the French list
