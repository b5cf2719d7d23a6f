"""Recorded divisions (`votes`) and every member's ballot (`ballots`).

The divisions list carries the official yea/nay/paired totals (so do a bill's LEGISinfo
detail and the sitting's printed division table, `ingest.divisions`). A division whose ballots
arrive first (or whose list was never captured, like 43-2 No. 69 in the sample) is created
from the ballots feed with `totals_derived` set: its totals are the ballots' own counts
until a divisions list says otherwise. Ballots of a division with official totals must add
up to them, or the document fails and nothing of it is stored.

Writes: ballots of a division seen for the first time are COPYed straight into `ballots`
(nothing to compare with); later versions go through a staging table, update what changed
and delete ballots that disappeared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from psycopg import Connection

from openpolicy.config import Settings
from openpolicy.ingest import fidelity
from openpolicy.ingest.bulk import Counts, copy_rows, temp_table, upsert
from openpolicy.ingest.context import ImportContext, IngestCheckError
from openpolicy.ingest.divisions import settle_division
from openpolicy.ingest.documents import Document
from openpolicy.ingest.members import Person, write_inferred_terms
from openpolicy.ingest.names import name_key
from openpolicy.ingest.source import Parsed, Source, Unit, Written, parse_each
from openpolicy.records import Ballot, Vote
from openpolicy.sources.division import DivisionFacts, division_facts
from openpolicy.sources.errors import SourceFormatError
from openpolicy.sources.registry import FORMATS, ballots_url, votes_url
from openpolicy.sources.votes import pair_vote_lists
from openpolicy.vocab import BallotValue, Language

_VOTE_COLUMNS = (
    "session_id",
    "number",
    "date",
    "sitting_number",
    "subject_en",
    "subject_fr",
    "result",
    "yeas",
    "nays",
    "paired",
    "document_type",
    "bill_number",
    "totals_derived",
    "source_document_id",
    "bill_id",
)
_VOTE_STAGING = """
    session_id int, number int, date date, sitting_number int, subject_en text,
    subject_fr text, result text, yeas int, nays int, paired int, document_type text,
    bill_number text, totals_derived boolean, source_document_id bigint
"""
# The bill a division is on: named by the division, else a bill that lists the division.
_BILL_OF_VOTE = (
    "(SELECT b.id FROM bills b WHERE b.session_id = s.session_id"
    " AND (b.number = s.bill_number OR s.number = ANY(b.division_numbers))"
    " ORDER BY (b.number = s.bill_number) DESC NULLS LAST, b.id LIMIT 1)"
)


def import_votes(ctx: ImportContext, records: Sequence[Vote], document_id: int) -> Counts:
    """Upsert a divisions list (English, with the French subjects when paired)."""
    counts = Counts()
    if not records:
        return counts
    rows = [
        (
            ctx.session_id(vote.session),
            vote.number,
            vote.date,
            vote.sitting,
            vote.subject_en,
            vote.subject_fr,
            vote.result.value,
            vote.yeas,
            vote.nays,
            vote.paired,
            vote.document_type,
            vote.bill_number,
            False,
            document_id,
        )
        for vote in records
    ]
    with ctx.cursor() as cursor:
        temp_table(cursor, "votes_in", _VOTE_STAGING)
        copy_rows(cursor, "votes_in", _VOTE_COLUMNS[:-1], rows)
        inserted, updated, _ = upsert(
            cursor,
            table="votes",
            staging="votes_in",
            key=("session_id", "number"),
            columns=_VOTE_COLUMNS,
            select=[*(f"s.{c}" for c in _VOTE_COLUMNS[:-1]), _BILL_OF_VOTE],
            compare=[
                c for c in _VOTE_COLUMNS if c not in {"session_id", "number", "source_document_id"}
            ],
            keep_when_null=("subject_en", "subject_fr", "sitting_number", "bill_id"),
        )
    counts.inserted, counts.updated = inserted, updated
    counts.unchanged = len(rows) - inserted - updated
    return counts


def _vote_row(
    ctx: ImportContext, facts: DivisionFacts, document_id: int
) -> tuple[int, int, int, int, bool]:
    """`(id, yeas, nays, paired, totals_derived)` of the division, created if unknown."""
    session_id = ctx.session_id(facts.session)
    row = ctx.conn.execute(
        "INSERT INTO votes (session_id, number, date, result, yeas, nays, paired,"
        " totals_derived, source_document_id, bill_id)"
        " VALUES (%s, %s, %s, %s, 0, 0, 0, true, %s,"
        "  (SELECT b.id FROM bills b WHERE b.session_id = %s AND %s = ANY(b.division_numbers)"
        "   ORDER BY b.id LIMIT 1))"
        " ON CONFLICT (session_id, number) DO NOTHING"
        " RETURNING id, yeas, nays, paired, totals_derived",
        (
            session_id,
            facts.number,
            facts.decided_at.date(),
            facts.result.value,
            document_id,
            session_id,
            facts.number,
        ),
    ).fetchone()
    if row is None:
        row = ctx.conn.execute(
            "SELECT id, yeas, nays, paired, totals_derived FROM votes"
            " WHERE session_id = %s AND number = %s",
            (session_id, facts.number),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3]), bool(row[4])


def import_ballots(
    ctx: ImportContext,
    records: Sequence[Ballot],
    document_id: int,
    facts: DivisionFacts,
    url: str,
) -> Counts:
    """One division's ballots: check them against the totals, then write them."""
    if any((b.session, b.division_number) != (facts.session, facts.number) for b in records):
        raise IngestCheckError(f"{url}: ballots of more than one division in one document")
    tally = Counter(b.value for b in records)
    found = (tally[BallotValue.YEA], tally[BallotValue.NAY], tally[BallotValue.PAIRED])
    vote_id, yeas, nays, paired, derived = _vote_row(ctx, facts, document_id)
    if not derived and found != (yeas, nays, paired):
        raise IngestCheckError(
            f"{url}: division {facts.session} No. {facts.number} has {found[0]} yea /"
            f" {found[1]} nay / {found[2]} paired ballots but the official totals are"
            f" {yeas} / {nays} / {paired}"
        )
    if derived and found != (yeas, nays, paired):
        ctx.conn.execute(
            "UPDATE votes SET yeas = %s, nays = %s, paired = %s, date = %s, result = %s,"
            " updated_at = now() WHERE id = %s",
            (*found, facts.decided_at.date(), facts.result.value, vote_id),
        )
    rows = _ballot_rows(ctx, records, facts, document_id)
    counts = Counts()
    replaced = ctx.conn.execute(
        "UPDATE votes SET ballots_source = 'ballots' WHERE id = %s"
        " AND ballots_source IS DISTINCT FROM 'ballots' RETURNING ballots_source",
        (vote_id,),
    ).fetchone()
    if replaced is not None:
        # Ballots read from the printed table give way to the ballots document's.
        ctx.conn.execute("DELETE FROM ballots WHERE vote_id = %s", (vote_id,))
    with ctx.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM ballots WHERE vote_id = %s)", (vote_id,))
        existing = cursor.fetchone()
        if existing is not None and not existing[0]:
            copy_rows(
                cursor,
                "ballots",
                ("vote_id", "member_id", "party_id", "value", "source_document_id"),
                ((vote_id, *row, document_id) for row in rows),
            )
            counts.inserted = len(rows)
            settle_division(ctx, vote_id, facts.decided_at.date())
            return counts
        temp_table(cursor, "ballots_in", "member_id int, party_id int, value text")
        copy_rows(cursor, "ballots_in", ("member_id", "party_id", "value"), rows)
        inserted, updated, _ = upsert(
            cursor,
            table="ballots",
            staging="ballots_in",
            key=("vote_id", "member_id"),
            columns=("vote_id", "member_id", "party_id", "value", "source_document_id"),
            select=(str(vote_id), "s.member_id", "s.party_id", "s.value", str(document_id)),
            compare=("party_id", "value"),
        )
        cursor.execute(
            "DELETE FROM ballots b WHERE b.vote_id = %s AND NOT EXISTS"
            " (SELECT 1 FROM ballots_in s WHERE s.member_id = b.member_id)",
            (vote_id,),
        )
        ctx.notes["ballots_deleted"] = ctx.notes.get("ballots_deleted", 0) + cursor.rowcount
    settle_division(ctx, vote_id, facts.decided_at.date())
    counts.inserted, counts.updated = inserted, updated
    counts.unchanged = len(rows) - inserted - updated
    return counts


def ballot_name_key(ballot: Ballot) -> str:
    return name_key(f"{ballot.first_name} {ballot.last_name}")


def _ballot_rows(
    ctx: ImportContext, records: Sequence[Ballot], facts: DivisionFacts, document_id: int
) -> list[tuple[int, int | None, str]]:
    """`(member_id, party_id, value)` per ballot; unknown voters become members."""
    index = ctx.members
    day = facts.decided_at.date()
    pending: list[tuple[Any, ...]] = []
    rows: list[tuple[int, int | None, str]] = []
    seen: dict[int, Ballot] = {}
    for ballot in records:
        province = ballot.province.value
        person: Person | None = index.resolve(
            ballot.person_id,
            ballot.first_name,
            ballot.last_name,
            ballot.constituency,
            province,
            day,
        )
        if (
            person is None
            or (ballot.person_id is not None and person.person_id is None)
            or ballot_name_key(ballot) not in person.name_keys()
            or index.has_unlinked_namesake(person)
        ):
            person, _ = index.ensure_member(
                ctx,
                person_id=ballot.person_id,
                honorific=None,
                first_name=ballot.first_name,
                last_name=ballot.last_name,
                riding=ballot.constituency,
                province=province,
                document_id=document_id,
                authoritative=False,
                day=day,
            )
        if person.id in seen:
            raise IngestCheckError(
                f"{ballot.source_url}: two ballots for {ballot.first_name} {ballot.last_name}"
                f" ({ballot.constituency}) in division {facts.session} No. {facts.number}"
            )
        seen[person.id] = ballot
        party_id = ctx.party_id(ballot.caucus)
        moved = index.note_seat_on(
            person,
            constituency_id=ctx.constituency_id(ballot.constituency, province),
            riding=ballot.constituency,
            province=province,
            party_id=party_id,
            day=day,
            pending=pending,
        )
        if moved and person.person_id is not None:
            index.absorb_duplicates(ctx, person, document_id)
        if party_id is None:  # the feed did not say: the member's party on that day
            party_id = next((t.party_id for t in person.terms if t.covers(day)), None)
        rows.append((person.id, party_id, ballot.value.value))
    write_inferred_terms(ctx, pending, document_id)
    return rows


# --- the sources -----------------------------------------------------------------------------


def plan_votes(conn: Connection[Any], settings: Settings) -> list[Unit]:
    """The divisions list of each session, English and French together (one unit)."""
    base = settings.ourcommons_base_url
    return [
        Unit(
            "votes",
            (votes_url(session, Language.EN, base), votes_url(session, Language.FR, base)),
        )
        for session in dict.fromkeys(settings.ingest_sessions)
    ]


def plan_ballots(conn: Connection[Any], settings: Settings) -> list[Unit]:
    """Divisions without ballots, or whose ballots disagree with the official totals.

    Ballots read from a printed division table count as missing: the ballots document
    replaces them. Newest first, at most `ingest_ballots_per_run`.
    """
    rows = conn.execute(
        "SELECT s.code, v.number FROM votes v JOIN parliamentary_sessions s"
        " ON s.id = v.session_id"
        " LEFT JOIN (SELECT vote_id, count(*) FILTER (WHERE value = 'yea') y,"
        "  count(*) FILTER (WHERE value = 'nay') n, count(*) FILTER (WHERE value = 'paired') p"
        "  FROM ballots GROUP BY vote_id) b ON b.vote_id = v.id"
        " WHERE s.code = ANY(%s) AND (b.vote_id IS NULL"
        "  OR v.ballots_source IS DISTINCT FROM 'ballots'"
        "  OR (NOT v.totals_derived AND (v.yeas, v.nays, v.paired) <> (b.y, b.n, b.p)))"
        " ORDER BY v.date DESC, v.number DESC LIMIT %s",
        (list(dict.fromkeys(settings.ingest_sessions)), settings.ingest_ballots_per_run),
    ).fetchall()
    base = settings.ourcommons_base_url
    return [Unit("ballots", (ballots_url(code, number, base),)) for code, number in rows]


def _parse_votes(documents: Sequence[Document]) -> Parsed:
    """The English list, with the French subjects when the French list came too."""
    primary, others = documents[0], documents[1:]
    english = [r for r in parse_each(FORMATS["votes"], [primary]) if isinstance(r, Vote)]
    french = [r for r in parse_each(FORMATS["votes"], others) if isinstance(r, Vote)]
    records = list(pair_vote_lists(english, french)) if french else english
    return Parsed(records, len(records))


def _parse_ballots(documents: Sequence[Document]) -> Parsed:
    primary = documents[0]
    records = [r for r in parse_each(FORMATS["ballots"], [primary]) if isinstance(r, Ballot)]
    facts = division_facts(primary.body, primary.url)
    if facts is None:  # parse_ballots refuses empty lists, so this is belt and braces
        raise SourceFormatError(primary.url, "no ballots in the document")
    return Parsed((records, facts), len(records))


def _write_votes(ctx: ImportContext, parsed: Parsed, document_id: int, unit: Unit) -> Written:
    return import_votes(ctx, parsed.payload, document_id), None


def _write_ballots(ctx: ImportContext, parsed: Parsed, document_id: int, unit: Unit) -> Written:
    records, facts = parsed.payload
    return import_ballots(ctx, records, document_id, facts, unit.primary), None


VOTES = Source(
    FORMATS["votes"],
    plan=plan_votes,
    parse=_parse_votes,
    write=_write_votes,
    checks=(fidelity.ballots_match_totals, fidelity.bill_divisions_exist, fidelity.ballots_pending),
    held="SELECT count(*) FROM votes",
)
BALLOTS = Source(
    FORMATS["ballots"],
    plan=plan_ballots,
    parse=_parse_ballots,
    write=_write_ballots,
    checks=(
        fidelity.ballots_match_totals,
        fidelity.members_have_terms,
        fidelity.division_tables_match_ballots,
    ),
    held="SELECT count(*) FROM ballots",
)
