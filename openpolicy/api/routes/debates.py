"""`/debates` and `/debates/{session}/{number}` (a sitting with its speeches)."""

from __future__ import annotations

from typing import Any

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
from openpolicy.api.responses import list_body, select_fields, serve, serve_list
from openpolicy.api.routes._docs import documented
from openpolicy.api.routes.bills import SESSION_PATH
from openpolicy.api.schemas import DebateDetail, DebateItem, ListEnvelope, PagedDetailEnvelope
from openpolicy.db import ReadConnection
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
    return await serve_list(
        request,
        p,
        "debates",
        debates.FIELDS,
        page=lambda: page_request(p, debates.SORTS),
        fetch=lambda conn, page: debates.list_debates(conn, filters, page),
        statement=lambda conn, page: debates.export_debates(conn, filters, page),
    )


DETAIL_PARAMS = [
    LANG,
    limit_param(),
    CURSOR,
    fields_param(debates.SITTING_SPEECH_FIELDS),
]


@router.get(
    "/debates/{session}/{number}",
    **documented(
        "One sitting with every item of it",
        "The sitting, its table of contents (`contents`: headings with their section and "
        "sub-headings, each with the `sequence` of its first item), and its items in order "
        "in the language asked (`lang=en|fr`): speeches, procedural notes, written "
        "questions and their answers, division tables (`kind`), each as plain text and "
        "in a small safe markup (`html`). A page at a time: `limit` items per page, the "
        "next page from `pagination.next_cursor`.",
        PagedDetailEnvelope[DebateDetail],
        DETAIL_PARAMS,
    ),
)
async def debate_detail(
    request: Request,
    session: str = SESSION_PATH,
    number: int = Path(description="Sitting number.", ge=1, le=32767, examples=[5]),
) -> Response:
    p = parse(request, DETAIL_PARAMS)
    fields = select_fields(debates.SITTING_SPEECH_FIELDS, p["fields"])
    page = page_request(p, default=debates.SPEECH_ORDER)
    lang = p["lang"]

    async def build(conn: ReadConnection) -> dict[str, Any]:
        sitting, speeches = await debates.sitting(conn, session, number, lang, speeches=page)
        listed = list_body(request, speeches, fields)
        return {
            "data": {
                "session": sitting["session"],
                "number": sitting["number"],
                "date": sitting["date"],
                "source_url_en": sitting["source_url_en"],
                "source_url_fr": sitting["source_url_fr"],
                "hansard_document_id": sitting["hansard_document_id"],
                "updated_at": sitting["updated_at"],
                "lang": lang,
                "speech_count": sitting["speech_count"],
                "house_speaker": sitting["house_speaker"],
                "contents": sitting["contents"],
                "speeches": listed["data"],
            },
            "pagination": listed["pagination"],
        }

    return await serve(request, build)
