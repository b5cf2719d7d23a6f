"""House of Commons Hansard XML (``/Content/House/{ps}/Debates/{nnn}/HAN{nnn}-E.XML``, ``-F``).

One ``Debate`` per document, then one ``Speech`` per ``Intervention`` in document order.
Speech time comes from the latest ``<Timestamp Hr Mn>`` before the intervention starts
(before the first one, from "The House met at …"). Headings come from the enclosing
``OrderOfBusiness`` (absent in some sittings: everything under ``Intro``) and
``SubjectOfBusiness``. Text is one clean string per ``ParaText``; procedural notes,
floor-language markers and timestamps are not part of it.

EN and FR editions share Intervention ids: ``pair_editions`` puts the French text
and headings into the English records (``text_fr``, ``subject_fr``…).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from openpolicy.records import Debate, Speech
from openpolicy.sources._parsing import OTTAWA, clean, element_text, load_xml, xpath_of
from openpolicy.sources.errors import SourceFormatError
from openpolicy.vocab import Language, normalize_bill_number, normalize_hyphens, session_code

# Elements inside a paragraph that are blocks of their own: keep a space around them.
_BLOCK_TAGS = frozenset({"Quote", "QuotePara", "LegislationQuote", "ForceColumnBreak", "Query"})
_BILL_IN_TEXT = re.compile(r"\b(?:Bills?|projets? de loi)\s+([CS]-\d{1,4})\b", re.IGNORECASE)
_HOUSE_MET = re.compile(
    r"(?:The House met at|La séance est ouverte à)\s+"
    r"(?:(?P<noon>noon|midi)|(?P<hour>\d{1,2})(?:[:.h]\s*|\sh\s)?(?P<minute>\d{2})?\s*"
    r"(?:(?P<ampm>[ap])\.\s?m\.)?)",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^(?P<head>[^(]*?)\s*\((?P<inner>.*)\)$")
_PRESIDING = re.compile(r"^(?:The|Le|La)\s(?!très\s)", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
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


# --- small pure helpers (public where tests and ingest find them useful) -----------------


def split_speaker(
    label: str, affiliation_type: int | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """Split a printed label into ``(name, role, riding, party)``.

    ``"Mr. Fayçal El-Khoury (Laval—Les Îles, Lib.)"`` → riding; ``"Hon. Omar Alghabra
    (Minister of Transport, Lib.)"`` → role. The parenthesis holds a riding for
    ordinary members (Affiliation ``Type`` 2) and a role otherwise. Presiding officers
    print a role and maybe a name: ``"The Acting Speaker (Mr. Bruce Stanton)"``.
    """
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
    return head or None, context or None, None, party or None


def paragraph_text(element: etree._Element) -> str | None:
    """Clean text of a ``ParaText`` (mixed content), with blocks kept apart by a space."""
    if len(element) == 0:
        return clean(element.text)
    parts: list[str] = []
    _collect(element, parts)
    return clean("".join(parts))


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        block = child.tag in _BLOCK_TAGS
        if block:
            parts.append(" ")
        if isinstance(child.tag, str):
            _collect(child, parts)
        if block:
            parts.append(" ")
        if child.tail:
            parts.append(child.tail)


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


# --- the parser ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Heading:
    rubric: str | None
    order_of_business: str | None
    subject: str | None
    qualifier: str | None


class _HansardParser:
    """State for one document: metadata, heading cache, the running clock."""

    def __init__(self, root: etree._Element, url: str) -> None:
        self.root = root
        self.url = url
        self.language = self._language()
        self.meta = {
            item.get("Name") or "": element_text(item)
            for item in root.iterfind("ExtractedInformation/ExtractedItem")
        }
        self.parliament = self._meta_int("ParliamentNumber")
        self.session_number = self._meta_int("SessionNumber")
        self.session = session_code(self.parliament, self.session_number)
        self.number = self._number()
        self.date = self._date()
        self.midnight = dt.datetime.combine(self.date, dt.time(0))
        self.minutes: int | None = None
        self.headings: dict[etree._Element, _Heading] = {}

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
            url_en=self.url if self.language is Language.EN else None,
            url_fr=self.url if self.language is Language.FR else None,
        )

    # the clock

    def _tick(self, timestamp: etree._Element) -> None:
        try:
            minutes = int(timestamp.get("Hr") or "") * 60 + int(timestamp.get("Mn") or "")
        except ValueError:
            raise self._error("Timestamp without numeric Hr/Mn", timestamp) from None
        if self.minutes is not None and minutes < self.minutes - 12 * 60:
            minutes += 24 * 60  # past midnight, printed as 00:05
        self.minutes = minutes

    def _now(self) -> dt.datetime | None:
        if self.minutes is None:
            return None
        # Hansard prints 24:05 and the like for sittings past midnight: timedelta copes.
        local = self.midnight + dt.timedelta(minutes=self.minutes)
        return local.replace(tzinfo=OTTAWA)

    def _start_clock(self, body: etree._Element) -> None:
        for para in body.iterfind("Intro/ParaText"):
            minutes = house_met_minutes(paragraph_text(para) or "")
            if minutes is not None:
                self.minutes = minutes
                return

    # headings

    def _heading(self, intervention: etree._Element) -> _Heading:
        subject = next(intervention.iterancestors("SubjectOfBusiness"), None)
        if subject is None:
            return _Heading(None, None, None, None)
        cached = self.headings.get(subject)
        if cached is None:
            order = next(subject.iterancestors("OrderOfBusiness"), None)
            title = None
            if order is not None:  # some sittings print only the CatchLine
                title = order.find("OrderOfBusinessTitle")
                if title is None:
                    title = order.find("CatchLine")
            subject_title = subject.find("SubjectOfBusinessTitle")
            qualifier = subject.find("SubjectOfBusinessQualifier")
            cached = _Heading(
                rubric=order.get("Rubric") if order is not None else None,
                order_of_business=element_text(title) if title is not None else None,
                subject=element_text(subject_title) if subject_title is not None else None,
                qualifier=element_text(qualifier) if qualifier is not None else None,
            )
            self.headings[subject] = cached
        return cached

    # speeches

    def _speech(self, intervention: etree._Element, sequence: int) -> Speech:
        label = affiliation_id = affiliation_type = None
        name = role = riding = party = None
        person = intervention.find("PersonSpeaking")
        if person is not None:
            # As printed, including text outside the Affiliation ("(for the Minister…)").
            label = (element_text(person) or "").rstrip(": ") or None
            affiliation = person.find("Affiliation")
            if affiliation is not None:
                affiliation_id = _int_attr(affiliation, "DbId")
                affiliation_type = _int_attr(affiliation, "Type")
                shown = (element_text(affiliation) or "").rstrip(": ")
                if shown:
                    name, role, riding, party = split_speaker(shown, affiliation_type)
        paragraphs: list[str] = []
        bills: dict[str, None] = {}
        for block in intervention.iterfind("Content/*"):
            tag = block.tag
            if tag == "ParaText":
                text = paragraph_text(block)
                if text is None:
                    continue
                paragraphs.append(text)
                for document in block.iter("Document"):
                    number = normalize_bill_number(element_text(document))
                    if number is not None:
                        bills[number] = None
            elif tag == "ProceduralText":
                text = element_text(block)  # "Bill C-2. Second reading": a reference too
            else:
                continue
            if text:
                for found in _BILL_IN_TEXT.finditer(normalize_hyphens(text)):
                    number = normalize_bill_number(found.group(1))
                    if number is not None:
                        bills[number] = None
        heading = self._heading(intervention)
        english = self.language is Language.EN
        intervention_id = intervention.get("id")
        return Speech(
            source_url=self.url,
            session=self.session,
            parliament=self.parliament,
            session_number=self.session_number,
            sitting=self.number,
            date=self.date,
            sequence=sequence,
            intervention_id=int(intervention_id)
            if intervention_id and intervention_id.isdigit()
            else None,
            intervention_type=intervention.get("Type"),
            spoken_at=self._now(),
            language=self.language,
            speaker_label=label,
            speaker_name=name,
            speaker_role=role,
            speaker_riding=riding,
            party=party,
            affiliation_id=affiliation_id,
            affiliation_type=affiliation_type,
            rubric=heading.rubric,
            order_of_business_en=heading.order_of_business if english else None,
            order_of_business_fr=None if english else heading.order_of_business,
            subject_en=heading.subject if english else None,
            subject_fr=None if english else heading.subject,
            qualifier_en=heading.qualifier if english else None,
            qualifier_fr=None if english else heading.qualifier,
            text_en=tuple(paragraphs) if english else None,
            text_fr=None if english else tuple(paragraphs),
            bill_numbers=tuple(bills),
        )

    def speeches(self) -> Iterator[Speech]:
        body = self.root.find("HansardBody")
        if body is None:
            raise self._error("the document has no HansardBody")
        self._start_clock(body)
        sequence = 0
        for element in body.iter("Timestamp", "Intervention"):
            if element.tag == "Timestamp":
                self._tick(element)
            else:
                sequence += 1
                yield self._speech(element, sequence)


def _int_attr(element: etree._Element, name: str) -> int | None:
    value = element.get(name)
    return int(value) if value and value.strip().isdigit() else None


def parse_hansard(body: bytes, url: str) -> Iterator[Debate | Speech]:
    """The sitting's ``Debate``, then its ``Speech`` records in document order.

    A sitting without interventions yields only its ``Debate``.
    """
    root = load_xml(body, url, ("Hansard",))
    parser = _HansardParser(root, url)
    yield parser.debate()
    yield from parser.speeches()


# --- bilingual pairing -------------------------------------------------------------------


@dataclass(frozen=True)
class PairedSitting:
    """An English sitting with the French edition folded in.

    ``missing_fr``: English intervention ids the French edition lacks (their
    ``text_fr`` stays None). ``extra_fr``: French ids with no English counterpart.
    Both are empty for a clean pair.
    """

    debate: Debate
    speeches: tuple[Speech, ...]
    missing_fr: tuple[int, ...]
    extra_fr: tuple[int, ...]

    def records(self) -> Iterator[Debate | Speech]:
        """The debate, then the speeches: what ingest consumes."""
        yield self.debate
        yield from self.speeches


def _split(records: Iterable[Debate | Speech], language: Language) -> tuple[Debate, list[Speech]]:
    debates = [record for record in records if isinstance(record, Debate)]
    speeches = [record for record in records if isinstance(record, Speech)]
    if len(debates) != 1:
        raise ValueError(f"expected the records of one {language.value.upper()} Hansard")
    if debates[0].language is not language:
        raise SourceFormatError(
            debates[0].source_url, f"expected the {language.value.upper()} edition of a Hansard"
        )
    return debates[0], speeches


def pair_editions(
    english: Iterable[Debate | Speech], french: Iterable[Debate | Speech]
) -> PairedSitting:
    """Join the French edition's speeches to the English ones by Intervention id.

    The English records stay the primary ones (sequence, speaker, time); each gains
    ``text_fr`` and the French headings, and the debate gains ``url_fr``. Editions of
    different sittings (different DocId) are refused.
    """
    english, french = list(english), list(french)
    debate_en, speeches_en = _split(english, Language.EN)
    debate_fr, speeches_fr = _split(french, Language.FR)
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
    by_id = {s.intervention_id: s for s in speeches_fr if s.intervention_id is not None}
    paired: list[Speech] = []
    missing: list[int] = []
    for speech in speeches_en:
        match = by_id.pop(speech.intervention_id, None) if speech.intervention_id else None
        if match is None:
            if speech.intervention_id is not None:
                missing.append(speech.intervention_id)
            paired.append(speech)
            continue
        paired.append(
            speech.model_copy(
                update={
                    "text_fr": match.text_fr,
                    "order_of_business_fr": match.order_of_business_fr,
                    "subject_fr": match.subject_fr,
                    "qualifier_fr": match.qualifier_fr,
                }
            )
        )
    return PairedSitting(
        debate=debate_en.model_copy(update={"url_fr": debate_fr.source_url}),
        speeches=tuple(paired),
        missing_fr=tuple(missing),
        extra_fr=tuple(sorted(by_id)),
    )
