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
from openpolicy.api import install_api, start_api, stop_api
from openpolicy.cache import redis_client
from openpolicy.config import Settings, get_settings
from openpolicy.db import ReadPool, WritePool, create_db_engine
from openpolicy.errors import BadRequestError, OpenPolicyError, ServiceUnavailableError
from openpolicy.ops import (
    backup_metrics,  # noqa: F401  (registers the backup-age scrape hook)
    scraper_metrics,
)
from openpolicy.ops.health import HEALTHY, health_report
from openpolicy.ops.metrics import HttpMetricsMiddleware, render_metrics
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


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app. The engine is created in the lifespan unless one is handed in."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_engine = engine is None
        # The operations' engine (health, metrics, the maintenance switch); the pages and the
        # API read through the read pool (and its replicas, DATABASE_REPLICA_URLS), the
        # server's own writes go through the write pool, always on the primary.
        app.state.engine = engine if engine is not None else create_db_engine(settings)
        app.state.reads = ReadPool(
            settings,
            app.state.engine.url,
            replicas=[url.get_secret_value() for url in settings.database_replica_urls or ()],
        )
        app.state.writes = WritePool(settings, app.state.engine.url)
        await app.state.reads.open()
        await app.state.writes.open()
        app.state.redis = redis_client(settings)
        start_api(app, settings)
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
            await stop_api(app)
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
    app.add_middleware(HeadAsGet)  # inside the gate and the metrics, which see HEAD
    install_api(app, settings)  # /api/v1 and its gate, inside the metrics middleware
    app.add_middleware(HttpMetricsMiddleware)
    _install_error_handlers(app)

    @app.get("/health", tags=["operations"], summary="Service and dependency health")
    def health(request: Request) -> Response:
        report = health_report(
            request.app.state.engine, request.app.state.redis, settings.environment
        )
        status = 200 if report["status"] == HEALTHY else 503
        return Response(
            orjson.dumps(report),
            status_code=status,
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def metrics(request: Request) -> Response:
        body, content_type = render_metrics(request.app.state.engine)
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    from openpolicy.web import mount_web  # the web site; keeps /api, /health, /metrics as is

    mount_web(app)
    return app


__all__ = ["ServiceUnavailableError", "create_app"]
