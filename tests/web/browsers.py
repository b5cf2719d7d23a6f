"""The Chromium of the browser tests that look at each page at a desktop and a phone width
(discovery, glance, navigation): one browser per module, one tab per width.

A module takes them by importing the fixtures: `from tests.web.browsers import browser, tab`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.services import LiveServer
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, Tab

playwright_sync = pytest.importorskip("playwright.sync_api")

WIDTHS = {"desktop": (1280, 900), "phone": (375, 740)}


@pytest.fixture(scope="module")
def browser(web_server: LiveServer) -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_sync.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module", params=list(WIDTHS))
def tab(request: pytest.FixtureRequest, browser: Any, web_server: LiveServer) -> Iterator[Tab]:
    width, height = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    yield Tab(context.new_page(), web_server.url)
    context.close()
