"""How much of a sitting's printed body reaches the records (``sources coverage hansard``).

Measured from the outside, word by word: the body's words (``HansardBody``, in document
order) against the words of the records, in record order. A record's text is looked for
in the body at or after the place the previous one matched (then anywhere still
unmatched, then word by word in the neighbourhood), and every body word it covers is
counted once. What is left uncovered are the words no record carries; the longest runs
of them are reported with where they are.

Two kinds of printed marks are not words of the debate and are counted apart: the time
stamps ``(1040)`` and the floor-language markers ``[Translation]``. The records keep
them as data (item times, and markers in the markup), and the report says how many.

The check that no paragraph of a speech opens with a speaker's label ("The Deputy
Speaker: Is that agreed?") lives here too: labels are read from the XML itself (every
``PersonSpeaking`` and every bold label ending with a colon), and every stored paragraph
is checked against them.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree

from openpolicy.records import (
    Debate,
    DivisionTable,
    Heading,
    Note,
    SittingItem,
    Speech,
    WrittenQuestion,
)
from openpolicy.sources._parsing import load_xml, xpath_of
from openpolicy.sources.hansard_markup import leading_label, text_of
from openpolicy.vocab import Language

_WORD = re.compile(r"\w+")
_MARKS = frozenset({"Timestamp", "FloorLanguage"})
FAR = 5000  # a match further ahead than this many words is not the next one in order


def words(text: str) -> list[str]:
    """The comparable words of a text: letters and digits, case-folded, NFC."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


@dataclass(frozen=True)
class Gap:
    """A run of body words that no record carries."""

    words: int
    text: str  # the first words of the run
    where: str  # element path of its first word


@dataclass
class Coverage:
    """The coverage of one document by its records."""

    url: str
    body_words: int
    covered_words: int
    gaps: list[Gap]
    time_marks: int
    time_marks_kept: int
    floor_marks: int
    floor_marks_kept: int
    repeated_titles: int = 0
    labelled_paragraphs: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.covered_words / self.body_words if self.body_words else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "body_words": self.body_words,
            "covered_words": self.covered_words,
            "share": round(self.share, 6),
            "time_marks": self.time_marks,
            "time_marks_kept": self.time_marks_kept,
            "floor_marks": self.floor_marks,
            "floor_marks_kept": self.floor_marks_kept,
            "repeated_titles": self.repeated_titles,
            "paragraphs_opening_with_a_label": self.labelled_paragraphs,
            "gaps": [gap.__dict__ for gap in self.gaps],
        }


_INLINE_TAGS = frozenset({"I", "B", "U", "Sup", "Sub", "Emphasis", "Font"})
# Inline inside running text only: in a division table each Affiliation is a cell.
_INLINE_IN_TEXT = frozenset({"Affiliation", "Document"})
_TEXT_TAGS = frozenset({"ParaText", "QuotePara", "I", "B", "U", "Emphasis"})


class _Body:
    """The body's words in document order, with the element each one belongs to.

    Text is read the way the parser reads it: inline elements (``42<Sup>e</Sup>``) join
    the words around them; other elements are separate.
    """

    def __init__(self, body: etree._Element) -> None:
        self.pieces: list[str] = []
        self.piece_owners: list[etree._Element] = []
        self.time_marks = 0
        self.floor_marks = 0
        self.repeated_titles = 0
        self._walk(body)
        text = "".join(self.pieces)
        starts = []
        offset = 0
        for piece in self.pieces:
            starts.append(offset)
            offset += len(piece)
        self.tokens: list[str] = []
        self.owners: list[etree._Element] = []
        normalised = unicodedata.normalize("NFC", text)
        if len(normalised) != len(text):  # composed characters: owners by the raw text
            normalised = text
        for match in _WORD.finditer(normalised):
            self.tokens.append(match.group().casefold())
            self.owners.append(self.piece_owners[bisect.bisect_right(starts, match.start()) - 1])
        self.joined = " " + " ".join(self.tokens) + " "
        # Character offset of each token in `joined` (after its leading space).
        self.starts: list[int] = []
        offset = 1
        for token in self.tokens:
            self.starts.append(offset)
            offset += len(token) + 1
        self.by_start = {start: index for index, start in enumerate(self.starts)}

    def _add(self, text: str | None, owner: etree._Element) -> None:
        if text:
            self.pieces.append(text)
            self.piece_owners.append(owner)

    def _walk(self, element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _MARKS:
            if tag == "Timestamp":
                self.time_marks += 1
            else:
                self.floor_marks += 1
            return
        if tag == "CatchLine" and _repeats_a_title(element):
            self.repeated_titles += 1
            return
        parent = element.getparent()
        inline = tag in _INLINE_TAGS or (
            tag in _INLINE_IN_TEXT and parent is not None and parent.tag in _TEXT_TAGS
        )
        if not inline:
            self._add(" ", element)
        self._add(element.text, element)
        for child in element:
            if isinstance(child.tag, str):
                self._walk(child)
            self._add(child.tail, element)
        if not inline:
            self._add(" ", element)


def _repeats_a_title(catchline: etree._Element) -> bool:
    """A catch line that repeats its heading's title is a running head, not a word said."""
    parent = catchline.getparent()
    if parent is None:
        return False
    title = parent.find("OrderOfBusinessTitle")
    if title is None:
        title = parent.find("SubjectOfBusinessTitle")
    if title is None:
        return False
    return words(text_of(catchline) or "") == words(text_of(title) or "")


def _record_units(
    records: Iterable[Debate | SittingItem], language: Language | None = None
) -> Iterator[str]:
    """The records' texts in record order; a heading only where it changes.

    ``language``: only that edition's texts (a paired sitting measured against one of its
    two bodies); None: every text the records hold.
    """
    last: dict[str, str | None] = {}
    languages = ("en", "fr") if language is None else (language.value,)

    def heading_parts(heading: Heading | None, code: str) -> Iterator[str]:
        parts = {
            "section": heading.section if heading else None,
            "subject": heading.subject if heading else None,
            "qualifier": heading.qualifier if heading else None,
            "catchline": heading.catchline if heading else None,
        }
        new_section = last.get(f"{code}:section") != parts["section"]
        for name, value in parts.items():
            key = f"{code}:{name}"
            if value is not None and (new_section or last.get(key) != value):
                yield value
            last[key] = value

    def own(record: SittingItem, primary: str | None, french: str | None) -> Iterator[str]:
        """A label printed in each edition: the primary one's, and the French one's."""
        if language is None or record.language is language:
            if primary:
                yield primary
        elif language is Language.FR and french:
            yield french

    def texts(record: SittingItem, field: str) -> Iterator[str]:
        for code in languages:
            yield from getattr(record, f"{field}_{code}") or ()

    for record in records:
        if isinstance(record, Debate):
            continue
        for code in languages:
            yield from heading_parts(getattr(record, f"heading_{code}"), code)
        if isinstance(record, Speech):
            yield from own(record, record.speaker_label, record.speaker_label_fr)
            yield from texts(record, "text")
        elif isinstance(record, Note):
            yield from texts(record, "text")
        elif isinstance(record, WrittenQuestion):
            yield from own(record, record.number_label, record.number_label_fr)
            if record.asker_label:
                yield record.asker_label
            yield from texts(record, "question")
            yield from own(record, record.answerer_label, record.answerer_label_fr)
            yield from texts(record, "answer")
        elif isinstance(record, DivisionTable):
            yield from texts(record, "text")


def _occurrences(body: _Body, needle: str, start: int = 0) -> Iterator[int]:
    found = body.joined.find(needle, start)
    while found != -1:
        yield body.by_start[found + 1]
        found = body.joined.find(needle, found + 1)


def _place(body: _Body, covered: bytearray, tokens: Sequence[str], cursor: int) -> int | None:
    """Where the whole of `tokens` is, unmatched: the first place at or after `cursor`
    (within ``FAR`` words), else the first unmatched place anywhere."""
    needle = " " + " ".join(tokens) + " "
    count = len(tokens)
    start = body.starts[cursor] - 1 if cursor < len(body.tokens) else len(body.joined)
    for index in _occurrences(body, needle, start):
        if index - cursor > FAR:
            break
        if not any(covered[index : index + count]):
            return index
    for index in _occurrences(body, needle):
        if not any(covered[index : index + count]):
            return index
    return None


def _align(body: _Body, covered: bytearray, tokens: Sequence[str], cursor: int) -> int:
    """Word by word against the words just ahead of `cursor`; return the new cursor."""
    window = body.tokens[cursor : cursor + 2 * len(tokens) + 50]
    matcher = difflib.SequenceMatcher(None, window, list(tokens), autojunk=False)
    furthest = cursor
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            index = cursor + block.a + offset
            if not covered[index]:
                covered[index] = 1
                furthest = max(furthest, index + 1)
    return furthest


LONG = 8  # units of this many words or more are matched first, wherever they are


def _cover(body: _Body, covered: bytearray, units: list[list[str]]) -> None:
    """Long units first (they occur once), then the short ones between them, in order."""
    ends: dict[int, int] = {}
    cursor = 0
    for position, tokens in enumerate(units):
        if len(tokens) < LONG:
            continue
        index = _place(body, covered, tokens, cursor)
        if index is None:
            continue
        covered[index : index + len(tokens)] = b"\x01" * len(tokens)
        ends[position] = cursor = index + len(tokens)
    cursor = 0
    for position, tokens in enumerate(units):
        if position in ends:
            cursor = ends[position]
            continue
        index = _place(body, covered, tokens, cursor)
        if index is not None:
            covered[index : index + len(tokens)] = b"\x01" * len(tokens)
            if cursor <= index <= cursor + FAR:
                cursor = index + len(tokens)
        else:
            cursor = _align(body, covered, tokens, cursor)


def _gaps(body: _Body, covered: bytearray, limit: int) -> list[Gap]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, flag in enumerate(covered):
        if not flag and start is None:
            start = index
        elif flag and start is not None:
            runs.append((index - start, start))
            start = None
    if start is not None:
        runs.append((len(covered) - start, start))
    runs.sort(key=lambda run: (-run[0], run[1]))
    return [
        Gap(length, " ".join(body.tokens[first : first + min(length, 30)]), xpath_of(owner))
        for length, first in runs[:limit]
        for owner in (body.owners[first],)
    ]


def printed_labels(root: etree._Element) -> set[str]:
    """Every speaker label printed in the body: ``PersonSpeaking`` and bold labels."""
    labels: set[str] = set()
    for person in root.iter("PersonSpeaking"):
        label = (text_of(person) or "").rstrip(": ")
        if label:
            labels.add(label)
    for para in root.iter("ParaText"):
        printed = leading_label(para)
        if printed:
            labels.add(printed)
    return labels


def paragraphs_opening_with_a_label(
    records: Iterable[Debate | SittingItem], labels: Iterable[str]
) -> list[str]:
    """Speech paragraphs that begin with a printed label and a colon (should be none)."""
    pattern = re.compile(
        r"^(?:"
        + "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
        + r")\s*:",
    )
    found = []
    for record in records:
        if not isinstance(record, Speech):
            continue
        for language in ("en", "fr"):
            for text in getattr(record, f"text_{language}") or ():
                if pattern.match(text):
                    found.append(f"#{record.sequence} ({record.speaker_label}): {text[:80]}")
    return found


def hansard_coverage(
    body: bytes,
    url: str,
    records: Sequence[Debate | SittingItem],
    *,
    gaps: int = 10,
    language: Language | None = None,
) -> Coverage:
    """Coverage of one Hansard document by ``records`` (parsed from it, or the pair it is
    one edition of: then give the document's ``language``)."""
    root = load_xml(body, url, ("Hansard",))
    hansard_body = root.find("HansardBody")
    if hansard_body is None:
        return Coverage(url, 0, 0, [], 0, 0, 0, 0)
    words_of_body = _Body(hansard_body)
    covered = bytearray(len(words_of_body.tokens))
    units = [tokens for unit in _record_units(records, language) if (tokens := words(unit))]
    _cover(words_of_body, covered, units)
    html = "".join(_html_of(record, language) for record in records)
    labels = printed_labels(hansard_body)
    return Coverage(
        url=url,
        body_words=len(words_of_body.tokens),
        covered_words=sum(covered),
        gaps=_gaps(words_of_body, covered, gaps),
        time_marks=words_of_body.time_marks,
        time_marks_kept=html.count('class="time"'),
        floor_marks=words_of_body.floor_marks,
        floor_marks_kept=html.count('class="floor"'),
        repeated_titles=words_of_body.repeated_titles,
        labelled_paragraphs=paragraphs_opening_with_a_label(records, labels) if labels else [],
    )


def _html_of(record: Debate | SittingItem, language: Language | None = None) -> str:
    parts = []
    codes = ("en", "fr") if language is None else (language.value,)
    for code in codes:
        for name in ("html", "question_html", "answer_html"):
            value = getattr(record, f"{name}_{code}", None)
            if value:
                parts.append(value)
    return "".join(parts)
