"""`/bills` and `/bills/{session}/{number}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api.constants import API_PREFIX
from openpolicy.api.params import (
    CURSOR,
    FORMAT,
    SESSION,
    Param,
    fields_param,
    limit_param,
    page_request,
    parse,
    sort_param,
)
from openpolicy.api.responses import serve, serve_list
from openpolicy.api.routes._docs import documented
from openpolicy.api.schemas import BillDetail, BillItem, DetailEnvelope, ListEnvelope
from openpolicy.queries import bills
from openpolicy.queries._sql import Connection, fetch_all

router = APIRouter(prefix=API_PREFIX, tags=["bills"])

SESSION_PATH = Path(
    description="Session, written 45-1.", pattern=r"^\d{1,2}-\d$", examples=["45-1"]
)

LIST_PARAMS = [
    SESSION,
    Param(
        "status",
        "str",
        "Words of the current status, EN or FR (case-insensitive substring), e.g. `royal assent`.",
        example="royal assent",
    ),
    Param(
        "type",
        "enum",
        "Bill type.",
        choices=(
            "government",
            "private_member",
            "senate_government",
            "senate_public",
            "senate_private",
        ),
        example="government",
    ),
    Param(
        "sponsor", "int", "Member id of the sponsor.", example=42, minimum=1, maximum=2_147_483_647
    ),
    Param("chamber", "enum", "Originating chamber.", choices=("house", "senate"), example="house"),
    Param(
        "updated_since",
        "datetime",
        "Changed in OpenPolicy at or after this time (ISO 8601): for incremental sync.",
        example="2025-09-01T00:00:00Z",
    ),
    Param(
        "q",
        "str",
        'Words of the titles (websearch syntax: "a phrase", or, -word), '
        "or a bill number such as C-2.",
        example="border",
    ),
    Param(
        "include",
        "list",
        "Extra data per item: `stages` (every stage with dates).",
        choices=("stages",),
        example="stages",
    ),
    limit_param(),
    CURSOR,
    sort_param(bills.SORTS, "-latest_activity"),
    fields_param(bills.FIELDS),
    FORMAT,
]


def _stages(conn: Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in fetch_all(
        conn,
        "SELECT bill_id, sequence, chamber, stage, stage_name_en, stage_name_fr, event_date,"
        " outcome FROM bill_events WHERE bill_id = ANY(%s) ORDER BY bill_id, sequence",
        (ids,),
    ):
        found[row[0]].append(
            {
                "sequence": row[1],
                "chamber": row[2],
                "stage": row[3],
                "name_en": row[4],
                "name_fr": row[5],
                "date": row[6],
                "outcome": row[7],
            }
        )
    return found


@router.get(
    "/bills",
    **documented(
        "List bills",
        "Bills of every session, newest activity first. Filters combine with AND. "
        "`format=csv|jsonl` streams every match.",
        ListEnvelope[BillItem],
        LIST_PARAMS,
        streams=True,
    ),
)
async def list_bills(request: Request) -> Response:
    p = parse(request, LIST_PARAMS)
    filters = bills.BillFilters(
        session=p["session"],
        status=p["status"],
        type=p["type"],
        sponsor=p["sponsor"],
        chamber=p["chamber"],
        updated_since=p["updated_since"],
        q=p["q"],
    )
    return await serve_list(
        request,
        p,
        "bills",
        bills.FIELDS,
        page=lambda: page_request(p, bills.SORTS),
        fetch=lambda conn, page: bills.list_bills(conn, filters, page),
        statement=lambda conn: bills.export_bills(conn, filters),
        includes={"stages": _stages},
    )


DETAIL_PARAMS: list[Param] = []


@router.get(
    "/bills/{session}/{number}",
    **documented(
        "One bill",
        "Titles EN/FR, sponsor, every stage with dates, the divisions held on it with their "
        "results, and the sittings whose speeches mention it.",
        DetailEnvelope[BillDetail],
        DETAIL_PARAMS,
    ),
)
async def bill_detail(
    request: Request,
    session: str = SESSION_PATH,
    number: str = Path(
        description="Bill number, e.g. C-2 or S-209.",
        pattern=r"^[CScs]-\d{1,4}[A-Za-z]?$",
        examples=["C-2"],
    ),
) -> Response:
    parse(request, DETAIL_PARAMS)
    return await serve(request, lambda conn: {"data": bills.bill_detail(conn, session, number)})
