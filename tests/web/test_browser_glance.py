"""Bills, divisions, sittings and the members list at a glance in a real Chromium (issue 17,
part B): every page type of the part in both languages at 1280 and 375 px with axe-core
finding nothing at all (any impact), no console error and no sideways scrolling on a phone;
then what a reader does on them: open a party's ballots, ask how their MP voted, page back
and forth (divisions; members in both languages, axe checking a later page too).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web import browsers
from tests.web.test_browser import Tab

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

# The shared Chromium and its tab at both widths (tests/web/browsers.py).
browser = browsers.browser
tab = browsers.tab

PAGES = {
    "votes": "/votes",
    "votes-filtered": "/votes?session=42-1&bill=C-69",
    "vote": "/votes/43-2/69",
    "vote-lookup": "/votes/43-2/69?mp=Aboultaif",
    "vote-pending": "/votes/44-1/333",
    "bills": "/bills",
    "bills-filtered": "/bills?status=royal_assent",
    "bill": "/bills/42-1/C-69",
    "bill-projected": "/bills/45-1/C-2",
    "debates": "/debates",
    "debate": "/debates/41-2/86?part=2",
    "debate-english-only": "/debates/44-1/5",
    "members-filtered": "/members?status=all&province=AB",
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_part_b_pages_are_accessible_at_both_widths(tab: Tab, lang: str) -> None:
    assert browsers.page_problems(tab, PAGES.values(), lang) == {}


def test_a_partys_ballots_open_and_close(tab: Tab) -> None:
    tab.visit("/votes/43-2/69")
    ndp = tab.page.locator("details.ballot-group", has_text="NDP")
    ashton = ndp.get_by_role("link", name="Niki Ashton", exact=True)
    assert not ashton.is_visible()  # collapsed: the page is short
    ndp.locator("summary").click()
    assert ashton.is_visible()
    assert "Nay" in ndp.locator("li").filter(has_text="Niki Ashton").inner_text()
    height = tab.page.evaluate("document.documentElement.scrollHeight")
    assert height < 5000  # the 330 ballots no longer run 5,000 px


def test_how_did_my_mp_vote_from_the_keyboard(tab: Tab) -> None:
    tab.visit("/fr/votes/43-2/69")
    field = tab.page.get_by_label("Comment mon député a-t-il voté ? Nom ou circonscription")
    field.fill("edmonton manning")
    field.press("Enter")
    tab.page.wait_for_url(re.compile(r".*/fr/votes/43-2/69\?mp=edmonton\+manning.*"))
    answer = tab.page.locator(".lookup-result").inner_text()
    assert "Ziad Aboultaif" in answer and "Pour" in answer
    assert tab.errors == []


def test_previous_and_next_pages(tab: Tab) -> None:
    tab.visit("/votes?session=42-1")
    first = tab.page.locator("tbody tr").first.inner_text()
    tab.page.get_by_role("link", name="Next page").click()
    tab.page.wait_for_url(re.compile(r".*cursor=.*"))
    assert tab.page.locator("tbody tr").first.inner_text() != first
    tab.page.get_by_role("link", name="Previous page").click()
    tab.page.wait_for_url(re.compile(r".*before=.*"))
    assert tab.page.locator("tbody tr").first.inner_text() == first
    assert tab.page.get_by_role("link", name="Previous page").count() == 0


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_members_list_pages_back_and_forth(tab: Tab, lang: str) -> None:
    prefix = "" if lang == "en" else "/fr"
    previous, following = {
        "en": ("Previous page", "Next page"),
        "fr": ("Page précédente", "Page suivante"),
    }[lang]
    tab.visit(f"{prefix}/members")
    count = tab.page.locator(".result-count").inner_text()
    assert count.startswith("343 ")  # members-current-45.xml: 343 sitting members
    first = tab.page.locator("tbody tr").first.inner_text()
    tab.page.get_by_role("link", name=following).click()
    tab.page.wait_for_url(re.compile(r".*/members\?cursor=.*"))
    assert tab.page.locator("tbody tr").first.inner_text() != first
    assert tab.page.locator(".result-count").inner_text().startswith("343 ")
    assert browsers.every_violation(tab) == []  # a later page is as accessible as the first
    tab.page.get_by_role("link", name=previous).click()
    tab.page.wait_for_url(re.compile(r".*before=.*"))
    assert tab.page.locator("tbody tr").first.inner_text() == first
    assert tab.page.get_by_role("link", name=previous).count() == 0
    assert tab.errors == []


def test_api_docs_render_offline(tab: Tab) -> None:
    """Swagger UI draws the API's operations with every request outside the app refused
    (no CDN), and nothing on the page errs."""
    outside: list[str] = []

    def only_the_app(route: Any) -> None:
        if route.request.url.startswith(tab.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    tab.page.route("**/*", only_the_app)
    try:
        tab.visit("/api/v1/docs")
        title = tab.page.locator(".swagger-ui .info .title")
        title.wait_for(timeout=20_000)
        assert "OpenPolicy API" in title.inner_text()
        tab.page.locator(".opblock-summary-path", has_text="/api/v1/bills").first.wait_for()
        assert outside == [] and tab.errors == []
    finally:
        tab.page.unroute("**/*")
