"""Members: `elected_members` and `member_terms`, and who is who across the feeds.

Identity rules (one place, used by the members, ballots and Hansard importers):

1. A PersonId (members list since ~2024, ballots) is the key when we have one.
2. Otherwise (the 2023 members list has none) a person is the member with the same name
   (accents, case and dashes ignored) and a term in the same riding; failing that, the one
   same-named member in the same province whose PersonId does not contradict.
3. A PersonId learnt later (ballots, a newer list) is stored on the matched member.

Terms come from members lists (official) or, for people the lists do not cover (the 43rd
Parliament's members who voted in a division), from ballots: an *inferred* term says only
"in this seat, for this caucus, on these division days" and widens as divisions arrive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from openpolicy.ingest.bulk import Counts
from openpolicy.ingest.names import name_key, parliament_on
from openpolicy.records import Member

if TYPE_CHECKING:  # the context loads the member index (ImportContext.members)
    from openpolicy.ingest.context import ImportContext

Outcome = Literal["inserted", "updated", "unchanged"]
_RANK = {"unchanged": 0, "updated": 1, "inserted": 2}


def worst(*outcomes: Outcome) -> Outcome:
    """The outcome of a record that touched several rows: inserted > updated > unchanged."""
    return max(outcomes, key=_RANK.__getitem__)


def count(counts: Counts, outcome: Outcome) -> None:
    if outcome == "inserted":
        counts.inserted += 1
    elif outcome == "updated":
        counts.updated += 1
    else:
        counts.unchanged += 1


@dataclass
class Term:
    id: int
    constituency_id: int
    constituency_key: str
    province: str
    party_id: int | None
    start: dt.date
    end: dt.date | None
    inferred: bool

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class Person:
    id: int
    person_id: int | None
    honorific: str | None
    first_name: str
    last_name: str
    terms: list[Term] = field(default_factory=list)

    _key: tuple[str, str, str] | None = None

    @property
    def key(self) -> str:
        """The comparable name, cached: it is asked for every ballot."""
        cached = self._key
        if cached is None or cached[:2] != (self.first_name, self.last_name):
            cached = self._key = (
                self.first_name,
                self.last_name,
                name_key(f"{self.first_name} {self.last_name}"),
            )
        return cached[2]


class MemberIndex:
    """Every member and term of the database, in memory for one run."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.by_person_id: dict[int, int] = {}
        self.by_name: dict[str, list[int]] = {}

    @classmethod
    def load(cls, ctx: ImportContext) -> MemberIndex:
        index = cls()
        for row in ctx.conn.execute(
            "SELECT id, person_id, honorific, first_name, last_name FROM elected_members"
        ):
            index._add(Person(*row))
        for row in ctx.conn.execute(
            "SELECT t.member_id, t.id, t.constituency_id, c.name_en, c.province, t.party_id,"
            " t.start_date, t.end_date, t.inferred"
            " FROM member_terms t JOIN constituencies c ON c.id = t.constituency_id"
        ):
            member_id, term_id, constituency_id, riding, province, party, start, end, inferred = row
            person = index.people.get(member_id)
            if person is not None:
                person.terms.append(
                    Term(
                        term_id,
                        constituency_id,
                        name_key(riding),
                        province,
                        party,
                        start,
                        end,
                        inferred,
                    )
                )
        return index

    def _add(self, person: Person) -> None:
        self.people[person.id] = person
        if person.person_id is not None:
            self.by_person_id[person.person_id] = person.id
        self.by_name.setdefault(person.key, []).append(person.id)

    # --- matching ---------------------------------------------------------------------------

    def resolve(
        self,
        person_id: int | None,
        first_name: str,
        last_name: str,
        riding: str | None,
        province: str | None,
    ) -> Person | None:
        """The stored member these facts describe, by the identity rules above."""
        if person_id is not None and person_id in self.by_person_id:
            return self.people[self.by_person_id[person_id]]
        named = [
            self.people[i] for i in self.by_name.get(name_key(f"{first_name} {last_name}"), [])
        ]
        compatible = [p for p in named if person_id is None or p.person_id in (None, person_id)]
        if riding is not None:
            riding_key = name_key(riding)
            same_seat = [
                p for p in compatible if any(t.constituency_key == riding_key for t in p.terms)
            ]
            if len(same_seat) == 1:
                return same_seat[0]
        if province is not None:
            same_province = [p for p in compatible if any(t.province == province for t in p.terms)]
            if len(same_province) == 1:
                return same_province[0]
        return None

    def has_unlinked_namesake(self, person: Person) -> bool:
        """Another member of the same name without a PersonId (a merge candidate)."""
        return any(
            self.people[i].person_id is None
            for i in self.by_name.get(person.key, [])
            if i != person.id
        )

    def sitting_on(self, key: str, day: dt.date, riding: str | None = None) -> list[Person]:
        """Members named `key` with a term covering `day` (in `riding` when given)."""
        riding_key = name_key(riding) if riding else None
        found = []
        for member_id in self.by_name.get(key, []):
            person = self.people[member_id]
            if any(
                t.covers(day) and (riding_key is None or t.constituency_key == riding_key)
                for t in person.terms
            ):
                found.append(person)
        return found

    # --- writing ----------------------------------------------------------------------------

    def ensure_member(
        self,
        ctx: ImportContext,
        *,
        person_id: int | None,
        honorific: str | None,
        first_name: str,
        last_name: str,
        riding: str | None,
        province: str | None,
        document_id: int | None,
        authoritative: bool,
    ) -> tuple[Person, Outcome]:
        """Find or create the member; a members list (`authoritative`) also updates names."""
        person = self.resolve(person_id, first_name, last_name, riding, province)
        if person is not None and person_id is not None and riding is not None:
            self.absorb_duplicates(ctx, person, riding)
        if person is None:
            row = ctx.conn.execute(
                "INSERT INTO elected_members"
                " (person_id, honorific, first_name, last_name, full_name, source_document_id)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    person_id,
                    honorific,
                    first_name,
                    last_name,
                    f"{first_name} {last_name}",
                    document_id,
                ),
            ).fetchone()
            assert row is not None
            person = Person(int(row[0]), person_id, honorific, first_name, last_name)
            self._add(person)
            return person, "inserted"
        wanted = (
            (person_id or person.person_id, honorific, first_name, last_name)
            if authoritative
            else (
                person_id or person.person_id,
                person.honorific,
                person.first_name,
                person.last_name,
            )
        )
        current = (person.person_id, person.honorific, person.first_name, person.last_name)
        if wanted == current:
            return person, "unchanged"
        new_person_id, new_honorific, new_first, new_last = wanted
        ctx.conn.execute(
            "UPDATE elected_members SET person_id = %s, honorific = %s, first_name = %s,"
            " last_name = %s, full_name = %s, source_document_id = %s, updated_at = now()"
            " WHERE id = %s",
            (
                new_person_id,
                new_honorific,
                new_first,
                new_last,
                f"{new_first} {new_last}",
                document_id,
                person.id,
            ),
        )
        old_key = person.key
        person.person_id, person.honorific, person.first_name, person.last_name = wanted
        if new_person_id is not None:
            self.by_person_id[new_person_id] = person.id
        if person.key != old_key:
            self.by_name[old_key].remove(person.id)
            self.by_name.setdefault(person.key, []).append(person.id)
        return person, "updated"

    def absorb_duplicates(self, ctx: ImportContext, person: Person, riding: str) -> None:
        """Merge same-named members without a PersonId who held `riding` into `person`.

        They were created from a list without PersonIds before this PersonId was known
        (rule 2 says they are the same person): their terms, ballots, speeches and bills
        move over and the duplicate row goes.
        """
        riding_key = name_key(riding)
        for other_id in list(self.by_name.get(person.key, [])):
            other = self.people[other_id]
            if other.id == person.id or other.person_id is not None:
                continue
            if not any(t.constituency_key == riding_key for t in other.terms):
                continue
            with ctx.cursor() as cursor:
                # Identical terms would collide: keep the survivor's.
                cursor.execute(
                    "DELETE FROM member_terms d USING member_terms k WHERE d.member_id = %s"
                    " AND k.member_id = %s AND k.constituency_id = d.constituency_id"
                    " AND k.party_id IS NOT DISTINCT FROM d.party_id"
                    " AND k.start_date = d.start_date",
                    (other.id, person.id),
                )
                cursor.execute(
                    "UPDATE member_terms SET member_id = %s WHERE member_id = %s",
                    (person.id, other.id),
                )
                cursor.execute(
                    "DELETE FROM ballots d USING ballots k WHERE d.member_id = %s"
                    " AND k.member_id = %s AND k.vote_id = d.vote_id",
                    (other.id, person.id),
                )
                cursor.execute(
                    "UPDATE ballots SET member_id = %s WHERE member_id = %s", (person.id, other.id)
                )
                cursor.execute(
                    "UPDATE speeches SET member_id = %s WHERE member_id = %s", (person.id, other.id)
                )
                cursor.execute(
                    "UPDATE bills SET sponsor_member_id = %s WHERE sponsor_member_id = %s",
                    (person.id, other.id),
                )
                cursor.execute("DELETE FROM elected_members WHERE id = %s", (other.id,))
            kept = {(t.constituency_id, t.party_id, t.start) for t in person.terms}
            person.terms += [
                t for t in other.terms if (t.constituency_id, t.party_id, t.start) not in kept
            ]
            del self.people[other.id]
            self.by_name[person.key].remove(other.id)
            ctx.notes["members_merged"] = ctx.notes.get("members_merged", 0) + 1

    def ensure_official_term(
        self,
        ctx: ImportContext,
        person: Person,
        *,
        constituency_id: int,
        riding: str,
        province: str,
        party_id: int | None,
        start: dt.date,
        end: dt.date | None,
        document_id: int | None,
    ) -> Outcome:
        """A term from a members list; inferred terms it covers are dropped."""
        for term in person.terms:
            if (term.constituency_id, term.party_id, term.start) == (
                constituency_id,
                party_id,
                start,
            ) and not term.inferred:
                if term.end == end:
                    return "unchanged"
                ctx.conn.execute(
                    "UPDATE member_terms SET end_date = %s, source_document_id = %s,"
                    " updated_at = now() WHERE id = %s",
                    (end, document_id, term.id),
                )
                term.end = end
                return "updated"
        covered = [
            t
            for t in person.terms
            if t.inferred
            and t.constituency_id == constituency_id
            and t.start >= start
            and (end is None or (t.end is not None and t.end <= end))
        ]
        if covered:
            ctx.conn.execute(
                "DELETE FROM member_terms WHERE id = ANY(%s)", ([t.id for t in covered],)
            )
            person.terms = [t for t in person.terms if t not in covered]
        row = ctx.conn.execute(
            "INSERT INTO member_terms (member_id, constituency_id, party_id, parliament,"
            " start_date, end_date, inferred, source_document_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, false, %s)"
            " ON CONFLICT (member_id, constituency_id, party_id, start_date)"
            " DO UPDATE SET end_date = EXCLUDED.end_date, inferred = false,"
            " source_document_id = EXCLUDED.source_document_id, updated_at = now()"
            " RETURNING id",
            (person.id, constituency_id, party_id, parliament_on(start), start, end, document_id),
        ).fetchone()
        assert row is not None
        person.terms.append(
            Term(
                int(row[0]),
                constituency_id,
                name_key(riding),
                province,
                party_id,
                start,
                end,
                False,
            )
        )
        return "inserted"

    def note_seat_on(
        self,
        person: Person,
        *,
        constituency_id: int,
        riding: str,
        province: str,
        party_id: int | None,
        day: dt.date,
        pending: list[tuple[Any, ...]],
    ) -> None:
        """Make sure some term says `person` held this seat on `day` (inferred if need be).

        Changes are queued in `pending` and written by `write_inferred_terms` in one batch.
        """
        for term in person.terms:
            if term.covers(day) and term.constituency_id == constituency_id:
                return
        for term in person.terms:
            if term.inferred and (term.constituency_id, term.party_id) == (
                constituency_id,
                party_id,
            ):
                term.start, term.end = min(term.start, day), max(term.end or day, day)
                pending.append(("widen", term))
                return
        term = Term(0, constituency_id, name_key(riding), province, party_id, day, day, True)
        person.terms.append(term)
        pending.append(("new", term, person.id))


def write_inferred_terms(
    ctx: ImportContext, pending: Sequence[tuple[Any, ...]], document_id: int | None
) -> None:
    """Write the inferred terms `note_seat_on` queued (two statements, any number of rows)."""
    if not pending:
        return
    widened = {id(item[1]): item[1] for item in pending if item[0] == "widen" and item[1].id}
    created = [item for item in pending if item[0] == "new"]
    with ctx.cursor() as cursor:
        if widened:
            terms = list(widened.values())
            cursor.execute(
                "UPDATE member_terms t SET start_date = w.s, end_date = w.e,"
                " source_document_id = %s, updated_at = now()"
                " FROM unnest(%s::int[], %s::date[], %s::date[]) AS w(id, s, e) WHERE t.id = w.id",
                (
                    document_id,
                    [t.id for t in terms],
                    [t.start for t in terms],
                    [t.end for t in terms],
                ),
            )
        if created:
            cursor.execute(
                "INSERT INTO member_terms (member_id, constituency_id, party_id, parliament,"
                " start_date, end_date, inferred, source_document_id)"
                " SELECT n.m, n.c, n.p, n.parl, n.s, n.e, true, %s"
                " FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::date[], %s::date[])"
                " AS n(m, c, p, parl, s, e) RETURNING id",
                (
                    document_id,
                    [item[2] for item in created],
                    [item[1].constituency_id for item in created],
                    [item[1].party_id for item in created],
                    [parliament_on(item[1].start) for item in created],
                    [item[1].start for item in created],
                    [item[1].end for item in created],
                ),
            )
            for item, row in zip(created, cursor.fetchall(), strict=True):
                item[1].id = int(row[0])


def import_members(ctx: ImportContext, records: Sequence[Member], document_id: int) -> Counts:
    """A members list: each record is one member and one official term."""
    counts = Counts()
    index = ctx.members
    for record in records:
        person, member_outcome = index.ensure_member(
            ctx,
            person_id=record.person_id,
            honorific=record.honorific,
            first_name=record.first_name,
            last_name=record.last_name,
            riding=record.constituency,
            province=record.province.value,
            document_id=document_id,
            # Lists without PersonIds are the older captures: they never rename anyone.
            authoritative=record.person_id is not None,
        )
        term_outcome: Outcome = "unchanged"
        if record.from_date is not None:
            term_outcome = index.ensure_official_term(
                ctx,
                person,
                constituency_id=ctx.constituency_id(record.constituency, record.province.value),
                riding=record.constituency,
                province=record.province.value,
                party_id=ctx.party_id(record.caucus),
                start=record.from_date,
                end=record.to_date,
                document_id=document_id,
            )
        count(counts, worst(member_outcome, term_outcome))
    return counts
