"""Search, members, party cohesion and the home page in a real Chromium (Debian's, driven by
Playwright), in both languages, at a desktop and a phone width: axe-core finds no violation
of any impact, no console error, no horizontal scrolling at 375 px, and the reader's paths
through them work.
"""

from __future__ import annotations

import re

import pytest

from tests.web import browsers
from tests.web.test_browser import Tab

playwright_sync = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = pytest.mark.browser

# The shared Chromium and its tab at both widths (tests/web/browsers.py).
browser = browsers.browser
tab = browsers.tab


# The page types of issue 17 part A (language-neutral paths; {member} is found on the page
# of division 43-2 No. 69, as a reader would).
PAGES = {
    "search": "/search?q=housing",
    "search-speeches": "/search?q=%22housing%22&type=speech",
    "search-divisions": "/search?q=housing&type=division",
    "members": "/members",
    "member": "/members/{member}",
    "home": "/",
    "divisions-42-1": "/votes?session=42-1",
    "parties": "/parties",
}


def localized(path: str, lang: str) -> str:
    if lang == "en":
        return path
    return "/fr" if path == "/" else "/fr" + path


def violations(tab: Tab) -> list[str]:
    results = axe_sync.Axe().run(tab.page)
    assert results.response["passes"], "axe-core ran no rule at all"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pages_pass_axe_without_any_violation(tab: Tab, lang: str) -> None:
    problems: dict[str, list[str]] = {}
    tab.visit("/votes/43-2/69")
    # The ballots are grouped by party in closed <details>: find the link by its text.
    member = tab.page.locator('a:text-is("Ziad Aboultaif")').first
    member_id = (member.get_attribute("href") or "").rsplit("/", 1)[1]
    for neutral in PAGES.values():
        path = localized(neutral.format(member=member_id), lang)
        response = tab.visit(path)
        assert response is not None and response.status == 200, path
        assert tab.page.locator("html").get_attribute("lang") == lang
        found = violations(tab) + tab.errors
        # Readable at 375 px: nothing wider than the screen.
        overflow = tab.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            found.append(f"scrolls sideways by {overflow}px")
        if found:
            problems[path] = found
    assert problems == {}


def test_search_ranks_the_word_as_typed_and_narrows_by_party(tab: Tab) -> None:
    tab.visit("/")
    tab.page.get_by_role("searchbox").fill("housing")
    tab.page.get_by_role("button", name="Search").click()
    tab.page.wait_for_url("**/search?q=housing")
    first = tab.page.locator("section[aria-labelledby='r-speeches'] li").first
    assert {m.lower() for m in first.locator("mark").all_inner_texts()} == {"housing"}
    # The chart of the trend is drawn and has its numbers in a table.
    assert tab.page.locator("section.trend svg[role='img']").is_visible()
    tab.page.locator("section.trend summary").click()
    assert tab.page.locator("section.trend table tbody tr").count() >= 2
    # Divisions come back, with their yea/nay bar.
    division = tab.page.locator("section[aria-labelledby='r-divisions'] li").first
    assert "right to housing" in division.inner_text()
    assert division.locator("svg.yn-bar").is_visible()
    # Narrow to one party from the facets: the speeches tab, filtered.
    party = tab.page.locator("aside.facets ul").first.locator("a").first
    name = party.inner_text()
    party.click()
    tab.page.wait_for_url(re.compile(r".*party=.*type=speech.*"))
    assert (
        tab.page.get_by_label("Party of the speaker").evaluate(
            "el => el.options[el.selectedIndex].text"
        )
        == name
    )
    assert tab.errors == []


def test_member_record_table_opens_and_french_marks_english(tab: Tab) -> None:
    tab.visit("/members")
    tab.page.get_by_role("link", name="Ziad Aboultaif", exact=True).click()
    tab.page.wait_for_url("**/members/*")
    assert tab.page.locator("figure.series svg[role='img']").is_visible()
    table = tab.page.locator("details.series-table table")
    assert not table.is_visible()
    tab.page.locator("details.series-table summary").click()
    assert table.is_visible()
    assert table.locator("tbody tr").first.inner_text().split()[:3] == ["2021", "1", "1"]
    tab.visit("/fr/votes?session=42-1")
    marked = tab.page.locator("tbody a span[lang='en']").first
    assert marked.is_visible()
    assert tab.page.locator("tbody .untranslated").first.inner_text() == "(en anglais seulement)"
    assert tab.errors == []
