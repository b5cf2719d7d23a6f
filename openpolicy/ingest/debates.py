"""Hansard sittings (`debates`) and every item of their body (`speeches`), EN and FR together.

Rows: one per item, in document order (`sequence` numbers the rows). A written question
is two rows (`question` by its asker, `answer` by its answerer), a division table one row
(`division`, linked to its division) plus its printed names in `division_names`.

Speakers: Hansard's `Affiliation/@DbId` is a role id, not the ourcommons PersonId, so an
item is linked to a member only on evidence: the printed name (honorific dropped) of a
member with a term covering the sitting's date, in the printed riding when there is one.
Every name a member has been known by counts (`member_names`). A name that matches nobody,
or more than one member, stays unresolved and is counted; within one sitting, items
sharing a DbId or a printed name with a resolved one share its member. Presiding officers
printed by role only ("The Speaker") and members speaking together ("Some hon. members")
are counted apart.

Division tables: the division exists as soon as the table names it (created with the
printed totals if no other source gave it yet). Each printed name is matched to a member:
among the division's ballots when it has a ballots document (a name without a matching
ballot, or a ballot without a name, is a mismatch the fidelity check reports), else among
the members sitting that day. While a division has no ballots document and every printed
name matches exactly one member, the names are its ballots (`votes.ballots_source =
'hansard'`) until the ballots document replaces them.

Search vectors are computed by PostgreSQL (`to_tsvector('english'|'french', text)`) from
the search form of the text (non-breaking spaces and hyphens, typographic apostrophes made
plain), only for rows that are new or changed; division tables are not searchable text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psycopg import Connection

from openpolicy.config import Settings
from openpolicy.ingest import fidelity
from openpolicy.ingest.bulk import Counts, copy_rows, temp_table
from openpolicy.ingest.divisions import ensure_division, import_division_names
from openpolicy.ingest.documents import Document
from openpolicy.ingest.members import MemberIndex, Person
from openpolicy.ingest.names import name_key
from openpolicy.ingest.source import Parsed, Source, Unit, Written, parse_each
from openpolicy.records import (
    Debate,
    DivisionTable,
    Heading,
    Note,
    SittingItem,
    Speech,
    WrittenQuestion,
)
from openpolicy.sources.errors import SourceFormatError
from openpolicy.sources.hansard import (
    PairedSitting,
    is_collective,
    pair_editions,
    parse_hansard,
    single_edition,
    split_records,
)
from openpolicy.sources.hansard_markup import paragraphs_html
from openpolicy.sources.registry import FORMATS, hansard_url
from openpolicy.vocab import Language

if TYPE_CHECKING:
    from openpolicy.ingest.context import ImportContext

_HONORIFIC = re.compile(
    r"^(?:(?:the\s+)?right\s+hon\.?|rt\.?\s+hon\.?|hon\.?|l['’]hon\.?|le\s+très\s+hon\.?"
    r"|la\s+très\s+hon\.?|mr\.?|mrs\.?|ms\.?|miss|dr\.?|m\.|mme|mlle|mgr)\s+",
    re.IGNORECASE,
)
_SEARCH_FORM = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2007": " ",
        "\u2011": "-",
        "\u2010": "-",
        "\u2019": "'",
    }
)

_SPEECH_COLUMNS = (
    "sequence",
    "kind",
    "note_type",
    "hansard_id",
    "spoken_at",
    "member_id",
    "speaker_name",
    "speaker_role",
    "speaker_role_fr",
    "speaker_riding",
    "party_abbreviation",
    "hansard_affiliation_id",
    "intervention_type",
    "order_of_business",
    "section_en",
    "section_fr",
    "heading_en",
    "heading_fr",
    "subheading_en",
    "subheading_fr",
    "text_en",
    "text_fr",
    "html_en",
    "html_fr",
    "question_number",
    "vote_id",
)
_STAGING = """
    sequence int, kind text, note_type text, hansard_id text, spoken_at time, member_id int,
    speaker_name text, speaker_role text, speaker_role_fr text, speaker_riding text,
    party_abbreviation text, hansard_affiliation_id int,
    intervention_type text, order_of_business text, section_en text, section_fr text,
    heading_en text, heading_fr text, subheading_en text, subheading_fr text, text_en text,
    text_fr text, html_en text, html_fr text, question_number int, vote_id int,
    search_en tsvector, search_fr tsvector
"""
_COMPARED = [c for c in _SPEECH_COLUMNS if c != "sequence"]


def person_name(printed: str) -> str:
    """`Right Hon. Justin Trudeau` → `Justin Trudeau`; `L'hon. Dominic LeBlanc` → …"""
    name = printed.strip()
    while True:
        stripped = _HONORIFIC.sub("", name, count=1)
        if stripped == name:
            return name
        name = stripped


def search_form(text: str | None) -> str | None:
    """The text search indexes: the stored text with typographic spaces, hyphens and
    apostrophes made plain ("C‑2" is found as "C-2"). Stored text keeps the source's."""
    return text.translate(_SEARCH_FORM) if text else text


@dataclass
class SpeakerStats:
    """How the speakers of one or more sittings were resolved."""

    resolved: int = 0
    unresolved: int = 0  # a printed name that matches no member in office, or several
    ambiguous: int = 0  # (part of unresolved) several members match
    presiding_unnamed: int = 0  # "The Speaker": a role with no name printed
    collective: int = 0  # "Some hon. members", "Des voix"
    unresolved_names: Counter[str] = field(default_factory=Counter)

    def add(self, other: SpeakerStats) -> None:
        self.resolved += other.resolved
        self.unresolved += other.unresolved
        self.ambiguous += other.ambiguous
        self.presiding_unnamed += other.presiding_unnamed
        self.collective += other.collective
        self.unresolved_names.update(other.unresolved_names)

    def as_dict(self) -> dict[str, Any]:
        return {
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "ambiguous": self.ambiguous,
            "presiding_unnamed": self.presiding_unnamed,
            "collective": self.collective,
            "unresolved_names": len(self.unresolved_names),
        }


@dataclass
class Row:
    """One `speeches` row of a sitting, before its member and division are known."""

    kind: str
    hansard_id: str | None
    item: SittingItem | None  # None for a stored row read back (relinking)
    spoken_at: Any
    speaker_label: str | None = None
    speaker_name: str | None = None
    speaker_role: str | None = None
    speaker_role_fr: str | None = None
    speaker_riding: str | None = None
    party: str | None = None
    affiliation_id: int | None = None
    intervention_type: str | None = None
    note_type: str | None = None
    text_en: str | None = None
    text_fr: str | None = None
    html_en: str | None = None
    html_fr: str | None = None
    question_number: int | None = None
    member_id: int | None = None
    vote_id: int | None = None

    @property
    def searchable(self) -> bool:
        return self.kind != "division"


def _text(paragraphs: tuple[str, ...] | None) -> str | None:
    return "\n\n".join(paragraphs) if paragraphs else None


def _html(html: str | None, paragraphs: tuple[str, ...] | None) -> str | None:
    """The markup, unless it says no more than the plain paragraphs (then NULL)."""
    if not html or not paragraphs:
        return None
    return None if html == paragraphs_html(paragraphs) else html


def sitting_rows(items: Sequence[SittingItem]) -> list[Row]:
    """The rows of a sitting's items, in order."""
    rows: list[Row] = []
    for item in items:
        if isinstance(item, Speech):
            rows.append(
                Row(
                    kind="speech",
                    hansard_id=item.hansard_id,
                    item=item,
                    spoken_at=item.spoken_at,
                    speaker_label=item.speaker_label,
                    speaker_name=item.speaker_name,
                    speaker_role=item.speaker_role,
                    speaker_role_fr=item.speaker_role_fr,
                    speaker_riding=item.speaker_riding,
                    party=item.party,
                    affiliation_id=item.affiliation_id,
                    intervention_type=item.intervention_type,
                    text_en=_text(item.text_en),
                    text_fr=_text(item.text_fr),
                    html_en=_html(item.html_en, item.text_en),
                    html_fr=_html(item.html_fr, item.text_fr),
                )
            )
        elif isinstance(item, Note):
            rows.append(
                Row(
                    kind="note",
                    hansard_id=item.hansard_id,
                    item=item,
                    spoken_at=item.spoken_at,
                    note_type=item.note_type.value,
                    text_en=_text(item.text_en),
                    text_fr=_text(item.text_fr),
                    html_en=_html(item.html_en, item.text_en),
                    html_fr=_html(item.html_fr, item.text_fr),
                )
            )
        elif isinstance(item, WrittenQuestion):
            rows.append(
                Row(
                    kind="question",
                    hansard_id=item.hansard_id,
                    item=item,
                    spoken_at=item.spoken_at,
                    speaker_label=item.asker_label,
                    speaker_name=item.asker_name,
                    affiliation_id=item.asker_affiliation_id,
                    text_en=_text(item.question_en),
                    text_fr=_text(item.question_fr),
                    html_en=_html(item.question_html_en, item.question_en),
                    html_fr=_html(item.question_html_fr, item.question_fr),
                    question_number=item.number,
                )
            )
            rows.append(
                Row(
                    kind="answer",
                    hansard_id=f"{item.hansard_id}.answer" if item.hansard_id else None,
                    item=item,
                    spoken_at=item.spoken_at,
                    speaker_label=item.answerer_label,
                    speaker_name=item.answerer_name,
                    speaker_role=item.answerer_role,
                    speaker_role_fr=item.answerer_role_fr,
                    party=item.answerer_party,
                    affiliation_id=item.answerer_affiliation_id,
                    text_en=_text(item.answer_en),
                    text_fr=_text(item.answer_fr),
                    html_en=_html(item.answer_html_en, item.answer_en),
                    html_fr=_html(item.answer_html_fr, item.answer_fr),
                    question_number=item.number,
                )
            )
        elif isinstance(item, DivisionTable):
            rows.append(
                Row(
                    kind="division",
                    hansard_id=item.hansard_id,
                    item=item,
                    spoken_at=item.spoken_at,
                    text_en=_text(item.text_en),
                    text_fr=_text(item.text_fr),
                    html_en=_html(item.html_en, item.text_en),
                    html_fr=_html(item.html_fr, item.text_fr),
                )
            )
    return rows


def resolve_speakers(index: MemberIndex, day: dt.date, rows: Sequence[Row]) -> SpeakerStats:
    """Set each row's member where the evidence names exactly one; count the rest."""
    stats = SpeakerStats()
    by_affiliation: dict[int, int] = {}
    by_name: dict[str, int] = {}
    pending: list[Row] = []

    def settle(row: Row, person: Person) -> None:
        row.member_id = person.id
        if row.affiliation_id is not None:
            by_affiliation.setdefault(row.affiliation_id, person.id)
        if row.speaker_name:
            by_name.setdefault(name_key(person_name(row.speaker_name)), person.id)

    # First the items that print a riding: the strongest evidence.
    for row in rows:
        if row.speaker_name is None:
            continue
        if row.speaker_riding is None:
            pending.append(row)
            continue
        key = name_key(person_name(row.speaker_name))
        matches = index.sitting_on(key, day, row.speaker_riding)
        if len(matches) == 1:
            settle(row, matches[0])
        else:
            pending.append(row)
    for row in pending:
        assert row.speaker_name is not None
        key = name_key(person_name(row.speaker_name))
        if row.affiliation_id in by_affiliation:
            row.member_id = by_affiliation[row.affiliation_id]
            continue
        matches = index.sitting_on(key, day)
        if len(matches) == 1:
            settle(row, matches[0])
        elif key in by_name:
            row.member_id = by_name[key]
    for row in rows:
        if row.kind in ("note", "division"):
            continue
        if row.member_id is not None:
            stats.resolved += 1
        elif row.speaker_name is None:
            if is_collective(row.speaker_role):
                stats.collective += 1
            elif row.speaker_role or row.speaker_label:
                stats.presiding_unnamed += 1
        else:
            stats.unresolved += 1
            key = name_key(person_name(row.speaker_name))
            stats.unresolved_names[key] += 1
            if len(index.sitting_on(key, day)) > 1:
                stats.ambiguous += 1
    return stats


def search_vectors(
    conn: Connection[Any], rows: Sequence[Row]
) -> list[tuple[str | None, str | None]]:
    """`to_tsvector('english'|'french', search form)` of each row, as text, by PostgreSQL.

    Computed on the preparing thread's own connection before the document's transaction
    opens, so the stemming (the costliest part of writing a speech) runs on another core
    while the previous document is written. Same server, same function, same vectors.
    """
    if not rows:
        return []
    found = conn.execute(
        "SELECT to_tsvector('english', en)::text, to_tsvector('french', fr)::text"
        " FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS t(en, fr, n) ORDER BY n",
        (
            [search_form(row.text_en) if row.searchable else None for row in rows],
            [search_form(row.text_fr) if row.searchable else None for row in rows],
        ),
    ).fetchall()
    return [(row[0], row[1]) for row in found]


def _heading_columns(heading: Heading | None) -> tuple[str | None, str | None, str | None]:
    """`(section, heading, subheading)` of an item in one language."""
    if heading is None:
        return None, None, None
    section = heading.section
    subject = heading.subject or section
    parts = [part for part in (heading.qualifier, heading.catchline) if part]
    return section, subject, " — ".join(parts) if parts else None


def _values(row: Row, sequence: int) -> tuple[Any, ...]:
    item = row.item
    assert item is not None
    section_en, heading_en, subheading_en = _heading_columns(item.heading_en)
    section_fr, heading_fr, subheading_fr = _heading_columns(item.heading_fr)
    return (
        sequence,
        row.kind,
        row.note_type,
        row.hansard_id,
        row.spoken_at.time() if row.spoken_at is not None else None,
        row.member_id,
        row.speaker_name,
        row.speaker_role,
        row.speaker_role_fr,
        row.speaker_riding,
        row.party,
        row.affiliation_id,
        row.intervention_type,
        item.rubric,
        section_en,
        section_fr,
        heading_en,
        heading_fr,
        subheading_en,
        subheading_fr,
        row.text_en,
        row.text_fr,
        row.html_en,
        row.html_fr,
        row.question_number,
        row.vote_id,
    )


def import_sitting(
    ctx: ImportContext,
    sitting: PairedSitting,
    document_id: int,
    rows: Sequence[Row] | None = None,
    vectors: Sequence[tuple[str | None, str | None]] | None = None,
) -> tuple[Counts, SpeakerStats]:
    """Upsert one sitting and its items; counts cover the debate and every item."""
    debate = sitting.debate
    if rows is None:
        rows = sitting_rows(sitting.items)
    counts = Counts()
    session_id = ctx.session_id(debate.session)
    found = ctx.conn.execute(
        "INSERT INTO debates (session_id, number, date, hansard_document_id, source_url_en,"
        " source_url_fr, speaker_name, source_document_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (session_id, number) DO UPDATE SET date = EXCLUDED.date,"
        " hansard_document_id = EXCLUDED.hansard_document_id,"
        " source_url_en = COALESCE(EXCLUDED.source_url_en, debates.source_url_en),"
        " source_url_fr = COALESCE(EXCLUDED.source_url_fr, debates.source_url_fr),"
        " speaker_name = COALESCE(EXCLUDED.speaker_name, debates.speaker_name),"
        " source_document_id = EXCLUDED.source_document_id, updated_at = now()"
        " WHERE ROW(debates.date, debates.hansard_document_id, debates.source_url_en,"
        "  debates.source_url_fr, debates.speaker_name) IS DISTINCT FROM ROW(EXCLUDED.date,"
        "  EXCLUDED.hansard_document_id,"
        "  COALESCE(EXCLUDED.source_url_en, debates.source_url_en),"
        "  COALESCE(EXCLUDED.source_url_fr, debates.source_url_fr),"
        "  COALESCE(EXCLUDED.speaker_name, debates.speaker_name))"
        " RETURNING id, (xmax = 0)",
        (
            session_id,
            debate.number,
            debate.date,
            debate.doc_id,
            debate.url_en,
            debate.url_fr,
            debate.speaker_name,
            document_id,
        ),
    ).fetchone()
    if found is None:
        counts.unchanged += 1
        existing = ctx.conn.execute(
            "SELECT id FROM debates WHERE session_id = %s AND number = %s",
            (session_id, debate.number),
        ).fetchone()
        assert existing is not None
        debate_id = int(existing[0])
    else:
        debate_id = int(found[0])
        if found[1]:
            counts.inserted += 1
        else:
            counts.updated += 1
    if debate.number == 1:  # a session opens with its first sitting
        ctx.conn.execute(
            "UPDATE parliamentary_sessions SET start_date = %s, updated_at = now()"
            " WHERE id = %s AND start_date IS NULL",
            (debate.date, session_id),
        )
    stats = resolve_speakers(ctx.members, debate.date, rows)
    for row in rows:
        if row.kind == "division" and isinstance(row.item, DivisionTable):
            row.vote_id = ensure_division(ctx, debate, row.item, document_id)
    values = [_values(row, sequence) for sequence, row in enumerate(rows, start=1)]
    counts.add(_write_items(ctx, debate_id, values, document_id, vectors))
    tables = [
        (sequence, row.item, row.vote_id)
        for sequence, row in enumerate(rows, start=1)
        if isinstance(row.item, DivisionTable) and row.vote_id is not None
    ]
    import_division_names(ctx, debate, debate_id, tables, document_id)
    return counts, stats


def _write_items(
    ctx: ImportContext,
    debate_id: int,
    rows: Sequence[tuple[Any, ...]],
    document_id: int,
    vectors: Sequence[tuple[str | None, str | None]] | None,
) -> Counts:
    """Insert, update or delete items; vectors given (computed ahead) or computed here."""
    counts = Counts()
    insert_columns = ", ".join(
        ("debate_id", *_SPEECH_COLUMNS, "search_en", "search_fr", "source_document_id")
    )
    if vectors is not None:
        new_en, new_fr = "s.search_en", "s.search_fr"
        staged = [(*row, *pair) for row, pair in zip(rows, vectors, strict=True)]
        staged_columns: tuple[str, ...] = (*_SPEECH_COLUMNS, "search_en", "search_fr")
    else:
        searchable = "s.kind <> 'division'"
        new_en = f"CASE WHEN {searchable} THEN to_tsvector('english', {_SQL_SEARCH_FORM_EN}) END"
        new_fr = f"CASE WHEN {searchable} THEN to_tsvector('french', {_SQL_SEARCH_FORM_FR}) END"
        staged, staged_columns = list(rows), tuple(_SPEECH_COLUMNS)
    select_new = (
        f"SELECT {debate_id}, {', '.join('s.' + c for c in _SPEECH_COLUMNS)},"
        f" {new_en}, {new_fr}, {document_id} FROM speeches_in s"
    )
    with ctx.cursor() as cursor:
        temp_table(cursor, "speeches_in", _STAGING)
        copy_rows(cursor, "speeches_in", staged_columns, staged)
        cursor.execute("SELECT EXISTS (SELECT 1 FROM speeches WHERE debate_id = %s)", (debate_id,))
        existing = cursor.fetchone()
        if existing is not None and not existing[0]:
            cursor.execute(f"INSERT INTO speeches ({insert_columns}) {select_new}".encode())
            counts.inserted = cursor.rowcount
            return counts
        old = ", ".join(f"t.{c}" for c in _COMPARED)
        new = ", ".join(f"s.{c}" for c in _COMPARED)
        assignments = ", ".join(f"{c} = s.{c}" for c in _COMPARED)
        cursor.execute(
            f"UPDATE speeches t SET {assignments},"
            " search_en = CASE WHEN t.text_en IS DISTINCT FROM s.text_en"
            f"  OR t.kind IS DISTINCT FROM s.kind THEN {new_en} ELSE t.search_en END,"
            " search_fr = CASE WHEN t.text_fr IS DISTINCT FROM s.text_fr"
            f"  OR t.kind IS DISTINCT FROM s.kind THEN {new_fr} ELSE t.search_fr END,"
            f" source_document_id = {document_id}, updated_at = now()"
            f" FROM speeches_in s WHERE t.debate_id = {debate_id} AND t.sequence = s.sequence"
            f" AND ROW({old}) IS DISTINCT FROM ROW({new})".encode()
        )
        counts.updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO speeches ({insert_columns}) {select_new}"
            f" WHERE NOT EXISTS (SELECT 1 FROM speeches t WHERE t.debate_id = {debate_id}"
            " AND t.sequence = s.sequence)".encode()
        )
        counts.inserted = cursor.rowcount
        cursor.execute(
            "DELETE FROM speeches t WHERE t.debate_id = %s AND NOT EXISTS"
            " (SELECT 1 FROM speeches_in s WHERE s.sequence = t.sequence)",
            (debate_id,),
        )
        ctx.notes["speeches_deleted"] = ctx.notes.get("speeches_deleted", 0) + cursor.rowcount
    counts.unchanged = len(rows) - counts.inserted - counts.updated
    return counts


# The search form in SQL, for the rare path that computes vectors in the transaction.
_SQL_TRANSLATE = (
    "translate({column}, E'\\u00a0\\u202f\\u2009\\u2007\\u2011\\u2010\\u2019', '    --''')"
)
_SQL_SEARCH_FORM_EN = _SQL_TRANSLATE.format(column="s.text_en")
_SQL_SEARCH_FORM_FR = _SQL_TRANSLATE.format(column="s.text_fr")


# --- the source ------------------------------------------------------------------------------


def plan_hansard(conn: Connection[Any], settings: Settings) -> list[Unit]:
    """Sittings to read again, sittings divisions name, and a few past the newest stored.

    Read again: sittings whose documents were read by an older version of the parser
    (at most `ingest_reparse_per_run`, newest first; a conditional request lets the
    archived body serve). Named: sittings divisions name but that are not stored. Then
    `ingest_hansard_probe` sittings past the newest stored one (a 404 there is "not
    published yet", not a failure). English and French editions together.
    """
    units: list[Unit] = []
    base = settings.ourcommons_base_url
    sessions = list(dict.fromkeys(settings.ingest_sessions))
    stale = conn.execute(
        "SELECT s.code, d.number FROM debates d JOIN parliamentary_sessions s"
        " ON s.id = d.session_id WHERE s.code = ANY(%s) AND EXISTS ("
        "  SELECT 1 FROM source_documents sd WHERE sd.id = d.source_document_id"
        "  AND sd.parser_version IS DISTINCT FROM %s)"
        " ORDER BY d.date DESC, d.number DESC LIMIT %s",
        (sessions, HANSARD_FORMAT.version, settings.ingest_reparse_per_run),
    ).fetchall()
    for code, sitting in stale:
        units.append(_sitting(code, int(sitting), base, probe=False))
    for code in sessions:
        row = conn.execute(
            "SELECT coalesce(max(d.number), 0) FROM debates d JOIN parliamentary_sessions s"
            " ON s.id = d.session_id WHERE s.code = %s",
            (code,),
        ).fetchone()
        newest = int(row[0]) if row else 0
        missing = conn.execute(
            "SELECT DISTINCT v.sitting_number FROM votes v JOIN parliamentary_sessions s"
            " ON s.id = v.session_id WHERE s.code = %s AND v.sitting_number IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM debates d WHERE d.session_id = v.session_id"
            "  AND d.number = v.sitting_number) ORDER BY 1",
            (code,),
        ).fetchall()
        for (sitting,) in missing:
            if int(sitting) <= newest:
                units.append(_sitting(code, int(sitting), base, probe=False))
        for sitting in range(newest + 1, newest + 1 + settings.ingest_hansard_probe):
            units.append(_sitting(code, sitting, base, probe=True))
    return units


def _sitting(code: str, sitting: int, base: str, *, probe: bool) -> Unit:
    return Unit(
        "hansard",
        (
            hansard_url(code, sitting, Language.EN, base),
            hansard_url(code, sitting, Language.FR, base),
        ),
        probe=probe,
    )


def parse_sitting(documents: Sequence[Document]) -> Parsed:
    """One sitting from its editions: paired when both came, either one alone otherwise."""
    editions = [list(parse_each(HANSARD_FORMAT, [document])) for document in documents]
    english = [e for e in editions if split_records(e)[0].language is Language.EN]
    french = [e for e in editions if split_records(e)[0].language is Language.FR]
    if len(english) > 1 or len(french) > 1:
        raise SourceFormatError(documents[0].url, "two documents of the same edition in one unit")
    if english and french:
        sitting = pair_editions(english[0], french[0])
    else:
        sitting = single_edition(editions[0])
    rows = sitting_rows(sitting.items)
    return Parsed((sitting, rows, None), 1 + len(rows))


def stored_edition(conn: Connection[Any], debate: Debate) -> list[Debate | SittingItem] | None:
    """The records of the other edition of this sitting, if one was imported before.

    A sitting whose French edition came alone is stored from it; when the English one
    comes (or the other way round), the archived body of the first is read again so the
    two are stored as a pair.
    """
    column = "source_url_fr" if debate.language is Language.EN else "source_url_en"
    row = conn.execute(
        f"SELECT d.{column} FROM debates d JOIN parliamentary_sessions s ON s.id = d.session_id"
        " WHERE s.code = %s AND d.number = %s",
        (debate.session, debate.number),
    ).fetchone()
    if row is None or row[0] is None or row[0] == debate.source_url:
        return None
    body = conn.execute(
        "SELECT body FROM source_documents WHERE url = %s AND imported_at IS NOT NULL"
        " ORDER BY imported_at DESC LIMIT 1",
        (row[0],),
    ).fetchone()
    if body is None:
        return None
    return list(parse_hansard(bytes(body[0]), row[0]))


def _prepare(conn: Connection[Any], parsed: Parsed) -> Parsed:
    """Pair a lone edition with the stored other one; compute the search vectors."""
    sitting, rows, _ = parsed.payload
    if sitting.debate.url_en is None or sitting.debate.url_fr is None:
        other = stored_edition(conn, sitting.debate)
        if other is not None:
            mine = list(sitting.records())
            english, french = (
                (mine, other)
                if sitting.debate.language is Language.EN
                else (
                    other,
                    mine,
                )
            )
            sitting = pair_editions(english, french)
            rows = sitting_rows(sitting.items)
    return Parsed((sitting, rows, search_vectors(conn, rows)), 1 + len(rows))


def _write(ctx: ImportContext, parsed: Parsed, document_id: int, unit: Unit) -> Written:
    sitting, rows, vectors = parsed.payload
    return import_sitting(ctx, sitting, document_id, rows, vectors)


HANSARD_FORMAT = FORMATS["hansard"]
HANSARD = Source(
    HANSARD_FORMAT,
    plan=plan_hansard,
    parse=parse_sitting,
    write=_write,
    prepare=_prepare,
    checks=(
        fidelity.speakers_resolved,
        fidelity.division_tables_match_ballots,
        fidelity.ballots_match_totals,
    ),
    helpers=2,
    held="SELECT count(*) FROM speeches",
)
