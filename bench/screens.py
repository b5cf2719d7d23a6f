"""Screenshots of every page type, at a desktop and a phone width, in both languages.

    python -m bench.screens [--out /tmp/openpolicy-screens] [--base-url http://127.0.0.1:8000]
                            [--only vote,bill] [--full-page]

Without `--base-url` it serves the bundled sample itself: an embedded PostgreSQL under
`--data-dir` (created and loaded on first use, reused afterwards), the production app in a
uvicorn thread on a free loopback port. Chromium is Debian's, driven by Playwright (never a
downloaded browser). Prints one line per file with the page's HTML size, so a reviewer sees
what each page costs beside how it looks.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(tempfile.gettempdir()) / "openpolicy-screens"
DEFAULT_DATA_DIR = Path("/tmp/openpolicy-screens/pgdata")
WIDTHS = {"1280": (1280, 900), "375": (375, 740)}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Page types of the bundled sample (language-neutral paths).
PAGES: dict[str, str] = {
    "home": "/",
    "bills": "/bills",
    "bill": "/bills/42-1/C-69",
    "bill-projected": "/bills/45-1/C-2",
    "votes": "/votes",
    "vote": "/votes/43-2/69",
    "vote-pending": "/votes/44-1/333",
    "debates": "/debates",
    "debate": "/debates/42-1/2",
    "speech": "/debates/42-1/2/6",
    "members": "/members",
    "member": "/members/{member}",  # the first member of the A-Z list
    "parties": "/parties",
    "bill-ended": "/bills/42-1/C-203",  # defeated at second reading (42-1 export)
    "search": "/search?q=housing",
    "status": "/status",
    "api-docs": "/api/v1/docs",
}
ENGLISH_ONLY = {"api-docs"}


def chromium() -> str:
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if Path(path).exists():
            return path
    found = shutil.which("chromium")
    if found is None:
        sys.exit("Chromium is not installed (apt-get install chromium)")
    return found


def localized(path: str, lang: str) -> str:
    if lang == "en":
        return path
    return "/fr" if path == "/" else "/fr" + path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sample_server(data_dir: Path) -> Iterator[str]:
    """The production app over the bundled sample, on a free loopback port."""
    import uvicorn

    from openpolicy import embedded, schema
    from openpolicy.app import create_app
    from openpolicy.config import Settings
    from openpolicy.ingest.sample import load_sample

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = not data_dir.exists()
    cluster = embedded.start(data_dir, "openpolicy")
    url = cluster.url("openpolicy")
    if fresh:
        from sqlalchemy import create_engine

        engine = create_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        load_sample(url, Settings(database_url=url.render_as_string(hide_password=False)))
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        api_access_log=False,
        api_cache_enabled=False,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            sys.exit("the sample server did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        cluster.detach()


def first_member(page: Any, base_url: str) -> str:
    """The id of the first member the members list shows (ids differ between databases)."""
    page.goto(base_url + "/members", wait_until="load")
    for href in page.eval_on_selector_all("a[href^='/members/']", "els => els.map(e => e.href)"):
        tail = str(href).rsplit("/members/", 1)[1]
        if tail.isdigit():
            return tail
    sys.exit("the members list links to no member")


def shoot(base_url: str, out: Path, only: set[str] | None, full_page: bool) -> int:
    """Save every page type at both widths in both languages; print file and HTML size."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        for width, viewport in WIDTHS.items():
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            page = context.new_page()
            member = first_member(page, base_url)
            for name, neutral in PAGES.items():
                if only and name not in only:
                    continue
                for lang in ("en", "fr"):
                    if lang == "fr" and name in ENGLISH_ONLY:
                        continue
                    path = localized(neutral.replace("{member}", member), lang)
                    response = page.goto(base_url + path, wait_until="load")
                    status = response.status if response is not None else 0
                    size = len(response.body()) if response is not None else 0
                    if name == "api-docs":
                        page.wait_for_selector(".swagger-ui .info", timeout=15_000)
                    target = out / f"{name}-{lang}-{width}.png"
                    page.screenshot(path=str(target), full_page=full_page)
                    height = page.evaluate("document.documentElement.scrollHeight")
                    print(
                        f"{target}  {path}  HTTP {status}  HTML {size:,} bytes"
                        f"  page height {height:,} px"
                    )
                    failures += status != 200
            context.close()
        browser.close()
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--base-url", help="a running site (default: serve the sample here)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--only", help="comma-separated page types (default: all)")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not a screen")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if args.base_url:
        return 1 if shoot(args.base_url.rstrip("/"), args.out, only, args.full_page) else 0
    with sample_server(args.data_dir) as base_url:
        return 1 if shoot(base_url, args.out, only, args.full_page) else 0


if __name__ == "__main__":
    raise SystemExit(main())
