"""Brotli or gzip for the web site's pages, feeds and stylesheet.

Pages are a few dozen kilobytes of repetitive HTML (a division lists 330 ballots), which
brotli shrinks about tenfold: that matters more to a reader on a phone than render time.
Starlette's gzip responder handles buffering and streaming; brotli reuses that machinery.
The API and the operations routes (`/api`, `/health`, `/metrics`) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import brotli  # type: ignore[import-untyped]
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Receive, Scope, Send

MINIMUM_SIZE = 500
BROTLI_QUALITY = 5


def brotli_bytes(body: bytes, quality: int = BROTLI_QUALITY) -> bytes:
    """A whole body in brotli (cached pages keep theirs: openpolicy.web.serving)."""
    compressed: bytes = brotli.compress(body, quality=quality, mode=brotli.MODE_TEXT)
    return compressed


EXCLUDED_PREFIXES = ("/api", "/health", "/metrics", "/livez", "/readyz")


def is_web_path(path: str) -> bool:
    """Paths the web site owns (everything but the API and the operations routes)."""
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in EXCLUDED_PREFIXES)


class BrotliResponder(IdentityResponder):
    """Starlette's responder with a brotli stream in place of gzip."""

    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int, quality: int) -> None:
        super().__init__(app, minimum_size)
        self._compressor: brotli.Compressor | None = None
        self._quality = quality

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if self._compressor is None:
            self._compressor = brotli.Compressor(quality=self._quality, mode=brotli.MODE_TEXT)
        out: bytes = self._compressor.process(body)
        out += self._compressor.flush() if more_body else self._compressor.finish()
        return out


def accepted_codings(accept_encoding: str) -> set[str]:
    """Codings the client accepts (q=0 means refused)."""
    codings: set[str] = set()
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        quality = params.strip()
        if quality.startswith("q=") and quality[2:].strip() in {"0", "0.0", "0.00", "0.000"}:
            continue
        if name:
            codings.add(name.strip().lower())
    return codings


class CompressionMiddleware:
    """Serve `br` when the client takes it, else `gzip`, for web paths only."""

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = MINIMUM_SIZE,
        brotli_quality: int = BROTLI_QUALITY,
        gzip_level: int = 6,
        applies: Callable[[str], bool] = is_web_path,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.brotli_quality = brotli_quality
        self.gzip_level = gzip_level
        self.applies = applies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        codings = accepted_codings(Headers(scope=scope).get("accept-encoding", ""))
        responder: ASGIApp
        if "br" in codings:
            responder = BrotliResponder(self.app, self.minimum_size, self.brotli_quality)
        elif "gzip" in codings:
            responder = GZipResponder(self.app, self.minimum_size, compresslevel=self.gzip_level)
        else:  # nothing to do: no responder in the way of every plain request
            await self.app(scope, receive, send)
            return
        await responder(scope, receive, send)
