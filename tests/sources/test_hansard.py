"""Hansard parser and EN/FR pairing against the five real sittings."""

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from openpolicy.records import Debate, Speech
from openpolicy.sources.hansard import (
    house_met_minutes,
    pair_editions,
    parse_hansard,
    split_speaker,
)
from openpolicy.vocab import Language

Read = Callable[[str], bytes]
OTTAWA = ZoneInfo("America/Toronto")
URL_002_E = "https://www.ourcommons.ca/Content/House/421/Debates/002/HAN002-E.XML"
URL_002_F = "https://www.ourcommons.ca/Content/House/421/Debates/002/HAN002-F.XML"


def parse(
    body: bytes, url: str = "https://example.invalid/HAN-E.XML"
) -> tuple[Debate, list[Speech]]:
    records = list(parse_hansard(body, url))
    debate, speeches = records[0], records[1:]
    assert isinstance(debate, Debate)
    assert all(isinstance(s, Speech) for s in speeches)
    return debate, [s for s in speeches if isinstance(s, Speech)]


@pytest.mark.parametrize(
    ("name", "session", "number", "date", "doc_id", "language", "types"),
    [
        # Intervention counts per Type, counted with grep on each file.
        ("HAN002-E-421.xml", "42-1", 2, dt.date(2015, 12, 4), 8759785, Language.EN,
         {"Debate": 32, "Interjection": 10}),
        ("HAN002-F-421.xml", "42-1", 2, dt.date(2015, 12, 4), 8759785, Language.FR,
         {"Debate": 32, "Interjection": 10}),
        ("HAN005-E-441.xml", "44-1", 5, dt.date(2021, 11, 26), 11434182, Language.EN,
         {"Debate": 90, "Question": 56, "Answer": 27, "Interjection": 26, "Statement": 17}),
        ("HAN086-E-412.xml", "41-2", 86, dt.date(2014, 5, 14), 8361029, Language.EN,
         {"Interjection": 283, "Debate": 115, "Question": 58, "Answer": 23}),
        ("HAN200-E-441.xml", "44-1", 200, dt.date(2023, 5, 18), 12226682, Language.EN,
         {"Debate": 147, "Question": 88, "Interjection": 77, "Answer": 9}),
    ],
)  # fmt: skip
def test_sittings(
    capture: Read,
    name: str,
    session: str,
    number: int,
    date: dt.date,
    doc_id: int,
    language: Language,
    types: dict[str, int],
) -> None:
    debate, speeches = parse(capture(f"hansard/{name}"), f"https://example.invalid/{name}")
    assert (debate.session, debate.number, debate.date, debate.doc_id) == (
        session,
        number,
        date,
        doc_id,
    )
    assert debate.language is language
    assert debate.source_url.endswith(name)
    assert Counter(s.intervention_type for s in speeches) == types
    assert [s.sequence for s in speeches] == list(range(1, sum(types.values()) + 1))
    assert all(s.intervention_id is not None for s in speeches)
    assert all(s.spoken_at is not None and s.spoken_at.date() == date for s in speeches)
    times = [s.spoken_at for s in speeches if s.spoken_at is not None]
    assert times == sorted(times)
    text = [s.text_en if language is Language.EN else s.text_fr for s in speeches]
    assert all(paragraphs for paragraphs in text)
    # Timestamps' "(1435)" are not speech text.
    assert not any(re.fullmatch(r"\(\d{4}\)", p) for t in text for p in t or ())


def test_sitting_without_order_of_business(capture: Read) -> None:
    debate, speeches = parse(capture("hansard/HAN002-E-421.xml"), URL_002_E)
    assert debate.url_en == URL_002_E and debate.url_fr is None
    assert all(s.rubric is None and s.order_of_business_en is None for s in speeches)
    first, trudeau = speeches[0], speeches[1]
    assert first.intervention_id == 8759804
    assert (first.speaker_label, first.speaker_name, first.speaker_role) == (
        "The Speaker",
        None,
        "The Speaker",
    )
    assert (first.affiliation_id, first.affiliation_type) == (214706, 15)
    assert first.spoken_at == dt.datetime(2015, 12, 4, 14, 35, tzinfo=OTTAWA)
    assert first.subject_en is None  # this SubjectOfBusiness has no title
    assert first.text_en is not None
    assert first.text_en[0].startswith("Order, please. I have the honour to report that")
    assert trudeau.intervention_id == 8759831
    assert trudeau.speaker_label == "Right Hon. Justin Trudeau (Prime Minister, Lib.)"
    assert (trudeau.speaker_name, trudeau.speaker_role, trudeau.party) == (
        "Right Hon. Justin Trudeau",
        "Prime Minister",
        "Lib.",
    )
    assert trudeau.speaker_riding is None
    assert trudeau.subject_en == "Oaths of Office"
    assert trudeau.spoken_at == dt.datetime(2015, 12, 4, 15, 50, tzinfo=OTTAWA)
    # Only the ParaText is text; the ProceduralText around it is not.
    assert trudeau.text_en == (
        "moved for leave to introduce Bill C-1, an act respecting the administration of "
        "oaths of office.",
    )
    assert trudeau.bill_numbers == ("C-1",)
    assert trudeau.text_fr is None and trudeau.language is Language.EN


def test_headings_riding_and_non_breaking_hyphen(capture: Read) -> None:
    _, speeches = parse(capture("hansard/HAN005-E-441.xml"))  # BOM + CRLF
    by_id = {s.intervention_id: s for s in speeches}
    opening = by_id[11434194]
    assert opening.rubric == "Other"
    assert opening.order_of_business_en == "Government Orders"
    assert opening.subject_en == "An Act to Provide Further Support in Response to COVID-19"
    # "(for the Deputy Prime Minister…)" is printed outside the Affiliation.
    assert opening.speaker_label == (
        "Hon. Randy Boissonnault (for the Deputy Prime Minister and Minister of Finance)"
    )
    assert (opening.speaker_name, opening.speaker_role) == ("Hon. Randy Boissonnault", None)
    assert opening.spoken_at == dt.datetime(2021, 11, 26, 10, 5, tzinfo=OTTAWA)
    assert opening.bill_numbers == ("C-2",)
    assert opening.text_en is not None and opening.text_en[0] == (
        "moved that Bill C-2, An Act to provide further support in response to COVID-19, "
        "be read the second time and referred to a committee."
    )
    # The 32 FloorLanguage markers inside Content ("[Translation]") are not paragraphs;
    # the only bracketed paragraphs are the two editorial ParaText notes of the sitting.
    assert [p for s in speeches for p in s.text_en or () if p.startswith("[")] == [
        "[Member spoke in Inuktitut and provided the following text:]",
        "[Inuktitut text interpreted as follows:]",
    ]
    question = by_id[11434204]
    assert question.intervention_type == "Question"
    assert (question.speaker_name, question.speaker_riding, question.party) == (
        "Mr. Gabriel Ste-Marie",
        "Joliette",
        "BQ",
    )
    assert question.speaker_role is None
    assert question.affiliation_id == 278278  # a Hansard id, not a PersonId
    # The Timestamp inside the previous intervention (10:20) is the latest before it.
    assert question.spoken_at == dt.datetime(2021, 11, 26, 10, 20, tzinfo=OTTAWA)
    # Printed "C‑2" with U+2011 in the text; normalised in bill_numbers.
    assert question.text_en is not None and "C\u20112" in question.text_en[1]
    assert question.bill_numbers == ("C-2",)
    assert Counter(s.rubric for s in speeches)["OralQuestionPeriod"] > 0


def test_old_format_and_presiding_officers(capture: Read) -> None:
    _, speeches = parse(capture("hansard/HAN086-E-412.xml"))  # no BOM, tabs, CRLF
    first, last = speeches[0], speeches[-1]
    assert first.intervention_id == 8361032
    assert first.order_of_business_en == "Statements by Members"  # only a CatchLine here
    assert first.text_en is not None and first.text_en[0] == (
        "It being Wednesday, we will now have the singing of the national anthem led by the "
        "hon. member for Scarborough—Guildwood."
    )
    assert first.spoken_at == dt.datetime(2014, 5, 14, 14, 5, tzinfo=OTTAWA)
    assert last.intervention_id == 8363698
    assert (last.speaker_name, last.speaker_role, last.affiliation_type) == (
        "Mr. Bruce Stanton",
        "The Acting Speaker",
        93,
    )
    # Processing instructions (<?bk?>…<?ek?>) vanish; their text stays.
    assert last.text_en is not None and last.text_en[0] == (
        "The House stands adjourned until tomorrow at 10 a.m. pursuant to Standing Order 24(1)."
    )
    assert last.spoken_at == dt.datetime(2014, 5, 14, 23, 30, tzinfo=OTTAWA)


def test_bill_references(capture: Read) -> None:
    _, speeches = parse(capture("hansard/HAN200-E-441.xml"))
    first = speeches[0]
    assert (first.speaker_name, first.speaker_riding, first.party) == (
        "Ms. Laurel Collins",
        "Victoria",
        "NDP",
    )
    assert first.bill_numbers == ("C-332",)
    referenced = {number for s in speeches for number in s.bill_numbers}
    # Document references printed with U+2011 (S‑5, C‑42, C‑40) are normalised.
    assert {"S-5", "C-42", "C-40", "C-21", "C-281"} <= referenced
    assert not any("\u2011" in number for number in referenced)


def test_french_edition_and_pairing(capture: Read) -> None:
    english = list(parse_hansard(capture("hansard/HAN002-E-421.xml"), URL_002_E))
    french = list(parse_hansard(capture("hansard/HAN002-F-421.xml"), URL_002_F))
    paired = pair_editions(english, french)
    assert paired.missing_fr == () and paired.extra_fr == ()
    assert len(paired.speeches) == 42
    assert all(s.text_en and s.text_fr for s in paired.speeches)
    assert (paired.debate.url_en, paired.debate.url_fr) == (URL_002_E, URL_002_F)
    trudeau = next(s for s in paired.speeches if s.intervention_id == 8759831)
    assert trudeau.speaker_label == "Right Hon. Justin Trudeau (Prime Minister, Lib.)"
    assert (trudeau.subject_en, trudeau.subject_fr) == ("Oaths of Office", "Les serments d'office")
    assert trudeau.text_fr == (
        "demande à présenter le projet de loi C-1, Loi concernant la prestation de serments "
        "d'office.",
    )
    # <Sup> in French text is read with itertext: "42<Sup>e</Sup>" → "42e".
    sahota = next(s for s in paired.speeches if s.intervention_id == 8759858)
    assert sahota.text_fr is not None
    assert any("cette 42e législature" in p for p in sahota.text_fr)
    assert sahota.text_en is not None
    assert any("here in the 42nd Parliament" in p for p in sahota.text_en)
    records = list(paired.records())
    assert records[0] == paired.debate and len(records) == 43


def test_french_speaker_labels(capture: Read) -> None:
    _, speeches = parse(capture("hansard/HAN002-F-421.xml"), URL_002_F)
    trudeau = next(s for s in speeches if s.intervention_id == 8759831)
    assert trudeau.language is Language.FR
    assert (trudeau.speaker_name, trudeau.speaker_role, trudeau.party) == (
        "Le très hon. Justin Trudeau",
        "premier ministre",
        "Lib.",
    )
    assert trudeau.text_en is None and trudeau.subject_fr == "Les serments d'office"


def test_pairing_refuses_other_sittings(capture: Read) -> None:
    english = list(parse_hansard(capture("hansard/HAN005-E-441.xml"), "e"))
    french = list(parse_hansard(capture("hansard/HAN002-F-421.xml"), URL_002_F))
    with pytest.raises(ValueError, match=r"not 44-1 No\. 5"):
        pair_editions(english, french)


def test_pairing_reports_missing_interventions(capture: Read) -> None:
    english = list(parse_hansard(capture("hansard/HAN002-E-421.xml"), URL_002_E))
    french = list(parse_hansard(capture("hansard/HAN002-F-421.xml"), URL_002_F))
    dropped = [r for r in french if not (isinstance(r, Speech) and r.intervention_id == 8759831)]
    paired = pair_editions(english, dropped)
    assert paired.missing_fr == (8759831,)
    assert next(s for s in paired.speeches if s.intervention_id == 8759831).text_fr is None


def test_clock_starts_when_the_house_met(capture: Read) -> None:
    """Without any Timestamp, speeches are timed from "The House met at 2:30 p.m."."""
    body = re.sub(rb"<Timestamp [^>]*>[^<]*</Timestamp>", b"", capture("hansard/HAN002-E-421.xml"))
    _, speeches = parse(body)
    assert {s.spoken_at for s in speeches} == {dt.datetime(2015, 12, 4, 14, 30, tzinfo=OTTAWA)}


def test_sitting_past_midnight(capture: Read) -> None:
    body = capture("hansard/HAN086-E-412.xml").replace(
        b'<Timestamp Hr="23" Mn="30">', b'<Timestamp Hr="24" Mn="05">'
    )
    _, speeches = parse(body)
    assert speeches[-1].spoken_at == dt.datetime(2014, 5, 15, 0, 5, tzinfo=OTTAWA)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("The House met at 2:30 p.m.", 14 * 60 + 30),
        ("The House met at 10 a.m.", 10 * 60),
        ("The House met at 2 p.m.", 14 * 60),
        ("The House met at noon.", 12 * 60),
        ("La séance est ouverte à 14 h 30.", 14 * 60 + 30),
        ("La séance est ouverte à 10 heures.", 10 * 60),
        ("Prayer", None),
    ],
)
def test_house_met(text: str, minutes: int | None) -> None:
    assert house_met_minutes(text) == minutes


@pytest.mark.parametrize(
    ("label", "kind", "expected"),
    [
        ("Mrs. Shannon Stubbs (Lakeland, CPC)", 2,
         ("Mrs. Shannon Stubbs", None, "Lakeland", "CPC")),
        ("Ms. Ruby Sahota", 2, ("Ms. Ruby Sahota", None, None, None)),
        ("Hon. Scott Brison (President of the Treasury Board, Lib.)", 4,
         ("Hon. Scott Brison", "President of the Treasury Board", None, "Lib.")),
        ("L'hon. Dominic LeBlanc (leader du gouvernement à la Chambre des communes, Lib.)", 4,
         ("L'hon. Dominic LeBlanc", "leader du gouvernement à la Chambre des communes", None,
          "Lib.")),
        ("The Assistant Deputy Speaker (Mrs. Carol Hughes)", 92,
         ("Mrs. Carol Hughes", "The Assistant Deputy Speaker", None, None)),
        ("Le Président", 15, (None, "Le Président", None, None)),
        ("Mr. Fayçal El-Khoury (Laval—Les Îles, Lib.)", 2,
         ("Mr. Fayçal El-Khoury", None, "Laval—Les Îles", "Lib.")),
    ],
)  # fmt: skip
def test_split_speaker(
    label: str, kind: int, expected: tuple[str | None, str | None, str | None, str | None]
) -> None:
    assert split_speaker(label, kind) == expected


def test_largest_capture_parses_well_under_a_second(capture: Read) -> None:
    body = capture("hansard/HAN086-E-412.xml")  # 683 KB
    started = time.perf_counter()
    records = list(parse_hansard(body, "u"))
    elapsed = time.perf_counter() - started
    assert len(records) == 480
    assert elapsed < 0.5, f"{elapsed:.3f}s"
