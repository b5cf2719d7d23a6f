"""Bills and their stages (LEGISinfo list, per-bill detail, legacy export).

A bill is keyed `(session, number)`. Its stages and its messages between the chambers are
replaced as a whole when the document carries them (`events`/`messages` are None for the
list: keep what we have). Its displayed status follows the latest stage reached
(`latest_stage*`); the source's own status words stay in `status_en/fr`, and the fidelity
check `bill_status_matches_stages` reports where they disagree. The divisions LEGISinfo
names for a bill exist from then on with their official totals (their ballots follow
from the ballots source), are kept in `bills.division_numbers` and linked both ways: here
(the votes already stored get `bill_id`) and in `ingest.votes` (divisions arriving later).
The sponsor is kept by PersonId and linked to its member whichever arrives first
(`link_sponsors`, also run after members and ballots).
Search vectors are computed by PostgreSQL from the titles, in both languages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from psycopg import Connection, Cursor

from openpolicy.config import Settings
from openpolicy.ingest import fidelity
from openpolicy.ingest.bulk import Counts, copy_rows, temp_table, upsert
from openpolicy.ingest.divisions import NamedDivision, ensure_named_division
from openpolicy.ingest.documents import Document
from openpolicy.ingest.source import Parsed, Source, Unit, Written, parse_each
from openpolicy.records import Bill, BillDivision, BillEvent
from openpolicy.sources._parsing import OTTAWA
from openpolicy.sources.registry import FORMATS, bill_url, bills_url
from openpolicy.vocab import BillStage, Chamber, StageState, VoteResult

if TYPE_CHECKING:
    from openpolicy.ingest.context import ImportContext

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
    "sponsor_person_id",
    "sponsor_name",
    "status_en",
    "status_fr",
    "latest_stage",
    "latest_stage_name_en",
    "latest_stage_name_fr",
    "latest_stage_chamber",
    "introduced_date",
    "royal_assent_date",
    "latest_activity_at",
    "division_numbers",
    "source_document_id",
    "search_en",
    "search_fr",
)
_STAGED = _BILL_COLUMNS[:-2]
_STAGING = """
    legisinfo_id int, session_id int, number text, number_prefix text, number_int int,
    title_en text, title_fr text, short_title_en text, short_title_fr text, bill_type text,
    originating_chamber text, sponsor_member_id int, sponsor_person_id int, sponsor_name text,
    status_en text, status_fr text, latest_stage text, latest_stage_name_en text,
    latest_stage_name_fr text, latest_stage_chamber text, introduced_date date,
    royal_assent_date date, latest_activity_at timestamptz, division_numbers int[],
    source_document_id bigint
"""
_SELECT = [
    *(f"s.{c}" for c in _STAGED),
    "to_tsvector('english', concat_ws(' ', s.number, s.short_title_en, s.title_en))",
    "to_tsvector('french', concat_ws(' ', s.number, s.short_title_fr, s.title_fr))",
]
# Changes worth reporting: the data, not where it was last read from or derived vectors.
_COMPARE = [c for c in _BILL_COLUMNS if c not in {"source_document_id", "search_en", "search_fr"}]
# Kept when a source does not carry them (the list has no stages, no PersonId link yet).
_KEEP_WHEN_NULL = (
    "division_numbers",
    "sponsor_member_id",
    "sponsor_person_id",
    "latest_stage",
    "latest_stage_name_en",
    "latest_stage_name_fr",
    "latest_stage_chamber",
)

_EVENT_COLUMNS = (
    "bill_id",
    "sequence",
    "chamber",
    "stage",
    "stage_name_en",
    "stage_name_fr",
    "event_date",
    "event_at",
    "outcome",
    "source_document_id",
)
_MESSAGE_COLUMNS = (
    "bill_id",
    "sequence",
    "name_en",
    "name_fr",
    "sent_at",
    "chamber",
    "sitting_number",
    "source_document_id",
)


def _event_chamber(event: BillEvent, bill: Bill) -> str:
    if event.stage is BillStage.ROYAL_ASSENT:
        return "royal_assent"
    if event.chamber is not None:
        return event.chamber.value
    return (bill.originating_chamber or Chamber.HOUSE).value


def latest_stage(bill: Bill) -> BillEvent | None:
    """The latest stage the bill reached: the last one, in the source's order, that is
    completed or in progress (or, where states are not given, that has a date)."""
    reached = [
        event
        for event in bill.events or ()
        if event.state in (StageState.COMPLETED, StageState.IN_PROGRESS)
        or (event.state is None and event.date is not None)
    ]
    return reached[-1] if reached else None


def _latest_activity(bill: Bill) -> dt.datetime | None:
    """The instant of the latest event: with its time where the source gives one."""
    if bill.latest_activity_at is not None:
        return bill.latest_activity_at
    if bill.latest_activity_on is None:
        return None
    return dt.datetime.combine(bill.latest_activity_on, dt.time(0), OTTAWA)


def import_bills(ctx: ImportContext, records: Sequence[Bill], document_id: int) -> Counts:
    """Upsert bills (their stages and messages when carried); the divisions they name
    exist from now on, with their official totals, and are linked."""
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
        latest = latest_stage(bill)
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
                bill.sponsor_person_id,
                bill.sponsor_name,
                bill.status_en,
                bill.status_fr,
                latest.stage.value if latest else None,
                latest.name_en if latest else None,
                latest.name_fr if latest else None,
                _event_chamber(latest, bill) if latest else None,
                bill.introduced_on,
                bill.royal_assent_on,
                _latest_activity(bill),
                list(bill.division_numbers) if bill.division_numbers is not None else None,
                document_id,
            )
        )
    with ctx.cursor() as cursor:
        temp_table(cursor, "bills_in", _STAGING)
        copy_rows(cursor, "bills_in", _STAGED, rows)
        _, _, changed = upsert(
            cursor,
            table="bills",
            staging="bills_in",
            key=("session_id", "number"),
            columns=_BILL_COLUMNS,
            select=_SELECT,
            compare=_COMPARE,
            keep_when_null=_KEEP_WHEN_NULL,
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
        changed_events |= _import_messages(cursor, records, rows, ids, document_id)
        for key, bill_id in ids.items():
            if key not in outcome and bill_id in changed_events:
                outcome[key] = "updated"
    for bill in records:
        for division in bill.divisions or ():
            _name_division(ctx, bill, division, document_id)
    with ctx.cursor() as cursor:
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


def _name_division(
    ctx: ImportContext, bill: Bill, division: BillDivision, document_id: int
) -> None:
    """The division exists from now on, with the official totals the bill gives."""
    if division.decided_at is None:
        return  # no day to file it under; bill_divisions_exist reports it
    result = division.result
    if result is None:
        if division.yeas == division.nays:
            result = VoteResult.TIED
        else:
            result = VoteResult.AGREED if division.yeas > division.nays else VoteResult.NEGATIVED
    ensure_named_division(
        ctx,
        NamedDivision(
            session=bill.session,
            number=division.number,
            date=division.decided_at.date(),
            result=result,
            yeas=division.yeas,
            nays=division.nays,
            paired=division.paired,
            sitting=division.sitting,
            subject_en=division.subject_en,
            subject_fr=division.subject_fr,
            bill_number=bill.number,
        ),
        document_id,
    )


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
                    event.at,
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
        " stage_name_fr text, event_date date, event_at timestamptz, outcome text,"
        " source_document_id bigint",
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


def _import_messages(
    cursor: Cursor[Any],
    records: Sequence[Bill],
    rows: Sequence[tuple[object, ...]],
    ids: dict[tuple[int, str], int],
    document_id: int,
) -> set[int]:
    """Replace the messages between the chambers of bills that carry them."""
    message_rows = []
    carried: list[int] = []
    for bill, row in zip(records, rows, strict=True):
        if bill.messages is None:
            continue
        bill_id = ids[(int(str(row[1])), bill.number)]
        carried.append(bill_id)
        message_rows += [
            (
                bill_id,
                message.sequence,
                message.name_en,
                message.name_fr,
                message.at,
                message.chamber.value if message.chamber else None,
                message.sitting,
                document_id,
            )
            for message in bill.messages
        ]
    if not carried:
        return set()
    temp_table(
        cursor,
        "bill_messages_in",
        "bill_id int, sequence int, name_en text, name_fr text, sent_at timestamptz,"
        " chamber text, sitting_number int, source_document_id bigint",
    )
    copy_rows(cursor, "bill_messages_in", _MESSAGE_COLUMNS, message_rows)
    _, _, changed = upsert(
        cursor,
        table="bill_messages",
        staging="bill_messages_in",
        key=("bill_id", "sequence"),
        columns=_MESSAGE_COLUMNS,
        compare=[
            c for c in _MESSAGE_COLUMNS if c not in {"bill_id", "sequence", "source_document_id"}
        ],
        returning=("bill_id",),
    )
    cursor.execute(
        "DELETE FROM bill_messages m WHERE m.bill_id = ANY(%s) AND NOT EXISTS"
        " (SELECT 1 FROM bill_messages_in s WHERE s.bill_id = m.bill_id"
        "  AND s.sequence = m.sequence) RETURNING m.bill_id",
        (carried,),
    )
    return {row[1] for row in changed} | {row[0] for row in cursor.fetchall()}


def link_sponsors(ctx: ImportContext) -> int:
    """Link every bill to its sponsor's member by PersonId, whichever came first."""
    cursor = ctx.conn.execute(
        "UPDATE bills b SET sponsor_member_id = m.id, updated_at = now()"
        " FROM elected_members m WHERE m.person_id = b.sponsor_person_id"
        " AND b.sponsor_member_id IS DISTINCT FROM m.id"
    )
    return cursor.rowcount


# --- the sources -----------------------------------------------------------------------------


def plan_bills(conn: Connection[Any], settings: Settings) -> list[Unit]:
    """The LEGISinfo list of each session of `ingest_sessions`."""
    base = settings.parl_base_url
    return [
        Unit("bills", (bills_url(session, base),))
        for session in dict.fromkeys(settings.ingest_sessions)
    ]


def plan_bill(conn: Connection[Any], settings: Settings) -> list[Unit]:
    """The JSON detail of every stored bill of those sessions."""
    rows = conn.execute(
        "SELECT s.code, b.number FROM bills b JOIN parliamentary_sessions s"
        " ON s.id = b.session_id WHERE s.code = ANY(%s) ORDER BY s.code, b.number_prefix,"
        " b.number_int, b.number",
        (list(dict.fromkeys(settings.ingest_sessions)),),
    ).fetchall()
    base = settings.parl_base_url
    return [Unit("bill", (bill_url(code, number, "json", base),)) for code, number in rows]


def _parser(name: str) -> Callable[[Sequence[Document]], Parsed]:
    def parse(documents: Sequence[Document]) -> Parsed:
        records = [r for r in parse_each(FORMATS[name], documents) if isinstance(r, Bill)]
        return Parsed(records, len(records))

    return parse


def _write(ctx: ImportContext, parsed: Parsed, document_id: int, unit: Unit) -> Written:
    return import_bills(ctx, parsed.payload, document_id), None


BILLS = Source(
    FORMATS["bills"],
    plan=plan_bills,
    parse=_parser("bills"),
    write=_write,
    checks=(fidelity.bill_status_matches_stages,),
    held="SELECT count(*) FROM bills",
)
BILL = Source(
    FORMATS["bill"],
    plan=plan_bill,
    parse=_parser("bill"),
    write=_write,
    checks=(
        fidelity.bill_divisions_exist,
        fidelity.ballots_pending,
        fidelity.bill_status_matches_stages,
    ),
    held="SELECT count(*) FROM bill_events",
)
