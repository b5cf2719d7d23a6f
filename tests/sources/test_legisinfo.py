"""LEGISinfo parsers against the real captures (expected values read off the files)."""

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from openpolicy.records import Bill
from openpolicy.sources.errors import SourceFormatError
from openpolicy.sources.legisinfo import (
    parse_bill,
    parse_bill_json,
    parse_bill_list,
    parse_bill_xml,
    parse_bills,
    parse_legacy_bills,
)
from openpolicy.vocab import BillStage, BillType, Chamber, StageState

Read = Callable[[str], bytes]
OTTAWA = ZoneInfo("America/Toronto")
C291_JSON_URL = "https://www.parl.ca/legisinfo/en/bill/44-1/C-291/json?view=details"
C291_XML_URL = "https://www.parl.ca/legisinfo/en/bill/44-1/C-291/xml"


def one(bills: list[Bill]) -> Bill:
    assert len(bills) == 1
    return bills[0]


def test_c291_json_and_xml_give_equal_records(capture: Read) -> None:
    from_json = one(list(parse_bill_json(capture("legisinfo/bill-44-1-C-291.json"), C291_JSON_URL)))
    from_xml = one(list(parse_bill_xml(capture("legisinfo/bill-44-1-C-291.xml"), C291_XML_URL)))
    assert from_json.source_url == C291_JSON_URL
    assert from_xml.source_url == C291_XML_URL
    assert from_json.model_copy(update={"source_url": ""}) == from_xml.model_copy(
        update={"source_url": ""}
    )


def test_c291_fields(capture: Read) -> None:
    bill = one(list(parse_bill(capture("legisinfo/bill-44-1-C-291.json"), C291_JSON_URL)))
    assert (bill.session, bill.parliament, bill.session_number) == ("44-1", 44, 1)
    assert bill.number == "C-291"
    assert bill.legisinfo_id == 11849645
    assert bill.title_en == (
        "An Act to amend the Criminal Code and to make consequential amendments to other Acts "
        "(child sexual abuse and exploitation material)"
    )
    # The JSON prints U+2019; records carry the straight apostrophe, as the XML does.
    assert bill.title_fr == (
        "Loi modifiant le Code criminel et d'autres lois en conséquence "
        "(matériel d'abus et d'exploitation pédosexuels)"
    )
    assert bill.short_title_en is None and bill.short_title_fr is None  # "" in JSON
    assert bill.bill_type is BillType.PRIVATE_MEMBER
    assert bill.originating_chamber is Chamber.HOUSE
    assert (bill.status_en, bill.status_fr) == ("Royal assent received", "Sanction royale reçue")
    assert (bill.sponsor_person_id, bill.sponsor_name) == (89294, "Mel Arnold")
    assert bill.introduced_on == dt.date(2022, 6, 17)
    assert bill.royal_assent_on == dt.date(2024, 10, 10)
    assert bill.latest_activity_on == dt.date(2024, 10, 10)
    assert (bill.statute_year, bill.statute_chapter) == (2024, 23)
    assert bill.division_numbers == (221, 249)


def test_c291_stages(capture: Read) -> None:
    bill = one(list(parse_bill(capture("legisinfo/bill-44-1-C-291.xml"), C291_XML_URL)))
    assert bill.events is not None
    # 5 House stages, 4 Senate stages, royal assent.
    assert [(e.chamber, e.stage) for e in bill.events] == [
        (Chamber.HOUSE, BillStage.FIRST_READING),
        (Chamber.HOUSE, BillStage.SECOND_READING),
        (Chamber.HOUSE, BillStage.COMMITTEE),
        (Chamber.HOUSE, BillStage.REPORT),
        (Chamber.HOUSE, BillStage.THIRD_READING),
        (Chamber.SENATE, BillStage.FIRST_READING),
        (Chamber.SENATE, BillStage.SECOND_READING),
        (Chamber.SENATE, BillStage.COMMITTEE),
        (Chamber.SENATE, BillStage.THIRD_READING),
        (Chamber.SENATE, BillStage.ROYAL_ASSENT),
    ]
    assert [e.sequence for e in bill.events] == list(range(1, 11))
    assert all(e.state is StageState.COMPLETED for e in bill.events)
    first = bill.events[0]
    assert (first.legisinfo_id, first.name_en, first.name_fr) == (
        60029,
        "First reading",
        "Première lecture",
    )
    # StateAsOfDate "2022-06-17T12:19:08.94": two-digit fraction, Ottawa local time.
    assert first.at == dt.datetime(2022, 6, 17, 12, 19, 8, 940000, tzinfo=OTTAWA)
    assert first.date == dt.date(2022, 6, 17)
    assent = bill.events[-1]
    assert assent.legisinfo_id == 60050
    assert assent.at == dt.datetime(2024, 10, 10, 10, 40, tzinfo=OTTAWA)
    assert bill.events[6].date == dt.date(2023, 6, 1)  # Senate second reading


def test_c11_divisions_and_senate_pre_study(capture: Read) -> None:
    bill = one(list(parse_bill(capture("legisinfo/bill-44-1-C-11.xml"), "u")))
    assert bill.number == "C-11" and bill.legisinfo_id == 11528728
    assert bill.short_title_en == "Online Streaming Act"
    assert bill.bill_type is BillType.GOVERNMENT
    assert (bill.sponsor_person_id, bill.sponsor_name) == (25451, "Pablo Rodriguez")
    assert bill.division_numbers == (86, 87, 88, 89, 158, 159, 160, 163, 164, 291, 292)
    assert bill.events is not None and len(bill.events) == 12
    assert bill.events[5].stage is BillStage.SENATE_PRE_STUDY
    assert bill.events[5].chamber is Chamber.SENATE
    assert bill.royal_assent_on == dt.date(2023, 4, 27)
    assert (bill.statute_year, bill.statute_chapter) == (2023, 8)


def test_c2_in_progress(capture: Read) -> None:
    bill = one(list(parse_bill(capture("legisinfo/bill-45-1-C-2.xml"), "u")))
    assert (bill.session, bill.number, bill.legisinfo_id) == ("45-1", "C-2", 13543613)
    assert bill.short_title_en == "Strong Borders Act"
    assert bill.status_en == "At second reading in the House of Commons"
    assert bill.royal_assent_on is None
    assert bill.statute_year is None and bill.statute_chapter is None
    assert bill.division_numbers == ()
    assert bill.events is not None
    assert [e.state for e in bill.events] == [
        StageState.COMPLETED,
        StageState.IN_PROGRESS,
        *[StageState.NOT_REACHED] * 6,
    ]
    # Not-reached stages print ChamberOrganizationId 0; the group says which chamber.
    assert [e.chamber for e in bill.events] == [Chamber.HOUSE] * 5 + [Chamber.SENATE] * 3
    assert bill.events[1].at == dt.datetime(2025, 9, 17, 17, 30, 11, tzinfo=OTTAWA)
    assert all(e.date is None for e in bill.events[2:])


def test_division_numbers_are_distinct(capture: Read) -> None:
    data = json.loads(capture("legisinfo/bill-44-1-C-291.json"))
    data[0]["HouseVoteDetails"] = data[0]["HouseVoteDetails"] * 2
    bill = one(list(parse_bill_json(json.dumps(data).encode(), "u")))
    assert bill.division_numbers == (221, 249)


def test_legacy_bills(capture: Read) -> None:
    bills = list(parse_legacy_bills(capture("legisinfo/legacy/bills-42-1-legacy-2018.xml"), "u"))
    assert len(bills) == 353
    assert Counter(b.number[0] for b in bills) == {"C": 295, "S": 58}
    assert Counter(b.bill_type for b in bills) == {
        BillType.PRIVATE_MEMBER: 213,  # printed "Private Member’s Bill" (U+2019)
        BillType.GOVERNMENT: 82,
        BillType.SENATE_PUBLIC: 53,
        BillType.SENATE_GOVERNMENT: 4,
        BillType.SENATE_PRIVATE: 1,
    }
    assert sum(1 for b in bills if b.royal_assent_on is not None) == 70
    assert sum(len(b.events or ()) for b in bills) == 2990
    assert all(b.session == "42-1" and b.division_numbers is None for b in bills)
    first = bills[0]
    assert (first.number, first.legisinfo_id) == ("S-210", 8063434)
    assert (first.sponsor_person_id, first.sponsor_name) == (1415, "Mobina S.B. Jaffer")
    assert first.originating_chamber is Chamber.SENATE
    assert first.introduced_on == dt.date(2015, 12, 8)


def test_legacy_cannabis_act(capture: Read) -> None:
    bills = parse_bills(capture("legisinfo/legacy/bills-42-1-legacy-2018.xml"), "u")
    c45 = next(b for b in bills if b.number == "C-45")
    assert c45.legisinfo_id == 8886269
    assert c45.short_title_en == "Cannabis Act"
    assert (c45.sponsor_person_id, c45.sponsor_name) == (89494, "Jody Wilson-Raybould")
    assert c45.introduced_on == dt.date(2017, 4, 13)
    assert c45.events is not None and len(c45.events) == 58
    last = c45.events[-1]
    assert (last.legisinfo_id, last.chamber, last.date) == (
        10232128,
        Chamber.SENATE,
        dt.date(2018, 6, 21),
    )
    assert last.stage is BillStage.ROYAL_ASSENT and last.state is None
    assert c45.royal_assent_on == dt.date(2018, 6, 21)
    assert c45.statute_year is None  # the export prints Year 0


def test_bills_list_with_summary_keys(capture: Read) -> None:
    """No capture of the list exists: build one entry from C-291's real values, laid out
    under the list's documented key names, plus a key the parser has never seen."""
    item = {
        "BillId": 11849645,
        "BillNumberFormatted": "C-291",
        "ParlSessionCode": "44-1",
        "LongTitleEn": "An Act to amend the Criminal Code and to make consequential "
        "amendments to other Acts (child sexual abuse and exploitation material)",
        "LongTitleFr": "Loi modifiant le Code criminel et d’autres lois en conséquence "
        "(matériel d’abus et d’exploitation pédosexuels)",
        "ShortTitleEn": "",
        "ShortTitleFr": "",
        "BillTypeEn": "Private Member’s Bill",
        "SponsorEn": "Mel Arnold",
        "CurrentStatusEn": "Royal assent received",
        "CurrentStatusFr": "Sanction royale reçue",
        "PassedHouseFirstReadingDateTime": "2022-06-17T12:19:08.94",
        "PassedSenateFirstReadingDateTime": "2023-02-02T14:20:00",
        "ReceivedRoyalAssentDateTime": "2024-10-10T10:40:00",
        "LatestActivityDateTime": "2024-10-10T14:00:00",
        "NotAKeyWeKnow": {"nested": [1, 2]},
    }
    bill = one(list(parse_bill_list(json.dumps([item]).encode(), "https://www.parl.ca/x")))
    detail = one(list(parse_bill_json(capture("legisinfo/bill-44-1-C-291.json"), "u")))
    assert bill.events is None and bill.division_numbers is None  # not carried by the list
    for field in (
        "session",
        "number",
        "legisinfo_id",
        "title_en",
        "title_fr",
        "short_title_en",
        "bill_type",
        "originating_chamber",
        "status_en",
        "status_fr",
        "sponsor_name",
        "introduced_on",
        "royal_assent_on",
        "latest_activity_on",
    ):
        assert getattr(bill, field) == getattr(detail, field), field


def test_bills_list_with_detail_style_keys(capture: Read) -> None:
    """The list is also reported with the detail's key names: the real detail object works."""
    detail = json.loads(capture("legisinfo/bill-44-1-C-291.json"))
    bill = one(list(parse_bill_list(json.dumps(detail).encode(), "u")))
    assert (bill.number, bill.session, bill.legisinfo_id) == ("C-291", "44-1", 11849645)
    assert bill.sponsor_person_id == 89294
    assert bill.events is None


def test_bills_list_tolerates_missing_optional_keys() -> None:
    body = b'[{"BillNumberFormatted": "S-1", "ParlSessionCode": "45-1", "LongTitleEn": "An Act"}]'
    bill = one(list(parse_bill_list(body, "u")))
    assert (bill.number, bill.originating_chamber, bill.bill_type) == ("S-1", Chamber.SENATE, None)
    assert bill.introduced_on is None and bill.sponsor_name is None


def test_placeholder_date_is_none() -> None:
    body = (
        b'[{"NumberCode": "C-10", "ParliamentNumber": 45, "SessionNumber": 1, '
        b'"LongTitleEn": "An Act", "LatestBillEventDateTime": "0001-01-01T00:00:00", '
        b'"PassedHouseFirstReadingDateTime": "2025-09-25T06:03:12.167-04:00"}]'
    )
    bill = one(list(parse_bill_list(body, "u")))
    assert bill.latest_activity_on is None
    assert bill.introduced_on == dt.date(2025, 9, 25)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'[{"ParlSessionCode": "45-1", "LongTitleEn": "An Act"}]', "$[0].BillNumberFormatted"),
        (b'[{"BillNumberFormatted": "C-2", "ParlSessionCode": "45-1"}]', "$[0].LongTitleEn"),
        (b'[{"BillNumberFormatted": "X", "ParlSessionCode": "45-1"}]', "$[0].BillNumberFormatted"),
        (b"[1]", "$[0]"),
        (b"[]", "$"),
        (b'{"bills": []}', "$"),
    ],
)
def test_bills_list_errors(body: bytes, path: str) -> None:
    with pytest.raises(SourceFormatError) as caught:
        list(parse_bill_list(body, "https://www.parl.ca/legisinfo/en/bills/json?parlsession=45-1"))
    assert caught.value.path == path
    assert caught.value.url.endswith("parlsession=45-1")
