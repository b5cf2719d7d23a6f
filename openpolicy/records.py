"""Validated records: the contract between ``sources`` (parsers) and ``ingest``.

Every parser yields these and nothing else. Each record is frozen, forbids unknown
fields, carries a literal ``kind`` (so a JSON line says what it is) and the
``source_url`` of the document it was parsed from.

Conventions:

* ``session`` is the code ``"45-1"``; ``parliament`` and ``session_number`` repeat it as
  ints so ingest never re-parses it.
* Timestamps are timezone-aware (``America/Toronto``: the feeds print Ottawa local time
  without an offset). Calendar days are plain dates.
* ``None`` means "this document does not say". For ``Bill.events`` and
  ``Bill.division_numbers`` in particular, ``None`` (the LEGISinfo list) means *not
  carried by this source, keep what you have*, while ``()`` means *none*.
* Text is whitespace-collapsed. LEGISinfo titles have typographic apostrophes
  normalised to ``'`` (two captures of the same bill differ only in that); Hansard
  text is kept as printed, non-breaking spaces and typographic quotes included (only
  the search normalises them).

Records are built millions of times (ballots, speeches), so there are no custom
validators: parsers hand over already-typed values and pydantic-core only checks them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from openpolicy.vocab import (
    BallotValue,
    BillStage,
    BillType,
    Chamber,
    Language,
    NoteType,
    Province,
    StageState,
    VoteResult,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BillEvent(_Frozen):
    """One step of a bill's history, nested in ``Bill.events``.

    From LEGISinfo detail: one per ``BillStages`` entry (House stages, Senate stages,
    royal assent), including stages not reached yet. From the legacy 2018 XML: one per
    ``LegislativeEvents/Event`` (finer-grained; ``state`` is None there). It has no
    ``source_url`` of its own: it always travels inside its ``Bill``.
    """

    kind: Literal["bill_event"] = "bill_event"
    sequence: int  # 1-based position in the document
    legisinfo_id: int | None  # BillStageId (detail) or Event/@id (legacy)
    chamber: Chamber | None
    stage: BillStage
    name_en: str
    name_fr: str | None
    state: StageState | None
    date: dt.date | None  # the day it completed (or, in progress, last moved)
    at: dt.datetime | None  # the same instant with its time, when the feed gives one


class BillDivision(_Frozen):
    """A recorded division a bill names, with its official totals (``HouseVoteDetails``).

    Nested in ``Bill.divisions``: the division exists as soon as its bill names it; its
    ballots come from the ballots document.
    """

    kind: Literal["bill_division"] = "bill_division"
    number: int
    subject_en: str | None
    subject_fr: str | None
    result: VoteResult | None
    yeas: int
    nays: int
    paired: int
    decided_at: dt.datetime | None
    sitting: int | None  # the sitting it was decided in (the stage's Decisions)


class BillMessage(_Frozen):
    """A message between the chambers about a bill (``InterChamberMessages``), in order."""

    kind: Literal["bill_message"] = "bill_message"
    sequence: int
    name_en: str
    name_fr: str | None
    at: dt.datetime | None
    chamber: Chamber | None  # the chamber that sent or considered it
    sitting: int | None  # MeetingNumber: the sitting of that chamber


class Bill(_Frozen):
    """A bill in one session (key: ``session`` + ``number``)."""

    kind: Literal["bill"] = "bill"
    source_url: str
    session: str
    parliament: int
    session_number: int
    number: str  # "C-11", "S-5": normalised hyphen, upper case
    legisinfo_id: int | None
    title_en: str  # the long title
    title_fr: str | None
    short_title_en: str | None
    short_title_fr: str | None
    bill_type: BillType | None
    originating_chamber: Chamber | None
    status_en: str | None
    status_fr: str | None
    sponsor_person_id: int | None  # ourcommons PersonId (same id space as members/ballots)
    sponsor_name: str | None
    introduced_on: dt.date | None  # first reading in the originating chamber
    royal_assent_on: dt.date | None
    latest_activity_on: dt.date | None
    statute_year: int | None
    statute_chapter: int | None
    events: tuple[BillEvent, ...] | None  # None: this source does not carry stages
    division_numbers: tuple[int, ...] | None  # House divisions on this bill, ascending
    latest_activity_at: dt.datetime | None = None  # the same instant with its time
    divisions: tuple[BillDivision, ...] | None = None  # None: not carried by this source
    messages: tuple[BillMessage, ...] | None = None  # None: not carried by this source


class Member(_Frozen):
    """A sitting member of the House as listed by ourcommons.ca (one term)."""

    kind: Literal["member"] = "member"
    source_url: str
    person_id: int | None  # absent in captures before ~2024
    honorific: str | None  # "Hon.", "Right Hon."
    first_name: str
    last_name: str
    constituency: str  # as printed, em dashes kept
    province: Province
    caucus: str | None  # CaucusShortName as printed: "Liberal", "NDP", "Bloc Québécois"…
    from_date: dt.date | None
    to_date: dt.date | None


class Vote(_Frozen):
    """A recorded division of the House (key: ``session`` + ``number``)."""

    kind: Literal["vote"] = "vote"
    source_url: str
    session: str
    parliament: int
    session_number: int
    number: int
    date: dt.date
    decided_at: dt.datetime | None  # None when the feed gives the day only
    subject_en: str | None
    subject_fr: str | None
    result: VoteResult
    yeas: int
    nays: int
    paired: int
    bill_number: str | None
    document_type: str | None  # DecisionDivisionDocumentTypeName, as printed
    sitting: int | None


class Ballot(_Frozen):
    """One member's vote in one division (key: ``session`` + ``division_number`` + member)."""

    kind: Literal["ballot"] = "ballot"
    source_url: str
    session: str
    parliament: int
    session_number: int
    division_number: int
    person_id: int | None
    salutation: str | None  # "Mr.", "Ms.", "Mrs."
    first_name: str
    last_name: str
    constituency: str
    province: Province
    caucus: str | None  # party at the time of the vote
    value: BallotValue


class Debate(_Frozen):
    """One sitting's Hansard (key: ``session`` + ``number``).

    ``url_en``/``url_fr`` say which editions were parsed; ``pair_editions`` fills both.
    """

    kind: Literal["debate"] = "debate"
    source_url: str
    session: str
    parliament: int
    session_number: int
    number: int  # the sitting number ("No. 005" → 5)
    date: dt.date
    doc_id: int  # publication DocId, shared by both editions
    language: Language  # edition that ``source_url`` points at
    url_en: str | None
    url_fr: str | None
    speaker_name: str | None = None  # the Speaker of the House: "Anthony Rota"


class Heading(_Frozen):
    """Where an item sits in the sitting, as printed in one edition.

    Nested in every item (``heading_en``/``heading_fr``); never a top-level record.
    """

    kind: Literal["heading"] = "heading"
    section: str | None  # OrderOfBusinessTitle (else its CatchLine): "Government Orders"
    subject: str | None  # SubjectOfBusinessTitle, carried over to qualifier-only subjects
    qualifier: str | None  # SubjectOfBusinessQualifier: a petition's topic
    catchline: str | None  # a CatchLine that says more than the titles: "Speaker's Ruling"


class _SittingItem(_Frozen):
    """What every item of a sitting carries: where it is, when, and under which heading.

    Items come in document order; ``sequence`` numbers them all (speeches, notes,
    written questions, division tables) from 1. ``hansard_id`` identifies the item in
    both editions (ids of the source elements), so ``pair_editions`` can join them.
    """

    source_url: str
    session: str
    parliament: int
    session_number: int
    sitting: int
    date: dt.date
    sequence: int  # 1-based order in the sitting, across every kind of item
    hansard_id: str | None  # "8361378" (an Intervention), "8361378.1" (its second turn)…
    spoken_at: dt.datetime | None  # from the latest Timestamp (or "The House met at")
    language: Language  # the edition the labels and headings came from
    rubric: str | None  # OrderOfBusiness/@Rubric: "OralQuestionPeriod"…; None in Intro
    heading_en: Heading | None
    heading_fr: Heading | None
    bill_numbers: tuple[str, ...]  # bills referenced, normalised, first-seen order


class Speech(_SittingItem):
    """One turn of speaking: an ``Intervention``, or a turn printed inside one.

    A paragraph opening with a bold label ("**Some hon. members:** Agreed.") inside an
    intervention starts a turn of its own (``turn`` > 0) with that label as speaker.
    Text and HTML come in EN/FR pairs: parsing one edition fills its half,
    ``pair_editions`` the other.
    """

    kind: Literal["speech"] = "speech"
    intervention_id: int | None  # Intervention/@id, identical in both editions
    intervention_type: str | None  # Debate, Question, Answer, Interjection, Statement
    turn: int  # 0: the intervention's own label; n: the n-th label printed inside it
    speaker_label: str | None  # as printed: "Mr. Fayçal El-Khoury (Laval—Les Îles, Lib.)"
    speaker_name: str | None  # "Mr. Fayçal El-Khoury"; None for "The Speaker"
    speaker_role: str | None  # "Minister of Transport", "The Deputy Speaker"
    speaker_riding: str | None  # "Laval—Les Îles"
    party: str | None  # abbreviation as printed: "Lib.", "CPC", "NDP", "BQ"…
    affiliation_id: int | None  # Affiliation/@DbId: a Hansard role id, not a PersonId
    affiliation_type: int | None  # Affiliation/@Type: a hint only
    speaker_label_fr: str | None = None  # the French edition's label, when parsed
    speaker_role_fr: str | None = None  # "premier ministre"
    text_en: tuple[str, ...] | None  # paragraphs, plain text (source characters kept)
    text_fr: tuple[str, ...] | None
    html_en: str | None  # the same in the small safe markup (see sources/hansard_markup)
    html_fr: str | None


class Note(_SittingItem):
    """A line of the record that nobody speaks: procedural notes and the like."""

    kind: Literal["note"] = "note"
    note_type: NoteType
    text_en: tuple[str, ...] | None
    text_fr: tuple[str, ...] | None
    html_en: str | None
    html_fr: str | None


class WrittenQuestion(_SittingItem):
    """A written question with its answer (``WrittenQuestionResponse``), as printed."""

    kind: Literal["written_question"] = "written_question"
    number: int | None  # 1356 in "Question No. 1356—"
    number_label: str | None  # as printed
    asker_label: str | None  # "Mr. Alex Ruff"
    asker_name: str | None
    asker_affiliation_id: int | None
    answerer_label: str | None  # None when the answer is a tabled return
    answerer_name: str | None
    answerer_role: str | None
    answerer_party: str | None
    answerer_affiliation_id: int | None
    answerer_affiliation_type: int | None
    number_label_fr: str | None = None  # the French edition's, when parsed
    answerer_label_fr: str | None = None
    answerer_role_fr: str | None = None
    question_en: tuple[str, ...] | None
    question_fr: tuple[str, ...] | None
    question_html_en: str | None
    question_html_fr: str | None
    answer_en: tuple[str, ...] | None
    answer_fr: tuple[str, ...] | None
    answer_html_en: str | None
    answer_html_fr: str | None


class DivisionName(_Frozen):
    """One name printed in a division table: a surname, with the riding when ambiguous."""

    kind: Literal["division_name"] = "division_name"
    value: BallotValue
    name: str  # as printed: "Duncan (Stormont—Dundas—South Glengarry)"
    surname: str  # "Duncan"
    riding: str | None  # "Stormont—Dundas—South Glengarry"
    affiliation_id: int | None  # Affiliation/@DbId (a Hansard id)


class DivisionTable(_SittingItem):
    """A recorded division as printed in the sitting: who voted how, and the totals."""

    kind: Literal["division_table"] = "division_table"
    division_number: int
    result: VoteResult | None  # from "(… which was negatived on the following division:)"
    yeas: int
    nays: int
    paired: int
    names: tuple[DivisionName, ...]
    text_en: tuple[str, ...] | None  # the table as printed, one line per entry
    text_fr: tuple[str, ...] | None
    html_en: str | None  # the table in the markup: one paragraph per heading and list
    html_fr: str | None


SittingItem = Speech | Note | WrittenQuestion | DivisionTable
"""Any item of a sitting, in document order after its ``Debate``."""


Record = Annotated[
    Bill | Member | Vote | Ballot | Debate | Speech | Note | WrittenQuestion | DivisionTable,
    Field(discriminator="kind"),
]
"""Any top-level record a parser yields."""

RECORD_TYPES: tuple[type[BaseModel], ...] = (
    Bill,
    Member,
    Vote,
    Ballot,
    Debate,
    Speech,
    Note,
    WrittenQuestion,
    DivisionTable,
)

_record_adapter: TypeAdapter[Record] = TypeAdapter(Record)


def record_from_json(data: str | bytes) -> Record:
    """Rebuild a record from one JSON line printed by ``openpolicy sources parse``."""
    return _record_adapter.validate_json(data)
