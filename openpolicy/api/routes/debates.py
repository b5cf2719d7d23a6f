"""`/debates` and `/debates/{session}/{number}` (a sitting with its speeches)."""

from __future__ import annotations

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api.constants import API_PREFIX
from openpolicy.api.params import (
    CURSOR,
    DATE_FROM,
    DATE_TO,
    FORMAT,
    LANG,
    SESSION,
    fields_param,
    limit_param,
    page_request,
    parse,
    sort_param,
)
from openpolicy.api.responses import export, list_body, select_fields, serve
from openpolicy.api.routes._docs import documented
from openpolicy.api.routes.bills import SESSION_PATH
from openpolicy.api.schemas import DebateDetail, DebateItem, DetailEnvelope, ListEnvelope
from openpolicy.queries import debates

router = APIRouter(prefix=API_PREFIX, tags=["debates"])

LIST_PARAMS = [
    SESSION,
    DATE_FROM,
    DATE_TO,
    limit_param(),
    CURSOR,
    sort_param(debates.SORTS, "-date"),
    fields_param(debates.FIELDS),
    FORMAT,
]


@router.get(
    "/debates",
    **documented(
        "List Hansard sittings",
        "Sittings newest first with links to the official XML. `format=csv|jsonl` streams "
        "every match.",
        ListEnvelope[DebateItem],
        LIST_PARAMS,
        streams=True,
    ),
)
async def list_debates(request: Request) -> Response:
    p = parse(request, LIST_PARAMS)
    filters = debates.DebateFilters(
        session=p["session"], date_from=p["date_from"], date_to=p["date_to"]
    )
    fields = select_fields(debates.FIELDS, p["fields"])
    if p["format"] != "json":
        return await export(
            request,
            p["format"],
            "debates",
            fields,
            lambda conn: debates.export_debates(conn, filters),
        )
    page = page_request(p, debates.SORTS)
    return await serve(
        request, lambda conn: list_body(request, debates.list_debates(conn, filters, page), fields)
    )


DETAIL_PARAMS = [LANG]


@router.get(
    "/debates/{session}/{number}",
    **documented(
        "One sitting with its speeches",
        "Every speech in order in the language asked (`lang=en|fr`), and the headings as a "
        "table of contents (`contents`).",
        DetailEnvelope[DebateDetail],
        DETAIL_PARAMS,
    ),
)
async def debate_detail(
    request: Request,
    session: str = SESSION_PATH,
    number: int = Path(description="Sitting number.", ge=1, le=32767, examples=[5]),
) -> Response:
    p = parse(request, DETAIL_PARAMS)
    return await serve(
        request, lambda conn: {"data": debates.debate_detail(conn, session, number, p["lang"])}
    )
