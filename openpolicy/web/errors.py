"""HTML error and maintenance pages for readers, problem+json for everyone else.

The app's handlers answer every error as application/problem+json. On web pages, and on
unknown paths asked for by a browser (Accept: text/html), a reader gets a page in their
language with a way forward instead. `/api/…`, `/health` and `/metrics` are never touched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from openpolicy.db import DATABASE_DOWN
from openpolicy.errors import BadRequestError, MaintenanceError, NotFoundError, RateLimitedError
from openpolicy.web.compression import is_web_path
from openpolicy.web.rendering import render_html

log = logging.getLogger("openpolicy.web")

WEB_TAG = "web"
Handler = Callable[[Request, Any], Awaitable[Response] | Response]


class PageNotFoundError(NotFoundError):
    """A web path that names nothing we hold (a bill, division or member that is not here)."""


def is_web_route(request: Request) -> bool:
    """True when the request matched one of the web site's own routes."""
    route = request.scope.get("route")
    return WEB_TAG in (getattr(route, "tags", None) or [])


def wants_html(request: Request) -> bool:
    """Web routes always answer HTML; other web paths only when a browser asks for it."""
    if not is_web_path(request.url.path):
        return False
    if is_web_route(request):
        return True
    return "text/html" in request.headers.get("accept", "")


def render_error(request: Request, status_code: int, detail: str | None = None) -> Response:
    """The error page (404, 400, 500…) in the request's language."""
    return render_html(
        request,
        "error.html",
        status_code=status_code,
        cache=False,
        status=status_code,
        detail=detail,
        robots="noindex",
    )


def render_maintenance(
    request: Request, message: str | None, until: Any = None, retry_after: int | None = None
) -> Response:
    """The maintenance page: 503 with Retry-After, so crawlers come back later."""
    headers = {"Retry-After": str(retry_after or 300)}
    return render_html(
        request,
        "maintenance.html",
        status_code=503,
        cache=False,
        headers=headers,
        message=message,
        until=until,
        robots="noindex",
    )


def rate_limited_page(request: Request, error: RateLimitedError) -> Response:
    """The page for a reader over the site's rate limit (the front door's hook): 429."""
    return render_html(
        request,
        "error.html",
        status_code=429,
        cache=False,
        headers={"Retry-After": str(error.retry_after)},
        status=429,
        detail=None,
        robots="noindex",
    )


def maintenance_page(request: Request, error: MaintenanceError) -> Response:
    """The maintenance page for a request the API gate stops (its `maintenance_page` hook)."""
    until = error.extra.get("until")
    return render_maintenance(
        request,
        error.detail,
        until=dt.datetime.fromisoformat(until) if isinstance(until, str) else None,
        retry_after=error.retry_after,
    )


async def _call(handler: Handler, request: Request, exc: Any) -> Response:
    result = handler(request, exc)
    if isinstance(result, Response):
        return result
    return await result


def install_error_pages(app: FastAPI) -> None:
    """Wrap every error handler of the app: readers get a page, clients the problem+json.

    The handler's owner still decides the status (and Retry-After); the web only renders it.
    Call last in `create_app`, after the API has installed its own handlers.
    """
    for exc_class, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(exc_class, _for_readers(handler))


def _for_readers(handler: Handler) -> Callable[[Request, Any], Awaitable[Response]]:
    async def respond(request: Request, exc: Any) -> Response:
        if not wants_html(request):
            return await _call(handler, request, exc)
        if isinstance(exc, MaintenanceError):
            return maintenance_page(request, exc)
        if isinstance(exc, RequestValidationError):
            # A malformed path segment (`/votes/45-1/abc`) names nothing: 404, not 422.
            in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
            return render_error(request, 404 if in_path else 400)
        problem = await _call(handler, request, exc)  # logs unexpected errors, picks the status
        status = problem.status_code
        if status >= 500 and isinstance(exc, DATABASE_DOWN):
            status = 503
        detail = exc.detail if isinstance(exc, BadRequestError | NotFoundError) else None
        try:
            response = render_error(request, status, detail)
        except Exception:  # the error page itself failed: the problem document will do
            log.exception("error page failed for %s", request.url.path)
            return problem
        retry_after = problem.headers.get("retry-after")
        if retry_after is None and status == 503:
            retry_after = "30"
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        return response

    return respond
