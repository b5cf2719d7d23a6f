"""The site in a real Chromium (Debian's, driven by Playwright; never a downloaded browser).

One browser and one tab for the whole module: every page type in both languages with an
axe-core scan, no console error and a screenshot under test-artifacts/screenshots/; then
the reader's paths: home → division → member → speech → sitting, search and filters, the
language switch, a phone-width screen and the keyboard.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = pytest.mark.browser

CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium") if Path(path).exists()),
    shutil.which("chromium"),
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BLOCKING_IMPACTS = {"serious", "critical"}

PAGE_TYPES = {
    "home": "/",
    "bills": "/bills",
    "bill": "/bills/44-1/C-11",
    "votes": "/votes",
    "vote": "/votes/43-2/69",
    "members": "/members",
    "member": "/members/{member}",
    "debates": "/debates",
    "debate": "/debates/42-1/2",
    "speech": "/debates/42-1/2/6",
    "search": "/search?q=Trudeau",
    "status": "/status",
    "not-found": "/no/such/page",
}


class Tab:
    """One browser tab that remembers every console error and page error it saw."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def visit(self, path: str) -> Any:
        self.errors.clear()
        return self.page.goto(self.base_url + path, wait_until="load")


@pytest.fixture(scope="module")
def tab(web_server: LiveServer) -> Iterator[Tab]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield Tab(context.new_page(), web_server.url)
        context.close()
        browser.close()


def open_party(tab: Tab, party: str) -> None:
    """Open a party's ballots on a division page (each party's list is collapsed)."""
    summary = tab.page.locator("details.ballot-group > summary", has_text=party).first
    summary.click()
    summary.locator("xpath=..").locator("ul").wait_for(state="visible")


@pytest.fixture(scope="module")
def member_path(tab: Tab) -> str:
    """Ziad Aboultaif's page, found the way a reader would: by his link on the division."""
    tab.visit("/votes/43-2/69")
    open_party(tab, "Conservative")
    href = tab.page.get_by_role("link", name="Ziad Aboultaif", exact=True).get_attribute("href")
    assert href and re.fullmatch(r"/members/\d+", href)
    return str(href)


def blocking_violations(tab: Tab) -> list[str]:
    results = axe_sync.Axe().run(tab.page)
    assert results.response["passes"], "axe-core ran no rule at all"
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation.get("impact") in BLOCKING_IMPACTS
    ]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_type_is_accessible_and_clean(tab: Tab, member_path: str, lang: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for name, neutral in PAGE_TYPES.items():
        path = neutral.replace("/members/{member}", member_path)
        if lang == "fr":
            path = "/fr" if path == "/" else "/fr" + path
        response = tab.visit(path)
        expected = 404 if name == "not-found" else 200
        assert response is not None and response.status == expected, path
        assert tab.page.locator("html").get_attribute("lang") == lang
        assert tab.page.locator("h1").first.is_visible()
        assert tab.page.title().endswith("· OpenPolicy")
        found = blocking_violations(tab)
        # A 404 logs "Failed to load resource" for the document itself: that one is expected.
        errors = [e for e in tab.errors if not (name == "not-found" and "404" in e)]
        if found or errors:
            problems[path] = found + errors
        tab.page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=False)
    assert problems == {}


def test_path_from_home_to_division_member_speech_and_sitting(tab: Tab) -> None:
    tab.visit("/")
    latest = tab.page.locator("section[aria-labelledby='latest-votes'] li a").first
    # 44-1 No. 333, printed in the sitting of 2023-05-18 (its ballots are pending).
    assert latest.inner_text() == "Division No. 333"
    latest.click()
    tab.page.wait_for_url("**/votes/44-1/333")
    assert tab.page.get_by_text("207", exact=True).first.is_visible()
    tab.visit("/votes/43-2/69")
    assert tab.page.get_by_text("305", exact=True).first.is_visible()
    # Pierre Poilievre voted Yea in 43-2 No. 69 and speaks in the 44-1 sittings.
    open_party(tab, "Conservative")
    tab.page.get_by_role("link", name="Pierre Poilievre", exact=True).click()
    tab.page.wait_for_url(re.compile(r".*/members/\d+$"))
    assert tab.page.locator("h1").inner_text() == "Pierre Poilievre"
    record = tab.page.locator(
        "section[aria-labelledby='record'] > .table-wrap tbody tr"
    ).first.inner_text()
    assert "Division No. 69" in record and "Yea" in record
    tab.page.locator("section[aria-labelledby='speeches'] li a").first.click()
    tab.page.wait_for_url(re.compile(r".*/debates/44-1/\d+/\d+$"))
    speaker = tab.page.locator("#speaker").inner_text()
    assert "Poilievre" in speaker
    speech_url = tab.page.url
    sequence = speech_url.rsplit("/", 1)[1]
    tab.page.get_by_role("link", name="Read it in the whole sitting").click()
    tab.page.wait_for_url(re.compile(rf".*/debates/44-1/\d+(\?part=\d+)?#s-{sequence}$"))
    anchor = tab.page.locator(f"#s-{sequence}")
    assert anchor.is_visible() and "Poilievre" in anchor.inner_text()
    assert anchor.evaluate("el => el.getBoundingClientRect().top") < 200  # scrolled to it
    assert tab.errors == []


def test_search_then_filter(tab: Tab) -> None:
    tab.visit("/")
    tab.page.get_by_role("searchbox").fill("firearms")
    tab.page.get_by_role("button", name="Search").click()
    tab.page.wait_for_url("**/search?q=firearms")
    assert tab.page.locator("section[aria-labelledby='r-speeches'] mark").count() > 0
    tab.page.get_by_label("Look in").select_option("bill")
    tab.page.get_by_role("button", name="Search").click()
    tab.page.wait_for_url(re.compile(r".*type=bill.*"))
    assert tab.page.locator("section[aria-labelledby='r-speeches']").count() == 0
    assert tab.page.locator("section[aria-labelledby='r-bills'] li").count() > 0
    # Divisions list: keep the negatived ones (252 of the 880 divisions of 42-1).
    tab.visit("/votes")
    tab.page.get_by_label("Result").select_option("negatived")
    tab.page.get_by_role("button", name="Filter").click()
    tab.page.wait_for_url(re.compile(r".*result=negatived.*"))
    badges = tab.page.locator("tbody .badge").all_inner_texts()
    assert len(badges) == 50 and set(badges) == {"Negatived"}
    assert tab.errors == []


def test_language_switch_keeps_the_readers_place(tab: Tab) -> None:
    tab.visit("/debates/42-1/2")
    tab.page.locator("#s-15").get_by_role("link", name="Lire en français").click()
    tab.page.wait_for_url("**/fr/debates/42-1/2#s-15")
    french = tab.page.locator("#s-15").inner_text()
    assert "Monsieur le Président, il y a eu consultations entre les partis" in french
    assert tab.page.locator("#s-15").evaluate("el => el.getBoundingClientRect().top") < 200
    tab.page.locator("#s-15").get_by_role("link", name="Read in English").click()
    tab.page.wait_for_url("**/debates/42-1/2#s-15")
    assert "Mr. Speaker, there have been discussions" in tab.page.locator("#s-15").inner_text()
    # The header switch keeps the page and its filters.
    tab.visit("/bills?session=44-1")
    tab.page.get_by_role("link", name="Français").click()
    tab.page.wait_for_url("**/fr/bills?session=44-1")
    assert tab.page.locator("h1").inner_text() == "Projets de loi"
    assert set(tab.page.locator("tbody td:first-child a").all_inner_texts()) == {"C-11", "C-291"}


def test_phone_width_has_no_sideways_scrolling(tab: Tab, member_path: str) -> None:
    tab.page.set_viewport_size({"width": 375, "height": 740})
    try:
        for path in ("/", "/votes/43-2/69", "/fr/debates/42-1/2", member_path, "/bills/44-1/C-11"):
            tab.visit(path)
            overflow = tab.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, path
        tab.visit("/votes/43-2/69")
        tab.page.screenshot(path=str(SCREENSHOTS / "vote-phone.png"), full_page=False)
    finally:
        tab.page.set_viewport_size({"width": 1280, "height": 900})


def test_keyboard_skip_link_and_visible_focus(tab: Tab) -> None:
    tab.visit("/votes/43-2/69")
    tab.page.keyboard.press("Tab")
    focused = tab.page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    skip = tab.page.locator(".skip-link")
    assert skip.evaluate("el => el.getBoundingClientRect().top") >= 0  # shown when focused
    tab.page.keyboard.press("Enter")
    assert tab.page.evaluate("document.activeElement.id") == "main"
    tab.page.keyboard.press("Tab")
    outline = tab.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
