"""Small resources: data sources, sessions, parties, the status, a trivial ping; and the
admin endpoints (keys, audit trail, cache), which need a key with the admin scope."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.api import keys
from openpolicy.api.cache import ResponseCache
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
from openpolicy.db import ReadConnection
from openpolicy.errors import ForbiddenError, UnauthorizedError
from openpolicy.queries import admin, sources, status

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

    async def build(conn: ReadConnection) -> dict[str, Any]:
        return plain_list(await sources.list_data_sources(conn))

    return await uncached(request, build)


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

    async def build(conn: ReadConnection) -> dict[str, Any]:
        return plain_list(await sources.list_sessions(conn))

    return await serve(request, build)


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

    async def build(conn: ReadConnection) -> dict[str, Any]:
        return plain_list(await sources.list_parties(conn))

    return await serve(request, build)


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
async def status_endpoint(request: Request) -> Response:
    parse(request, [])
    forced = request.app.state.settings.maintenance_mode

    async def build(conn: ReadConnection) -> dict[str, Any]:
        return await status.status_summary(conn, maintenance_forced=forced)

    return await uncached(request, build)


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

    async def build(conn: ReadConnection) -> dict[str, Any]:
        return plain_list(await admin.api_keys(conn, p["service"]))

    return await uncached(request, build, primary=True)


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

    async def build(conn: ReadConnection) -> dict[str, Any]:
        return plain_list(await admin.audit_events(conn, p["action"], p["limit"]))

    return await uncached(request, build, primary=True)


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
    cache: ResponseCache = context(request).cache
    deleted = cache.clear()  # in a worker thread: a SCAN of Redis
    return Response(
        orjson.dumps({"deleted": deleted, "backend": cache.backend}),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
