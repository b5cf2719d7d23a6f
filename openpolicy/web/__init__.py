"""The public web site: server-rendered bilingual pages over the shared `queries/` read side.

`mount_web(app)` is the one thing `create_app` calls: it adds the pages and feeds (English
at `/`, French at `/fr/…`), the stylesheet, compression for web paths, and HTML error pages
for readers (the API keeps its problem+json).
"""

from __future__ import annotations

from fastapi import FastAPI


def mount_web(app: FastAPI) -> None:
    """Add the web site to `app` (call after the app's own error handlers are installed)."""
    from openpolicy.web.compression import CompressionMiddleware
    from openpolicy.web.errors import install_error_pages, maintenance_page, rate_limited_page
    from openpolicy.web.routes import add_web_routes, mount_static

    mount_static(app)
    add_web_routes(app)
    install_error_pages(app)
    # The API's front door answers maintenance itself; on web paths it asks us for the page.
    app.state.maintenance_page = maintenance_page
    app.state.rate_limited_page = rate_limited_page
    app.add_middleware(CompressionMiddleware)


__all__ = ["mount_web"]
