"""The application factory: one FastAPI app serving the API, the web site and ops routes."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from openpolicy import __version__
from openpolicy.alerts import metrics as alerts_metrics
from openpolicy.api import install_api, open_api, start_api, stop_api
from openpolicy.breaker import CircuitBreaker, database_probe
from openpolicy.cache import redis_client, redis_probe
from openpolicy.config import Settings, get_settings
from openpolicy.db import ReadPool, WritePool, conninfo, create_db_engine
from openpolicy.errors import (
    BadRequestError,
    ConfigurationError,
    OpenPolicyError,
    ServiceUnavailableError,
)
from openpolicy.ops import (
    backup_metrics,  # noqa: F401  (registers the backup-age scrape hook)
    scraper_metrics,
)
from openpolicy.ops import health as ops_health
from openpolicy.ops.metrics import render_metrics
from openpolicy.problems import HeadAsGet, problem_response

log = logging.getLogger("openpolicy.app")


class HttpStatusError(OpenPolicyError):
    """Starlette's own HTTP errors (404 unknown route, 405…) in our problem shape."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self._status = status_code

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        problem = super().to_problem(instance)
        problem["status"] = self._status
        problem["title"] = _TITLES.get(self._status, "HTTP error")
        problem["type"] = f"https://openpolicy.ca/problems/http-{self._status}"
        return problem


_TITLES = {404: "Not found", 405: "Method not allowed", 406: "Not acceptable"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenPolicyError)
    async def _expected(request: Request, exc: OpenPolicyError) -> Response:
        return problem_response(exc, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}. See /api/v1/openapi.json for the API."
        response = problem_response(HttpStatusError(exc.status_code, detail), request.url.path)
        response.status_code = exc.status_code
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error.get("loc", ()))
            problems.append(f"{location}: {error.get('msg', 'invalid')}")
        error = BadRequestError(
            "; ".join(problems) or "invalid request",
            errors=[
                {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                for e in exc.errors()
            ],
        )
        return problem_response(error, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        error = OpenPolicyError("An unexpected error occurred; it has been logged.")
        return problem_response(error, request.url.path)


GC_THRESHOLDS = (10_000, 50, 100)


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    worker: ops_health.WorkerStatus | None = None,
) -> FastAPI:
    """Build the app. The engine is created in the lifespan unless one is handed in;
    `worker` is the in-process ingest worker `openpolicy up` supervises (for /health)."""
    settings = settings or get_settings()
    if settings.environment == "production" and not settings.site_url:
        raise ConfigurationError(
            "OPENPOLICY_SITE_URL is required in production: canonical links, feeds and "
            "og:url must name the public site, never a Host header a client chose"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_engine = engine is None
        # The operations' engine (health's heartbeats, metrics, the maintenance switch) waits
        # the request path's short time for a connection; the pages and the API read through
        # the read pool (and its replicas, DATABASE_REPLICA_URLS), the server's own writes
        # go through the write pool, both behind the primary's circuit breaker.
        app.state.engine = (
            engine
            if engine is not None
            else create_db_engine(settings, pool_timeout=settings.db_acquire_timeout_seconds)
        )
        app.state.db_breaker = CircuitBreaker(
            "database",
            failures=settings.breaker_failures,
            cooldown=settings.breaker_cooldown_seconds,
            probe=database_probe(
                conninfo(app.state.engine.url), settings.db_acquire_timeout_seconds
            ),
        )
        app.state.reads = ReadPool(
            settings,
            app.state.engine.url,
            replicas=[url.get_secret_value() for url in settings.database_replica_urls or ()],
            breaker=app.state.db_breaker,
        )
        app.state.writes = WritePool(settings, app.state.engine.url, breaker=app.state.db_breaker)
        app.state.redis = redis_client(settings)
        app.state.redis_breaker = CircuitBreaker(
            "redis",
            failures=settings.breaker_failures,
            cooldown=settings.breaker_cooldown_seconds,
            probe=redis_probe(settings) if settings.redis_url is not None else None,
        )
        app.state.worker = worker
        start_api(app, settings)  # before the pools open: it listens on the read pool's watcher
        await app.state.reads.open()
        await app.state.writes.open()
        await open_api(app)
        # What startup built lives as long as the process: move it out of the collector's
        # sight, so full collections stop walking it under load (bench/api.py measured
        # about a tenth of a detail request's CPU time spent in the collector).
        gc.collect()
        gc.freeze()
        # Serving a request leaves no reference cycles (tests/api/test_no_cycles.py), so
        # the collector has nothing to find among a request's objects: at the default
        # threshold of 700 it walked the objects of requests in flight hundreds of times a
        # second, about 5 % of the CPU with pauses of several ms (bench/api.py's tail).
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()  # an app built again in this process (tests) leaves nothing behind
            await stop_api(app)  # each step bounded: a hung dependency cannot hang shutdown
            await app.state.writes.close()
            await app.state.reads.close()
            if app.state.redis is not None:
                app.state.redis.close()
            if owns_engine:
                app.state.engine.dispose()

    app = FastAPI(
        title="OpenPolicy",
        version=__version__,
        description="The Parliament of Canada, readable.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    scraper_metrics.install()  # source freshness and fidelity, read from the database
    alerts_metrics.install()  # alerts sent and queue age, read from the database
    app.add_middleware(HeadAsGet)  # inside the front door, which sees HEAD
    install_api(app, settings)  # /api/v1 and the front door (metrics, access log included)
    _install_error_handlers(app)
    _install_operations_routes(app, settings)

    from openpolicy.web import mount_web  # the web site; keeps /api, /health, /metrics as is

    mount_web(app)
    return app


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _install_operations_routes(app: FastAPI, settings: Settings) -> None:
    """/livez, /readyz, /health and /metrics (ops/health.py says who reads which)."""
    stale_after = settings.worker_heartbeat_seconds * 3

    @app.get("/livez", tags=["operations"], summary="Liveness: the process answers")
    async def livez() -> Response:
        return _json(ops_health.liveness(), 200)

    @app.get("/readyz", tags=["operations"], summary="Readiness: the database answers")
    async def readyz(request: Request) -> Response:
        state = request.app.state
        ready, body = await ops_health.readiness(
            state.reads, state.db_breaker, state.redis_breaker if state.redis else None
        )
        return _json(body, 200 if ready else 503)

    @app.get("/health", tags=["operations"], summary="Service and dependency health")
    async def health(request: Request) -> Response:
        state = request.app.state
        report = await ops_health.health_report(
            pool=state.reads,
            database_breaker=state.db_breaker,
            redis=state.redis,
            redis_breaker=state.redis_breaker,
            environment=settings.environment,
            stale_after=stale_after,
            worker=state.worker,
        )
        return _json(report, 503 if report["status"] == ops_health.UNHEALTHY else 200)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def metrics(request: Request) -> Response:
        body, content_type = render_metrics(request.app.state.engine)
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


__all__ = ["ServiceUnavailableError", "create_app", "problem_response"]
