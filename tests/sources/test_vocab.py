"""Vocabulary lookups and normalisation helpers."""

import pytest

from openpolicy.vocab import (
    BallotValue,
    BillStage,
    BillType,
    Chamber,
    Province,
    StageState,
    VoteResult,
    ballot_value_from_name,
    bill_stage_from,
    bill_type_from_name,
    chamber_from_code,
    normalize_apostrophes,
    normalize_bill_number,
    normalize_hyphens,
    parse_session_code,
    province_from_name,
    session_code,
    stage_state_from,
    vote_result_from_name,
)

PROVINCES = {
    Province.AB: ("Alberta", "Alberta"),
    Province.BC: ("British Columbia", "Colombie-Britannique"),
    Province.MB: ("Manitoba", "Manitoba"),
    Province.NB: ("New Brunswick", "Nouveau-Brunswick"),
    Province.NL: ("Newfoundland and Labrador", "Terre-Neuve-et-Labrador"),
    Province.NS: ("Nova Scotia", "Nouvelle-Écosse"),
    Province.NT: ("Northwest Territories", "Territoires du Nord-Ouest"),
    Province.NU: ("Nunavut", "Nunavut"),
    Province.ON: ("Ontario", "Ontario"),
    Province.PE: ("Prince Edward Island", "Île-du-Prince-Édouard"),
    Province.QC: ("Quebec", "Québec"),
    Province.SK: ("Saskatchewan", "Saskatchewan"),
    Province.YT: ("Yukon", "Yukon"),
}


def test_thirteen_provinces_in_both_languages() -> None:
    assert len(Province) == 13
    for province, (english, french) in PROVINCES.items():
        assert province_from_name(english) is province
        assert province_from_name(french) is province
        assert province_from_name(english.upper()) is province
        assert province_from_name(province.value) is province
    assert province_from_name("Atlantis") is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("C-2", "C-2"),
        ("C\u20112", "C-2"),  # non-breaking hyphen, as in Hansard
        ("S\u20115", "S-5"),
        ("c\u20131", "C-1"),
        ("C-291, An Act to amend the Criminal Code", "C-291"),
        (" c-11 ", "C-11"),
        ("C-011", "C-11"),
        ("Bill C-2", None),
        ("291", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_bill_number(text: str | None, number: str | None) -> None:
    assert normalize_bill_number(text) == number


def test_text_normalisers() -> None:
    assert normalize_apostrophes("Private Member’s Bill") == "Private Member's Bill"
    assert normalize_hyphens("C\u2011 2 \u2010 \u2013") == "C- 2 - -"
    assert normalize_hyphens("Parry Sound—Muskoka") == "Parry Sound—Muskoka"  # em dash kept


def test_session_codes() -> None:
    assert session_code(45, 1) == "45-1"
    assert parse_session_code("45-1") == (45, 1)
    assert parse_session_code(" 41-2 ") == (41, 2)
    with pytest.raises(ValueError):
        parse_session_code("45")


def test_feed_spellings() -> None:
    assert bill_type_from_name("Private Member’s Bill") is BillType.PRIVATE_MEMBER
    assert bill_type_from_name("Private Member's Bill") is BillType.PRIVATE_MEMBER
    assert bill_type_from_name("House Government Bill") is BillType.GOVERNMENT
    assert bill_type_from_name("Senate Public Bill") is BillType.SENATE_PUBLIC
    assert vote_result_from_name("Agreed To") is VoteResult.AGREED
    assert vote_result_from_name("Agreed to") is VoteResult.AGREED
    assert vote_result_from_name("Negatived") is VoteResult.NEGATIVED
    assert vote_result_from_name("Tie") is VoteResult.TIED
    assert vote_result_from_name("Adoptée") is VoteResult.AGREED
    assert vote_result_from_name("Deferred") is None
    assert ballot_value_from_name("Yea") is BallotValue.YEA
    assert ballot_value_from_name("Contre") is BallotValue.NAY
    assert ballot_value_from_name("Paired") is BallotValue.PAIRED
    assert chamber_from_code("1") is Chamber.HOUSE
    assert chamber_from_code("SEN") is Chamber.SENATE
    assert chamber_from_code("House of Commons") is Chamber.HOUSE
    assert chamber_from_code("0") is None


def test_stages() -> None:
    assert bill_stage_from(60038, "Senate pre-study") is BillStage.SENATE_PRE_STUDY
    assert bill_stage_from(None, "Debate at Report Stage and Second Reading") is BillStage.REPORT
    assert bill_stage_from(None, "Debate at 3rd Reading") is BillStage.THIRD_READING
    assert bill_stage_from(None, "Referral to Committee") is BillStage.COMMITTEE
    assert bill_stage_from(None, "Message Sent to the Senate") is BillStage.OTHER
    assert stage_state_from("4", "Completed") is StageState.COMPLETED
    assert stage_state_from("3", None) is StageState.IN_PROGRESS
    assert stage_state_from("1", "Not reached") is StageState.NOT_REACHED
    assert stage_state_from("0", None) is None
    assert stage_state_from("7", "Defeated") is StageState.OTHER
