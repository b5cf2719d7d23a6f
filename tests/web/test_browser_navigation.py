"""Sittings you can navigate and bills that say how they ended, in a real Chromium (issue
17): both languages at 1280 and 375 px with axe-core finding nothing at all (any impact),
no console error and no sideways scrolling; the sitting's contents follow the reader, and
work as plain links without JavaScript.

Expected values are read off the sample's captures: HAN086-E-412 (41-2 No. 86, 589 items
in six parts of 100) and the retired LEGISinfo export of 42-1 (2018).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.services import LiveServer
from tests.web import browsers
from tests.web.test_browser import Tab

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

# The shared Chromium and its tab at both widths (tests/web/browsers.py).
browser = browsers.browser
tab = browsers.tab

PAGES = {
    "sitting-part": "/debates/41-2/86?part=2",
    "sitting-english-only": "/debates/44-1/5?part=2",
    "bill-defeated": "/bills/42-1/C-203",
    "bill-not-proceeded-with": "/bills/42-1/C-227",
    "bill-defeated-in-the-other-chamber": "/bills/42-1/S-230",
    "bill-of-an-ended-session": "/bills/42-1/C-69",
}
CURRENT = 'nav.toc a[aria-current="true"]'
IN_VIEW = """() => {
  const link = document.querySelector('nav.toc a[aria-current="true"]');
  const toc = document.querySelector("nav.toc");
  const scroller = [toc, toc.querySelector("ol")].find(e => e.scrollHeight > e.clientHeight);
  if (!scroller) return "the contents do not scroll";
  const frame = scroller.getBoundingClientRect(), item = link.getBoundingClientRect();
  return item.top >= frame.top && item.bottom <= frame.bottom;
}"""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pages_are_accessible_at_both_widths(tab: Tab, lang: str) -> None:
    assert browsers.page_problems(tab, PAGES.values(), lang) == {}


def read_to(tab: Tab, sequence: int) -> None:
    """Scroll as a reader does until a speech is at the top of the window."""
    tab.page.locator(f"#s-{sequence}").evaluate("speech => speech.scrollIntoView()")


def current_entry(tab: Tab, title: str) -> Any:
    """The contents' current entry, once it is the one named (the script follows the
    scrolling on the next frames)."""
    link = tab.page.locator(CURRENT)
    link.filter(has_text=title).wait_for()
    assert link.count() == 1  # one current entry at a time
    return link


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_contents_follow_the_reader(tab: Tab, lang: str) -> None:
    prefix = "" if lang == "en" else "/fr"
    tab.visit(f"{prefix}/debates/41-2/86?part=2")
    # Part 2 holds speeches 101-200: the questions passed as orders for returns run from
    # 135 to 186, then the motions for papers (187-189), then Government Orders' Business
    # of Supply (190-243), under the sub-heading "Opposition Motion—Affordable housing".
    read_to(tab, 150)
    current_entry(tab, "Questions Passed as Orders for Returns")
    assert tab.page.locator(CURRENT).get_attribute("href") == "#s-135"
    read_to(tab, 195)
    link = current_entry(tab, "Opposition Motion—Affordable housing")
    # The entries it is nested in are marked along with it: the subject, the section.
    trail = tab.page.locator("nav.toc a.toc-trail").all_inner_texts()
    assert trail == ["Government Orders", "Business of Supply"]
    # The current entry is told apart by more than colour: its weight and a bar.
    weight = link.evaluate("a => getComputedStyle(a).fontWeight")
    assert int(weight) >= 700
    if tab.page.viewport_size["width"] >= 1000:
        assert link.evaluate("a => getComputedStyle(a).borderLeftStyle") == "solid"
    # Contents that scroll on their own (beside the text, or in their box above it on a
    # phone) keep the current entry in view.
    assert tab.page.evaluate(IN_VIEW) is True
    # Reading back up moves it back.
    read_to(tab, 110)
    current_entry(tab, "Interparliamentary Delegations")
    assert tab.errors == []


def test_the_contents_are_plain_links_without_javascript(
    browser: Any, web_server: LiveServer
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    try:
        tab = Tab(context.new_page(), web_server.url)
        tab.visit("/fr/debates/41-2/86?part=2")
        assert tab.page.locator(CURRENT).count() == 0  # nothing follows: no script ran
        # A link on the page moves to its speech; one in another part loads that part.
        tab.page.locator("nav.toc a", has_text="Motions for Papers").first.click()
        tab.page.wait_for_url("**/fr/debates/41-2/86?part=2#s-187")
        tab.page.locator("nav.toc a", has_text="Fisheries and Oceans").first.click()
        tab.page.wait_for_url("**/fr/debates/41-2/86?part=3#s-293")
        assert tab.page.locator("#s-293").is_visible()
        assert tab.page.evaluate("window.scrollY") > 0  # landed on the speech, not the top
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_defeated_bill_reads_as_defeated_at_both_widths(tab: Tab, lang: str) -> None:
    # C-203 (42-1): "Bill Defeated at Second Reading" on 2017-10-25.
    tab.visit("/bills/42-1/C-203" if lang == "en" else "/fr/bills/42-1/C-203")
    ended = tab.page.locator('.tracker li[aria-current="step"]')
    assert ended.count() == 1
    word = "defeated" if lang == "en" else "rejet"
    state = ended.locator(".step-state")
    assert state.is_visible() and state.inner_text().startswith(word)
    # Told apart by its words and a cross, and by colour as well.
    assert state.evaluate("s => getComputedStyle(s).color") == "rgb(164, 22, 26)"
    cross = ended.locator(".step-dot").evaluate(
        "d => getComputedStyle(d, '::before').content + getComputedStyle(d, '::after').content"
    )
    assert cross == '""""'
    box = state.bounding_box()
    assert box is not None and box["x"] >= 0
    assert box["x"] + box["width"] <= tab.page.viewport_size["width"]
    later = tab.page.locator(".tracker li.step-not_reached .step-state").all_inner_texts()
    assert later == ["not reached" if lang == "en" else "non atteinte"] * 9
    assert tab.page.locator(".tracker li.step-todo").count() == 0  # nothing "to come"
    assert tab.errors == []
