"""HTTP plumbing shared by the app's parts: expected errors as one `application/problem+json`
shape (RFC 9457), and HEAD answered wherever GET is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.responses import Response

from openpolicy.errors import PROBLEM_CONTENT_TYPE, OpenPolicyError


def problem_response(error: OpenPolicyError, instance: str) -> Response:
    """Render any expected error as application/problem+json (with Retry-After when the
    error carries one)."""
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(
        orjson.dumps(error.to_problem(instance)),
        status_code=error.status_code,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEAD_FLAG = "openpolicy.head"  # in the scope the routes see: the client asked with HEAD


class HeadAsGet:
    """`HEAD` wherever `GET` (RFC 9110 §9.3.2): `curl -I`, link checkers and monitors ask
    with HEAD. The routes see a GET (flagged `HEAD_FLAG`, so an export can skip reading
    its rows) and the client gets its status and headers without the body. The API's
    document lists each operation once, as GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET", HEAD_FLAG: True}, receive, headers_only)
