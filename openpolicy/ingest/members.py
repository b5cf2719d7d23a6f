"""Members: `elected_members`, their names over time and their terms; who is who.

Identity rules (one place, used by the members, ballots and Hansard importers):

1. A PersonId (members lists since ~2024, ballots, a bill's sponsor) is the identity of
   a member wherever a source gives it: two rows never share one, and a row that gets
   one keeps it.
2. A member has a history of names (`member_names`, with the first and last day each was
   seen in use), and every match is made against all of them: "Rachael Harder" and
   "Rachael Thomas" are one person, so are "Rhéal Fortin" and "Rhéal Éloi Fortin".
3. Without a PersonId (the 2023 members list has none), a person is: the member with the
   same name and a term in the same riding; else the member holding the same seat on the
   same day whose name agrees in part (same first or last name: a seat has one member
   on a day, so a renamed member is found); else the one member who held the same seat
   at another time under the same last name; else the one same-named member in the same
   province. A PersonId never contradicts: two PersonIds are two people.
4. When a member gets its PersonId, rows created earlier for the same person without
   one (same name and seat, or same seat on the same days and a name that agrees) are
   merged into it: terms, ballots, speeches, sponsorships, printed division names and
   names move over, nothing is dropped, and each merge is written to `audit_events`.

Terms come from members lists (official) or, for people the lists do not cover (the 43rd
Parliament's members who voted in a division), from ballots: an *inferred* term says only
"in this seat, for this caucus, on these division days" and widens as divisions arrive.
A term a list gives without an end ("still sitting" when it was captured) ends at the
latest with its Parliament's dissolution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import orjson
from psycopg import Connection

from openpolicy.config import Settings
from openpolicy.ingest import fidelity
from openpolicy.ingest.bulk import Counts
from openpolicy.ingest.documents import Document
from openpolicy.ingest.names import name_key, parliament_on
from openpolicy.ingest.source import Parsed, Source, Unit, Written, parse_each
from openpolicy.parliaments import latest_end
from openpolicy.records import Member
from openpolicy.sources.registry import FORMATS, members_url

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

    @property
    def last_day(self) -> dt.date | None:
        """The end, or for an open term its Parliament's dissolution (None: still open)."""
        return self.end if self.end is not None else latest_end(parliament_on(self.start))

    def covers(self, day: dt.date) -> bool:
        last = self.last_day
        return self.start <= day and (last is None or day <= last)

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        last = self.last_day
        return (end is None or self.start <= end) and (last is None or start <= last)


@dataclass
class Name:
    """One name a member was known by, and the days it was seen in use."""

    first_name: str
    last_name: str
    first_seen: dt.date | None
    last_seen: dt.date | None
    stored: bool = True

    @property
    def key(self) -> str:
        return name_key(f"{self.first_name} {self.last_name}")


@dataclass
class Person:
    id: int
    person_id: int | None
    honorific: str | None
    first_name: str
    last_name: str
    terms: list[Term] = field(default_factory=list)
    names: list[Name] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The comparable current name."""
        return name_key(f"{self.first_name} {self.last_name}")

    def name_keys(self) -> set[str]:
        """Every comparable name the member has been known by."""
        return {self.key, *(name.key for name in self.names)}

    def first_keys(self) -> set[str]:
        return {name_key(self.first_name), *(name_key(n.first_name) for n in self.names)}

    def last_keys(self) -> set[str]:
        return {name_key(self.last_name), *(name_key(n.last_name) for n in self.names)}

    def agrees_with(self, first_name: str, last_name: str) -> bool:
        """A name that agrees in part: the same first name, or the same last name, or
        one name's words within the other's ("Rhéal Fortin" / "Rhéal Éloi Fortin")."""
        if name_key(first_name) in self.first_keys() or name_key(last_name) in self.last_keys():
            return True
        words = set(name_key(f"{first_name} {last_name}").split())
        return any(
            words <= set(key.split()) or set(key.split()) <= words for key in self.name_keys()
        )


class MemberIndex:
    """Every member, name and term of the database, in memory for one run."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.by_person_id: dict[int, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.by_surname: dict[str, list[int]] = {}
        self.by_seat: dict[str, list[int]] = {}
        # Terms written this run, (start, end): the dates whose links may have changed.
        self.touched: list[tuple[dt.date, dt.date | None]] = []

    @classmethod
    def load(cls, ctx: ImportContext) -> MemberIndex:
        index = cls()
        for row in ctx.conn.execute(
            "SELECT id, person_id, honorific, first_name, last_name FROM elected_members"
        ):
            index.people[int(row[0])] = Person(*row)
        for member_id, first, last, first_seen, last_seen in ctx.conn.execute(
            "SELECT member_id, first_name, last_name, first_seen, last_seen FROM member_names"
        ):
            person = index.people.get(member_id)
            if person is not None:
                person.names.append(Name(first, last, first_seen, last_seen))
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
        for person in index.people.values():
            index._index(person)
        return index

    def _index(self, person: Person) -> None:
        """(Re)file a member under its PersonId, every name, last name and seat."""
        if person.person_id is not None:
            self.by_person_id[person.person_id] = person.id
        for key in person.name_keys():
            ids = self.by_name.setdefault(key, [])
            if person.id not in ids:
                ids.append(person.id)
        for key in person.last_keys():
            ids = self.by_surname.setdefault(key, [])
            if person.id not in ids:
                ids.append(person.id)
        for term in person.terms:
            ids = self.by_seat.setdefault(term.constituency_key, [])
            if person.id not in ids:
                ids.append(person.id)

    def _forget(self, person: Person) -> None:
        self.people.pop(person.id, None)
        if person.person_id is not None and self.by_person_id.get(person.person_id) == person.id:
            del self.by_person_id[person.person_id]
        for table in (self.by_name, self.by_surname, self.by_seat):
            for ids in table.values():
                if person.id in ids:
                    ids.remove(person.id)

    # --- matching ---------------------------------------------------------------------------

    def resolve(
        self,
        person_id: int | None,
        first_name: str,
        last_name: str,
        riding: str | None,
        province: str | None,
        day: dt.date | None = None,
        until: dt.date | None = None,
    ) -> Person | None:
        """The stored member these facts describe, by the identity rules above.

        `day` (to `until`, for a term) is when the facts held: the seat on those days.
        """
        if person_id is not None and person_id in self.by_person_id:
            return self.people[self.by_person_id[person_id]]

        def compatible(person: Person) -> bool:
            return person_id is None or person.person_id in (None, person_id)

        named = [
            self.people[i]
            for i in self.by_name.get(name_key(f"{first_name} {last_name}"), [])
            if compatible(self.people[i])
        ]
        riding_key = name_key(riding) if riding is not None else None
        if riding_key is not None:
            same_seat = [p for p in named if any(t.constituency_key == riding_key for t in p.terms)]
            if len(same_seat) == 1:
                return same_seat[0]
            if day is not None:
                holders = [
                    p
                    for p in self.holders(riding_key, day, until or day)
                    if compatible(p) and p.agrees_with(first_name, last_name)
                ]
                if len(holders) == 1:
                    return holders[0]
            # The same seat at another time, under the same last name ("Rhéal Fortin"
            # in one Parliament, "Rhéal Éloi Fortin" in the next).
            surname = name_key(last_name)
            kin = [
                self.people[i]
                for i in self.by_seat.get(riding_key, [])
                if compatible(self.people[i]) and surname in self.people[i].last_keys()
            ]
            if len(kin) == 1:
                return kin[0]
        if province is not None:
            same_province = [p for p in named if any(t.province == province for t in p.terms)]
            if len(same_province) == 1:
                return same_province[0]
        return None

    def holders(self, riding_key: str, start: dt.date, end: dt.date | None) -> list[Person]:
        """Members holding the seat at some time between `start` and `end`."""
        found = []
        for member_id in self.by_seat.get(riding_key, []):
            person = self.people[member_id]
            if any(
                t.constituency_key == riding_key and t.overlaps(start, end) for t in person.terms
            ):
                found.append(person)
        return found

    def duplicates_of(self, person: Person) -> list[Person]:
        """Rows without a PersonId that are this same person (rule 4)."""
        found: dict[int, Person] = {}
        for term in person.terms:
            for other in self.holders(term.constituency_key, term.start, term.last_day):
                if other.id == person.id or other.person_id is not None:
                    continue
                if other.name_keys() & person.name_keys() or person.agrees_with(
                    other.first_name, other.last_name
                ):
                    found[other.id] = other
        for key in person.name_keys():
            for other_id in self.by_name.get(key, []):
                other = self.people[other_id]
                if other.id == person.id or other.person_id is not None:
                    continue
                seats = {t.constituency_key for t in person.terms}
                if any(t.constituency_key in seats for t in other.terms):
                    found[other.id] = other
        return list(found.values())

    def has_unlinked_namesake(self, person: Person) -> bool:
        """Another row that is this same person without a PersonId (a merge candidate)."""
        return bool(self.duplicates_of(person))

    def surname_keys(self, person: Person) -> set[str]:
        """Every last name the member has been known by, comparable."""
        return person.last_keys()

    def held_seat(self, person: Person, riding_key: str, day: dt.date) -> bool:
        """Whether `person` held the seat named `riding_key` on `day` (or ever, if no
        term covers the day)."""
        terms = [t for t in person.terms if t.covers(day)] or person.terms
        return any(t.constituency_key == riding_key for t in terms)

    def sitting_by_surname(self, key: str, day: dt.date, riding: str | None = None) -> list[Person]:
        """Members with last name `key` sitting on `day` (in `riding` when given).

        A division table prints a surname alone, and the riding only where two members
        share it.
        """
        riding_key = name_key(riding) if riding else None
        found = []
        for member_id in self.by_surname.get(key, []):
            person = self.people[member_id]
            if any(
                t.covers(day) and (riding_key is None or t.constituency_key == riding_key)
                for t in person.terms
            ):
                found.append(person)
        return found

    def sitting_on(self, key: str, day: dt.date, riding: str | None = None) -> list[Person]:
        """Members known by the name `key` with a term covering `day` (in `riding` when
        given)."""
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
        day: dt.date | None = None,
        until: dt.date | None = None,
    ) -> tuple[Person, Outcome]:
        """Find or create the member; record the name as used on `day`.

        The current name is the one seen in use last; a members list with PersonIds
        (`authoritative`) also sets the honorific and wins a tie.
        """
        person = self.resolve(person_id, first_name, last_name, riding, province, day, until)
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
            self.people[person.id] = person
            self._note_name(ctx, person, first_name, last_name, day)
            self._index(person)
            return person, "inserted"
        outcome: Outcome = "unchanged"
        if self._note_name(ctx, person, first_name, last_name, day):
            outcome = "updated"
        current = self._current_name(person, first_name, last_name, day, authoritative)
        wanted = (
            person.person_id if person.person_id is not None else person_id,
            honorific if authoritative else person.honorific,
            *current,
        )
        if wanted != (person.person_id, person.honorific, person.first_name, person.last_name):
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
            person.person_id, person.honorific = new_person_id, new_honorific
            person.first_name, person.last_name = new_first, new_last
            outcome = "updated"
        self._index(person)
        if person.person_id is not None:
            self.absorb_duplicates(ctx, person, document_id)
        return person, outcome

    def _current_name(
        self,
        person: Person,
        first_name: str,
        last_name: str,
        day: dt.date | None,
        authoritative: bool,
    ) -> tuple[str, str]:
        """The name a member goes by now: the one seen in use last (the PersonId list's
        on a tie), else the one it has."""
        mine = name_key(f"{first_name} {last_name}")
        if mine == person.key:
            return (
                (first_name, last_name)
                if authoritative
                else (
                    person.first_name,
                    person.last_name,
                )
            )
        seen = {name.key: name.last_seen for name in person.names}
        held = seen.get(person.key)
        if day is not None and (held is None or day > held or (day == held and authoritative)):
            return first_name, last_name
        return person.first_name, person.last_name

    def _note_name(
        self,
        ctx: ImportContext,
        person: Person,
        first_name: str,
        last_name: str,
        day: dt.date | None,
    ) -> bool:
        """Record that the member went by this name on `day`; True if the history grew."""
        key = name_key(f"{first_name} {last_name}")
        for name in person.names:
            if name.key == key:
                if day is None:
                    return False
                first = min(d for d in (name.first_seen, day) if d is not None)
                last = max(d for d in (name.last_seen, day) if d is not None)
                if (first, last) == (name.first_seen, name.last_seen):
                    return False
                name.first_seen, name.last_seen = first, last
                ctx.conn.execute(
                    "UPDATE member_names SET first_seen = %s, last_seen = %s, updated_at = now()"
                    " WHERE member_id = %s AND first_name = %s AND last_name = %s",
                    (first, last, person.id, name.first_name, name.last_name),
                )
                return False
        person.names.append(Name(first_name, last_name, day, day))
        ctx.conn.execute(
            "INSERT INTO member_names (member_id, first_name, last_name, full_name,"
            " first_seen, last_seen) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (member_id, first_name, last_name) DO NOTHING",
            (person.id, first_name, last_name, f"{first_name} {last_name}", day, day),
        )
        return len(person.names) > 1

    def absorb_duplicates(
        self, ctx: ImportContext, person: Person, document_id: int | None = None
    ) -> None:
        """Merge into `person` the rows without a PersonId that are the same person."""
        for other in self.duplicates_of(person):
            self.merge(ctx, person, other, document_id)

    def merge(
        self, ctx: ImportContext, keep: Person, gone: Person, document_id: int | None
    ) -> dict[str, int]:
        """Move everything of `gone` to `keep`, drop `gone`, and say so in the audit log.

        Nothing is lost: a term, ballot or name both rows hold once is kept once; a
        ballot both rows cast in one division keeps `keep`'s and the other is listed in
        the audit entry.
        """
        moved = merge_members(ctx.conn, keep.id, gone.id)
        ctx.conn.execute(
            "INSERT INTO audit_events (actor, action, details) VALUES ('ingest', 'member.merge',"
            " %s)",
            (
                orjson.dumps(
                    {
                        "kept": keep.id,
                        "merged": gone.id,
                        "person_id": keep.person_id,
                        "kept_name": f"{keep.first_name} {keep.last_name}",
                        "merged_name": f"{gone.first_name} {gone.last_name}",
                        "source_document_id": document_id,
                        "moved": moved,
                    }
                ).decode(),
            ),
        )
        kept = {(t.constituency_id, t.party_id, t.start) for t in keep.terms}
        keep.terms += [
            t for t in gone.terms if (t.constituency_id, t.party_id, t.start) not in kept
        ]
        known = {name.key for name in keep.names}
        keep.names += [name for name in gone.names if name.key not in known]
        if gone.key not in keep.name_keys():
            keep.names.append(Name(gone.first_name, gone.last_name, None, None))
        self._forget(gone)
        self._index(keep)
        ctx.notes["members_merged"] = ctx.notes.get("members_merged", 0) + 1
        return moved

    def ensure_official_term(
        self,
        ctx: ImportContext,
        person: Person,
        *,
        person_id: int | None = None,
        constituency_id: int,
        riding: str,
        province: str,
        party_id: int | None,
        start: dt.date,
        end: dt.date | None,
        document_id: int | None,
    ) -> Outcome:
        """A term from a members list; inferred terms it covers are dropped.

        A list prints no end for members sitting when it was captured: an end already
        known (given by a later list, or by a successor's arrival) is kept. A new term in
        a seat ends the open term of whoever held the seat before it in that Parliament
        (a seat has one member on a day), the day before.
        """
        for term in person.terms:
            if (term.constituency_id, term.party_id, term.start) == (
                constituency_id,
                party_id,
                start,
            ) and not term.inferred:
                if term.end == end or end is None:
                    return "unchanged"
                ctx.conn.execute(
                    "UPDATE member_terms SET end_date = %s, source_document_id = %s,"
                    " updated_at = now() WHERE id = %s",
                    (end, document_id, term.id),
                )
                term.end = end
                self.touched.append((start, end))
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
            " start_date, end_date, inferred, person_id, source_document_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, false, %s, %s)"
            " ON CONFLICT (member_id, constituency_id, party_id, start_date)"
            " DO UPDATE SET end_date = EXCLUDED.end_date, inferred = false,"
            " person_id = COALESCE(EXCLUDED.person_id, member_terms.person_id),"
            " source_document_id = EXCLUDED.source_document_id, updated_at = now()"
            " RETURNING id",
            (
                person.id,
                constituency_id,
                party_id,
                parliament_on(start),
                start,
                end,
                person_id,
                document_id,
            ),
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
        self.touched.append((start, end))
        self._index(person)
        self._close_predecessors(ctx, person, constituency_id, riding, start, document_id)
        return "inserted"

    def _close_predecessors(
        self,
        ctx: ImportContext,
        person: Person,
        constituency_id: int,
        riding: str,
        start: dt.date,
        document_id: int | None,
    ) -> None:
        """End the open terms of earlier holders of the seat in the same Parliament."""
        parliament = parliament_on(start)
        for other_id in list(self.by_seat.get(name_key(riding), [])):
            other = self.people.get(other_id)
            if other is None or other.id == person.id:
                continue
            for term in other.terms:
                if (
                    not term.inferred
                    and term.constituency_id == constituency_id
                    and term.end is None
                    and term.start < start
                    and parliament_on(term.start) == parliament
                ):
                    term.end = start - dt.timedelta(days=1)
                    ctx.conn.execute(
                        "UPDATE member_terms SET end_date = %s, source_document_id = %s,"
                        " updated_at = now() WHERE id = %s",
                        (term.end, document_id, term.id),
                    )
                    self.touched.append((term.start, term.end))
                    ctx.notes["terms_ended_by_a_successor"] = (
                        ctx.notes.get("terms_ended_by_a_successor", 0) + 1
                    )

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
    ) -> bool:
        """Make sure some term says `person` held this seat on `day` (inferred if need be).

        Changes are queued in `pending` and written by `write_inferred_terms` in one batch.
        Returns whether the member's seats changed (a new seat may reveal a duplicate).
        """
        for term in person.terms:
            if term.covers(day) and term.constituency_id == constituency_id:
                return False
        for term in person.terms:
            if term.inferred and (term.constituency_id, term.party_id) == (
                constituency_id,
                party_id,
            ):
                term.start, term.end = min(term.start, day), max(term.end or day, day)
                pending.append(("widen", term))
                return True
        term = Term(0, constituency_id, name_key(riding), province, party_id, day, day, True)
        person.terms.append(term)
        self._index(person)
        pending.append(("new", term, person.id, person.person_id))
        return True


def merge_members(conn: Connection[Any], keep: int, gone: int) -> dict[str, int]:
    """Move every row of member `gone` to member `keep`, then delete `gone`.

    Returns what moved, by table. A row both members hold (the same term, a ballot in
    the same division, the same name) is kept once, `keep`'s; the ballots `gone` held in
    divisions where `keep` also voted are counted under `ballots_both` (the same person
    cannot vote twice: one of the two rows was a duplicate).
    """
    moved: dict[str, int] = {}

    def run(name: str, sql: str) -> None:
        moved[name] = conn.execute(sql, {"keep": keep, "gone": gone}).rowcount

    run(
        "terms_both",
        "DELETE FROM member_terms d USING member_terms k WHERE d.member_id = %(gone)s"
        " AND k.member_id = %(keep)s AND k.constituency_id = d.constituency_id"
        " AND k.party_id IS NOT DISTINCT FROM d.party_id AND k.start_date = d.start_date",
    )
    run("terms", "UPDATE member_terms SET member_id = %(keep)s WHERE member_id = %(gone)s")
    run(
        "ballots_both",
        "DELETE FROM ballots d USING ballots k WHERE d.member_id = %(gone)s"
        " AND k.member_id = %(keep)s AND k.vote_id = d.vote_id",
    )
    run("ballots", "UPDATE ballots SET member_id = %(keep)s WHERE member_id = %(gone)s")
    run("speeches", "UPDATE speeches SET member_id = %(keep)s WHERE member_id = %(gone)s")
    run(
        "sponsorships",
        "UPDATE bills SET sponsor_member_id = %(keep)s WHERE sponsor_member_id = %(gone)s",
    )
    run(
        "division_names",
        "UPDATE division_names SET member_id = %(keep)s WHERE member_id = %(gone)s",
    )
    run(
        "names_both",
        "DELETE FROM member_names d USING member_names k WHERE d.member_id = %(gone)s"
        " AND k.member_id = %(keep)s AND k.first_name = d.first_name"
        " AND k.last_name = d.last_name",
    )
    run("names", "UPDATE member_names SET member_id = %(keep)s WHERE member_id = %(gone)s")
    conn.execute(
        "INSERT INTO member_names (member_id, first_name, last_name, full_name)"
        " SELECT %(keep)s, first_name, last_name, full_name FROM elected_members"
        " WHERE id = %(gone)s ON CONFLICT (member_id, first_name, last_name) DO NOTHING",
        {"keep": keep, "gone": gone},
    )
    conn.execute("DELETE FROM elected_members WHERE id = %(gone)s", {"gone": gone})
    return moved


def write_inferred_terms(
    ctx: ImportContext, pending: Sequence[tuple[Any, ...]], document_id: int | None
) -> None:
    """Write the inferred terms `note_seat_on` queued (two statements, any number of rows)."""
    if not pending:
        return
    ctx.members.touched += [(item[1].start, item[1].end) for item in pending]
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
                " start_date, end_date, inferred, person_id, source_document_id)"
                " SELECT n.m, n.c, n.p, n.parl, n.s, n.e, true, n.pid, %s"
                " FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::date[], %s::date[],"
                " %s::int[]) AS n(m, c, p, parl, s, e, pid) RETURNING id",
                (
                    document_id,
                    [item[2] for item in created],
                    [item[1].constituency_id for item in created],
                    [item[1].party_id for item in created],
                    [parliament_on(item[1].start) for item in created],
                    [item[1].start for item in created],
                    [item[1].end for item in created],
                    [item[3] for item in created],
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
            # Lists without PersonIds are the older captures: they win no tie on names.
            authoritative=record.person_id is not None,
            day=record.from_date,
            until=record.to_date
            or (latest_end(parliament_on(record.from_date)) if record.from_date else None),
        )
        term_outcome: Outcome = "unchanged"
        if record.from_date is not None:
            term_outcome = index.ensure_official_term(
                ctx,
                person,
                person_id=record.person_id,
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


# --- the source ------------------------------------------------------------------------------


def plan_members(conn: Connection[Any], settings: Settings) -> list[Unit]:
    """The current list, plus one per past Parliament of `ingest_parliaments`."""
    base = settings.ourcommons_base_url
    urls = [members_url(None, base)]
    urls += [members_url(p, base) for p in dict.fromkeys(settings.ingest_parliaments)]
    return [Unit("members", (url,)) for url in dict.fromkeys(urls)]


def _parse(documents: Sequence[Document]) -> Parsed:
    records = [r for r in parse_each(FORMATS["members"], documents) if isinstance(r, Member)]
    return Parsed(records, len(records))


def _write(ctx: ImportContext, parsed: Parsed, document_id: int, unit: Unit) -> Written:
    return import_members(ctx, parsed.payload, document_id), None


MEMBERS = Source(
    FORMATS["members"],
    plan=plan_members,
    parse=_parse,
    write=_write,
    checks=(fidelity.members_have_terms,),
    held="SELECT count(*) FROM elected_members",
)
