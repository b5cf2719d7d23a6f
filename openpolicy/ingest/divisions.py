"""Divisions named before their ballots arrive, and division tables checked name by name.

A division exists as soon as anything names it: the divisions list, a ballots document, a
bill's LEGISinfo detail (with its official totals) or a division table printed in
Hansard. Whoever comes first creates the `votes` row; the others fill what it lacks.
Ballots come from the division's ballots document; until there is one, they come from
the names printed in the sitting's division table when every name matches one member
(`votes.ballots_source` says which).

Each printed name is kept in `division_names` with the member it names. When the
division has a ballots document, the names are checked against its ballots: a name with
no ballot of the same value, or a ballot with no printed name, is a mismatch
(`division_names.matched`, and the fidelity check `division_tables_match_ballots`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openpolicy.ingest.bulk import copy_rows
from openpolicy.ingest.names import name_key
from openpolicy.records import Debate, DivisionTable
from openpolicy.vocab import VoteResult

if TYPE_CHECKING:
    from openpolicy.ingest.context import ImportContext

# The bill a division is on, when the caller knows none: a bill that lists the division.
_BILL_LISTING = (
    "(SELECT b.id FROM bills b WHERE b.session_id = %(session)s"
    " AND %(number)s = ANY(b.division_numbers) ORDER BY b.id LIMIT 1)"
)


@dataclass(frozen=True)
class NamedDivision:
    """What a source that only names a division knows about it."""

    session: str
    number: int
    date: dt.date
    result: VoteResult
    yeas: int
    nays: int
    paired: int
    sitting: int | None = None
    subject_en: str | None = None
    subject_fr: str | None = None
    bill_number: str | None = None


def ensure_named_division(
    ctx: ImportContext, division: NamedDivision, document_id: int | None
) -> int:
    """The `votes` row of a division a source names, created with its official totals.

    A row that exists keeps what it has, except what it lacks (sitting, subjects, bill)
    and totals that were only counted from ballots (`totals_derived`): official totals
    replace those.
    """
    session_id = ctx.session_id(division.session)
    params: dict[str, Any] = {
        "session": session_id,
        "number": division.number,
        "date": division.date,
        "sitting": division.sitting,
        "result": division.result.value,
        "yeas": division.yeas,
        "nays": division.nays,
        "paired": division.paired,
        "subject_en": division.subject_en,
        "subject_fr": division.subject_fr,
        "bill_number": division.bill_number,
        "document": document_id,
    }
    row = ctx.conn.execute(
        "INSERT INTO votes (session_id, number, date, sitting_number, result, yeas, nays,"
        " paired, subject_en, subject_fr, bill_number, totals_derived, source_document_id,"
        " bill_id)"
        " VALUES (%(session)s, %(number)s, %(date)s, %(sitting)s, %(result)s, %(yeas)s,"
        " %(nays)s, %(paired)s, %(subject_en)s, %(subject_fr)s, %(bill_number)s, false,"
        f" %(document)s, {_BILL_LISTING})"
        " ON CONFLICT (session_id, number) DO UPDATE SET"
        " sitting_number = COALESCE(votes.sitting_number, EXCLUDED.sitting_number),"
        " subject_en = COALESCE(votes.subject_en, EXCLUDED.subject_en),"
        " subject_fr = COALESCE(votes.subject_fr, EXCLUDED.subject_fr),"
        " bill_number = COALESCE(votes.bill_number, EXCLUDED.bill_number),"
        " bill_id = COALESCE(votes.bill_id, EXCLUDED.bill_id),"
        " yeas = CASE WHEN votes.totals_derived THEN EXCLUDED.yeas ELSE votes.yeas END,"
        " nays = CASE WHEN votes.totals_derived THEN EXCLUDED.nays ELSE votes.nays END,"
        " paired = CASE WHEN votes.totals_derived THEN EXCLUDED.paired ELSE votes.paired END,"
        " totals_derived = false, updated_at = now()"
        " WHERE (votes.sitting_number IS NULL AND EXCLUDED.sitting_number IS NOT NULL)"
        "  OR (votes.subject_en IS NULL AND EXCLUDED.subject_en IS NOT NULL)"
        "  OR (votes.subject_fr IS NULL AND EXCLUDED.subject_fr IS NOT NULL)"
        "  OR (votes.bill_number IS NULL AND EXCLUDED.bill_number IS NOT NULL)"
        "  OR (votes.bill_id IS NULL AND EXCLUDED.bill_id IS NOT NULL)"
        "  OR votes.totals_derived"
        " RETURNING id",
        params,
    ).fetchone()
    if row is None:
        row = ctx.conn.execute(
            "SELECT id FROM votes WHERE session_id = %s AND number = %s",
            (session_id, division.number),
        ).fetchone()
    assert row is not None
    return int(row[0])


def ensure_division(
    ctx: ImportContext, debate: Debate, table: DivisionTable, document_id: int
) -> int:
    """The division a Hansard table prints (created from the table if unknown)."""
    result = table.result
    if result is None:
        result = VoteResult.TIED if table.yeas == table.nays else VoteResult.AGREED
    return ensure_named_division(
        ctx,
        NamedDivision(
            session=debate.session,
            number=table.division_number,
            date=debate.date,
            result=result,
            yeas=table.yeas,
            nays=table.nays,
            paired=table.paired,
            sitting=debate.number,
        ),
        document_id,
    )


# --- names -------------------------------------------------------------------------------


@dataclass
class _Name:
    id: int
    value: str
    surname: str
    riding: str | None
    member_id: int | None = None
    matched: bool | None = None


def import_division_names(
    ctx: ImportContext,
    debate: Debate,
    debate_id: int,
    tables: Sequence[tuple[int, DivisionTable, int]],
    document_id: int,
) -> None:
    """Store the names of the sitting's division tables and match them.

    `tables`: `(row sequence, table, vote id)` of each division row of the sitting.
    """
    if not tables:
        return
    with ctx.cursor() as cursor:
        cursor.execute(
            "SELECT sequence, id FROM speeches WHERE debate_id = %s AND kind = 'division'",
            (debate_id,),
        )
        speech_ids = {int(sequence): int(speech_id) for sequence, speech_id in cursor.fetchall()}
        cursor.execute(
            "DELETE FROM division_names WHERE speech_id = ANY(%s)", (list(speech_ids.values()),)
        )
        copy_rows(
            cursor,
            "division_names",
            (
                "speech_id",
                "vote_id",
                "position",
                "value",
                "name",
                "surname",
                "riding",
                "hansard_affiliation_id",
            ),
            (
                (
                    speech_ids[sequence],
                    vote_id,
                    position,
                    name.value.value,
                    name.name,
                    name.surname,
                    name.riding,
                    name.affiliation_id,
                )
                for sequence, table, vote_id in tables
                for position, name in enumerate(table.names, start=1)
            ),
        )
    for vote_id in dict.fromkeys(vote_id for _, _, vote_id in tables):
        settle_division(ctx, vote_id, debate.date, table_document=document_id)


def settle_division(
    ctx: ImportContext, vote_id: int, day: dt.date, *, table_document: int | None = None
) -> None:
    """Match a division's printed names to members, and its ballots to its names.

    With a ballots document: each name is checked against the ballots. Without one:
    names are matched among the members sitting on `day`, and when every name names
    one member (and the counts agree with the totals), they become the ballots.
    """
    conn = ctx.conn
    names = [
        _Name(int(row[0]), row[1], row[2], row[3])
        for row in conn.execute(
            "SELECT id, value, surname, riding FROM division_names WHERE vote_id = %s"
            " ORDER BY speech_id, position",
            (vote_id,),
        )
    ]
    if not names:
        return
    source_row = conn.execute(
        "SELECT ballots_source, yeas, nays, paired FROM votes WHERE id = %s", (vote_id,)
    ).fetchone()
    assert source_row is not None
    ballots_source = source_row[0]
    if ballots_source == "ballots":
        _check_against_ballots(ctx, vote_id, day, names)
    else:
        _match_among_members(ctx, names, day)
        totals = {"yea": source_row[1], "nay": source_row[2], "paired": source_row[3]}
        _ballots_from_names(ctx, vote_id, day, names, totals, table_document)
    with ctx.cursor() as cursor:
        cursor.execute(
            "UPDATE division_names d SET member_id = n.member_id, matched = n.matched"
            " FROM unnest(%s::bigint[], %s::int[], %s::boolean[]) AS n(id, member_id, matched)"
            " WHERE d.id = n.id AND (d.member_id IS DISTINCT FROM n.member_id"
            "  OR d.matched IS DISTINCT FROM n.matched)",
            (
                [name.id for name in names],
                [name.member_id for name in names],
                [name.matched for name in names],
            ),
        )


def _check_against_ballots(
    ctx: ImportContext, vote_id: int, day: dt.date, names: list[_Name]
) -> None:
    """Each printed name against the ballots: same surname (and riding), same value."""
    index = ctx.members
    ballots: dict[int, str] = {
        int(member_id): value
        for member_id, value in ctx.conn.execute(
            "SELECT member_id, value FROM ballots WHERE vote_id = %s", (vote_id,)
        )
    }
    by_surname: dict[str, list[int]] = {}
    for member_id in ballots:
        person = index.people.get(member_id)
        if person is None:
            continue
        for key in index.surname_keys(person):
            by_surname.setdefault(key, []).append(member_id)
    claimed: set[int] = set()
    for name in names:
        candidates = by_surname.get(name_key(name.surname), [])
        if name.riding is not None and len(candidates) > 1:
            riding = name_key(name.riding)
            candidates = [
                member_id
                for member_id in candidates
                if index.held_seat(index.people[member_id], riding, day)
            ]
        same_value = [m for m in candidates if ballots[m] == name.value and m not in claimed]
        if len(same_value) == 1:
            name.member_id, name.matched = same_value[0], True
            claimed.add(same_value[0])
        elif len(candidates) == 1:
            name.member_id, name.matched = candidates[0], False
        else:
            name.member_id, name.matched = None, False


def _match_among_members(ctx: ImportContext, names: list[_Name], day: dt.date) -> None:
    """Each printed name among the members sitting on `day`: one match, or none."""
    index = ctx.members
    for name in names:
        found = index.sitting_by_surname(name_key(name.surname), day, name.riding)
        name.member_id = found[0].id if len(found) == 1 else None
        name.matched = None


def _ballots_from_names(
    ctx: ImportContext,
    vote_id: int,
    day: dt.date,
    names: list[_Name],
    totals: dict[str, int],
    document_id: int | None,
) -> None:
    """The printed names as the division's ballots, when they name everyone exactly once."""
    members = [name.member_id for name in names]
    counted = {value: sum(1 for name in names if name.value == value) for value in totals}
    complete = (
        all(member is not None for member in members)
        and len(set(members)) == len(members)
        and counted == totals
    )
    conn = ctx.conn
    if not complete:
        return
    stored = {
        (int(member_id), value)
        for member_id, value in conn.execute(
            "SELECT member_id, value FROM ballots WHERE vote_id = %s", (vote_id,)
        )
    }
    if stored == {(name.member_id, name.value) for name in names}:
        if stored:
            conn.execute(
                "UPDATE votes SET ballots_source = 'hansard' WHERE id = %s"
                " AND ballots_source IS DISTINCT FROM 'hansard'",
                (vote_id,),
            )
        return
    index = ctx.members
    rows = []
    for name in names:
        assert name.member_id is not None
        person = index.people[name.member_id]
        party = next((t.party_id for t in person.terms if t.covers(day)), None)
        rows.append((vote_id, name.member_id, party, name.value, document_id))
    with ctx.cursor() as cursor:
        cursor.execute("DELETE FROM ballots WHERE vote_id = %s", (vote_id,))
        copy_rows(
            cursor,
            "ballots",
            ("vote_id", "member_id", "party_id", "value", "source_document_id"),
            rows,
        )
    conn.execute(
        "UPDATE votes SET ballots_source = 'hansard', updated_at = now() WHERE id = %s",
        (vote_id,),
    )
    ctx.notes["ballots_from_hansard"] = ctx.notes.get("ballots_from_hansard", 0) + len(rows)
