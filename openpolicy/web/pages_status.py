"""The service status page: freshness and last run of each source, fidelity checks,
open incidents and maintenance notices. It stays up during maintenance."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from openpolicy.config import Settings
from openpolicy.queries import status
from openpolicy.web.deps import reading
from openpolicy.web.rendering import render_html


async def status_page(request: Request) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    async with reading(request) as conn:
        summary = await status.status_summary(conn, maintenance_forced=settings.maintenance_mode)
        fidelity = {row["name"]: row for row in await status.source_fidelity(conn)}
    return render_html(
        request,
        "status.html",
        summary=summary,
        fidelity=fidelity,
        cache=False,
    )
