"""Small resources: data sources, sessions, parties, the status, a trivial ping; and the
admin endpoints (keys, audit trail, cache), which need a key with the admin scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api import keys
from openpolicy.api.constants import API_PREFIX
from openpolicy.api.params import Param, parse
from openpolicy.api.responses import context, plain_list, serve, uncached
from openpolicy.api.routes._docs import ERRORS, documented
from openpolicy.api.schemas import (
    AuditItem,
    CachePurged,
    DataSourceItem,
    KeyItem,
    ListEnvelope,
    PartyItem,
    Pong,
    SessionItem,
    StatusBody,
)
from openpolicy.errors import ForbiddenError, UnauthorizedError
from openpolicy.queries import sources
from openpolicy.queries._sql import Connection, fetch_all

router = APIRouter(prefix=API_PREFIX)

PING_BODY = b'{"ok":true}'


@router.get(
    "/ping",
    tags=["meta"],
    summary="Trivial JSON answer",
    description='`{"ok": true}` without touching the database: a liveness probe for '
    "clients, and the baseline of the benchmark.",
    responses={200: {"description": "Always.", "model": Pong}},
)
async def ping(request: Request) -> Response:
    return Response(PING_BODY, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get(
    "/data-sources",
    **documented(
        "Official data sources and their freshness",
        "Per source: URL, last run, last success, last run that changed data, status, counts "
        "and the last error. `jq '.data[] | {name, last_updated}'` lists freshness.",
        ListEnvelope[DataSourceItem],
        [],
        tags=["meta"],
    ),
)
async def data_sources(request: Request) -> Response:
    parse(request, [])
    # Never cached: runs update these rows (status, last run, errors) without changing civic
    # data, so the data version does not move for them.
    return await uncached(request, lambda conn: plain_list(sources.list_data_sources(conn)))


@router.get(
    "/sessions",
    **documented(
        "Parliamentary sessions",
        "Newest first, written 45-1.",
        ListEnvelope[SessionItem],
        [],
        tags=["meta"],
    ),
)
async def sessions(request: Request) -> Response:
    parse(request, [])
    return await serve(request, lambda conn: plain_list(sources.list_sessions(conn)))


@router.get(
    "/parties",
    **documented(
        "Parties",
        "Caucuses as the official feeds name them.",
        ListEnvelope[PartyItem],
        [],
        tags=["meta"],
    ),
)
async def parties(request: Request) -> Response:
    parse(request, [])
    return await serve(request, lambda conn: plain_list(sources.list_parties(conn)))


@router.get(
    "/status",
    **documented(
        "Service status",
        "Open incidents, maintenance and source freshness. Keeps answering during maintenance.",
        StatusBody,
        [],
        tags=["meta"],
        errors=(400, 429),
    ),
)
def status(request: Request) -> Response:
    parse(request, [])
    from openpolicy.queries.status import status_summary

    settings = request.app.state.settings
    with request.app.state.sessions() as session:
        body = status_summary(session, maintenance_forced=settings.maintenance_mode)
    import orjson

    return Response(
        orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


# --- admin ----------------------------------------------------------------


def require_scope(request: Request, scope: str) -> keys.KeyInfo:
    """401 without a key, 403 with a key lacking `scope` (both audited by the gate)."""
    key: keys.KeyInfo | None = request.scope.get("state", {}).get("api_key")
    if key is None:
        raise UnauthorizedError(f"this endpoint needs an X-API-Key with the {scope} scope")
    if scope not in key.scopes:
        raise ForbiddenError(f"API key {key.prefix} lacks the {scope} scope")
    return key


ADMIN_ERRORS = (400, 401, 403, 422, 429, 503)
KEY_PARAMS = [Param("service", "str", "Only keys of this service.", example="civic-app")]


@router.get(
    "/admin/keys",
    **documented(
        "API keys (admin)",
        "Every key with its status; never the key itself.",
        ListEnvelope[KeyItem],
        KEY_PARAMS,
        tags=["admin"],
        errors=ADMIN_ERRORS,
    ),
)
async def admin_keys(request: Request) -> Response:
    p = parse(request, KEY_PARAMS)
    require_scope(request, "admin")
    return await uncached(request, lambda conn: plain_list(keys.list_keys(conn, p["service"])))


AUDIT_PARAMS = [
    Param(
        "limit",
        "int",
        "Newest events to return, 1 to 500.",
        example=50,
        minimum=1,
        maximum=500,
        default=100,
    ),
    Param("action", "str", "Only this action, e.g. api.unauthorized.", example="api.forbidden"),
]


@router.get(
    "/admin/audit-events",
    **documented(
        "Audit trail (admin)",
        "Newest first: every 401/403, key and maintenance change.",
        ListEnvelope[AuditItem],
        AUDIT_PARAMS,
        tags=["admin"],
        errors=ADMIN_ERRORS,
    ),
)
async def admin_audit(request: Request) -> Response:
    p = parse(request, AUDIT_PARAMS)
    require_scope(request, "admin")

    def build(conn: Connection) -> dict[str, Any]:
        rows = fetch_all(
            conn,
            "SELECT id, occurred_at, actor, action, status_code, path, client_ip, details"
            " FROM audit_events WHERE %s::text IS NULL OR action = %s"
            " ORDER BY occurred_at DESC, id DESC LIMIT %s",
            (p["action"], p["action"], p["limit"]),
        )
        names = (
            "id",
            "occurred_at",
            "actor",
            "action",
            "status_code",
            "path",
            "client_ip",
            "details",
        )
        return plain_list([dict(zip(names, row, strict=True)) for row in rows])

    return await uncached(request, build)


@router.post(
    "/admin/cache/purge",
    tags=["admin"],
    summary="Empty the response cache (admin)",
    description="Never needed after an ingest (cache keys carry the data version); for "
    "operators who changed data by hand.",
    responses={
        200: {"description": "Purged.", "model": CachePurged},
        **{status: ERRORS[status] for status in (401, 403, 429, 503)},
    },
)
def admin_purge(request: Request) -> Response:
    parse(request, [])
    require_scope(request, "admin")
    api = context(request)
    deleted = api.cache.clear()
    import orjson

    return Response(
        orjson.dumps({"deleted": deleted, "backend": api.cache.backend}),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
