"""`/bills` and `/bills/{session}/{number}`."""

from __future__ import annotations

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
from openpolicy.db import ReadConnection
from openpolicy.queries import bills

router = APIRouter(prefix=API_PREFIX, tags=["bills"])

SESSION_PATH = Path(
    description="Session, written 45-1.", pattern=r"^[0-9]{1,2}-[0-9]$", examples=["45-1"]
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
        statement=lambda conn, page: bills.export_bills(conn, filters, page),
        includes={"stages": bills.stages_of},
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
        pattern=r"^[CScs]-[0-9]{1,4}[A-Za-z]?$",
        examples=["C-2"],
    ),
) -> Response:
    parse(request, DETAIL_PARAMS)

    async def build(conn: ReadConnection) -> dict[str, bills.BillDetail]:
        return {"data": await bills.bill_detail(conn, session, number)}

    return await serve(request, build)
