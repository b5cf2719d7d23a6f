"""How a route is documented in OpenAPI: its parameters, its 200 body, its problems."""

from __future__ import annotations

from typing import Any

from openpolicy.api.params import Param
from openpolicy.api.schemas import Problem

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "A parameter is malformed or unknown (problem document).",
        "model": Problem,
        "content": PROBLEM,
    },
    401: {
        "description": "The X-API-Key given is unknown, revoked or expired.",
        "model": Problem,
        "content": PROBLEM,
    },
    403: {
        "description": "The API key lacks the scope this endpoint needs.",
        "model": Problem,
        "content": PROBLEM,
    },
    404: {
        "description": "Nothing at this path (problem document).",
        "model": Problem,
        "content": PROBLEM,
    },
    422: {
        "description": "A value is out of range or not one of the choices.",
        "model": Problem,
        "content": PROBLEM,
    },
    429: {
        "description": "Rate limit exceeded; see Retry-After.",
        "model": Problem,
        "content": PROBLEM,
    },
    503: {
        "description": "Maintenance or a dependency down; see Retry-After.",
        "model": Problem,
        "content": PROBLEM,
    },
}

STREAMS = {
    "text/csv": {"schema": {"type": "string"}, "example": "session,number\r\n45-1,C-2\r\n"},
    "application/x-ndjson": {
        "schema": {"type": "string"},
        "example": '{"session":"45-1","number":"C-2"}\n',
    },
}


def documented(
    summary: str,
    description: str,
    model: Any,
    params: list[Param],
    *,
    streams: bool = False,
    tags: list[str] | None = None,
    errors: tuple[int, ...] = (400, 401, 404, 422, 429, 503),
) -> dict[str, Any]:
    """Keyword arguments for `router.get(...)`."""
    ok: dict[str, Any] = {"description": "Success.", "model": model}
    if streams:
        ok["content"] = dict(STREAMS)
    responses: dict[int | str, dict[str, Any]] = {200: ok}
    responses[304] = {"description": "Not modified (If-None-Match / If-Modified-Since held)."}
    for status in errors:
        responses[status] = ERRORS[status]
    return {
        "summary": summary,
        "description": description,
        "responses": responses,
        "openapi_extra": {"parameters": [p.openapi() for p in params]} if params else None,
        "tags": tags,
    }
