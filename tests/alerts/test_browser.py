"""The alerts' forms and pages in a real Chromium (Debian's, driven by Playwright), in both
languages: a reader follows a member with the keyboard and the mouse, no script anywhere,
every page scanned by axe-core with no violation at all, no console error (the strict CSP
refuses inline script and style: a violation would be one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import URL

from openpolicy.alerts import delivery
from tests.alerts.conftest import Mailbox, Query, load, member_id
from tests.alerts.test_web import Site, link_path, site_for
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Tab

playwright_sync = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = pytest.mark.browser


def violations(tab: Tab, context: Any = None) -> list[str]:
    results = axe_sync.Axe().run(tab.page, context=context)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
    ]


@pytest.fixture
def site(alerts_db: URL, smtp: Mailbox) -> Iterator[Site]:
    yield from site_for(alerts_db, smtp)


@pytest.fixture
def tab(site: Site) -> Iterator[Tab]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield Tab(context.new_page(), site.server.url)
        context.close()
        browser.close()


WORDS = {
    "en": {
        "email": "Your e-mail address",
        "often": "How often",
        "daily": "Once a day (digest)",
        "follow": "Follow",
        "sent": "Check your inbox",
        "check": "Check the e-mail address",
        "words": "These words cannot be followed",
        "about": "Get alerts by e-mail",
        "confirm": "Confirm",
        "on": "Your alert is on",
        "manage": "Manage your alerts",
        "save": "Save changes",
        "saved": "Your changes are saved.",
        "unsubscribe": "Unsubscribe",
        "done": "You are unsubscribed",
    },
    "fr": {
        "email": "Votre adresse courriel",
        "often": "Fréquence",
        "daily": "Une fois par jour (résumé)",
        "follow": "Suivre",
        "sent": "Consultez votre boîte de réception",
        "check": "Vérifiez l'adresse courriel",
        "words": "Ces mots ne peuvent pas être suivis",
        "about": "Recevoir des alertes par courriel",
        "confirm": "Confirmer",
        "on": "Votre alerte est activée",
        "manage": "Gérer vos alertes",
        "save": "Enregistrer",
        "saved": "Vos modifications sont enregistrées.",
        "unsubscribe": "Se désabonner",
        "done": "Vous êtes désabonné",
    },
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_follow_confirm_manage_unsubscribe_in_a_browser(
    alerts_db: URL, site: Site, tab: Tab, smtp: Mailbox, query: Query, lang: str
) -> None:
    load(alerts_db, site.settings, "members", "bill", "ballots")
    words = WORDS[lang]
    prefix = "" if lang == "en" else "/fr"
    email = f"browser-{lang}@example.ca"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}

    def scan(name: str, context: Any = None) -> None:
        found = violations(tab, context) + tab.errors
        if found:
            problems[name] = found
        tab.page.screenshot(path=str(SCREENSHOTS / f"alerts-{name}-{lang}.png"))

    # The Follow form on each page that has one: no violation inside it.
    johns = member_id(query, "Gord Johns")
    for name, path in (
        ("bill", "/bills/44-1/C-11"),
        ("vote", "/votes/43-2/69"),
        ("votes", "/votes"),
        ("search", "/search?q=housing"),
        ("member", f"/members/{johns}"),
    ):
        response = tab.visit(prefix + path)
        assert response is not None and response.status == 200, path
        form = tab.page.locator("section.follow")
        assert form.count() == 1, path
        found = violations(tab, {"include": [["section.follow"]]}) + tab.errors
        if found:
            problems[f"follow-form-{name}"] = found

    # On the member's page: type the address (a mistake the browser lets through first),
    # choose daily, press Follow; the page that names the mistake takes the corrected one.
    tab.page.get_by_label(words["email"]).fill(email.removesuffix(".ca"))
    tab.page.get_by_label(words["often"]).select_option(label=words["daily"])
    tab.page.get_by_role("button", name=words["follow"], exact=True).click()
    tab.page.wait_for_load_state()
    assert tab.page.locator("h1").inner_text() == words["check"]
    tab.errors.clear()  # the browser logs the 422 of the document itself
    scan("mistake")
    tab.page.get_by_label(words["email"]).fill(email)
    tab.page.get_by_role("button", name=words["follow"], exact=True).click()
    tab.page.wait_for_load_state()
    assert tab.page.locator("h1").inner_text() == words["sent"]
    scan("sent")

    delivery.send_due(alerts_db, site.settings)
    [confirmation] = smtp.wait_for(email)
    tab.visit(link_path(confirmation, "confirm"))
    scan("confirm")
    tab.page.get_by_role("button", name=words["confirm"], exact=True).click()
    tab.page.wait_for_load_state()
    assert tab.page.locator("h1").inner_text() == words["on"]
    scan("confirmed")
    assert query("SELECT status, cadence FROM alert_subscriptions") == [("active", "daily")]

    tab.page.get_by_role("link", name=words["manage"]).click()
    tab.page.wait_for_url(f"**{prefix}/alerts/manage/**")
    scan("manage")
    tab.page.get_by_role("button", name=words["save"]).click()
    tab.page.wait_for_url("**saved=1")
    assert words["saved"] in tab.page.locator("main").inner_text()
    scan("saved")
    manage_url = tab.page.url

    assert tab.visit(prefix + "/alerts/stop/forged.link").status == 404
    tab.errors.clear()  # the browser logs the 404 of the document itself
    scan("invalid-link")
    tab.page.goto(manage_url)
    tab.page.get_by_role("button", name=words["unsubscribe"], exact=False).last.click()
    tab.page.wait_for_load_state()
    assert tab.page.locator("h1").inner_text() == words["done"]
    scan("unsubscribed")
    assert query("SELECT count(*) FROM alert_recipients") == [(0,)]

    # A search with no word to look for is explained; /alerts/follow opened directly says
    # where the forms are.
    tab.visit(prefix + "/search?q=-housing")
    tab.page.get_by_label(words["email"]).fill(email)
    tab.page.get_by_role("button", name=words["follow"], exact=True).click()
    tab.page.wait_for_load_state()
    assert tab.page.locator("h1").inner_text() == words["words"]
    tab.errors.clear()  # the browser logs the 422 of the document itself
    scan("words")
    assert tab.visit(prefix + "/alerts/follow").status == 200
    assert tab.page.locator("h1").inner_text() == words["about"]
    scan("about")
    assert query("SELECT count(*) FROM alert_subscriptions") == [(0,)]
    assert problems == {}
