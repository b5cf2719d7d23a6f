"""The API's documentation page, served by the app itself with no CDN.

Swagger UI's script and stylesheet come from the `fastapi-offline` wheel (it vendors the
Swagger UI 5 distribution, which reads OpenAPI 3.1); the page and the script that starts
it are ours, so the page holds no inline script or style and works under a strict
Content-Security-Policy, offline, behind a firewall or on a laptop.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from markupsafe import escape

from openpolicy.errors import NotFoundError

_VENDOR = Path(str(resources.files("fastapi_offline") / "static"))
_OURS = Path(__file__).parent / "static"
# Every file the page may load, by the name in its URL: nothing else is served.
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_VENDOR / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_VENDOR / "swagger-ui.css", "text/css"),
    "favicon.png": (_VENDOR / "favicon.png", "image/png"),
    "docs-init.js": (_OURS / "docs-init.js", "text/javascript"),
}
# The assets change only with a release: browsers may keep them a day.
ASSET_CACHE = "public, max-age=86400"


def docs_html(openapi_url: str, assets_url: str, title: str) -> str:
    """The documentation page: Swagger UI's stylesheet and script, then ours to start it."""
    a = escape(assets_url)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="icon" type="image/png" href="{a}/favicon.png">\n'
        f'<link rel="stylesheet" href="{a}/swagger-ui.css">\n'
        "</head>\n<body>\n"
        f'<main id="swagger-ui" data-openapi-url="{escape(openapi_url)}">'
        f"<noscript><p>This page needs JavaScript. The API is described by "
        f'<a href="{escape(openapi_url)}">its OpenAPI document</a>.</p></noscript></main>\n'
        f'<script src="{a}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{a}/docs-init.js"></script>\n'
        "</body>\n</html>\n"
    )


def install_docs(app: FastAPI, docs_path: str, openapi_url: str, title: str) -> None:
    """`GET docs_path` (the page) and `GET docs_path/assets/{name}` (its files)."""
    assets_url = f"{docs_path}/assets"
    page = docs_html(openapi_url, assets_url, title)

    @app.get(docs_path, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(assets_url + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        found = ASSETS.get(name)
        if found is None:
            raise NotFoundError(f"no documentation asset named {name!r}")
        path, media_type = found
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": ASSET_CACHE})
