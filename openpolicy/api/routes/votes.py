"""`/votes`, `/votes/{session}/{number}` and `/ballots` (every ballot, for bulk exports)."""

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
from openpolicy.api.routes.bills import SESSION_PATH
from openpolicy.api.schemas import BallotRow, DetailEnvelope, ListEnvelope, VoteDetail, VoteItem
from openpolicy.db import ReadConnection
from openpolicy.queries import votes

router = APIRouter(prefix=API_PREFIX, tags=["votes"])

LIST_PARAMS = [
    SESSION,
    DATE_FROM,
    DATE_TO,
    Param("result", "enum", "Outcome.", choices=("agreed", "negatived", "tied"), example="agreed"),
    Param(
        "bill",
        "str",
        "Bill voted on, e.g. C-7 (combine with session).",
        example="C-7",
        max_length=16,
    ),
    Param(
        "subject",
        "str",
        "Words of the subject, EN or FR (case-insensitive substring).",
        example="Supply",
    ),
    Param(
        "include",
        "list",
        "Extra data per item: `party_breakdown` (yea/nay/paired per party).",
        choices=("party_breakdown",),
        example="party_breakdown",
    ),
    limit_param(),
    CURSOR,
    sort_param(votes.SORTS, "-date"),
    fields_param(votes.FIELDS),
    FORMAT,
]


@router.get(
    "/votes",
    **documented(
        "List recorded divisions",
        "Divisions newest first with totals and result. `format=csv|jsonl` streams every match.",
        ListEnvelope[VoteItem],
        LIST_PARAMS,
        streams=True,
    ),
)
async def list_votes(request: Request) -> Response:
    p = parse(request, LIST_PARAMS)
    filters = votes.VoteFilters(
        session=p["session"],
        date_from=p["date_from"],
        date_to=p["date_to"],
        result=p["result"],
        bill=p["bill"],
        subject=p["subject"],
    )
    return await serve_list(
        request,
        p,
        "votes",
        votes.FIELDS,
        page=lambda: page_request(p, votes.SORTS),
        fetch=lambda conn, page: votes.list_votes(conn, filters, page),
        statement=lambda conn, page: votes.export_votes(conn, filters, page),
        includes={"party_breakdown": votes.party_breakdowns},
    )


@router.get(
    "/votes/{session}/{number}",
    **documented(
        "One division with every ballot",
        "Totals, result, the bill, the party breakdown (and whether each party voted "
        "together) and every ballot with member, party and seat, in `data.ballots`.",
        DetailEnvelope[VoteDetail],
        [],
    ),
)
async def vote_detail(
    request: Request,
    session: str = SESSION_PATH,
    number: int = Path(description="Division number.", ge=1, le=32767, examples=[69]),
) -> Response:
    parse(request, [])

    async def build(conn: ReadConnection) -> dict[str, votes.VoteDetail]:
        return {"data": await votes.vote_detail(conn, session, number)}

    return await serve(request, build)


BALLOT_PARAMS = [
    SESSION,
    Param("vote", "int", "Division number (with session).", example=69, minimum=1, maximum=32767),
    Param("member", "int", "Member id.", example=42, minimum=1, maximum=2_147_483_647),
    Param(
        "party",
        "str",
        "Caucus at the time (short name or abbreviation).",
        example="NDP",
        max_length=60,
    ),
    Param("value", "enum", "Ballot.", choices=("yea", "nay", "paired"), example="nay"),
    limit_param(),
    CURSOR,
    fields_param(votes.ALL_BALLOT_FIELDS),
    FORMAT,
]


@router.get(
    "/ballots",
    **documented(
        "List individual ballots",
        "Every ballot matching the filters, in a stable order. For bulk use: "
        "`/ballots?session=45-1&format=csv` streams every ballot of a session.",
        ListEnvelope[BallotRow],
        BALLOT_PARAMS,
        streams=True,
    ),
)
async def list_ballots(request: Request) -> Response:
    p = parse(request, BALLOT_PARAMS)
    filters = votes.BallotFilters(
        session=p["session"],
        vote=p["vote"],
        member=p["member"],
        party=p["party"],
        value=p["value"],
    )
    return await serve_list(
        request,
        p,
        "ballots",
        votes.ALL_BALLOT_FIELDS,
        page=lambda: page_request(p, default=votes.BALLOT_ORDER),
        fetch=lambda conn, page: votes.list_ballots(conn, filters, page),
        statement=lambda conn, page: votes.export_ballots(conn, filters, page),
    )
