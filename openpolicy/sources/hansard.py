"""House of Commons Hansard XML (``/Content/House/{ps}/Debates/{nnn}/HAN{nnn}-E.XML``, ``-F``).

A sitting is its ``Debate`` and then every item of its body, in document order:

* ``Speech``: one turn of speaking. An ``Intervention`` is one speech, unless a paragraph
  inside it opens with another speaker's bold label ("**The Deputy Speaker:** Is that
  agreed?", "**Some hon. members:** Agreed."): each such label starts a turn of its own.
* ``Note``: what nobody speaks: ``ProceduralText`` ("(Motion agreed to)"), text printed
  outside any intervention ("The House resumed consideration of…", a message from the
  Governor General, "(The House divided on the motion…)"), the Prayer.
* ``WrittenQuestion``: a ``WrittenQuestionResponse`` (number, asker, answerer, both texts).
* ``DivisionTable``: a ``Division`` as printed: names by surname under yeas, nays and
  paired, with the printed totals.

Every item carries the headings it sits under (``OrderOfBusiness`` title and catch line,
``SubjectOfBusiness`` title, qualifier and catch line; a subject printed with a qualifier
only, like each petition after the first, keeps the title above it), its time (the latest
``<Timestamp>``, else "The House met at …") and its text twice: plain paragraphs (source
characters kept) and the small safe markup of ``hansard_markup`` (italics, quotations,
"[Translation]" markers, time stamps).

EN and FR editions have the same structure and element ids: ``pair_editions`` puts the
French text and headings into the English items. Either edition parses on its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from openpolicy.records import (
    Debate,
    DivisionName,
    DivisionTable,
    Heading,
    Note,
    SittingItem,
    Speech,
    WrittenQuestion,
)
from openpolicy.sources._parsing import OTTAWA, load_xml, xpath_of
from openpolicy.sources.errors import SourceFormatError
from openpolicy.sources.hansard_markup import (
    escape,
    floor_marker,
    leading_label,
    paragraph,
    text_of,
    time_marker,
)
from openpolicy.vocab import (
    BallotValue,
    Language,
    NoteType,
    VoteResult,
    normalize_bill_number,
    normalize_hyphens,
    session_code,
)

_BILL_IN_TEXT = re.compile(r"\b(?:Bills?|projets? de loi)\s+([CS]-\d{1,4})\b", re.IGNORECASE)
_HOUSE_MET = re.compile(
    r"(?:The House met at|La séance est ouverte à)\s+"
    r"(?:(?P<noon>noon|midi)|(?P<hour>\d{1,2})(?:[:.h]\s*|\sh\s)?(?P<minute>\d{2})?\s*"
    r"(?:(?P<ampm>[ap])\.\s?m\.)?)",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^(?P<head>[^(]*?)\s*\((?P<inner>.*)\)$")
_PRESIDING = re.compile(r"^(?:The|Le|La)\s(?!très\s)", re.IGNORECASE)
_COLLECTIVE = re.compile(
    r"^(?:(?:some|an|several|many)\s+hon\.?\s+members?|(?:des|une|plusieurs)\s+voix"
    r"|(?:quelques|des|un)\s+députés?|members|députés)$",
    re.IGNORECASE,
)
_RESUMED = re.compile(
    r"^\(?\s*(?:The House resumed|La Chambre reprend|The House proceeded to the (?:further )?"
    r"consideration|La Chambre passe à l'étude|La Chambre reprend l'étude)",
    re.IGNORECASE,
)
_NEGATIVED = re.compile(r"\b(?:negatived|defeated|rejetée?s?|n[ée]gativée?s?)\b", re.IGNORECASE)
_AGREED = re.compile(r"\b(?:agreed to|carried|adoptée?s?)\b", re.IGNORECASE)
_SPEAKER_NAME = re.compile(
    r"^(?:Speaker\s*:\s*|Présidence de\s+)?(?:The Honourable|l['’]honorable|L['’]honorable|"
    r"the Honourable|Hon\.)\s+",
)
_DIGITS = re.compile(r"\d+")
_SURNAME = re.compile(r"^(?P<surname>[^(]*?)\s*(?:\((?P<riding>[^)]*)\))?$")
_VOTE_TYPES = {
    "yeas": BallotValue.YEA,
    "yea": BallotValue.YEA,
    "pour": BallotValue.YEA,
    "nays": BallotValue.NAY,
    "nay": BallotValue.NAY,
    "contre": BallotValue.NAY,
    "paired": BallotValue.PAIRED,
    "pairés": BallotValue.PAIRED,
    "paires": BallotValue.PAIRED,
}
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "janvier"),
            ("february", "février"),
            ("march", "mars"),
            ("april", "avril"),
            ("may", "mai"),
            ("june", "juin"),
            ("july", "juillet"),
            ("august", "août"),
            ("september", "septembre"),
            ("october", "octobre"),
            ("november", "novembre"),
            ("december", "décembre"),
        ),
        start=1,
    )
    for name in names
}
# Elements whose text the walk reads through its parent (headings) or never shows.
_HEADING_TAGS = frozenset(
    {"OrderOfBusinessTitle", "SubjectOfBusinessTitle", "SubjectOfBusinessQualifier", "CatchLine"}
)


# --- small pure helpers (public where tests and ingest find them useful) -----------------


def split_speaker(
    label: str, affiliation_type: int | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """Split a printed label into ``(name, role, riding, party)``.

    ``"Mr. Fayçal El-Khoury (Laval—Les Îles, Lib.)"`` → riding; ``"Hon. Omar Alghabra
    (Minister of Transport, Lib.)"`` → role. The parenthesis holds a riding for
    ordinary members (Affiliation ``Type`` 2) and a role otherwise. Presiding officers
    print a role and maybe a name: ``"The Acting Speaker (Mr. Bruce Stanton)"``. Members
    speaking together ("Some hon. members", "Des voix") are a role with no name.
    """
    if _COLLECTIVE.match(label):
        return None, label, None, None
    match = _LABEL.match(label)
    if match is None:
        if _PRESIDING.match(label):
            return None, label, None, None
        return label, None, None, None
    head, inner = match.group("head"), match.group("inner").strip()
    context, comma, party = inner.rpartition(",")
    if not comma:
        context, party = inner, ""
    context, party = context.strip(), party.strip()
    if _PRESIDING.match(head) and not party:
        return context or None, head, None, None
    if affiliation_type == 2:
        return head or None, None, context or None, party or None
    if affiliation_type is None and not party and not _PRESIDING.match(head):
        # A bold label inside an intervention: "Mr. Kevin Lamoureux (Winnipeg North)".
        return head or None, None, context or None, None
    return head or None, context or None, None, party or None


def is_collective(label: str | None) -> bool:
    """ "Some hon. members", "An hon. member", "Des voix": nobody in particular."""
    return bool(label and _COLLECTIVE.match(label))


def house_met_minutes(text: str) -> int | None:
    """ "The House met at 2:30 p.m." / "La séance est ouverte à 14 h 30." → minutes."""
    match = _HOUSE_MET.search(text)
    if match is None:
        return None
    if match.group("noon"):
        return 12 * 60
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    ampm = (match.group("ampm") or "").lower()
    if ampm == "p" and hour < 12:
        hour += 12
    elif ampm == "a" and hour == 12:
        hour = 0
    return hour * 60 + minute


def speaker_of_the_house(printed: str | None) -> str | None:
    """ "Speaker: The Honourable Geoff Regan" / "Présidence de l'honorable Geoff Regan" →
    "Geoff Regan"."""
    if not printed:
        return None
    name = _SPEAKER_NAME.sub("", printed.strip()).strip()
    return name or None


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").casefold().split()) == " ".join((b or "").casefold().split())


def _int_attr(element: etree._Element, name: str) -> int | None:
    value = element.get(name)
    return int(value) if value and value.strip().isdigit() else None


def _bills_in(element: etree._Element, text: str | None, found: dict[str, None]) -> None:
    for document in element.iter("Document"):
        number = normalize_bill_number(text_of(document))
        if number is not None:
            found[number] = None
    if text:
        for match in _BILL_IN_TEXT.finditer(normalize_hyphens(text)):
            number = normalize_bill_number(match.group(1))
            if number is not None:
                found[number] = None


# --- the parser ------------------------------------------------------------------------


@dataclass
class _Headings:
    """The headings in force while walking the body."""

    rubric: str | None = None
    section: str | None = None
    section_catchline: str | None = None
    subject: str | None = None
    qualifier: str | None = None
    catchline: str | None = None

    def heading(self) -> Heading | None:
        if not any((self.section, self.subject, self.qualifier, self.catchline)):
            return None
        catchline = self.catchline
        if catchline is None and not _same(self.section_catchline, self.subject):
            catchline = self.section_catchline
        return Heading(
            section=self.section,
            subject=self.subject,
            qualifier=self.qualifier,
            catchline=catchline,
        )


@dataclass
class _Turn:
    """One speaker's run of paragraphs inside an intervention, being collected.

    ``markers`` are the floor-language and time markers printed since the last paragraph:
    they go before the next paragraph, or to whatever item comes next.
    """

    turn: int
    label: str | None
    affiliation_id: int | None
    affiliation_type: int | None
    spoken_at: dt.datetime | None
    texts: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    bills: dict[str, None] = field(default_factory=dict)

    def add(self, text: str, html: str) -> None:
        self.texts.append(text)
        self.html.extend(self.markers)
        self.html.append(html)
        self.markers = []


class _HansardParser:
    """State for one document: metadata, headings in force, the running clock."""

    def __init__(self, root: etree._Element, url: str) -> None:
        self.root = root
        self.url = url
        self.language = self._language()
        self.english = self.language is Language.EN
        self.meta = {
            item.get("Name") or "": text_of(item)
            for item in root.iterfind("ExtractedInformation/ExtractedItem")
        }
        self.parliament = self._meta_int("ParliamentNumber")
        self.session_number = self._meta_int("SessionNumber")
        self.session = session_code(self.parliament, self.session_number)
        self.number = self._number()
        self.date = self._date()
        self.midnight = dt.datetime.combine(self.date, dt.time(0))
        self.minutes: int | None = None
        self.headings = _Headings()
        self.pending: list[str] = []  # markers printed before the next item
        self._run_open = False  # the last item is a note more paragraphs may join
        self.items: list[SittingItem] = []

    # metadata

    def _error(self, problem: str, element: etree._Element | None = None) -> SourceFormatError:
        return SourceFormatError(
            self.url, problem, path=xpath_of(element if element is not None else self.root)
        )

    def _language(self) -> Language:
        lang = (self.root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").lower()
        if lang in ("en", "fr"):
            return Language(lang)
        return Language.FR if self.url.upper().endswith("-F.XML") else Language.EN

    def _meta_int(self, name: str) -> int:
        text = self.meta.get(name)
        found = _DIGITS.search(text or "")
        if found is None:
            raise self._error(f"ExtractedItem {name} is missing or has no number")
        return int(found.group())

    def _number(self) -> int:
        for name in ("MetaNumberNumber", "Number"):
            found = _DIGITS.search(self.meta.get(name) or "")
            if found is not None:
                return int(found.group())
        raise self._error("the sitting number (ExtractedItem MetaNumberNumber) is missing")

    def _date(self) -> dt.date:
        try:
            return dt.date(
                self._meta_int("MetaDateNumYear"),
                self._meta_int("MetaDateNumMonth"),
                self._meta_int("MetaDateNumDay"),
            )
        except (SourceFormatError, ValueError):
            pass
        # Fallback: "Friday, November 26, 2021" / "Le vendredi 4 décembre 2015".
        words = re.findall(r"\w+", (self.meta.get("Date") or "").lower())
        months = [_MONTHS[word] for word in words if word in _MONTHS]
        numbers = [int(word) for word in words if word.isdigit()]
        if len(months) == 1 and len(numbers) == 2:
            day, year = sorted(numbers)
            try:
                return dt.date(year, months[0], day)
            except ValueError:
                pass
        raise self._error("the sitting date (ExtractedItem MetaDateNum*/Date) is missing")

    def debate(self) -> Debate:
        doc_id = self.root.get("id") or ""
        if not doc_id.isdigit():
            raise self._error(f"the Hansard id attribute (DocId) is missing or bad: {doc_id!r}")
        return Debate(
            source_url=self.url,
            session=self.session,
            parliament=self.parliament,
            session_number=self.session_number,
            number=self.number,
            date=self.date,
            doc_id=int(doc_id),
            language=self.language,
            url_en=self.url if self.english else None,
            url_fr=None if self.english else self.url,
            speaker_name=speaker_of_the_house(self.meta.get("SpeakerName")),
        )

    # the clock

    def _tick(self, timestamp: etree._Element) -> tuple[int, int]:
        try:
            hour, minute = int(timestamp.get("Hr") or ""), int(timestamp.get("Mn") or "")
        except ValueError:
            raise self._error("Timestamp without numeric Hr/Mn", timestamp) from None
        minutes = hour * 60 + minute
        if self.minutes is not None and minutes < self.minutes - 12 * 60:
            minutes += 24 * 60  # past midnight, printed as 00:05
        self.minutes = minutes
        return hour, minute

    def _now(self) -> dt.datetime | None:
        if self.minutes is None:
            return None
        # Hansard prints 24:05 and the like for sittings past midnight: timedelta copes.
        local = self.midnight + dt.timedelta(minutes=self.minutes)
        return local.replace(tzinfo=OTTAWA)

    def _start_clock(self, body: etree._Element) -> None:
        for para in body.iter("ParaText"):
            minutes = house_met_minutes(text_of(para) or "")
            if minutes is not None:
                self.minutes = minutes
                return
            break  # only the sitting's opening line says when the House met

    def _time_marker(self, timestamp: etree._Element) -> str:
        hour, minute = self._tick(timestamp)
        return time_marker(hour, minute, "".join(str(t) for t in timestamp.itertext()))

    # items

    def _base(self, hansard_id: str | None, bills: dict[str, None]) -> dict[str, object]:
        heading = self.headings.heading()
        return {
            "source_url": self.url,
            "session": self.session,
            "parliament": self.parliament,
            "session_number": self.session_number,
            "sitting": self.number,
            "date": self.date,
            "sequence": len(self.items) + 1,
            "hansard_id": hansard_id,
            "spoken_at": self._now(),
            "language": self.language,
            "rubric": self.headings.rubric,
            "heading_en": heading if self.english else None,
            "heading_fr": None if self.english else heading,
            "bill_numbers": tuple(bills),
        }

    def _take_pending(self) -> list[str]:
        pending, self.pending = self.pending, []
        return pending

    def _note(
        self,
        note_type: NoteType,
        texts: list[str],
        html: list[str],
        hansard_id: str | None,
        bills: dict[str, None] | None = None,
    ) -> None:
        found = dict(bills or {})
        for text in texts:
            _bills_in_text(text, found)
        values: dict[str, object] = {
            **self._base(hansard_id, found),
            "note_type": note_type,
            "text_en": tuple(texts) if self.english else None,
            "text_fr": None if self.english else tuple(texts),
            "html_en": "".join(html) if self.english else None,
            "html_fr": None if self.english else "".join(html),
        }
        self.items.append(Note.model_validate(values))

    def _text_note(
        self, element: etree._Element, note_type: NoteType | None, hansard_id: str | None
    ) -> None:
        para = paragraph(element)
        if para is None:
            return
        if note_type is None:
            note_type = NoteType.RESUMED if _RESUMED.match(para.text) else NoteType.TEXT
        bills: dict[str, None] = {}
        _bills_in(element, None, bills)
        html = [*self._take_pending(), para.html]
        self._note(note_type, [para.text], html, hansard_id, bills)

    def _text_run(self, element: etree._Element) -> None:
        """Paragraphs printed outside any intervention, one after another, are one note.

        The Speech from the Throne read into the record is one note of many paragraphs;
        a "The House resumed consideration…" line starts a note of its own.
        """
        para = paragraph(element)
        if para is None:
            return
        resumed = bool(_RESUMED.match(para.text))
        previous = self.items[-1] if self.items else None
        if (
            self._run_open
            and not resumed
            and isinstance(previous, Note)
            and previous.note_type is NoteType.TEXT
        ):
            texts = previous.text_en if self.english else previous.text_fr
            html = previous.html_en if self.english else previous.html_fr
            found = dict.fromkeys(previous.bill_numbers)
            _bills_in(element, para.text, found)
            update: dict[str, object] = {
                f"text_{self.language.value}": (*(texts or ()), para.text),
                f"html_{self.language.value}": (html or "")
                + "".join(self._take_pending())
                + para.html,
                "bill_numbers": tuple(found),
            }
            self.items[-1] = previous.model_copy(update=update)
            return
        self._text_note(element, NoteType.RESUMED if resumed else NoteType.TEXT, _para_id(element))
        self._run_open = not resumed

    # the walk

    def walk(self, element: etree._Element) -> None:
        for child in element:
            if child.tag not in ("ParaText", "Timestamp", "FloorLanguage"):
                self._run_open = False
            self._visit(child)
        self._run_open = False

    def _visit(self, child: etree._Element) -> None:
        tag = child.tag
        if tag == "OrderOfBusiness":
            self._order_of_business(child)
        elif tag == "SubjectOfBusiness":
            self._subject_of_business(child)
        elif tag in _HEADING_TAGS:
            return
        elif tag == "Intervention":
            self._intervention(child)
        elif tag == "Timestamp":
            self.pending.append(self._time_marker(child))
        elif tag == "FloorLanguage":
            self.pending.append(floor_marker(child))
        elif tag == "ParaText":
            self._text_run(child)
        elif tag == "ProceduralText":
            self._text_note(child, NoteType.PROCEDURAL, _procedural_id(child))
        elif tag == "Prayer":
            self._text_note(child, NoteType.PRAYER, "prayer")
        elif tag == "Division":
            self._division(child)
        elif tag == "WrittenQuestionResponse":
            self._written_question(child)
        elif len(child):
            self.walk(child)  # Intro, SubjectOfBusinessContent, Content…
        else:
            self._text_note(child, NoteType.TEXT, None)  # unknown leaf: keep its words

    def _order_of_business(self, element: etree._Element) -> None:
        title = element.find("OrderOfBusinessTitle")
        catchline = element.find("CatchLine")
        title_text = text_of(title) if title is not None else None
        catch_text = text_of(catchline) if catchline is not None else None
        self.headings = _Headings(
            rubric=element.get("Rubric"),
            section=title_text or catch_text,
            section_catchline=catch_text
            if title_text and catch_text and not _same(title_text, catch_text)
            else None,
        )
        self.walk(element)
        self.headings = _Headings()

    def _subject_of_business(self, element: etree._Element) -> None:
        outer = self.headings
        title = element.find("SubjectOfBusinessTitle")
        qualifier = element.find("SubjectOfBusinessQualifier")
        catchline = element.find("CatchLine")
        title_text = text_of(title) if title is not None else None
        catch_text = text_of(catchline) if catchline is not None else None
        if catch_text and (
            _same(catch_text, title_text)
            or _same(catch_text, outer.section)
            or (title_text is None and _same(catch_text, outer.subject))
        ):
            catch_text = None
        self.headings = _Headings(
            rubric=outer.rubric,
            section=outer.section,
            section_catchline=outer.section_catchline,
            # A subject printed with a qualifier only (the second petition…) or with no
            # heading at all continues the subject above it.
            subject=title_text or outer.subject,
            qualifier=text_of(qualifier) if qualifier is not None else None,
            catchline=catch_text,
        )
        self.walk(element)
        # The next subject of the same order of business inherits this one's title.
        outer.subject = self.headings.subject
        self.headings = outer

    # speeches

    def _intervention(self, intervention: etree._Element) -> None:
        label = affiliation_id = affiliation_type = None
        person = intervention.find("PersonSpeaking")
        if person is not None:
            # As printed, including text outside the Affiliation ("(for the Minister…)").
            label = (text_of(person) or "").rstrip(": ") or None
            affiliation = person.find("Affiliation")
            if affiliation is not None:
                affiliation_id = _int_attr(affiliation, "DbId")
                affiliation_type = _int_attr(affiliation, "Type")
        blocks = [b for b in intervention.iterfind("Content/*") if isinstance(b.tag, str)]
        # Procedural lines before the first paragraph head the intervention; those after
        # the last one close it; any in between split it.
        spoken = [i for i, b in enumerate(blocks) if b.tag not in _NOT_SPEECH]
        first = spoken[0] if spoken else len(blocks)
        last = spoken[-1] if spoken else -1
        parent = intervention.get("id")
        for block in blocks[:first]:
            self._outside(block, parent)
        current = _Turn(0, label, affiliation_id, affiliation_type, self._now())
        current.markers = self._take_pending()
        for block in blocks[first : last + 1]:
            tag = block.tag
            if tag == "Timestamp":
                current.markers.append(self._time_marker(block))
                continue
            if tag == "FloorLanguage":
                current.markers.append(floor_marker(block))
                continue
            if tag == "ProceduralText":
                self.pending = self._emit_turn(intervention, current) + self.pending
                self._text_note(block, NoteType.PROCEDURAL, _procedural_id(block))
                current = _Turn(
                    current.turn + 1,
                    current.label,
                    current.affiliation_id,
                    current.affiliation_type,
                    self._now(),
                )
                continue
            printed = leading_label(block) if tag == "ParaText" else None
            if printed is not None:
                # Every printed label is a turn, even the same one twice in a row
                # ("Some hon. members: Agreed." then "Some hon. members: No.").
                label_element = block[0]
                if label_element.tag != "Affiliation":
                    label_element = label_element.find(".//Affiliation") or label_element
                leftover = self._emit_turn(intervention, current)
                current = _Turn(
                    current.turn + 1,
                    printed,
                    _int_attr(label_element, "DbId"),
                    _int_attr(label_element, "Type"),
                    self._now(),
                    markers=leftover,
                )
            para = paragraph(block, skip_label=printed is not None)
            if para is None:
                continue
            current.add(para.text, para.html)
            _bills_in(block, para.text, current.bills)
        self.pending = self._emit_turn(intervention, current) + self.pending
        for block in blocks[last + 1 :]:
            self._outside(block, parent)

    def _outside(self, block: etree._Element, parent: str | None) -> None:
        """A block of an intervention's content before its first or after its last paragraph."""
        if block.tag == "Timestamp":
            self.pending.append(self._time_marker(block))
        elif block.tag == "FloorLanguage":
            self.pending.append(floor_marker(block))
        else:
            self._text_note(block, NoteType.PROCEDURAL, _procedural_id(block, parent))

    def _emit_turn(self, intervention: etree._Element, turn: _Turn) -> list[str]:
        """Append the turn as a ``Speech``; return the markers left for what follows.

        A turn without paragraphs is dropped, except an intervention's own (turn 0) when
        it has a label: the speaker was printed, so the item exists.
        """
        if not turn.texts and (turn.turn > 0 or turn.label is None):
            return turn.markers
        name = role = riding = party = None
        if turn.label:
            shown = turn.label
            if turn.turn == 0:
                person = intervention.find("PersonSpeaking/Affiliation")
                shown = ((text_of(person) or "") if person is not None else "").rstrip(": ")
                shown = shown or turn.label
            name, role, riding, party = split_speaker(shown, turn.affiliation_type)
        intervention_id = intervention.get("id")
        hansard_id = intervention_id if turn.turn == 0 else f"{intervention_id}.{turn.turn}"
        base = self._base(hansard_id, turn.bills)
        base["spoken_at"] = turn.spoken_at
        values: dict[str, object] = {
            **base,
            "intervention_id": int(intervention_id)
            if intervention_id and intervention_id.isdigit()
            else None,
            "intervention_type": intervention.get("Type"),
            "turn": turn.turn,
            "speaker_label": turn.label,
            "speaker_name": name,
            "speaker_role": role,
            "speaker_riding": riding,
            "party": party,
            "affiliation_id": turn.affiliation_id,
            "affiliation_type": turn.affiliation_type,
            "speaker_label_fr": None if self.english else turn.label,
            "speaker_role_fr": None if self.english else role,
            "text_en": tuple(turn.texts) if self.english else None,
            "text_fr": None if self.english else tuple(turn.texts),
            "html_en": "".join(turn.html) if self.english else None,
            "html_fr": None if self.english else "".join(turn.html),
        }
        self.items.append(Speech.model_validate(values))
        return turn.markers

    # written questions

    def _written_question(self, element: etree._Element) -> None:
        question_id = element.find("QuestionID")
        number_label = text_of(question_id) if question_id is not None else None
        found = _DIGITS.search(number_label or "")
        asker = element.find("Questioner")
        asker_affiliation = asker.find("Affiliation") if asker is not None else None
        asker_label = (text_of(asker) or "").rstrip(": ") or None if asker is not None else None
        answerer = element.find("Responder")
        answerer_affiliation = answerer.find("Affiliation") if answerer is not None else None
        answerer_label = None
        name = role = party = None
        if answerer is not None:
            answerer_label = (text_of(answerer) or "").rstrip(": ") or None
            shown = answerer_label
            if answerer_affiliation is not None:
                shown = (text_of(answerer_affiliation) or "").rstrip(": ") or shown
            if shown:
                name, role, _, party = split_speaker(
                    shown,
                    _int_attr(answerer_affiliation, "Type")
                    if answerer_affiliation is not None
                    else None,
                )
        question, question_html = self._content(element.find("QuestionContent"))
        answer, answer_html = self._content(element.find("ResponseContent"))
        question_html = [*self._take_pending(), *question_html]
        bills: dict[str, None] = {}
        _bills_in(element, None, bills)
        for text in (*question, *answer):
            _bills_in_text(text, bills)
        first_para = element.find("QuestionContent/ParaText")
        values: dict[str, object] = {
            **self._base(
                f"q{first_para.get('id')}" if first_para is not None else number_label, bills
            ),
            "number": int(found.group()) if found else None,
            "number_label": number_label,
            "asker_label": asker_label,
            "asker_name": text_of(asker_affiliation)
            if asker_affiliation is not None
            else asker_label,
            "asker_affiliation_id": _int_attr(asker_affiliation, "DbId")
            if asker_affiliation is not None
            else None,
            "answerer_label": answerer_label,
            "answerer_name": name,
            "answerer_role": role,
            "answerer_party": party,
            "answerer_affiliation_id": _int_attr(answerer_affiliation, "DbId")
            if answerer_affiliation is not None
            else None,
            "answerer_affiliation_type": _int_attr(answerer_affiliation, "Type")
            if answerer_affiliation is not None
            else None,
            "number_label_fr": None if self.english else number_label,
            "answerer_label_fr": None if self.english else answerer_label,
            "answerer_role_fr": None if self.english else role,
        }
        for part, texts, html in (
            ("question", question, question_html),
            ("answer", answer, answer_html),
        ):
            values[f"{part}_en"] = tuple(texts) if self.english else None
            values[f"{part}_fr"] = None if self.english else tuple(texts)
            values[f"{part}_html_en"] = "".join(html) if self.english else None
            values[f"{part}_html_fr"] = None if self.english else "".join(html)
        self.items.append(WrittenQuestion.model_validate(values))

    def _content(self, container: etree._Element | None) -> tuple[list[str], list[str]]:
        texts: list[str] = []
        html: list[str] = []
        if container is None:
            return texts, html
        for block in container:
            if block.tag == "Timestamp":
                html.append(self._time_marker(block))
            elif block.tag == "FloorLanguage":
                html.append(floor_marker(block))
            else:
                para = paragraph(block)
                if para is not None:
                    texts.append(para.text)
                    html.append(para.html)
        return texts, html

    # division tables

    def _division(self, element: etree._Element) -> None:
        number = _int_attr(element, "DivisionNumber")
        printed_number = element.find("DivisionNumber")
        if number is None and printed_number is not None:
            found = _DIGITS.search(text_of(printed_number) or "")
            number = int(found.group()) if found else None
        if number is None:
            raise self._error("a Division without a DivisionNumber", element)
        lines: list[str] = []
        html = self._take_pending()
        if printed_number is not None and (text := text_of(printed_number)):
            lines.append(text)
            html.append(f"<p><strong>{escape(text)}</strong></p>")
        names: list[DivisionName] = []
        totals = {value: 0 for value in BallotValue}
        for group in element.iterfind("DivisionType"):
            kind = (group.get("vote-type") or "").strip().casefold()
            type_element = group.find("Type")
            value = _VOTE_TYPES.get(kind) or _VOTE_TYPES.get(
                (text_of(type_element) or "").casefold() if type_element is not None else ""
            )
            if value is None:
                raise self._error(f"unknown division vote-type {kind!r}", group)
            counted = 0
            printed_total: int | None = None
            listed: list[str] = []
            for part in group:
                text = text_of(part)
                if text is None:
                    continue
                lines.append(text)
                if part.tag == "Affiliation":
                    match = _SURNAME.match(text)
                    surname = (match.group("surname") if match else text).strip()
                    riding = match.group("riding") if match else None
                    names.append(
                        DivisionName(
                            value=value,
                            name=text,
                            surname=surname or text,
                            riding=riding.strip() if riding else None,
                            affiliation_id=_int_attr(part, "DbId"),
                        )
                    )
                    listed.append(escape(text))
                    counted += 1
                    continue
                if listed:
                    html.append(f"<p>{'; '.join(listed)}</p>")
                    listed = []
                if part.tag == "Type":
                    html.append(f"<p><strong>{escape(text)}</strong></p>")
                else:
                    html.append(f"<p>{escape(text)}</p>")
                if part.tag == "Total":
                    found = _DIGITS.search(text)
                    printed_total = int(found.group()) if found else None
            if listed:
                html.append(f"<p>{'; '.join(listed)}</p>")
            totals[value] += printed_total if printed_total is not None else counted
        result = self._division_result(element, totals)
        bills: dict[str, None] = {}
        values: dict[str, object] = {
            **self._base(f"d{element.get('id') or number}", bills),
            "division_number": number,
            "result": result,
            "yeas": totals[BallotValue.YEA],
            "nays": totals[BallotValue.NAY],
            "paired": totals[BallotValue.PAIRED],
            "names": tuple(names),
            "text_en": tuple(lines) if self.english else None,
            "text_fr": None if self.english else tuple(lines),
            "html_en": "".join(html) if self.english else None,
            "html_fr": None if self.english else "".join(html),
        }
        self.items.append(DivisionTable.model_validate(values))

    def _division_result(
        self, element: etree._Element, totals: dict[BallotValue, int]
    ) -> VoteResult | None:
        """What the line before the table says ("…which was negatived…"), else the count."""
        previous = element.getprevious()
        while previous is not None and (
            not isinstance(previous.tag, str) or previous.tag in ("Timestamp", "FloorLanguage")
        ):
            previous = previous.getprevious()
        said = text_of(previous) if previous is not None else None
        if said:
            if _NEGATIVED.search(said):
                return VoteResult.NEGATIVED
            if _AGREED.search(said):
                return VoteResult.AGREED
        yeas, nays = totals[BallotValue.YEA], totals[BallotValue.NAY]
        if yeas == nays:
            return None  # the Speaker's casting vote decides; the table does not say
        return VoteResult.AGREED if yeas > nays else VoteResult.NEGATIVED

    def parse(self) -> list[SittingItem]:
        body = self.root.find("HansardBody")
        if body is None:
            raise self._error("the document has no HansardBody")
        self._start_clock(body)
        self.walk(body)
        return self.items


_NOT_SPEECH = frozenset({"ProceduralText", "Timestamp", "FloorLanguage"})


def _para_id(element: etree._Element) -> str | None:
    value = element.get("id")
    return f"p{value}" if value else None


def _procedural_id(element: etree._Element, parent: str | None = None) -> str | None:
    """ProceduralText ids are small numbers repeated across the document: qualify them."""
    value = element.get("id")
    if value is None:
        return _para_id(element)
    owner = next(element.iterancestors("Intervention"), None)
    anchor = owner.get("id") if owner is not None else parent
    return f"t{anchor}.{value}" if anchor else f"t{value}"


def _bills_in_text(text: str, found: dict[str, None]) -> None:
    for match in _BILL_IN_TEXT.finditer(normalize_hyphens(text)):
        number = normalize_bill_number(match.group(1))
        if number is not None:
            found[number] = None


def sitting_of(body: bytes, url: str) -> tuple[str, bool]:
    """Which sitting a document is, and whether it is the French edition: the unit key of
    a local file, whose name need not follow the official one."""
    parser = _HansardParser(load_xml(body, url, ("Hansard",)), url)
    return f"hansard:{parser.session}:{parser.number}", parser.language is Language.FR


def parse_hansard(body: bytes, url: str) -> Iterator[Debate | SittingItem]:
    """The sitting's ``Debate``, then its items in document order.

    A sitting without any item yields only its ``Debate``.
    """
    root = load_xml(body, url, ("Hansard",))
    parser = _HansardParser(root, url)
    yield parser.debate()
    yield from parser.parse()


# --- bilingual pairing -------------------------------------------------------------------


@dataclass(frozen=True)
class PairedSitting:
    """A sitting with both editions folded together (English primary when present).

    ``missing_fr``: ids of items of the primary edition the other edition lacks (their
    other-language text stays None). ``extra_fr``: ids of the other edition with no
    counterpart. Both are empty for a clean pair.
    """

    debate: Debate
    items: tuple[SittingItem, ...]
    missing_fr: tuple[str, ...]
    extra_fr: tuple[str, ...]

    @property
    def speeches(self) -> tuple[Speech, ...]:
        return tuple(item for item in self.items if isinstance(item, Speech))

    def records(self) -> Iterator[Debate | SittingItem]:
        """The debate, then the items: what ingest consumes."""
        yield self.debate
        yield from self.items


def split_records(
    records: Iterable[Debate | SittingItem], language: Language | None = None
) -> tuple[Debate, list[SittingItem]]:
    """The one ``Debate`` of a sitting's records and its items (of ``language``'s edition)."""
    debates: list[Debate] = []
    items: list[SittingItem] = []
    for record in records:
        if isinstance(record, Debate):
            debates.append(record)
        else:
            items.append(record)
    if len(debates) != 1:
        raise ValueError("expected the records of one Hansard")
    if language is not None and debates[0].language is not language:
        raise SourceFormatError(
            debates[0].source_url, f"expected the {language.value.upper()} edition of a Hansard"
        )
    return debates[0], items


_FRENCH_FIELDS: dict[str, tuple[str, ...]] = {
    "speech": ("heading_fr", "speaker_label_fr", "speaker_role_fr", "text_fr", "html_fr"),
    "note": ("heading_fr", "text_fr", "html_fr"),
    "written_question": (
        "heading_fr",
        "number_label_fr",
        "answerer_label_fr",
        "answerer_role_fr",
        "question_fr",
        "question_html_fr",
        "answer_fr",
        "answer_html_fr",
    ),
    "division_table": ("heading_fr", "text_fr", "html_fr"),
}


def _key(item: SittingItem) -> tuple[str, str | None]:
    return item.kind, item.hansard_id


def pair_editions(
    english: Iterable[Debate | SittingItem], french: Iterable[Debate | SittingItem]
) -> PairedSitting:
    """Join the French edition's items to the English ones (same structure, same ids).

    The English records stay the primary ones (sequence, speaker, time); each gains its
    French text and headings, and the debate gains ``url_fr``. Items are matched by
    kind and id in document order. Editions of different sittings are refused.
    """
    debate_en, items_en = split_records(english, Language.EN)
    debate_fr, items_fr = split_records(french, Language.FR)
    if (debate_en.doc_id, debate_en.session, debate_en.number) != (
        debate_fr.doc_id,
        debate_fr.session,
        debate_fr.number,
    ):
        raise SourceFormatError(
            debate_fr.source_url,
            f"the French edition is sitting {debate_fr.session} No. {debate_fr.number} "
            f"(DocId {debate_fr.doc_id}), not {debate_en.session} No. {debate_en.number} "
            f"(DocId {debate_en.doc_id})",
        )
    by_key: dict[tuple[str, str | None], list[SittingItem]] = {}
    for item in items_fr:
        by_key.setdefault(_key(item), []).append(item)
    paired: list[SittingItem] = []
    missing: list[str] = []
    for item in items_en:
        candidates = by_key.get(_key(item))
        match = candidates.pop(0) if candidates else None
        if match is None:
            missing.append(item.hansard_id or f"#{item.sequence}")
            paired.append(item)
            continue
        update = {name: getattr(match, name) for name in _FRENCH_FIELDS[item.kind]}
        bills = dict.fromkeys((*item.bill_numbers, *match.bill_numbers))
        update["bill_numbers"] = tuple(bills)
        paired.append(item.model_copy(update=update))
    extra = [item.hansard_id or f"#{item.sequence}" for rest in by_key.values() for item in rest]
    return PairedSitting(
        debate=debate_en.model_copy(
            update={"url_fr": debate_fr.source_url, "speaker_name": debate_en.speaker_name}
        ),
        items=tuple(paired),
        missing_fr=tuple(missing),
        extra_fr=tuple(extra),
    )


def single_edition(records: Iterable[Debate | SittingItem]) -> PairedSitting:
    """One edition on its own (English or French), shaped like a pair."""
    debate, items = split_records(records)
    return PairedSitting(debate, tuple(items), (), ())
