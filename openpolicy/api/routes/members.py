"""`/members`, `/members/{id}` and its votes, speeches and sponsored bills."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api.constants import API_PREFIX
from openpolicy.api.params import (
    CURSOR,
    FORMAT,
    LANG,
    SESSION,
    Param,
    fields_param,
    limit_param,
    page_request,
    parse,
    sort_param,
)
from openpolicy.api.responses import export, list_body, select_fields, serve, serve_list
from openpolicy.api.routes._docs import documented
from openpolicy.api.schemas import (
    BillItem,
    DetailEnvelope,
    ListEnvelope,
    MemberDetail,
    MemberItem,
    SpeechItem,
    VoteRecordItem,
)
from openpolicy.queries import bills, members
from openpolicy.queries._sql import Connection, fetch_all, session_filter_id
from openpolicy.vocab import Province

router = APIRouter(prefix=API_PREFIX, tags=["members"])

MEMBER_ID = Path(description="Member id.", ge=1, le=2_147_483_647, examples=[42])

LIST_PARAMS = [
    Param(
        "current", "bool", "true: sitting members only; false: former members only.", example=True
    ),
    Param(
        "parliament",
        "int",
        "Members of this Parliament (their term in it is described).",
        example=44,
        minimum=1,
        maximum=99,
    ),
    Param(
        "party",
        "str",
        "Caucus (short name EN/FR or abbreviation), e.g. NDP, Liberal.",
        example="Liberal",
        max_length=60,
    ),
    Param(
        "province",
        "enum",
        "Province or territory code.",
        choices=tuple(p.value for p in Province),
        example="QC",
    ),
    Param("constituency", "str", "Words of the seat's name (substring).", example="Toronto"),
    Param("name", "str", "Words of the member's name (substring).", example="Aboultaif"),
    Param(
        "include",
        "list",
        "Extra data per item: `terms` (every term).",
        choices=("terms",),
        example="terms",
    ),
    limit_param(),
    CURSOR,
    sort_param(members.SORTS, "name"),
    fields_param(members.FIELDS),
    FORMAT,
]


def _terms(conn: Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in fetch_all(
        conn,
        "SELECT t.member_id, t.parliament, t.start_date, t.end_date, p.short_name_en,"
        " c.name_en, c.province FROM member_terms t"
        " JOIN constituencies c ON c.id = t.constituency_id"
        " LEFT JOIN parties p ON p.id = t.party_id WHERE t.member_id = ANY(%s)"
        " ORDER BY t.member_id, t.start_date DESC",
        (ids,),
    ):
        found[row[0]].append(
            {
                "parliament": row[1],
                "start_date": row[2],
                "end_date": row[3],
                "party": row[4],
                "constituency": row[5],
                "province": row[6],
            }
        )
    return found


@router.get(
    "/members",
    **documented(
        "List members",
        "Members with the party and seat of their latest term (or of their term in "
        "`parliament`). `format=csv|jsonl` streams every match.",
        ListEnvelope[MemberItem],
        LIST_PARAMS,
        streams=True,
    ),
)
async def list_members(request: Request) -> Response:
    p = parse(request, LIST_PARAMS)
    filters = members.MemberFilters(
        current=p["current"],
        parliament=p["parliament"],
        party=p["party"],
        province=p["province"],
        constituency=p["constituency"],
        name=p["name"],
    )
    return await serve_list(
        request,
        p,
        "members",
        members.FIELDS,
        page=lambda: page_request(p, members.SORTS),
        fetch=lambda conn, page: members.list_members(conn, filters, page),
        statement=lambda conn: members.export_members(conn, filters),
        includes={"terms": _terms},
    )


@router.get(
    "/members/{member_id}",
    **documented(
        "One member",
        "Names, the current party and seat, and every term (seat, party, dates).",
        DetailEnvelope[MemberDetail],
        [],
    ),
)
async def member_detail(request: Request, member_id: int = MEMBER_ID) -> Response:
    parse(request, [])
    return await serve(request, lambda conn: {"data": members.member_detail(conn, member_id)})


VOTES_PARAMS = [
    SESSION,
    limit_param(),
    CURSOR,
    fields_param(members.VOTE_RECORD_FIELDS),
    FORMAT,
]


@router.get(
    "/members/{member_id}/votes",
    **documented(
        "A member's voting record",
        "Every division held while the member sat, newest first: `ballot` is null where they "
        "did not vote, and `dissent` is true where their ballot differs from the majority of "
        "their party.",
        ListEnvelope[VoteRecordItem],
        VOTES_PARAMS,
        streams=True,
    ),
)
async def member_votes(request: Request, member_id: int = MEMBER_ID) -> Response:
    p = parse(request, VOTES_PARAMS)
    fields = select_fields(members.VOTE_RECORD_FIELDS, p["fields"])

    def session_of(conn: Connection) -> int | None:
        return session_filter_id(conn, p["session"])

    if p["format"] != "json":
        return await export(
            request,
            p["format"],
            f"member-{member_id}-votes",
            fields,
            lambda conn: members.export_member_votes(conn, member_id, session_of(conn)),
        )
    page = page_request(p, default=members.RECORD_SORT)
    return await serve(
        request,
        lambda conn: list_body(
            request, members.member_votes(conn, member_id, page, session_of(conn)), fields
        ),
    )


SPEECHES_PARAMS = [LANG, limit_param(20), CURSOR, fields_param(members.SPEECH_FIELDS)]


@router.get(
    "/members/{member_id}/speeches",
    **documented(
        "A member's speeches",
        "Their interventions in Hansard, newest first, in one language.",
        ListEnvelope[SpeechItem],
        SPEECHES_PARAMS,
    ),
)
async def member_speeches(request: Request, member_id: int = MEMBER_ID) -> Response:
    p = parse(request, SPEECHES_PARAMS)
    fields = select_fields(members.SPEECH_FIELDS, p["fields"])
    page = page_request(p, default=members.SPEECH_SORT)
    return await serve(
        request,
        lambda conn: list_body(
            request, members.member_speeches(conn, member_id, page, p["lang"]), fields
        ),
    )


BILLS_PARAMS = [limit_param(), CURSOR, fields_param(bills.FIELDS)]


@router.get(
    "/members/{member_id}/bills",
    **documented(
        "Bills a member sponsored",
        "Newest activity first.",
        ListEnvelope[BillItem],
        BILLS_PARAMS,
    ),
)
async def member_bills(request: Request, member_id: int = MEMBER_ID) -> Response:
    p = parse(request, BILLS_PARAMS)
    fields = select_fields(bills.FIELDS, p["fields"])
    page = page_request(p, default=bills.DEFAULT_SORT)

    def build(conn: Connection) -> dict[str, Any]:
        members.member_exists(conn, member_id)
        return list_body(request, bills.sponsored_bills(conn, member_id, page), fields)

    return await serve(request, build)
