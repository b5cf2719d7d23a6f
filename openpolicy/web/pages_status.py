"""The service status page: freshness and last run of each source, fidelity checks,
open incidents and maintenance notices. It stays up during maintenance."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from openpolicy.config import Settings
from openpolicy.queries import status
from openpolicy.web.deps import Reader, db
from openpolicy.web.rendering import render_html


def status_page(request: Request, reader: Reader = Depends(db)) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    summary = status.status_summary(reader.session, maintenance_forced=settings.maintenance_mode)
    fidelity = {row["name"]: row for row in status.source_fidelity(reader.session)}
    return render_html(
        request,
        "status.html",
        summary=summary,
        fidelity=fidelity,
        cache=False,
    )
