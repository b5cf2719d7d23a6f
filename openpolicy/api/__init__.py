"""The public REST API, `/api/v1`: thin handlers over `openpolicy.queries`.

`create_app` calls `install_api(app, settings)` (routes, the front door, error mapping,
OpenAPI and its docs page) and, in its lifespan, `start_api(app, settings)` before the app's
read and write pools open (openpolicy.db), `await open_api(app)` once they are, and
`await stop_api(app)` before they close (the response cache, the rate limiter, the refusal
audit, the maintenance reader).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import Response

from openpolicy import __version__
from openpolicy.api.constants import API_PREFIX
from openpolicy.config import Settings
from openpolicy.errors import OpenPolicyError

log = logging.getLogger("openpolicy.api")

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
SHUTDOWN_STEP_SECONDS = 5.0
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
    from openpolicy.api.routes import bills, debates, members, meta, search, subscriptions, votes

    return [m.router for m in (meta, bills, votes, members, debates, search, subscriptions)]


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
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_request_schemas())  # bodies read by the handlers themselves
    _keep_referenced_schemas(document)
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


def _request_schemas() -> dict[str, Any]:
    """JSON bodies the handlers validate themselves (so their problems name the field)."""
    from pydantic.json_schema import models_json_schema

    from openpolicy.api.routes.subscriptions import REQUEST_MODELS

    _, definitions = models_json_schema(
        [(model, "validation") for model in REQUEST_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    found: dict[str, Any] = definitions.get("$defs", {})
    return found


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
    """Routes, the front door (which counts and times every request for the metrics, those
    it refuses itself included: 400, 401, 429, 503), error mapping, OpenAPI and docs."""
    import psycopg
    import psycopg_pool

    from openpolicy.api.docs import install_docs
    from openpolicy.api.gate import ApiGate

    for router in api_routers():
        app.include_router(router)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi_json(request: Request) -> Response:
        return Response(orjson.dumps(openapi_document(request.app)), media_type="application/json")

    install_docs(app, DOCS_PATH, OPENAPI_PATH, "OpenPolicy API")

    import sqlalchemy.exc

    from openpolicy.breaker import database_failure, database_unavailable
    from openpolicy.errors import BadRequestError
    from openpolicy.problems import problem_response

    @app.exception_handler(psycopg.errors.DataError)
    async def _bad_value(request: Request, exc: psycopg.errors.DataError) -> Response:
        # PostgreSQL's own message names internals (types, casts, values it was handed):
        # log it, and tell the client only that a value was not usable.
        log.info("rejected a value on %s: %s", request.url.path, exc)
        error = BadRequestError(
            "a parameter's value is out of range or not usable; check the values sent"
        )
        return problem_response(error, request.url.path)

    async def _database_down(request: Request, exc: Exception) -> Response:
        """The database failed outside a guarded pool (the engine's sessions): 503."""
        breaker = getattr(request.app.state, "db_breaker", None)
        cause = getattr(exc, "orig", None) or exc
        if breaker is None:
            from openpolicy.errors import DatabaseUnavailableError

            error: Exception = DatabaseUnavailableError(
                "the database is unreachable; retry shortly", retry_after=2
            )
        else:
            if isinstance(exc, psycopg_pool.PoolTimeout | sqlalchemy.exc.TimeoutError) or (
                isinstance(cause, BaseException) and database_failure(cause)
            ):
                breaker.failed(exc)
            error = database_unavailable(breaker)
        assert isinstance(error, OpenPolicyError)
        return problem_response(error, request.url.path)

    for failure in (
        psycopg_pool.PoolTimeout,
        psycopg.OperationalError,
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.TimeoutError,
    ):
        app.add_exception_handler(failure, _database_down)

    app.add_middleware(ApiGate, settings=settings)


def start_api(app: FastAPI, settings: Settings) -> None:
    """Lifespan start, before the pools open: response cache and rate limiter (behind the
    Redis breaker), refusal audit, the maintenance switch (its channel heard on the read
    pool's data-version listener), pool gauges. `app.state` holds `engine`, `reads`,
    `writes`, `redis`, `db_breaker` and `redis_breaker` (openpolicy.app)."""
    from openpolicy.api.audit import RefusalAudit
    from openpolicy.api.cache import MemoryResponseCache, NoCache, RedisResponseCache
    from openpolicy.api.metrics import register_pool
    from openpolicy.api.ratelimit import RateLimiter
    from openpolicy.api.responses import ApiContext
    from openpolicy.breaker import CircuitBreaker
    from openpolicy.cache import RequestRedis, async_redis_client
    from openpolicy.ops.maintenance import CHANNEL as MAINTENANCE_CHANNEL
    from openpolicy.ops.maintenance import MaintenanceReader

    reads = app.state.reads
    breaker: CircuitBreaker = app.state.db_breaker
    async_redis = async_redis_client(settings)
    request_redis = (
        RequestRedis(async_redis, app.state.redis_breaker) if async_redis is not None else None
    )
    cache: Any
    if not settings.api_cache_enabled:
        cache = NoCache()
    elif app.state.redis is not None and request_redis is not None:
        cache = RedisResponseCache(app.state.redis, request_redis, settings.api_cache_ttl_seconds)
    else:
        cache = MemoryResponseCache(settings.api_cache_max_entries)
    app.state.response_cache = cache  # the web pages' too (openpolicy.web.serving)
    maintenance = MaintenanceReader(app.state.engine, settings)
    reads.version.listen(MAINTENANCE_CHANNEL, maintenance.on_notice)
    maintenance.follow(lambda: reads.version.listening, lambda: not breaker.closed)
    app.state.api = ApiContext(
        reads=app.state.reads, cache=cache, max_age=settings.api_http_max_age_seconds
    )
    app.state.api_redis = request_redis
    app.state.rate_limiter = RateLimiter(request_redis)
    app.state.refusal_audit = RefusalAudit(app.state.writes, settings.audit_flush_seconds)
    app.state.maintenance = maintenance
    register_pool(reads.pool)
    for replica in reads.replicas:
        register_pool(replica.pool)
    register_pool(app.state.writes.pool)


async def open_api(app: FastAPI) -> None:
    """Lifespan start, once the pools are open, in the event loop that runs the background
    tasks (rate-limit synchronisation, audit flushes)."""
    app.state.rate_limiter.start()
    app.state.refusal_audit.start()


async def stop_api(app: FastAPI) -> None:
    """Lifespan end, before the pools close: last counts to Redis and the audit trail, the
    Redis client closed; each step bounded, so a dependency that hangs cannot hang the
    shutdown."""
    import asyncio
    import contextlib

    steps = []
    limiter = getattr(app.state, "rate_limiter", None)
    if limiter is not None:
        steps.append(limiter.stop())
    audit = getattr(app.state, "refusal_audit", None)
    if audit is not None:
        steps.append(audit.stop())
    redis = getattr(app.state, "api_redis", None)
    if redis is not None:
        steps.append(redis.aclose())
    for step in steps:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(step, timeout=SHUTDOWN_STEP_SECONDS)


__all__ = ["API_PREFIX", "install_api", "open_api", "start_api", "stop_api"]
