"""Hansard parser and EN/FR pairing against the five real sittings."""

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from openpolicy.records import (
    Debate,
    DivisionTable,
    Note,
    SittingItem,
    Speech,
    WrittenQuestion,
)
from openpolicy.sources.hansard import (
    house_met_minutes,
    pair_editions,
    parse_hansard,
    speaker_of_the_house,
    split_speaker,
)
from openpolicy.sources.hansard_markup import markup_is_safe
from openpolicy.vocab import BallotValue, Language, NoteType, VoteResult

Read = Callable[[str], bytes]
OTTAWA = ZoneInfo("America/Toronto")
URL_002_E = "https://www.ourcommons.ca/Content/House/421/Debates/002/HAN002-E.XML"
URL_002_F = "https://www.ourcommons.ca/Content/House/421/Debates/002/HAN002-F.XML"


def parse(
    body: bytes, url: str = "https://example.invalid/HAN-E.XML"
) -> tuple[Debate, list[SittingItem]]:
    records = list(parse_hansard(body, url))
    debate, items = records[0], records[1:]
    assert isinstance(debate, Debate)
    assert not any(isinstance(item, Debate) for item in items)
    return debate, [item for item in items if not isinstance(item, Debate)]


def speeches(items: list[SittingItem]) -> list[Speech]:
    return [item for item in items if isinstance(item, Speech)]


def by_id(items: list[SittingItem]) -> dict[str | None, SittingItem]:
    return {item.hansard_id: item for item in items}


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
    debate, items = parse(capture(f"hansard/{name}"), f"https://example.invalid/{name}")
    assert (debate.session, debate.number, debate.date, debate.doc_id) == (
        session,
        number,
        date,
        doc_id,
    )
    assert debate.language is language
    assert debate.source_url.endswith(name)
    # Every Intervention is one speech (its turn 0); labels inside add turns.
    own = [s for s in speeches(items) if s.turn == 0]
    assert Counter(s.intervention_type for s in own) == types
    assert [item.sequence for item in items] == list(range(1, len(items) + 1))
    keys = [(item.kind, item.hansard_id) for item in items]
    assert len(set(keys)) == len(keys)
    assert all(item.spoken_at is not None and item.spoken_at.date() == date for item in items)
    times = [item.spoken_at for item in items if item.spoken_at is not None]
    assert times == sorted(times)
    texts = [s.text_en if language is Language.EN else s.text_fr for s in speeches(items)]
    # Only an intervention whose paragraphs all went to labelled turns is left empty.
    assert sum(1 for text in texts if not text) <= 1
    # Timestamps' "(1435)" are not text; they are kept in the markup.
    assert not any(re.fullmatch(r"\(\d{4}\)", p) for t in texts for p in t or ())
    html = [getattr(item, f"html_{language.value}", None) for item in items]
    assert all(markup_is_safe(fragment) for fragment in html if fragment)


def test_sitting_without_order_of_business(capture: Read) -> None:
    debate, items = parse(capture("hansard/HAN002-E-421.xml"), URL_002_E)
    assert debate.url_en == URL_002_E and debate.url_fr is None
    assert debate.speaker_name == "Geoff Regan"
    assert all(item.rubric is None for item in items)
    opening = items[0]
    assert isinstance(opening, Note) and opening.note_type is NoteType.TEXT
    assert opening.text_en == ("The House met at 2:30 p.m.",)
    assert isinstance(items[1], Note) and items[1].note_type is NoteType.PRAYER
    found = by_id(items)
    first = found["8759804"]
    assert isinstance(first, Speech)
    assert (first.speaker_label, first.speaker_name, first.speaker_role) == (
        "The Speaker",
        None,
        "The Speaker",
    )
    assert (first.affiliation_id, first.affiliation_type) == (214706, 15)
    assert first.spoken_at == dt.datetime(2015, 12, 4, 14, 35, tzinfo=OTTAWA)
    # That SubjectOfBusiness prints no title: it continues "Opening of Parliament".
    assert first.heading_en is not None and first.heading_en.subject == "Opening of Parliament"
    assert first.text_en is not None
    assert first.text_en[0].startswith("Order, please. I have the honour to report that")
    trudeau = found["8759831"]
    assert isinstance(trudeau, Speech)
    assert trudeau.speaker_label == "Right Hon. Justin Trudeau (Prime Minister, Lib.)"
    assert (trudeau.speaker_name, trudeau.speaker_role, trudeau.party) == (
        "Right Hon. Justin Trudeau",
        "Prime Minister",
        "Lib.",
    )
    assert trudeau.speaker_riding is None
    assert trudeau.heading_en is not None and trudeau.heading_en.subject == "Oaths of Office"
    assert trudeau.spoken_at == dt.datetime(2015, 12, 4, 15, 50, tzinfo=OTTAWA)
    assert trudeau.text_en == (
        "moved for leave to introduce Bill C-1, an act respecting the administration of "
        "oaths of office.",
    )
    assert trudeau.bill_numbers == ("C-1",)
    assert trudeau.text_fr is None and trudeau.language is Language.EN
    # The ProceduralText around it are notes of their own, in order.
    position = items.index(trudeau)
    before, after = items[position - 1], items[position + 1]
    assert isinstance(before, Note) and before.note_type is NoteType.PROCEDURAL
    assert before.text_en == ("Bill C-1. Introduction and first reading",)
    assert isinstance(after, Note) and after.text_en == (
        "(Motions deemed adopted and bill read the first time)",
    )
    # The Speech from the Throne, read outside any intervention, is one note.
    throne = [
        item
        for item in items
        if isinstance(item, Note)
        and item.note_type is NoteType.TEXT
        and len(item.text_en or ()) > 10
    ]
    assert len(throne) == 1 and throne[0].heading_en is not None
    assert throne[0].text_en is not None and "GROWTH FOR THE MIDDLE CLASS" in throne[0].text_en
    assert throne[0].html_en is not None and "<strong>GROWTH FOR THE MIDDLE CLASS</strong>" in (
        throne[0].html_en
    )


def test_turns_inside_an_intervention(capture: Read) -> None:
    """A bold label inside an intervention starts a speech of its own (41-2 No. 86)."""
    body = capture("hansard/HAN086-E-412.xml")
    _, items = parse(body)
    found = by_id(items)
    speaker, members = found["8361378"], found["8361378.1"]
    assert isinstance(speaker, Speech) and isinstance(members, Speech)
    assert (speaker.speaker_role, speaker.text_en) == ("The Speaker", ("Is that agreed?",))
    assert (members.speaker_label, members.speaker_name, members.speaker_role) == (
        "Some hon. members",
        None,
        "Some hon. members",
    )
    assert (members.text_en, members.turn, members.intervention_id) == (("Agreed.",), 1, 8361378)
    assert items.index(members) == items.index(speaker) + 1
    # "Some hon. members: Agreed." then "Some hon. members: No.": two groups, two turns.
    agreed_no = [
        s
        for s in speeches(items)
        if s.turn
        and s.speaker_label == "Some hon. members"
        and s.text_en in (("Agreed.",), ("No.",))
    ]
    printed = re.findall(rb"<B>Some hon\. members: ?</B> ?(?:Agreed|No)\. ?</ParaText>", body)
    assert len(agreed_no) == len(printed) == 9
    # A presiding officer printed with a name inside someone else's intervention.
    acting = [s for s in speeches(items) if s.turn and s.speaker_role == "The Acting Speaker"]
    assert acting and all(s.speaker_name == "Mr. Barry Devolin" for s in acting)


def test_turn_printed_as_an_affiliation(capture: Read) -> None:
    """44-1 No. 5: "<Affiliation DbId=…>Mr. Kevin Lamoureux:</Affiliation> Supply and demand."
    inside Mr. Poilievre's speech is Mr. Lamoureux's, with the DbId of his label."""
    _, items = parse(capture("hansard/HAN005-E-441.xml"))
    lamoureux = next(s for s in speeches(items) if s.text_en == ("Supply and demand.",))
    assert (lamoureux.speaker_name, lamoureux.affiliation_id, lamoureux.turn) == (
        "Mr. Kevin Lamoureux",
        278257,
        1,
    )
    back = items[items.index(lamoureux) + 1]
    assert isinstance(back, Speech) and back.speaker_name == "Hon. Pierre Poilievre"
    assert back.text_en is not None and back.text_en[0].startswith("“Supply and demand”, screams")


def test_headings_riding_and_non_breaking_hyphen(capture: Read) -> None:
    _, items = parse(capture("hansard/HAN005-E-441.xml"))  # BOM + CRLF
    found = by_id(items)
    opening = found["11434194"]
    assert isinstance(opening, Speech)
    assert opening.rubric == "Other"
    assert opening.heading_en is not None
    assert opening.heading_en.section == "Government Orders"
    assert opening.heading_en.subject == (
        "An Act to Provide Further Support in Response to COVID-19"
    )
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
    # Floor-language markers are not paragraphs; they stay in the markup.
    assert [p for s in speeches(items) for p in s.text_en or () if p.startswith("[")] == [
        "[Member spoke in Inuktitut and provided the following text:]",
        "[Inuktitut text interpreted as follows:]",
    ]
    markers = "".join(item.html_en or "" for item in items if not isinstance(item, WrittenQuestion))
    assert markers.count('<p class="floor" data-floor="fr">[<em>Translation</em>]</p>') > 10
    assert '<p class="floor" data-floor="en">[<em>English</em>]</p>' in markers
    question = found["11434204"]
    assert isinstance(question, Speech) and question.intervention_type == "Question"
    assert (question.speaker_name, question.speaker_riding, question.party) == (
        "Mr. Gabriel Ste-Marie",
        "Joliette",
        "BQ",
    )
    assert question.speaker_role is None
    assert question.affiliation_id == 278278  # a Hansard id, not a PersonId
    # The Timestamp inside the previous intervention (10:20) is the latest before it.
    assert question.spoken_at == dt.datetime(2021, 11, 26, 10, 20, tzinfo=OTTAWA)
    # Printed "C‑2" with U+2011 in the text: kept as printed; normalised in bill_numbers.
    assert question.text_en is not None and "C\u20112" in question.text_en[1]
    assert question.bill_numbers == ("C-2",)
    # A subject with a catch line, and the ruling under it that prints only its own.
    emergency = [
        item.heading_en
        for item in items
        if item.heading_en and item.heading_en.subject == "Request for Emergency Debate"
    ]
    assert {h.catchline for h in emergency} == {"S. O. 52", "Speaker's Ruling"}


def test_notes_outside_interventions(capture: Read) -> None:
    _, items = parse(capture("hansard/HAN005-E-441.xml"))
    notes = [item for item in items if isinstance(item, Note)]
    assert Counter(note.note_type for note in notes) == {
        NoteType.PROCEDURAL: 4,
        NoteType.TEXT: 2,
        NoteType.PRAYER: 1,
        NoteType.RESUMED: 1,
    }
    resumed = next(note for note in notes if note.note_type is NoteType.RESUMED)
    assert resumed.text_en is not None and resumed.text_en[0].startswith(
        "The House resumed consideration of the motion that Bill C-2, An Act to provide"
    )
    assert resumed.bill_numbers == ("C-2",)
    message = next(n for n in notes if n.text_en and n.text_en[0].startswith("A message from"))
    assert message.heading_en is not None
    assert message.heading_en.subject == "Supplementary Estimates (B), 2021-22"


def test_petitions_keep_their_topics(capture: Read) -> None:
    """Each petition after the first prints only its topic: it stays under "Petitions"."""
    _, items = parse(capture("hansard/HAN086-E-412.xml"))
    petitions = [
        item.heading_en.qualifier
        for item in items
        if item.heading_en and item.heading_en.subject == "Petitions"
    ]
    assert petitions == [
        "Agriculture",
        "Canada Post",
        "Democratic Reform",
        "Canada Post",
        "Agriculture",
        "Abortion",
        "Democratic Reform",
    ]


def test_written_questions(capture: Read) -> None:
    _, items = parse(capture("hansard/HAN086-E-412.xml"))
    questions = [item for item in items if isinstance(item, WrittenQuestion)]
    assert len(questions) == 29  # grep -c "<WrittenQuestionResponse"
    first = questions[0]
    assert (first.number, first.number_label) == (406, "Question No. 406--")
    assert (first.asker_label, first.asker_affiliation_id) == ("Ms. Lise St-Denis", 170098)
    assert (first.answerer_name, first.answerer_role, first.answerer_party) == (
        "Hon. Lisa Raitt",
        "Minister of Transport",
        "CPC",
    )
    assert first.question_en is not None and first.question_en[0].startswith(
        "With regard to contracts under $10,000 granted by the Canadian Air Transport"
    )
    assert first.question_html_en is not None
    assert "(<em>a</em>) vendors' names" in first.question_html_en
    assert first.question_html_en.startswith('<p class="floor" data-floor="text">')
    assert first.answer_en is not None and first.answer_en[0].startswith("Mr. Speaker, given")
    tabled = next(q for q in questions if q.number == 319)
    assert tabled.answerer_label is None and tabled.answer_en == ("(Return tabled)",)
    assert tabled.heading_en is not None
    assert tabled.heading_en.subject == "Questions Passed as Orders for Returns"


def test_division_tables(capture: Read) -> None:
    _, items = parse(capture("hansard/HAN200-E-441.xml"))
    tables = [item for item in items if isinstance(item, DivisionTable)]
    assert [t.division_number for t in tables] == [332, 333]
    first = tables[0]
    # "(The House divided on the amendment, which was negatived on the following division:)"
    assert first.result is VoteResult.NEGATIVED
    assert (first.yeas, first.nays, first.paired) == (110, 209, 4)  # the printed totals
    assert Counter(name.value for name in first.names) == {
        BallotValue.YEA: 110,
        BallotValue.NAY: 209,
        BallotValue.PAIRED: 4,
    }
    falk = [name for name in first.names if name.surname == "Falk"]
    assert [(name.riding, name.affiliation_id) for name in falk] == [
        ("Battlefords—Lloydminster", 278203),
        ("Provencher", 278435),
    ]
    assert first.text_en is not None and first.text_en[:3] == (
        "(Division No. 332)",
        "YEAS",
        "Members",
    )
    assert tables[1].result is VoteResult.AGREED
    previous = items[items.index(first) - 1]
    assert isinstance(previous, Note) and previous.text_en == (
        "(The House divided on the amendment, which was negatived on the following division:)",
    )
    _, older = parse(capture("hansard/HAN086-E-412.xml"))
    nil = [t for t in older if isinstance(t, DivisionTable)]
    assert [(t.division_number, t.paired) for t in nil] == [(140, 0), (141, 0), (142, 0)]


def test_source_characters_are_kept(capture: Read) -> None:
    """Non-breaking spaces stay in the stored text ("14 h 30" in French)."""
    _, items = parse(capture("hansard/HAN002-F-421.xml"), URL_002_F)
    opening = items[0]
    assert isinstance(opening, Note)
    assert opening.text_fr == ("La séance est ouverte à 14\u00a0h\u00a030.",)
    assert opening.spoken_at == dt.datetime(2015, 12, 4, 14, 30, tzinfo=OTTAWA)


def test_quotations_and_emphasis_in_markup(capture: Read) -> None:
    _, items = parse(capture("hansard/HAN086-E-412.xml"))
    lamoureux = next(s for s in speeches(items) if s.hansard_id == "8361363")
    assert lamoureux.html_en is not None
    assert "<blockquote><p>I want to let you know I am upset the...government" in (
        lamoureux.html_en
    )
    garrison = next(s for s in speeches(items) if s.hansard_id == "8361324")
    assert garrison.html_en is not None and "<em>Global News</em>" in garrison.html_en
    assert garrison.text_en is not None and "report from Global News, public" in garrison.text_en[0]


def test_bill_references(capture: Read) -> None:
    _, items = parse(capture("hansard/HAN200-E-441.xml"))
    first = speeches(items)[0]
    assert (first.speaker_name, first.speaker_riding, first.party) == (
        "Ms. Laurel Collins",
        "Victoria",
        "NDP",
    )
    assert first.bill_numbers == ("C-332",)
    referenced = {number for item in items for number in item.bill_numbers}
    # Document references printed with U+2011 (S‑5, C‑42, C‑40) are normalised.
    assert {"S-5", "C-42", "C-40", "C-21", "C-281"} <= referenced
    assert not any("\u2011" in number for number in referenced)


def test_french_edition_and_pairing(capture: Read) -> None:
    english = list(parse_hansard(capture("hansard/HAN002-E-421.xml"), URL_002_E))
    french = list(parse_hansard(capture("hansard/HAN002-F-421.xml"), URL_002_F))
    paired = pair_editions(english, french)
    assert paired.missing_fr == () and paired.extra_fr == ()
    assert len(paired.items) == len(english) - 1
    assert all(s.text_en and s.text_fr for s in paired.speeches)
    assert all(item.text_en and item.text_fr for item in paired.items if isinstance(item, Note))
    assert (paired.debate.url_en, paired.debate.url_fr) == (URL_002_E, URL_002_F)
    trudeau = next(s for s in paired.speeches if s.intervention_id == 8759831 and s.turn == 0)
    assert trudeau.speaker_label == "Right Hon. Justin Trudeau (Prime Minister, Lib.)"
    assert trudeau.heading_en is not None and trudeau.heading_fr is not None
    assert (trudeau.heading_en.subject, trudeau.heading_fr.subject) == (
        "Oaths of Office",
        "Les serments d'office",
    )
    assert trudeau.text_fr == (
        "demande à présenter le projet de loi C-1, Loi concernant la prestation de serments "
        "d'office.",
    )
    # <Sup> in French text: "42<Sup>e</Sup>" → "42e", and <sup> in the markup.
    sahota = next(s for s in paired.speeches if s.intervention_id == 8759858)
    assert sahota.text_fr is not None
    # The no-break space after "42e" is the source's own, and it stays.
    assert any("cette 42e\u00a0législature" in p for p in sahota.text_fr)
    assert sahota.html_fr is not None and "42<sup>e</sup>\u00a0législature" in sahota.html_fr
    assert sahota.text_en is not None
    assert any("here in the 42nd Parliament" in p for p in sahota.text_en)
    # Turns pair too: "Some hon. members: Agreed." / "Des voix: D'accord."
    agreed = next(s for s in paired.speeches if s.text_en == ("Agreed.",))
    assert agreed.text_fr == ("D'accord.",)
    records = list(paired.records())
    assert records[0] == paired.debate and len(records) == len(english)


def test_french_speaker_labels(capture: Read) -> None:
    debate, items = parse(capture("hansard/HAN002-F-421.xml"), URL_002_F)
    assert debate.speaker_name == "Geoff Regan"
    trudeau = next(s for s in speeches(items) if s.intervention_id == 8759831)
    assert trudeau.language is Language.FR
    assert (trudeau.speaker_name, trudeau.speaker_role, trudeau.party) == (
        "Le très hon. Justin Trudeau",
        "premier ministre",
        "Lib.",
    )
    assert trudeau.text_en is None
    assert trudeau.heading_fr is not None and trudeau.heading_fr.subject == "Les serments d'office"
    voices = [s for s in speeches(items) if s.speaker_label == "Des voix"]
    assert voices and all(s.speaker_role == "Des voix" and not s.speaker_name for s in voices)


def test_pairing_refuses_other_sittings(capture: Read) -> None:
    english = list(parse_hansard(capture("hansard/HAN005-E-441.xml"), "e"))
    french = list(parse_hansard(capture("hansard/HAN002-F-421.xml"), URL_002_F))
    with pytest.raises(ValueError, match=r"not 44-1 No\. 5"):
        pair_editions(english, french)


def test_pairing_reports_missing_items(capture: Read) -> None:
    english = list(parse_hansard(capture("hansard/HAN002-E-421.xml"), URL_002_E))
    french = list(parse_hansard(capture("hansard/HAN002-F-421.xml"), URL_002_F))
    dropped = [r for r in french if getattr(r, "hansard_id", None) != "8759831"]
    paired = pair_editions(english, dropped)
    assert paired.missing_fr == ("8759831",)
    trudeau = next(s for s in paired.speeches if s.hansard_id == "8759831")
    assert trudeau.text_fr is None


def test_clock_starts_when_the_house_met(capture: Read) -> None:
    """Without any Timestamp, items are timed from "The House met at 2:30 p.m."."""
    body = re.sub(rb"<Timestamp [^>]*>[^<]*</Timestamp>", b"", capture("hansard/HAN002-E-421.xml"))
    _, items = parse(body)
    assert {item.spoken_at for item in items} == {dt.datetime(2015, 12, 4, 14, 30, tzinfo=OTTAWA)}


def test_sitting_past_midnight(capture: Read) -> None:
    body = capture("hansard/HAN086-E-412.xml").replace(
        b'<Timestamp Hr="23" Mn="30">', b'<Timestamp Hr="24" Mn="05">'
    )
    _, items = parse(body)
    assert items[-1].spoken_at == dt.datetime(2014, 5, 15, 0, 5, tzinfo=OTTAWA)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("The House met at 2:30 p.m.", 14 * 60 + 30),
        ("The House met at 10 a.m.", 10 * 60),
        ("The House met at 2 p.m.", 14 * 60),
        ("The House met at noon.", 12 * 60),
        ("La séance est ouverte à 14 h 30.", 14 * 60 + 30),
        ("La séance est ouverte à 14\u00a0h\u00a030.", 14 * 60 + 30),
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
        ("The Assistant Deputy Speaker (Mrs. Carol Hughes)", None,
         ("Mrs. Carol Hughes", "The Assistant Deputy Speaker", None, None)),
        ("Le Président", 15, (None, "Le Président", None, None)),
        ("Some hon. members", None, (None, "Some hon. members", None, None)),
        ("An hon. member", None, (None, "An hon. member", None, None)),
        ("Des voix", None, (None, "Des voix", None, None)),
        ("Mr. Kevin Lamoureux", None, ("Mr. Kevin Lamoureux", None, None, None)),
        ("Mr. Fayçal El-Khoury (Laval—Les Îles, Lib.)", 2,
         ("Mr. Fayçal El-Khoury", None, "Laval—Les Îles", "Lib.")),
    ],
)  # fmt: skip
def test_split_speaker(
    label: str,
    kind: int | None,
    expected: tuple[str | None, str | None, str | None, str | None],
) -> None:
    assert split_speaker(label, kind) == expected


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("Speaker: The Honourable Geoff Regan", "Geoff Regan"),
        ("Présidence de l'honorable Geoff Regan", "Geoff Regan"),
        ("Speaker: The Honourable Anthony Rota", "Anthony Rota"),
        (None, None),
    ],
)
def test_speaker_of_the_house(printed: str | None, name: str | None) -> None:
    assert speaker_of_the_house(printed) == name


def test_largest_capture_items(capture: Read) -> None:
    records = list(parse_hansard(capture("hansard/HAN086-E-412.xml"), "u"))
    assert Counter(record.kind for record in records) == {
        "debate": 1,
        # 479 Interventions, 26 bold labels inside them (grep "<B>[^<]*:"), and one
        # continuation after a procedural line printed in mid-intervention.
        "speech": 506,
        "written_question": 29,
        "note": 22,
        "division_table": 3,
    }
