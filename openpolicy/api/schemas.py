"""Response schemas, for the OpenAPI document only (DESIGN §8: no response_model on hot paths).

Handlers render rows with orjson; these models describe what they render, field by field,
with an example each. List-item fields are optional because `fields=` may leave any out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


def F(description: str, example: Any = None) -> Any:  # noqa: N802 - reads like a column spec
    """An optional, nullable field with its description and example."""
    return Field(
        default=None, description=description, examples=[example] if example is not None else None
    )


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Pagination(Schema):
    limit: int = Field(description="Items per page as applied.", examples=[50])
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )
    next: str | None = Field(default=None, description="The full URL of the next page.")
    total: int | None = F("Search only: matches counted (see total_relation).", 42)
    total_relation: str | None = F(
        "Search only: `eq` when total is exact, `gte` when it is a lower bound.", "eq"
    )
    estimated_total: int | None = F(
        "Search only: the statistics' estimate of all matches (exact when total is).", 340000
    )


class ListEnvelope(Schema, Generic[T]):
    data: list[T] = Field(description="The items of this page.")
    pagination: Pagination = Field(description="Where this page is, and the next one.")


class DetailEnvelope(Schema, Generic[T]):
    data: T = Field(description="The resource.")


class PagedDetailEnvelope(Schema, Generic[T]):
    data: T = Field(description="The resource, with one page of its items.")
    pagination: Pagination = Field(description="Where this page of items is, and the next one.")


class Problem(BaseModel):
    """RFC 9457 problem document: every error of the API."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(
        description="URI naming the kind of problem.",
        examples=["https://openpolicy.ca/problems/bad-request"],
    )
    title: str = Field(
        description="Short summary of the kind of problem.", examples=["Bad request"]
    )
    status: int = Field(description="The HTTP status.", examples=[400])
    detail: str = Field(
        description="What went wrong, naming the parameter and what was expected.",
        examples=["limit: 900 is out of range (1 to 500)"],
    )
    instance: str | None = Field(default=None, description="The path that was requested.")


# --- data sources, sessions, parties -------------------------------------------------------------


class DataSourceItem(Schema):
    name: str | None = F("Source name as the CLI and jobs use it.", "votes")
    url: str | None = F("Official endpoint read.", "https://www.ourcommons.ca/Members/en/votes/XML")
    status: str | None = F("never_run, running, ok, degraded, failed or disabled.", "ok")
    last_run: dt.datetime | None = F("Start of the latest run.", "2025-09-18T06:00:00+00:00")
    last_success: dt.datetime | None = F("End of the latest successful run.")
    last_updated: dt.datetime | None = F("Latest run that changed data.")
    counts: dict[str, Any] | None = F("Records by kind after the latest run.", {"votes": 112})
    last_error: str | None = F("Error of the latest failed run.")


class SessionItem(Schema):
    code: str | None = F("Session written as in paths.", "45-1")
    parliament: int | None = F("Parliament number.", 45)
    session: int | None = F("Session number within the Parliament.", 1)
    start_date: dt.date | None = F("Opening day.", "2025-05-26")
    end_date: dt.date | None = F("Prorogation or dissolution day; null while sitting.")


class PartyItem(Schema):
    short_name_en: str | None = F("Caucus as the feeds name it.", "Liberal")
    short_name_fr: str | None = F("Caucus in French.", "Libéral")
    name_en: str | None = F("Full party name.", "Liberal Party of Canada")
    name_fr: str | None = F("Full party name in French.", "Parti libéral du Canada")
    abbreviation: str | None = F("As printed in Hansard.", "Lib.")
    colour: str | None = F("#rrggbb used by the site's charts.", "#d71920")


# --- bills ----------------------------------------------------------------


class BillItem(Schema):
    session: str | None = F("Session of the bill.", "45-1")
    number: str | None = F("Bill number.", "C-2")
    title_en: str | None = F("Long title, English.", "An Act respecting certain measures…")
    title_fr: str | None = F("Long title, French.", "Loi concernant certaines mesures…")
    short_title_en: str | None = F("Short title, English.", "Strong Borders Act")
    short_title_fr: str | None = F("Short title, French.")
    type: str | None = F(
        "government, private_member, senate_government, senate_public, senate_private.",
        "government",
    )
    chamber: str | None = F("Originating chamber: house or senate.", "house")
    status_en: str | None = F(
        "Current status as LEGISinfo words it.", "At second reading in the House of Commons"
    )
    status_fr: str | None = F("Current status, French.")
    sponsor_id: int | None = F("Member id of the sponsor (see /members/{id}).", 123)
    sponsor_name: str | None = F("Sponsor's name.", "Gary Anandasangaree")
    introduced: dt.date | None = F("First reading in the originating chamber.", "2025-06-03")
    royal_assent: dt.date | None = F("Day of royal assent.")
    latest_activity_at: dt.datetime | None = F("Latest stage or event.")
    updated_at: dt.datetime | None = F("When OpenPolicy last changed this bill.")
    stages: list[BillStageItem] | None = F("With `include=stages`: every stage.")


class BillStageItem(Schema):
    sequence: int | None = F("Order of the stage.", 1)
    chamber: str | None = F("house, senate or royal_assent.", "house")
    stage: str | None = F(
        "first_reading, second_reading, committee, report, third_reading, "
        "senate_pre_study, royal_assent or other.",
        "first_reading",
    )
    name_en: str | None = F("Stage as LEGISinfo names it.", "First reading")
    name_fr: str | None = F("Stage name, French.", "Première lecture")
    date: dt.date | None = F("Day it happened; null when not reached.", "2025-06-03")
    at: dt.datetime | None = F(
        "Time it happened, with Ottawa's offset of the day, when LEGISinfo gives one.",
        "2023-06-22T12:00:00-04:00",
    )
    outcome: str | None = F("completed, in_progress, not_reached…", "completed")


class LatestStageRef(Schema):
    stage: str | None = F("Latest stage reached (codes as in `stages`).", "third_reading")
    chamber: str | None = F("house, senate or royal_assent.", "house")
    name_en: str | None = F("Stage as LEGISinfo names it.", "Third reading")
    name_fr: str | None = F("Stage name, French.", "Troisième lecture")


class BillMessage(Schema):
    sequence: int | None = F("Order of the message.", 1)
    chamber: str | None = F("Chamber that acted: house or senate.", "senate")
    name_en: str | None = F("As LEGISinfo names it.", "Message sent to the House of Commons")
    name_fr: str | None = F("Name, French.")
    at: dt.datetime | None = F("When, with Ottawa's offset of the day.")
    sitting: int | None = F("That chamber's sitting number.", 96)


class DivisionRef(Schema):
    session: str | None = F("Session.", "45-1")
    number: int | None = F("Division number.", 12)
    date: dt.date | None = F("Day of the division.")
    subject_en: str | None = F("Subject, English.")
    subject_fr: str | None = F("Subject, French.")
    result: str | None = F("agreed, negatived or tied.", "agreed")
    yeas: int | None = F("Yeas.", 170)
    nays: int | None = F("Nays.", 150)
    paired: int | None = F("Paired.", 0)
    ballots_status: str | None = F(
        "recorded, printed or pending (official totals only; see /votes).", "pending"
    )


class DebateRef(Schema):
    session: str | None = F("Session.", "44-1")
    number: int | None = F("Sitting number.", 5)
    date: dt.date | None = F("Day of the sitting.")
    mentions: int | None = F("Speeches of the sitting that name the bill.", 3)


class Sponsor(Schema):
    id: int | None = F("Member id.", 123)
    name: str | None = F("Name.", "Gary Anandasangaree")


class BillDetail(Schema):
    session: str = Field(description="Session.", examples=["45-1"])
    number: str = Field(description="Bill number.", examples=["C-2"])
    legisinfo_id: int | None = F("LEGISinfo id.", 13543613)
    title_en: str | None = F("Long title, English.")
    title_fr: str | None = F("Long title, French.")
    short_title_en: str | None = F("Short title, English.")
    short_title_fr: str | None = F("Short title, French.")
    type: str | None = F("Bill type.", "government")
    chamber: str | None = F("Originating chamber.", "house")
    status_en: str | None = F("Status as LEGISinfo words it, English (the source's text).")
    status_fr: str | None = F("Status as LEGISinfo words it, French.")
    latest_stage: LatestStageRef | None = F(
        "The latest stage reached, which the displayed status follows; where the source's "
        "status text names another stage, both are kept (the fidelity check "
        "bill_status_matches_stages lists it)."
    )
    sponsor: Sponsor | None = F("Sponsor.")
    introduced: dt.date | None = F("First reading.")
    royal_assent: dt.date | None = F("Royal assent.")
    latest_activity_at: dt.datetime | None = F(
        "Latest activity, with Ottawa's offset of the day.", "2023-06-22T12:00:00-04:00"
    )
    text_url: str | None = F("Official text.")
    updated_at: dt.datetime | None = F("When OpenPolicy last changed it.")
    stages: list[BillStageItem] = Field(description="Every stage, in order, with dates.")
    messages: list[BillMessage] = Field(
        description="Messages between the chambers about the bill, in order."
    )
    divisions: list[DivisionRef] = Field(description="Recorded divisions held on the bill.")
    debates: list[DebateRef] = Field(description="Sittings of its session whose speeches name it.")


# --- votes ----------------------------------------------------------------


class VoteItem(Schema):
    session: str | None = F("Session.", "43-2")
    number: int | None = F("Division number.", 69)
    date: dt.date | None = F("Day of the division.", "2021-03-10")
    subject_en: str | None = F("Subject, English.")
    subject_fr: str | None = F("Subject, French.")
    result: str | None = F("agreed, negatived or tied.", "agreed")
    yeas: int | None = F("Yeas.", 305)
    nays: int | None = F("Nays.", 25)
    paired: int | None = F("Paired.", 0)
    document_type: str | None = F("Kind of business as the source names it.", "Supply")
    bill_number: str | None = F("Bill voted on, if any.", "C-7")
    sitting: int | None = F("Sitting number.", 69)
    ballots_status: str | None = F(
        "Where its ballots come from: recorded (the division's ballots document), printed "
        "(the names printed in the sitting's division table, while there is no ballots "
        "document) or pending (known by its official totals only, e.g. named by a bill; "
        "the ballots arrive with their document).",
        "recorded",
    )
    party_breakdown: list[PartyBreakdown] | None = F(
        "With `include=party_breakdown`: yea/nay/paired per party."
    )


class PartyBreakdown(Schema):
    party: str | None = F("Caucus (short name) at the time of the vote.", "Liberal")
    yea: int | None = F("Yea ballots.", 150)
    nay: int | None = F("Nay ballots.", 0)
    paired: int | None = F("Paired ballots.", 0)
    total: int | None = F("Ballots cast by the party.", 150)
    majority: str | None = F(
        "yea or nay, whichever the party's majority voted; null on a tie.", "yea"
    )
    voted_together: bool | None = F("True when no member of the party voted the other way.", True)


class BallotItem(Schema):
    member_id: int | None = F("Member id.", 42)
    name: str | None = F("Member's name.", "Ziad Aboultaif")
    party: str | None = F("Caucus at the time of the vote.", "Conservative")
    constituency: str | None = F("Seat at the time of the vote.", "Edmonton Manning")
    province: str | None = F("Province or territory code.", "AB")
    value: str | None = F("yea, nay or paired.", "yea")


class BillRef(Schema):
    session: str | None = F("Session.", "43-2")
    number: str | None = F("Bill number.", "C-7")
    title_en: str | None = F("Long title, English.")
    title_fr: str | None = F("Long title, French.")
    short_title_en: str | None = F("Short title, English.")
    short_title_fr: str | None = F("Short title, French.")


class VoteDetail(VoteItem):
    bill: BillRef | None = F("The bill voted on, when there is one.")
    updated_at: dt.datetime | None = F("When OpenPolicy last changed it.")
    party_breakdown: list[PartyBreakdown] = Field(description="Per party, largest first.")
    ballots: list[BallotItem] = Field(description="Every ballot, by member name.")


class BallotRow(Schema):
    session: str | None = F("Session.", "43-2")
    vote_number: int | None = F("Division number.", 69)
    date: dt.date | None = F("Day of the division.")
    member_id: int | None = F("Member id.", 42)
    name: str | None = F("Member's name.")
    party: str | None = F("Caucus at the time of the vote.")
    value: str | None = F("yea, nay or paired.", "nay")


# --- members ----------------------------------------------------------------


class MemberItem(Schema):
    id: int | None = F("Member id (stable; use it in /members/{id}).", 42)
    name: str | None = F("Full name.", "Ziad Aboultaif")
    first_name: str | None = F("First name.", "Ziad")
    last_name: str | None = F("Last name.", "Aboultaif")
    honorific: str | None = F("Hon., Right Hon.")
    party: str | None = F("Caucus in the latest term (or in `parliament`).", "Conservative")
    constituency: str | None = F("Seat in that term.", "Edmonton Manning")
    province: str | None = F("Province or territory code.", "AB")
    parliament: int | None = F("Parliament of that term.", 45)
    current: bool | None = F("True while the term is open.", True)
    person_id: int | None = F("ourcommons.ca PersonId, when known.", 89156)
    terms: list[TermItem] | None = F("With `include=terms`: every term, newest first.")


class TermItem(Schema):
    parliament: int | None = F("Parliament.", 44)
    start_date: dt.date | None = F("First day of the term.")
    end_date: dt.date | None = F("Last day; null while sitting.")
    party: str | None = F("Caucus.", "Liberal")
    party_fr: str | None = F("Caucus in French.", "Libéral")
    constituency: str | None = F("Seat.")
    constituency_fr: str | None = F("Seat in French.")
    province: str | None = F("Province or territory code.", "ON")


class MemberDetail(Schema):
    id: int = Field(description="Member id.", examples=[42])
    name: str | None = F("Full name.")
    first_name: str | None = F("First name.")
    last_name: str | None = F("Last name.")
    honorific: str | None = F("Honorific.")
    person_id: int | None = F("ourcommons.ca PersonId.")
    photo_url: str | None = F("Official photo.")
    updated_at: dt.datetime | None = F("When OpenPolicy last changed it.")
    current: bool | None = F("Sitting now.")
    party: str | None = F("Caucus in the latest term.")
    constituency: str | None = F("Seat in the latest term.")
    province: str | None = F("Province of that seat.")
    terms: list[TermItem] = Field(
        description="Every term, newest first (a floor crossing starts a new term)."
    )


class VoteRecordItem(Schema):
    session: str | None = F("Session.", "44-1")
    number: int | None = F("Division number.", 332)
    date: dt.date | None = F("Day of the division.")
    subject_en: str | None = F("Subject, English.")
    subject_fr: str | None = F("Subject, French.")
    result: str | None = F("agreed, negatived or tied.")
    bill_number: str | None = F("Bill voted on, if any.")
    ballot: str | None = F("yea, nay, paired, or null when the member did not vote.", "yea")
    party: str | None = F("The member's caucus at the time.", "NDP")
    party_majority: str | None = F("How the majority of that caucus voted.", "yea")
    dissent: bool | None = F("True when the ballot differs from the party's majority.", False)


class YearParticipation(Schema):
    year: int = Field(description="Calendar year.", examples=[2021])
    divisions: int = Field(
        description="Recorded divisions with ballots on file held that year while the member sat.",
        examples=[212],
    )
    voted: int = Field(
        description="Of those, divisions in which they cast a ballot.", examples=[201]
    )
    dissents: int = Field(
        description="Of their yeas and nays, those against the majority of their party.",
        examples=[3],
    )
    participation: float | None = Field(
        description="voted / divisions (null without a division).", examples=[0.948]
    )
    dissent_rate: float | None = Field(
        description="dissents / voted (null when they cast no ballot).", examples=[0.015]
    )


class MemberParticipation(Schema):
    member_id: int = Field(description="Member id.", examples=[42])
    name: str = Field(description="Full name.", examples=["Ziad Aboultaif"])
    divisions: int = Field(
        description="Recorded divisions with ballots on file held while the member sat.",
        examples=[880],
    )
    voted: int = Field(
        description="Of those, divisions in which they cast a ballot.", examples=[850]
    )
    dissents: int = Field(
        description="Ballots against the majority of their own party in the division.",
        examples=[4],
    )
    participation: float | None = Field(
        description="voted / divisions over the whole record (null without a division).",
        examples=[0.966],
    )
    dissent_rate: float | None = Field(
        description="dissents / voted over the whole record (null without a ballot).",
        examples=[0.005],
    )
    years: list[YearParticipation] = Field(
        description="The same counts year by year, oldest first (years without a division "
        "left out)."
    )
    method: str = Field(description="How the figures are counted, in words.")


class SpeechItem(Schema):
    id: int | None = F("Speech id.", 1001)
    session: str | None = F("Session.", "44-1")
    debate_number: int | None = F("Sitting number.", 5)
    date: dt.date | None = F("Day of the sitting.")
    sequence: int | None = F("Position in the sitting.", 12)
    time: str | None = F("Time of day, HH:MM:SS, when Hansard gives it.", "10:05:00")
    heading: str | None = F("Heading in the requested language.")
    text: str | None = F("Text in the requested language.")


class PartyCohesionItem(Schema):
    session: str = Field(description="Session.", examples=["43-2"])
    party: str = Field(description="Caucus as the feeds name it.", examples=["NDP"])
    party_fr: str | None = F("Caucus in French.", "NPD")
    divisions: int = Field(
        description="Divisions with ballots on file in which its members cast a yea or nay.",
        examples=[120],
    )
    ballots: int = Field(description="Its members' yeas and nays in those.", examples=[2900])
    against: int = Field(
        description="Ballots against the party's majority in their division (none where the "
        "party split evenly).",
        examples=[7],
    )
    against_share: float = Field(description="against / ballots.", examples=[0.0024])
    split: int = Field(
        description="Divisions in which at least one member voted the other way.", examples=[5]
    )
    split_share: float = Field(description="split / divisions.", examples=[0.0417])
    unity: float = Field(
        description="Mean over its divisions of |yeas − nays| / (yeas + nays) (Rice's index): "
        "1 when every member voted alike.",
        examples=[0.995],
    )


class CohesionList(Schema):
    data: list[PartyCohesionItem] = Field(
        description="Per session (newest first), every party with ballots on file, larger "
        "caucuses first."
    )
    pagination: Pagination = Field(description="The whole list in one page.")
    method: str = Field(description="How the figures are counted, in words.")


# --- debates ----------------------------------------------------------------


class DebateItem(Schema):
    session: str | None = F("Session.", "44-1")
    number: int | None = F("Sitting number.", 5)
    date: dt.date | None = F("Day of the sitting.", "2021-11-26")
    source_url_en: str | None = F("Official Hansard XML, English.")
    source_url_fr: str | None = F("Official Hansard XML, French.")


class ContentsSubheading(Schema):
    subheading: str | None = F(
        "Sub-heading as printed: a petition's topic, a catch line.", "Canada Pension Plan"
    )
    sequence: int | None = F("First item under it.", 14)
    speeches: int | None = F("Consecutive items under it.", 1)


class ContentsItem(Schema):
    section: str | None = F(
        "Section: the order of business as printed (first level).", "Routine Proceedings"
    )
    heading: str | None = F("Heading (second level).", "Petitions")
    order_of_business: str | None = F("Order of business code it falls under.")
    sequence: int | None = F("First item under it.", 40)
    speeches: int | None = F("Consecutive items under it, of every kind.", 12)
    subheadings: list[ContentsSubheading] = Field(
        description="Runs of items under a sub-heading within it (third level), in order."
    )


class DebateSpeech(Schema):
    id: int | None = F("Item id.")
    sequence: int | None = F("Position in the sitting, across every kind of item.")
    time: str | None = F("HH:MM:SS when Hansard gives it.")
    kind: str | None = F(
        "speech (a turn of speaking), note (procedural text), question and answer (a "
        "written question and its answer), division (a division table as printed).",
        "speech",
    )
    note_type: str | None = F("For notes: procedural, resumed, text…", "procedural")
    member_id: int | None = F("Member id when the speaker (or asker, answerer) is identified.")
    speaker_name: str | None = F("Speaker as printed; null for a presiding officer named by role.")
    speaker_role: str | None = F(
        "Role in the language asked: The Deputy Speaker, a minister; Some hon. members.",
        "The Deputy Speaker",
    )
    speaker_riding: str | None = F("Riding printed with the speaker's name.")
    party: str | None = F("Party abbreviation as printed.")
    type: str | None = F("Speeches: Debate, Question, Answer, Statement, Interjection.")
    section: str | None = F("Section (order of business as printed) in the language asked.")
    heading: str | None = F("Heading in the language asked.")
    subheading: str | None = F("Sub-heading in the language asked: a petition's topic.")
    text: str | None = F(
        "Plain text in the language asked (paragraphs separated by a blank line), the "
        "source's characters kept."
    )
    html: str | None = F(
        "The same text in a small safe markup: <p>, <blockquote>, <em>, <strong>, <sup>, "
        '<sub>; <p class="floor" data-floor="fr"> language markers and <p class="time" '
        'data-time="10:40"> time stamps. No other tag or attribute.'
    )
    question_number: int | None = F("Written questions and answers: the question number.", 1356)
    division_number: int | None = F("Division tables: the division they print.", 332)


class DebateDetail(Schema):
    session: str = Field(description="Session.", examples=["44-1"])
    number: int = Field(description="Sitting number.", examples=[5])
    date: dt.date | None = F("Day of the sitting.")
    source_url_en: str | None = F("Official Hansard XML, English.")
    source_url_fr: str | None = F("Official Hansard XML, French.")
    hansard_document_id: int | None = F("Publication DocId (same for EN and FR).")
    updated_at: dt.datetime | None = F("When OpenPolicy last changed it.")
    lang: str | None = F("Language of headings and text.", "en")
    speech_count: int | None = F("Items in the whole sitting, of every kind.", 369)
    house_speaker: str | None = F(
        "The Speaker of the House that day, as the sitting names them.", "Anthony Rota"
    )
    contents: list[ContentsItem] = Field(
        description="Table of contents: headings in order with their section and sub-headings."
    )
    speeches: list[DebateSpeech] = Field(
        description="One page of the sitting's items in order (`pagination` leads to the next)."
    )


# --- search ----------------------------------------------------------------


class SearchHit(Schema):
    id: int | None = F("Member or speech id.")
    session: str | None = F("Session (speeches, bills, divisions).")
    number: str | int | None = F("Bill number (bills) or division number (divisions).")
    debate_number: int | None = F("Sitting number (speeches).")
    date: dt.date | None = F("Day of the sitting or of the division.")
    sequence: int | None = F("Position in the sitting (speeches).")
    kind: str | None = F("Item kind (speeches): speech, note, question, answer.")
    member_id: int | None = F("Speaker's member id (speeches).")
    speaker_name: str | None = F("Speaker as printed (speeches).")
    speaker_role: str | None = F("Presiding officer's role, e.g. The Deputy Speaker (speeches).")
    speaker_role_fr: str | None = F("The role in French (speeches).")
    party: str | None = F("Party (speeches: abbreviation; members: caucus).")
    heading: str | None = F("Heading (speeches).")
    subheading: str | None = F("Sub-heading: a petition's topic, a ruling (speeches).")
    text_lang: str | None = F("Language of the text and snippet (speeches).")
    exact: bool | None = F("The speech has the words as typed, not only their stems.")
    snippet: str | None = F("Matching passage, matches wrapped in <mark>…</mark>.")
    rank: float | None = F(
        "Relevance score (ts_rank, plus 1 and the exact forms' rank where the words appear "
        "as typed); null when sorted newest first."
    )
    title_en: str | None = F("Long title (bills).")
    title_fr: str | None = F("Long title, French (bills).")
    short_title_en: str | None = F("Short title (bills).")
    short_title_fr: str | None = F("Short title, French (bills).")
    status_en: str | None = F("Status (bills).")
    status_fr: str | None = F("Status, French (bills).")
    latest_activity_at: dt.datetime | None = F("Latest activity (bills).")
    subject_en: str | None = F("Subject (divisions).")
    subject_fr: str | None = F("Subject, French (divisions).")
    result: str | None = F("agreed, negatived or tied (divisions).")
    yeas: int | None = F("Yeas (divisions).")
    nays: int | None = F("Nays (divisions).")
    paired: int | None = F("Paired (divisions).")
    bill_number: str | None = F("Bill the division is on (divisions).")
    name: str | None = F("Name (members).")
    constituency: str | None = F("Seat (members).")
    province: str | None = F("Province (members).")
    current: bool | None = F("Sitting now (members).")


class SearchCount(Schema):
    total: int = F("Matches of this kind.")
    relation: str = F("`eq`: exact; `gte`: an estimate, at least `total` (common words).")


class SearchFacet(Schema):
    value: str = F("The filter's value: party, member id, session, year.")
    label: str = F("What to show: the party, the member's name, the session, the year.")
    hits: int = F("Speeches among those seen.")


class SearchFacets(Schema):
    seen: int = F("Speech matches counted (every match when `exact`, else the newest).")
    exact: bool = F("Every matching speech was counted.")
    parties: list[SearchFacet] = F("By the speaker's party.")
    members: list[SearchFacet] = F("The most frequent speakers (value: member id).")
    sessions: list[SearchFacet] = F("By session.")
    years: list[SearchFacet] = F("By year.")


class SearchMonth(Schema):
    month: str = F("YYYY-MM.")
    speeches: int = F("Matching speeches that month.")


class SearchKinds(Schema):
    speeches: list[SearchHit] = F("The best matching speeches.")
    bills: list[SearchHit] = F("The best matching bills.")
    divisions: list[SearchHit] = F("The best matching divisions.")
    members: list[SearchHit] = F("Matching members.")


class SearchOverviewBody(Schema):
    data: SearchKinds = F("Up to `limit` results of each kind the filters allow.")
    counts: dict[str, SearchCount] = F("Matches per kind: speeches, bills, divisions, members.")
    facets: SearchFacets | None = F("Facets of the speech matches.")
    trend: list[SearchMonth] | None = F(
        "Matching speeches per month, first to last; null when the words are too common "
        "for the search to see every match."
    )


# --- status, admin, ping ----------------------------------------------------------------


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: str = Field(
        description="operational, degraded, major_outage or maintenance.", examples=["operational"]
    )


class Pong(Schema):
    ok: bool = Field(description="Always true.", examples=[True])


class KeyItem(Schema):
    id: int | None = F("Key id.")
    name: str | None = F("Label.")
    service: str | None = F("Holder; rotation is per service.")
    prefix: str | None = F("First 8 hex digits of the key.")
    scopes: list[str] | None = F("read, admin.")
    rate_limit_per_minute: int | None = F("Own limit, else the default for keys.")
    created_at: dt.datetime | None = F("Issued.")
    expires_at: dt.datetime | None = F("Expiry (set by rotation's grace period).")
    last_used_at: dt.datetime | None = F("Last request (to the minute).")
    revoked_at: dt.datetime | None = F("Revocation.")
    replaced_by_id: int | None = F("The key that replaced it.")
    status: str | None = F("active, rotating, expired or revoked.")


class AuditItem(Schema):
    id: int | None = F("Event id.")
    occurred_at: dt.datetime | None = F("When.")
    actor: str | None = F("key:<prefix>, anonymous, cli…")
    action: str | None = F("api.unauthorized, api.forbidden, api_key.rotate…")
    status_code: int | None = F("HTTP status, for requests.")
    path: str | None = F("Path requested.")
    client_ip: str | None = F("Client address.")
    details: dict[str, Any] | None = F("Method, request id, key prefixes…")


class CachePurged(Schema):
    deleted: int = Field(description="Cached responses removed.", examples=[12])
    backend: str = Field(description="redis, memory or disabled.", examples=["redis"])


for _model in (BillItem, VoteItem, VoteDetail, MemberItem):
    _model.model_rebuild()
