"""`/members`, `/members/{id}` and its votes, participation, speeches and sponsored bills;
`/parties/cohesion`: how often each party's members voted together."""

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
from openpolicy.api.responses import (
    export,
    list_body,
    plain_list,
    select_fields,
    serve,
    serve_list,
)
from openpolicy.api.routes._docs import documented
from openpolicy.api.schemas import (
    BillItem,
    CohesionList,
    DetailEnvelope,
    ListEnvelope,
    MemberDetail,
    MemberItem,
    MemberParticipation,
    SpeechItem,
    VoteRecordItem,
)
from openpolicy.db import ReadConnection
from openpolicy.queries import bills, cohesion, members, record
from openpolicy.queries.export import Exported
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
        statement=lambda conn, page: members.export_members(conn, filters, page),
        includes={"terms": members.terms_of},
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

    async def build(conn: ReadConnection) -> dict[str, members.MemberDetail]:
        return {"data": await members.member_detail(conn, member_id)}

    return await serve(request, build)


VOTES_PARAMS = [
    SESSION,
    limit_param(),
    CURSOR,
    fields_param(record.VOTE_RECORD_FIELDS),
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
    fields = select_fields(record.VOTE_RECORD_FIELDS, p["fields"])
    if p["format"] != "json":

        async def rows(conn: ReadConnection) -> Exported:
            return await record.export_record(conn, member_id, p["session"])

        return await export(request, p["format"], f"member-{member_id}-votes", fields, rows)
    page = page_request(p, default=record.RECORD_SORT)

    async def build(conn: ReadConnection) -> dict[str, Any]:
        found = await record.record_page(conn, member_id, page, p["session"])
        return list_body(request, found, fields)

    return await serve(request, build)


@router.get(
    "/members/{member_id}/participation",
    **documented(
        "A member's participation and votes against their party",
        "The figures of the member's page: recorded divisions held while they sat, those in "
        "which they cast a ballot (`participation`), and their ballots against the majority "
        "of their own party (`dissent_rate`), over the whole record and year by year, with "
        "the method in words (`method`). Counted from the same rows as "
        "`/members/{member_id}/votes`: `voted` is its rows with a ballot, `dissents` those "
        "with `dissent` true.",
        DetailEnvelope[MemberParticipation],
        [],
    ),
)
async def member_participation(request: Request, member_id: int = MEMBER_ID) -> Response:
    parse(request, [])

    async def build(conn: ReadConnection) -> dict[str, record.Participation]:
        return {"data": await record.participation(conn, member_id)}

    return await serve(request, build)


COHESION_PARAMS = [
    Param(
        "session",
        "session",
        "Only this session, written `45-1` (an unknown one is a 404). Default: every session "
        "with ballots on file.",
        example="43-2",
    )
]


@router.get(
    "/parties/cohesion",
    **documented(
        "Party cohesion per session",
        "The figures of the site's /parties page: per session and party, the divisions its "
        "members voted in, the ballots against the party's majority, the divisions with at "
        "least one such ballot, and the unity index (Rice's index, averaged over the "
        "session), with the method in words (`method`). Independents are left out.",
        CohesionList,
        COHESION_PARAMS,
    ),
)
async def party_cohesion(request: Request) -> Response:
    p = parse(request, COHESION_PARAMS)

    async def build(conn: ReadConnection) -> dict[str, Any]:
        rows = await cohesion.party_cohesion(conn, p["session"])
        body = plain_list(
            [
                {
                    "session": row.session,
                    "party": row.party,
                    "party_fr": row.party_fr,
                    "divisions": row.divisions,
                    "ballots": row.ballots,
                    "against": row.against,
                    "against_share": row.against_share,
                    "split": row.split,
                    "split_share": row.split_share,
                    "unity": row.unity,
                }
                for row in rows
            ]
        )
        body["method"] = cohesion.METHOD
        return body

    return await serve(request, build)


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

    async def build(conn: ReadConnection) -> dict[str, Any]:
        found = await members.member_speeches(conn, member_id, page, p["lang"])
        return list_body(request, found, fields)

    return await serve(request, build)


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

    async def build(conn: ReadConnection) -> dict[str, Any]:
        await members.member_exists(conn, member_id)
        return list_body(request, await bills.sponsored_bills(conn, member_id, page), fields)

    return await serve(request, build)
