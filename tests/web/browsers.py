"""The Chromium of the browser tests that look at each page at a desktop and a phone width
(discovery, glance, navigation): one browser per module, one tab per width.

Also what each page is checked for (axe at any impact, console errors, sideways scrolling).
A module takes the fixtures by binding them: `from tests.web.browsers import browser, tab`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from tests.support.services import LiveServer
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, Tab

playwright_sync = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

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


def every_violation(tab: Tab) -> list[str]:
    """What axe-core finds on the tab's page, at any impact."""
    results = axe_sync.Axe().run(tab.page)
    assert results.response["passes"], "axe-core ran no rule at all"
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


def page_problems(tab: Tab, pages: Iterable[str], lang: str) -> dict[str, list[str]]:
    """Each page (language-neutral path) in `lang`, visited: what axe finds, console errors
    and sideways scrolling, by path (empty when every page is clean)."""
    problems: dict[str, list[str]] = {}
    for neutral in pages:
        path = neutral if lang == "en" else "/fr" + neutral
        response = tab.visit(path)
        assert response is not None and response.status == 200, path
        found = every_violation(tab) + tab.errors
        overflow = tab.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            found.append(f"{overflow} px of sideways scrolling")
        if found:
            problems[path] = found
    return problems
