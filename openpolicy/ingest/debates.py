"""Hansard sittings (`debates`) and their interventions (`speeches`), EN and FR together.

Speakers: Hansard's `Affiliation/@DbId` is a role id, not the ourcommons PersonId, so a
speech is linked to a member only on evidence: the printed name (honorific dropped) of a
member with a term covering the sitting's date, in the printed riding when there is one.
A name that matches nobody, or more than one member, stays unresolved and is counted;
within one sitting, interventions sharing a DbId with a resolved one share its member.
Presiding officers printed by role only ("The Speaker") are counted apart.

Search vectors are computed by PostgreSQL (`to_tsvector('english'|'french', text)`) into
the stored `search_en`/`search_fr` columns, only for speeches that are new or changed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection

from openpolicy.ingest.bulk import Counts, copy_rows, temp_table
from openpolicy.ingest.context import ImportContext, name_key
from openpolicy.ingest.members import MemberIndex
from openpolicy.records import Debate, Speech

_HONORIFIC = re.compile(
    r"^(?:(?:the\s+)?right\s+hon\.?|rt\.?\s+hon\.?|hon\.?|l['’]hon\.?|le\s+très\s+hon\.?"
    r"|la\s+très\s+hon\.?|mr\.?|mrs\.?|ms\.?|miss|dr\.?|m\.|mme|mlle|mgr)\s+",
    re.IGNORECASE,
)

_SPEECH_COLUMNS = (
    "sequence",
    "hansard_id",
    "spoken_at",
    "member_id",
    "speaker_name",
    "speaker_role",
    "party_abbreviation",
    "hansard_affiliation_id",
    "intervention_type",
    "order_of_business",
    "heading_en",
    "heading_fr",
    "text_en",
    "text_fr",
)
_STAGING = """
    sequence int, hansard_id text, spoken_at time, member_id int, speaker_name text,
    speaker_role text, party_abbreviation text, hansard_affiliation_id int,
    intervention_type text, order_of_business text, heading_en text, heading_fr text,
    text_en text, text_fr text, search_en tsvector, search_fr tsvector
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


@dataclass
class SpeakerStats:
    """How the speakers of one or more sittings were resolved."""

    resolved: int = 0
    unresolved: int = 0  # a printed name that matches no member in office, or several
    ambiguous: int = 0  # (part of unresolved) several members match
    presiding_unnamed: int = 0  # "The Speaker": a role with no name printed
    unresolved_names: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "ambiguous": self.ambiguous,
            "presiding_unnamed": self.presiding_unnamed,
            "unresolved_names": len(self.unresolved_names),
        }


def resolve_speakers(
    index: MemberIndex, debate: Debate, speeches: Sequence[Speech]
) -> tuple[list[int | None], SpeakerStats]:
    """The member of each speech (or None) and the counts of what stayed unresolved."""
    stats = SpeakerStats()
    by_affiliation: dict[int, int] = {}
    found: list[int | None] = [None] * len(speeches)
    pending: list[int] = []
    # First the interventions that print a riding: the strongest evidence.
    for position, speech in enumerate(speeches):
        if speech.speaker_name is None:
            continue
        if speech.speaker_riding is None:
            pending.append(position)
            continue
        key = name_key(person_name(speech.speaker_name))
        matches = index.sitting_on(key, debate.date, speech.speaker_riding)
        if len(matches) == 1:
            found[position] = matches[0].id
            if speech.affiliation_id is not None:
                by_affiliation.setdefault(speech.affiliation_id, matches[0].id)
        else:
            pending.append(position)
    for position in pending:
        speech = speeches[position]
        assert speech.speaker_name is not None
        if speech.affiliation_id in by_affiliation:
            found[position] = by_affiliation[speech.affiliation_id]
            continue
        key = name_key(person_name(speech.speaker_name))
        matches = index.sitting_on(key, debate.date)
        if len(matches) == 1:
            found[position] = matches[0].id
            if speech.affiliation_id is not None:
                by_affiliation.setdefault(speech.affiliation_id, matches[0].id)
    for speech, member in zip(speeches, found, strict=True):
        if member is not None:
            stats.resolved += 1
        elif speech.speaker_name is None:
            if speech.speaker_role or speech.speaker_label:
                stats.presiding_unnamed += 1
        else:
            stats.unresolved += 1
            key = name_key(person_name(speech.speaker_name))
            stats.unresolved_names[key] += 1
            if len(index.sitting_on(key, debate.date)) > 1:
                stats.ambiguous += 1
    return found, stats


def _text(paragraphs: tuple[str, ...] | None) -> str | None:
    return "\n\n".join(paragraphs) if paragraphs else None


def search_vectors(
    conn: Connection[Any], speeches: Sequence[Speech]
) -> list[tuple[str | None, str | None]]:
    """`to_tsvector('english'|'french', text)` of each speech, as text, by PostgreSQL.

    Computed on the preparing thread's own connection before the document's transaction
    opens, so the stemming (the costliest part of writing a speech) runs on another core
    while the previous document is written. Same server, same function, same vectors.
    """
    if not speeches:
        return []
    rows = conn.execute(
        "SELECT to_tsvector('english', en)::text, to_tsvector('french', fr)::text"
        " FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS t(en, fr, n) ORDER BY n",
        ([_text(s.text_en) for s in speeches], [_text(s.text_fr) for s in speeches]),
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def _row(speech: Speech, member_id: int | None) -> tuple[Any, ...]:
    return (
        speech.sequence,
        str(speech.intervention_id) if speech.intervention_id is not None else None,
        speech.spoken_at.time() if speech.spoken_at is not None else None,
        member_id,
        speech.speaker_name,
        speech.speaker_role,
        speech.party,
        speech.affiliation_id,
        speech.intervention_type,
        speech.rubric,
        speech.subject_en or speech.order_of_business_en,
        speech.subject_fr or speech.order_of_business_fr,
        _text(speech.text_en),
        _text(speech.text_fr),
    )


def import_sitting(
    ctx: ImportContext,
    debate: Debate,
    speeches: Sequence[Speech],
    document_id: int,
    vectors: Sequence[tuple[str | None, str | None]] | None = None,
) -> tuple[Counts, SpeakerStats]:
    """Upsert one sitting and its speeches; counts cover the debate and every speech."""
    counts = Counts()
    session_id = ctx.session_id(debate.session)
    row = ctx.conn.execute(
        "INSERT INTO debates (session_id, number, date, hansard_document_id, source_url_en,"
        " source_url_fr, source_document_id) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (session_id, number) DO UPDATE SET date = EXCLUDED.date,"
        " hansard_document_id = EXCLUDED.hansard_document_id,"
        " source_url_en = COALESCE(EXCLUDED.source_url_en, debates.source_url_en),"
        " source_url_fr = COALESCE(EXCLUDED.source_url_fr, debates.source_url_fr),"
        " source_document_id = EXCLUDED.source_document_id, updated_at = now()"
        " WHERE ROW(debates.date, debates.hansard_document_id, debates.source_url_en,"
        "  debates.source_url_fr) IS DISTINCT FROM ROW(EXCLUDED.date,"
        "  EXCLUDED.hansard_document_id,"
        "  COALESCE(EXCLUDED.source_url_en, debates.source_url_en),"
        "  COALESCE(EXCLUDED.source_url_fr, debates.source_url_fr))"
        " RETURNING id, (xmax = 0)",
        (
            session_id,
            debate.number,
            debate.date,
            debate.doc_id,
            debate.url_en,
            debate.url_fr,
            document_id,
        ),
    ).fetchone()
    if row is None:
        counts.unchanged += 1
        found = ctx.conn.execute(
            "SELECT id FROM debates WHERE session_id = %s AND number = %s",
            (session_id, debate.number),
        ).fetchone()
        assert found is not None
        debate_id = int(found[0])
    else:
        debate_id = int(row[0])
        if row[1]:
            counts.inserted += 1
        else:
            counts.updated += 1
    members, stats = resolve_speakers(ctx.members, debate, speeches)
    rows = [_row(speech, member) for speech, member in zip(speeches, members, strict=True)]
    counts.add(_write_speeches(ctx, debate_id, rows, document_id, vectors))
    return counts, stats


def _write_speeches(
    ctx: ImportContext,
    debate_id: int,
    rows: Sequence[tuple[Any, ...]],
    document_id: int,
    vectors: Sequence[tuple[str | None, str | None]] | None,
) -> Counts:
    """Insert, update or delete speeches; vectors given (computed ahead) or computed here."""
    counts = Counts()
    insert_columns = ", ".join(
        ("debate_id", *_SPEECH_COLUMNS, "search_en", "search_fr", "source_document_id")
    )
    if vectors is not None:
        new_en, new_fr = "s.search_en", "s.search_fr"
        staged = [(*row, *pair) for row, pair in zip(rows, vectors, strict=True)]
        staged_columns: tuple[str, ...] = (*_SPEECH_COLUMNS, "search_en", "search_fr")
    else:
        new_en, new_fr = "to_tsvector('english', s.text_en)", "to_tsvector('french', s.text_fr)"
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
            f"  THEN {new_en} ELSE t.search_en END,"
            " search_fr = CASE WHEN t.text_fr IS DISTINCT FROM s.text_fr"
            f"  THEN {new_fr} ELSE t.search_fr END,"
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
