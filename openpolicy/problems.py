"""Expected errors as HTTP answers: one `application/problem+json` shape (RFC 9457) for the
app's handlers, the API's and the gate's."""

from __future__ import annotations

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
