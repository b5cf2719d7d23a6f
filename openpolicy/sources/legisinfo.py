"""LEGISinfo (parl.ca): the bills list, per-bill detail (JSON and XML) and the legacy XML.

* Detail, ``/legisinfo/en/bill/{session}/{number}/json`` or ``/xml``: one schema in two
  serialisations, read once through ``Node`` so both give equal records.
* List, ``/legisinfo/en/bills/json?parlsession=…``: no real capture exists. It is read
  tolerantly under both key sets reported for it (``BillNumberFormatted``,
  ``ParlSessionCode``, ``SponsorEn``, ``CurrentStatusEn``… and the detail-style ``Id``,
  ``NumberCode``, ``StatusNameEn``…); unknown keys are ignored. Its bills carry no
  stages or divisions (``events``/``division_numbers`` are None).
* Legacy 2018 XML (``Home.aspx?…&download=xml``): ``<Bill id=…>`` with nested titles
  and ``LegislativeEvents``; kept to import old archives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lxml import etree

from openpolicy.records import Bill, BillDivision, BillEvent, BillMessage
from openpolicy.sources._node import JsonNode, Node, XmlNode
from openpolicy.sources._parsing import (
    clean,
    element_text,
    load_json,
    load_xml,
    parse_int,
    sniff,
    xpath_of,
)
from openpolicy.sources.errors import SourceFormatError
from openpolicy.vocab import (
    BillStage,
    BillType,
    Chamber,
    StageState,
    VoteResult,
    bill_stage_from,
    bill_type_from_name,
    chamber_from_code,
    normalize_apostrophes,
    normalize_bill_number,
    parse_session_code,
    session_code,
    stage_state_from,
    vote_result_from_name,
)

# --- shared helpers ----------------------------------------------------------------------


def _title(text: str | None) -> str | None:
    return normalize_apostrophes(text) if text else None


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def _first_timestamp(node: Node, *keys: str) -> dt.datetime | None:
    for key in keys:
        value = node.timestamp(key)
        if value is not None:
            return value
    return None


def _earliest(*values: dt.datetime | None) -> dt.date | None:
    present = [value for value in values if value is not None]
    return min(present).date() if present else None


def _bill_type(node: Node, *keys: str) -> BillType | None:
    for key in keys:
        name = node.text(key)
        if name is not None:
            found = bill_type_from_name(name)
            if found is None:
                raise node.error(key, f"unknown bill type {name!r}")
            return found
    return None


def _chamber(node: Node, *keys: str) -> Chamber | None:
    for key in keys:
        code = node.text(key)
        if code is not None:
            found = chamber_from_code(code)
            if found is not None:
                return found
    return None


def _number(node: Node, keys: tuple[str, ...], parts: tuple[str, str, str]) -> str:
    """The bill number, from a formatted key or composed from prefix/number/suffix."""
    text = node.first_text(*keys)
    if text is None:
        prefix, digits, suffix = (node.text(part) for part in parts)
        if prefix and digits:
            text = f"{prefix}-{digits}{suffix or ''}"
    if text is None:
        raise node.error(keys[0], f"required field {keys[0]} is missing or empty")
    number = normalize_bill_number(text)
    if number is None:
        raise node.error(keys[0], f"not a bill number: {text!r}")
    return number


def _session(node: Node) -> tuple[int, int]:
    code = node.text("ParlSessionCode")
    if code is not None and node.text("ParliamentNumber") is None:
        try:
            return parse_session_code(code)
        except ValueError:
            raise node.error("ParlSessionCode", f"not a session code: {code!r}") from None
    return node.required_integer("ParliamentNumber"), node.required_integer("SessionNumber")


def _chamber_of_number(number: str) -> Chamber:
    return Chamber.SENATE if number.startswith("S") else Chamber.HOUSE


def _positive(value: int | None) -> int | None:
    return value if value else None  # LEGISinfo prints 0 for "no statute yet"


# --- per-bill detail (JSON and XML) ------------------------------------------------------

_STAGE_GROUPS = (
    ("HouseBillStages", Chamber.HOUSE),
    ("SenateBillStages", Chamber.SENATE),
)


def _stage_event(stage: Node, sequence: int, chamber: Chamber | None) -> BillEvent:
    stage_id = stage.integer("BillStageId")
    name_en = _title(stage.required("BillStageNameEn")) or ""
    end = stage.child("EndOfStageEvent")
    ended_at = end.timestamp("EventStartDateTime") if end is not None else None
    at = (
        stage.timestamp("StateAsOfDate")
        or ended_at
        or stage.timestamp("LastStageEventStartDateTime")
    )
    state = stage_state_from(stage.text("State"), stage.text("StateNameEn"))
    if state in (None, StageState.OTHER) and ended_at is not None:
        state = StageState.COMPLETED  # royal assent: State 0, but it has an end event
    if chamber is None:
        chamber = chamber_from_code(stage.text("ChamberOrganizationId") or "")
    return BillEvent(
        sequence=sequence,
        legisinfo_id=stage_id,
        chamber=chamber,
        stage=bill_stage_from(stage_id, name_en),
        name_en=name_en,
        name_fr=_title(stage.text("BillStageNameFr")),
        state=state,
        date=_date(at),
        at=at,
    )


def _stage_events(bill: Node, originating: Chamber | None) -> tuple[BillEvent, ...]:
    stages = bill.child("BillStages")
    if stages is None:
        return ()
    groups: list[tuple[str, Chamber | None]] = list(_STAGE_GROUPS)
    if originating is Chamber.SENATE:
        groups.reverse()  # a Senate bill goes through the Senate first
    groups.append(("RoyalAssent", None))
    events: list[BillEvent] = []
    for key, chamber in groups:
        for stage in stages.children(key):
            events.append(_stage_event(stage, len(events) + 1, chamber))
    return tuple(events)


def _result(vote: Node) -> VoteResult | None:
    name = vote.text("DecisionResultNameEn") or vote.text("DecisionResultName")
    found = vote_result_from_name(name) if name else None
    if found is not None:
        return found
    for key, result in (
        ("IsAgreedTo", VoteResult.AGREED),
        ("IsNegatived", VoteResult.NEGATIVED),
        ("IsTied", VoteResult.TIED),
    ):
        if vote.boolean(key):
            return result
    return None


def _divisions(bill: Node) -> tuple[BillDivision, ...]:
    """The divisions a bill names (``HouseVoteDetails``), with their official totals and
    the sitting each was decided in (the stages' ``Decisions``)."""
    sittings: dict[int, int] = {}
    stages = bill.child("BillStages")
    if stages is not None:
        for key, _ in _STAGE_GROUPS:
            for stage in stages.children(key):
                for decision in stage.children("Decisions"):
                    number = decision.integer("DivisionNumber")
                    sitting = decision.integer("DecisionSittingNumber")
                    if number and sitting:
                        sittings[number] = sitting
    found: dict[int, BillDivision] = {}
    for vote in bill.children("HouseVoteDetails"):
        number = vote.required_integer("DivisionNumber")
        found[number] = BillDivision(
            number=number,
            subject_en=_title(vote.text("DivisionSubjectEn")),
            subject_fr=_title(vote.text("DivisionSubjectFr")),
            result=_result(vote),
            yeas=vote.integer("DivisionVotesYeas") or 0,
            nays=vote.integer("DivisionVotesNays") or 0,
            paired=vote.integer("DivisionVotePaired") or 0,
            decided_at=vote.timestamp("DecisionDateTime"),
            sitting=sittings.get(number),
        )
    return tuple(found[number] for number in sorted(found))


def _messages(bill: Node) -> tuple[BillMessage, ...]:
    """Messages between the chambers (``BillStages.InterChamberMessages``), in order."""
    stages = bill.child("BillStages")
    if stages is None:
        return ()
    messages: list[BillMessage] = []
    for message in stages.children("InterChamberMessages"):
        messages.append(
            BillMessage(
                sequence=len(messages) + 1,
                name_en=_title(message.required("EventNameEn")) or "",
                name_fr=_title(message.text("EventNameFr")),
                at=message.timestamp("Date"),
                chamber=chamber_from_code(message.text("ChamberOrganizationId") or ""),
                sitting=message.integer("MeetingNumber"),
            )
        )
    return tuple(messages)


def _bill_from_detail(bill: Node, url: str) -> Bill:
    parliament, session_number = _session(bill)
    number = _number(bill, ("NumberCode",), ("NumberPrefix", "Number", "NumberSuffix"))
    originating = _chamber(bill, "OriginatingChamberOrganizationId", "OriginatingChamberNameEn")
    divisions = _divisions(bill)
    latest = bill.timestamp("LatestBillEventDateTime")
    return Bill(
        source_url=url,
        session=session_code(parliament, session_number),
        parliament=parliament,
        session_number=session_number,
        number=number,
        legisinfo_id=bill.integer("Id"),
        title_en=_title(bill.required("LongTitleEn")) or "",
        title_fr=_title(bill.text("LongTitleFr")),
        short_title_en=_title(bill.text("ShortTitleEn")),
        short_title_fr=_title(bill.text("ShortTitleFr")),
        bill_type=_bill_type(bill, "BillDocumentTypeNameEn"),
        originating_chamber=originating or _chamber_of_number(number),
        status_en=_title(bill.text("StatusNameEn")),
        status_fr=_title(bill.text("StatusNameFr")),
        sponsor_person_id=bill.integer("SponsorPersonId"),
        sponsor_name=bill.text("SponsorPersonName"),
        introduced_on=_earliest(
            bill.timestamp("PassedHouseFirstReadingDateTime"),
            bill.timestamp("PassedSenateFirstReadingDateTime"),
        ),
        royal_assent_on=_date(bill.timestamp("ReceivedRoyalAssentDateTime")),
        latest_activity_on=_date(latest),
        statute_year=_positive(bill.integer("StatuteYear")),
        statute_chapter=_positive(bill.integer("StatuteChapter")),
        events=_stage_events(bill, originating),
        division_numbers=tuple(division.number for division in divisions),
        latest_activity_at=latest,
        divisions=divisions,
        messages=_messages(bill),
    )


def parse_bill_json(body: bytes, url: str) -> Iterator[Bill]:
    """Per-bill detail JSON: an array holding exactly one bill object."""
    data = load_json(body, url)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        count = len(data) if isinstance(data, list) else type(data).__name__
        raise SourceFormatError(
            url, f"expected an array of exactly one bill, got {count}", path="$"
        )
    yield _bill_from_detail(JsonNode(data[0], url, "$[0]"), url)


def parse_bill_xml(body: bytes, url: str) -> Iterator[Bill]:
    """Per-bill detail XML: ``<Bills><Bill>…</Bill></Bills>`` with exactly one bill."""
    root = load_xml(body, url, ("Bills",))
    bills = root.findall("Bill")
    if len(bills) != 1:
        raise SourceFormatError(
            url, f"expected exactly one <Bill>, found {len(bills)}", path=xpath_of(root)
        )
    if bills[0].find("BillNumber") is not None and bills[0].find("NumberCode") is None:
        raise SourceFormatError(
            url, "this is the legacy LEGISinfo XML; parse it as 'bills'", path=xpath_of(bills[0])
        )
    yield _bill_from_detail(XmlNode(bills[0], url), url)


def parse_bill(body: bytes, url: str) -> Iterator[Bill]:
    """Per-bill detail in either serialisation, sniffed from the first bytes."""
    if sniff(body) == "json":
        return parse_bill_json(body, url)
    return parse_bill_xml(body, url)


# --- bills list (JSON) -------------------------------------------------------------------


def _bill_from_list(item: Node, url: str) -> Bill:
    parliament, session_number = _session(item)
    number = _number(
        item,
        ("BillNumberFormatted", "NumberCode"),
        ("BillNumberPrefix", "BillNumber", "BillNumberSuffix"),
    )
    title_en = _title(item.first_text("LongTitleEn", "LongTitle"))
    if title_en is None:
        raise item.error("LongTitleEn", "required field LongTitleEn is missing or empty")
    sponsor = item.first_text("SponsorEn", "SponsorPersonName")
    latest = _first_timestamp(item, "LatestActivityDateTime", "LatestBillEventDateTime")
    return Bill(
        source_url=url,
        session=session_code(parliament, session_number),
        parliament=parliament,
        session_number=session_number,
        number=number,
        legisinfo_id=item.integer("BillId") or item.integer("Id"),
        title_en=title_en,
        title_fr=_title(item.first_text("LongTitleFr")),
        short_title_en=_title(item.text("ShortTitleEn")),
        short_title_fr=_title(item.text("ShortTitleFr")),
        bill_type=_bill_type(item, "BillTypeEn", "BillDocumentTypeNameEn"),
        originating_chamber=_chamber(
            item, "OriginatingChamberId", "OriginatingChamberOrganizationId"
        )
        or _chamber_of_number(number),
        status_en=_title(item.first_text("CurrentStatusEn", "StatusNameEn")),
        status_fr=_title(item.first_text("CurrentStatusFr", "StatusNameFr")),
        sponsor_person_id=item.integer("SponsorPersonId"),
        sponsor_name=sponsor,
        introduced_on=_date(item.timestamp("IntroducedDateTime"))
        or _earliest(
            item.timestamp("PassedHouseFirstReadingDateTime"),
            item.timestamp("PassedSenateFirstReadingDateTime"),
        ),
        royal_assent_on=_date(
            _first_timestamp(item, "ReceivedRoyalAssentDateTime", "RoyalAssentDateTime")
        ),
        latest_activity_on=_date(latest),
        latest_activity_at=latest,
        statute_year=_positive(item.integer("StatuteYear")),
        statute_chapter=_positive(item.integer("StatuteChapter")),
        events=None,
        division_numbers=None,
    )


def parse_bill_list(body: bytes, url: str) -> Iterator[Bill]:
    """The session's bills list JSON: an array of bill summaries.

    An empty array is an error: every session has at least the pro forma bills C-1 and
    S-1, so ``[]`` means a wrong or not-yet-open session.
    """
    data = load_json(body, url)
    if not isinstance(data, list):
        raise SourceFormatError(
            url, f"expected an array of bills, got {type(data).__name__}", path="$"
        )
    if not data:
        raise SourceFormatError(url, "the bills list is empty", path="$")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise SourceFormatError(
                url, f"expected a bill object, got {type(item).__name__}", path=f"$[{index}]"
            )
        yield _bill_from_list(JsonNode(item, url, f"$[{index}]"), url)


# --- legacy 2018 XML ---------------------------------------------------------------------


def _lang(element: etree._Element, path: str, language: str) -> str | None:
    found = element.find(f"{path}[@language='{language}']")
    return _title(element_text(found)) if found is not None else None


def _legacy_int(element: etree._Element, value: str | None, what: str, url: str) -> int:
    try:
        parsed = parse_int(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise SourceFormatError(url, f"{what} is missing or not a number", path=xpath_of(element))
    return parsed


def _legacy_id(element: etree._Element, value: str | None, url: str) -> int | None:
    try:
        return parse_int(value)
    except ValueError:
        raise SourceFormatError(
            url, f"not a numeric id: {value!r}", path=xpath_of(element)
        ) from None


def _legacy_date(element: etree._Element, value: str | None, url: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise SourceFormatError(url, f"not a date: {value!r}", path=xpath_of(element)) from None


def _legacy_events(bill: etree._Element, url: str) -> tuple[BillEvent, ...]:
    events: list[BillEvent] = []
    for event in bill.iterfind("Events/LegislativeEvents/Event"):
        name_en = _lang(event, "Status/Title", "en") or ""
        event_id = event.get("id")
        events.append(
            BillEvent(
                sequence=len(events) + 1,
                legisinfo_id=int(event_id) if event_id and event_id.isdigit() else None,
                chamber=chamber_from_code(event.get("chamber") or ""),
                stage=bill_stage_from(None, name_en),
                name_en=name_en,
                name_fr=_lang(event, "Status/Title", "fr"),
                state=None,
                date=_legacy_date(event, event.get("date"), url),
                at=None,
            )
        )
    return tuple(events)


def _legacy_bill(bill: etree._Element, url: str) -> Bill:
    number_el = bill.find("BillNumber")
    session_el = bill.find("ParliamentSession")
    if number_el is None or session_el is None:
        missing = "BillNumber" if number_el is None else "ParliamentSession"
        raise SourceFormatError(
            url, f"required element {missing} is missing", path=xpath_of(bill, missing)
        )
    number = normalize_bill_number(
        f"{number_el.get('prefix')}-{number_el.get('number')}{number_el.get('suffix') or ''}"
    )
    if number is None:
        raise SourceFormatError(url, "BillNumber has no prefix/number", path=xpath_of(number_el))
    parliament = _legacy_int(session_el, session_el.get("parliamentNumber"), "parliament", url)
    session_number = _legacy_int(session_el, session_el.get("sessionNumber"), "session", url)
    title_en = _lang(bill, "BillTitle/Title", "en")
    if title_en is None:
        raise SourceFormatError(url, "the English title is missing", path=xpath_of(bill))
    bill_type_name = _lang(bill, "BillType/Title", "en")
    bill_type = bill_type_from_name(bill_type_name) if bill_type_name else None
    if bill_type_name and bill_type is None:
        raise SourceFormatError(
            url, f"unknown bill type {bill_type_name!r}", path=xpath_of(bill, "BillType")
        )
    sponsor = bill.find("SponsorAffiliation/Person")
    events = _legacy_events(bill, url)
    assent = [e.date for e in events if e.stage is BillStage.ROYAL_ASSENT and e.date is not None]
    dates = [e.date for e in events if e.date is not None]
    statute = bill.find("Statute")
    statute_year = statute_chapter = None
    if statute is not None:
        statute_year = _legacy_int(statute, statute.findtext("Year") or "0", "Year", url)
        statute_chapter = _legacy_int(statute, statute.findtext("Chapter") or "0", "Chapter", url)
    return Bill(
        source_url=url,
        session=session_code(parliament, session_number),
        parliament=parliament,
        session_number=session_number,
        number=number,
        legisinfo_id=_legacy_id(bill, bill.get("id"), url),
        title_en=title_en,
        title_fr=_lang(bill, "BillTitle/Title", "fr"),
        short_title_en=_lang(bill, "ShortTitle/Title", "en"),
        short_title_fr=_lang(bill, "ShortTitle/Title", "fr"),
        bill_type=bill_type,
        originating_chamber=_chamber_of_number(number),
        status_en=_lang(bill, "Events/LastMajorStageEvent/Event/Status/Title", "en"),
        status_fr=_lang(bill, "Events/LastMajorStageEvent/Event/Status/Title", "fr"),
        sponsor_person_id=_legacy_id(sponsor, sponsor.get("id"), url)
        if sponsor is not None
        else None,
        sponsor_name=clean(sponsor.findtext("FullName")) if sponsor is not None else None,
        introduced_on=_legacy_date(bill, bill.findtext("BillIntroducedDate"), url),
        royal_assent_on=assent[-1] if assent else None,
        latest_activity_on=max(dates) if dates else None,
        statute_year=_positive(statute_year),
        statute_chapter=_positive(statute_chapter),
        events=events,
        division_numbers=None,
    )


def parse_legacy_bills(body: bytes, url: str) -> Iterator[Bill]:
    """The pre-2021 LEGISinfo XML export: ``<Bills>`` of ``<Bill id=… lastUpdated=…>``."""
    root = load_xml(body, url, ("Bills",))
    bills = root.findall("Bill")
    if not bills:
        raise SourceFormatError(url, "the bills list is empty", path=xpath_of(root))
    for bill in bills:
        yield _legacy_bill(bill, url)


def parse_bills(body: bytes, url: str) -> Iterator[Bill]:
    """The ``bills`` source: the list JSON, or the legacy XML export (sniffed)."""
    if sniff(body) == "xml":
        return parse_legacy_bills(body, url)
    return parse_bill_list(body, url)
