"""The public REST API, `/api/v1`: thin handlers over `openpolicy.queries`.

`create_app` calls `install_api(app, settings)` (routes, the gate middleware, error
mapping, OpenAPI and its docs page) and, in its lifespan, once the app's read and write
pools are open (openpolicy.db), `start_api(app, settings)` / `await stop_api(app)` (the
response cache, the rate limiter, the maintenance reader).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from openpolicy import __version__
from openpolicy.api.constants import API_PREFIX
from openpolicy.config import Settings

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
DOCS_PATH = f"{API_PREFIX}/docs"

DESCRIPTION = """
The Parliament of Canada, readable: bills, recorded divisions with every ballot, Hansard in
English and French, and members, from the official sources (LEGISinfo, ourcommons.ca).

* Lists answer `{"data": [...], "pagination": {"limit", "next_cursor", "next"}}`; pass
  `cursor` to get the next page (stable under inserts). Details answer `{"data": {...}}`.
* Sessions are written `45-1` in paths and filters.
* `format=csv` or `format=jsonl` on a list streams every matching row.
* Errors are `application/problem+json` (RFC 9457) with a `detail` naming the parameter.
* Anonymous clients get a per-address rate limit; an `X-API-Key` raises it. Every response
  carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
* Responses carry `ETag` and `Last-Modified`; conditional requests answer 304.

Full guide: docs/api.md in the repository.
"""


def api_routers() -> list[APIRouter]:
    """Each router carries the /api/v1 prefix in its routes' paths (so route templates in
    metrics and logs are the full paths)."""
    from openpolicy.api.routes import bills, debates, members, meta, search, votes

    return [m.router for m in (meta, bills, votes, members, debates, search)]


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI of the API routes only (the web site is HTML, not an API)."""
    cached: dict[str, Any] | None = getattr(app.state, "api_openapi", None)
    if cached is not None:
        return cached
    document = get_openapi(
        title="OpenPolicy API",
        version=__version__,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=app.routes,
        servers=[{"url": "/"}],
    )
    document["paths"] = {
        path: item
        for path, item in document.get("paths", {}).items()
        if path.startswith(API_PREFIX)
    }
    _keep_referenced_schemas(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    from openpolicy.api.schemas import Problem

    schemas.setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    document["components"]["securitySchemes"] = {
        "ApiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "Optional for public data (raises the rate limit); required with "
            "the admin scope on /admin endpoints.",
        }
    }
    document["security"] = [{}, {"ApiKey": []}]
    app.state.api_openapi = document
    return document


def _keep_referenced_schemas(document: dict[str, Any]) -> None:
    """Drop component schemas only the web site's routes used."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    keep: set[str] = set()
    pending: list[Any] = [document["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in keep and name in schemas:
                    keep.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    for name in list(schemas):
        if name not in keep:
            del schemas[name]


def install_api(app: FastAPI, settings: Settings) -> None:
    """Routes, the gate, error mapping, OpenAPI and docs. Call before HttpMetricsMiddleware
    is added, so requests the gate refuses (429, 401, 503) are still counted."""
    import psycopg
    import psycopg_pool

    from openpolicy.api.gate import ApiGate

    for router in api_routers():
        app.include_router(router)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi_json(request: Request) -> Response:
        return Response(orjson.dumps(openapi_document(request.app)), media_type="application/json")

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title="OpenPolicy API")

    from openpolicy.errors import BadRequestError, DatabaseUnavailableError
    from openpolicy.problems import problem_response

    @app.exception_handler(psycopg.errors.DataError)
    async def _bad_value(request: Request, exc: psycopg.errors.DataError) -> Response:
        first = str(exc).strip().splitlines()[0] if str(exc) else "invalid value"
        return problem_response(BadRequestError(f"invalid value: {first}"), request.url.path)

    @app.exception_handler(psycopg_pool.PoolTimeout)
    async def _pool_timeout(request: Request, exc: psycopg_pool.PoolTimeout) -> Response:
        error = DatabaseUnavailableError("the database is busy; retry shortly", retry_after=5)
        return problem_response(error, request.url.path)

    @app.exception_handler(psycopg.OperationalError)
    async def _db_down(request: Request, exc: psycopg.OperationalError) -> Response:
        error = DatabaseUnavailableError(
            "the database is unreachable; retry shortly", retry_after=30
        )
        return problem_response(error, request.url.path)

    app.add_middleware(ApiGate, settings=settings)


def start_api(app: FastAPI, settings: Settings) -> None:
    """Lifespan start: response cache, rate limiter, maintenance reader, pool gauges. The
    read and write pools (`app.state.reads`, `app.state.writes`) are the app's."""
    from redis.asyncio import Redis as AsyncRedis

    from openpolicy.api.cache import MemoryResponseCache, NoCache, RedisResponseCache
    from openpolicy.api.metrics import register_pool
    from openpolicy.api.ratelimit import RateLimiter
    from openpolicy.api.responses import ApiContext
    from openpolicy.ops.maintenance import MaintenanceReader

    async_redis = (
        AsyncRedis.from_url(
            settings.redis_url.get_secret_value(), socket_connect_timeout=2, socket_timeout=2
        )
        if settings.redis_url is not None
        else None
    )
    cache: Any
    if not settings.api_cache_enabled:
        cache = NoCache()
    elif app.state.redis is not None and async_redis is not None:
        cache = RedisResponseCache(app.state.redis, async_redis, settings.api_cache_ttl_seconds)
    else:
        cache = MemoryResponseCache(settings.api_cache_max_entries)
    app.state.response_cache = cache  # the web pages' too (openpolicy.web.serving)
    app.state.api = ApiContext(
        reads=app.state.reads, cache=cache, max_age=settings.api_http_max_age_seconds
    )
    app.state.api_async_redis = async_redis
    app.state.rate_limiter = RateLimiter(async_redis)
    app.state.maintenance = MaintenanceReader(app.state.engine, settings)
    register_pool(app.state.reads.pool)
    for replica in app.state.reads.replicas:
        register_pool(replica.pool)
    register_pool(app.state.writes.pool)


async def stop_api(app: FastAPI) -> None:
    async_redis = getattr(app.state, "api_async_redis", None)
    if async_redis is not None:
        await async_redis.aclose()


__all__ = ["API_PREFIX", "install_api", "start_api", "stop_api"]
