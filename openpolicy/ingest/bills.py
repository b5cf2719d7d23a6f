"""Bills and their stages (LEGISinfo list, per-bill detail, legacy export).

A bill is keyed `(session, number)`. Its stages are replaced as a whole when the document
carries them (`events` is None for the list: keep what we have). The divisions LEGISinfo
names for a bill are kept in `bills.division_numbers` and linked both ways: here (the votes
already stored get `bill_id`) and in `ingest.votes` (divisions arriving later).
Search vectors are computed by PostgreSQL from the titles, in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from psycopg import Cursor

from openpolicy.ingest.bulk import Counts, copy_rows, temp_table, upsert
from openpolicy.ingest.context import ImportContext
from openpolicy.records import Bill, BillEvent
from openpolicy.vocab import BillStage, Chamber

_NUMBER = re.compile(r"([A-Z])-(\d+)")

_BILL_COLUMNS = (
    "legisinfo_id",
    "session_id",
    "number",
    "number_prefix",
    "number_int",
    "title_en",
    "title_fr",
    "short_title_en",
    "short_title_fr",
    "bill_type",
    "originating_chamber",
    "sponsor_member_id",
    "sponsor_name",
    "status_en",
    "status_fr",
    "introduced_date",
    "royal_assent_date",
    "latest_activity_at",
    "division_numbers",
    "source_document_id",
    "search_en",
    "search_fr",
)
_STAGING = """
    legisinfo_id int, session_id int, number text, number_prefix text, number_int int,
    title_en text, title_fr text, short_title_en text, short_title_fr text, bill_type text,
    originating_chamber text, sponsor_member_id int, sponsor_name text, status_en text,
    status_fr text, introduced_date date, royal_assent_date date, latest_activity_on date,
    division_numbers int[], source_document_id bigint
"""
_SELECT = [
    *(f"s.{c}" for c in _BILL_COLUMNS[:17]),
    "s.latest_activity_on::timestamp AT TIME ZONE 'America/Toronto'",
    "s.division_numbers",
    "s.source_document_id",
    "to_tsvector('english', concat_ws(' ', s.number, s.short_title_en, s.title_en))",
    "to_tsvector('french', concat_ws(' ', s.number, s.short_title_fr, s.title_fr))",
]
# Changes worth reporting: the data, not where it was last read from or derived vectors.
_COMPARE = [c for c in _BILL_COLUMNS if c not in {"source_document_id", "search_en", "search_fr"}]

_EVENT_COLUMNS = (
    "bill_id",
    "sequence",
    "chamber",
    "stage",
    "stage_name_en",
    "stage_name_fr",
    "event_date",
    "outcome",
    "source_document_id",
)


def _event_chamber(event: BillEvent, bill: Bill) -> str:
    if event.stage is BillStage.ROYAL_ASSENT:
        return "royal_assent"
    if event.chamber is not None:
        return event.chamber.value
    return (bill.originating_chamber or Chamber.HOUSE).value


def import_bills(ctx: ImportContext, records: Sequence[Bill], document_id: int) -> Counts:
    """Upsert bills (and their stages when carried); link the divisions they name."""
    counts = Counts()
    if not records:
        return counts
    members = ctx.members
    rows = []
    for bill in records:
        sponsor = (
            members.people[members.by_person_id[bill.sponsor_person_id]].id
            if bill.sponsor_person_id in members.by_person_id
            else None
        )
        match = _NUMBER.match(bill.number)
        rows.append(
            (
                bill.legisinfo_id,
                ctx.session_id(bill.session),
                bill.number,
                match.group(1) if match else None,
                int(match.group(2)) if match else None,
                bill.title_en,
                bill.title_fr,
                bill.short_title_en,
                bill.short_title_fr,
                bill.bill_type.value if bill.bill_type else None,
                bill.originating_chamber.value if bill.originating_chamber else None,
                sponsor,
                bill.sponsor_name,
                bill.status_en,
                bill.status_fr,
                bill.introduced_on,
                bill.royal_assent_on,
                bill.latest_activity_on,
                list(bill.division_numbers) if bill.division_numbers is not None else None,
                document_id,
            )
        )
    with ctx.cursor() as cursor:
        temp_table(cursor, "bills_in", _STAGING)
        copy_rows(
            cursor,
            "bills_in",
            [*_BILL_COLUMNS[:17], "latest_activity_on", "division_numbers", "source_document_id"],
            rows,
        )
        _, _, changed = upsert(
            cursor,
            table="bills",
            staging="bills_in",
            key=("session_id", "number"),
            columns=_BILL_COLUMNS,
            select=_SELECT,
            compare=_COMPARE,
            keep_when_null=("division_numbers", "sponsor_member_id"),
            returning=("session_id", "number"),
        )
        outcome: dict[tuple[int, str], str] = {}
        cursor.execute(
            "SELECT b.session_id, b.number, b.id FROM bills b"
            " JOIN bills_in s ON s.session_id = b.session_id AND s.number = b.number"
        )
        ids = {(row[0], row[1]): row[2] for row in cursor.fetchall()}
        for inserted, session_id, number in changed:
            outcome[(session_id, number)] = "inserted" if inserted else "updated"
        changed_events = _import_events(cursor, records, rows, ids, document_id)
        for key, bill_id in ids.items():
            if key not in outcome and bill_id in changed_events:
                outcome[key] = "updated"
        cursor.execute(
            "UPDATE votes v SET bill_id = b.id, updated_at = now() FROM bills b"
            " WHERE b.id = ANY(%s) AND v.session_id = b.session_id"
            " AND (v.number = ANY(b.division_numbers) OR v.bill_number = b.number)"
            " AND v.bill_id IS DISTINCT FROM b.id",
            (list(ids.values()),),
        )
    for row in rows:
        result = outcome.get((row[1], row[2]))
        if result == "inserted":
            counts.inserted += 1
        elif result == "updated":
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


def _import_events(
    cursor: Cursor[Any],
    records: Sequence[Bill],
    rows: Sequence[tuple[object, ...]],
    ids: dict[tuple[int, str], int],
    document_id: int,
) -> set[int]:
    """Replace the stages of bills that carry them; return the bills whose stages changed."""
    event_rows = []
    carried: list[int] = []
    for bill, row in zip(records, rows, strict=True):
        if bill.events is None:
            continue
        bill_id = ids[(int(str(row[1])), bill.number)]
        carried.append(bill_id)
        for event in bill.events:
            event_rows.append(
                (
                    bill_id,
                    event.sequence,
                    _event_chamber(event, bill),
                    event.stage.value,
                    event.name_en,
                    event.name_fr,
                    event.date,
                    event.state.value if event.state else None,
                    document_id,
                )
            )
    if not carried:
        return set()
    temp_table(
        cursor,
        "bill_events_in",
        "bill_id int, sequence int, chamber text, stage text, stage_name_en text,"
        " stage_name_fr text, event_date date, outcome text, source_document_id bigint",
    )
    copy_rows(cursor, "bill_events_in", _EVENT_COLUMNS, event_rows)
    _, _, changed = upsert(
        cursor,
        table="bill_events",
        staging="bill_events_in",
        key=("bill_id", "sequence"),
        columns=_EVENT_COLUMNS,
        compare=[
            c for c in _EVENT_COLUMNS if c not in {"bill_id", "sequence", "source_document_id"}
        ],
        returning=("bill_id",),
    )
    cursor.execute(
        "DELETE FROM bill_events e WHERE e.bill_id = ANY(%s) AND NOT EXISTS"
        " (SELECT 1 FROM bill_events_in s WHERE s.bill_id = e.bill_id AND s.sequence = e.sequence)"
        " RETURNING e.bill_id",
        (carried,),
    )
    return {row[1] for row in changed} | {row[0] for row in cursor.fetchall()}
