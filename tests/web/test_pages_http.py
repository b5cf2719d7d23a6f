"""Every web route in both languages over plain HTTP: status codes, content, metadata,
compression and sizes, feeds, and the error pages (without breaking the API's problem+json).

Expected values are read off the captures in tests/fixtures/ (see the comments).
"""

from __future__ import annotations

import gzip
import re

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from lxml import etree, html

from openpolicy.app import create_app
from openpolicy.config import Settings
from openpolicy.web.errors import WEB_TAG
from tests.support.services import free_port

ATOM = "{http://www.w3.org/2005/Atom}"

# One URL per page type (language-neutral); each is checked in English and in French.
PAGES = {
    "home": "/",
    "bills": "/bills",
    "bill": "/bills/45-1/C-2",
    "votes": "/votes",
    "vote": "/votes/43-2/69",
    "members": "/members",
    "member": "/members/{member}",
    "debates": "/debates",
    "debate": "/debates/42-1/2",
    "speech": "/debates/42-1/2/6",
    "search": "/search?q=Parliament",
    "status": "/status",
}
SIZE_LIMIT_COMPRESSED = 100_000

# A Host the app answers to (settings.allowed_hosts), unlike TestClient's "testserver".
LOCAL = "http://localhost"


def fr(path: str) -> str:
    return "/fr" if path == "/" else "/fr" + path


def doc(response: httpx.Response) -> html.HtmlElement:
    return html.fromstring(response.content)


def text(response: httpx.Response) -> str:
    return words(doc(response))


def words(element: html.HtmlElement) -> str:
    """The element's text as a reader sees it: words separated by single spaces."""
    return " ".join(" ".join(element.itertext()).split())


@pytest.fixture(scope="module")
def member_id(http: httpx.Client) -> int:
    """Ziad Aboultaif (PersonId 89156), first ballot of the 43-2 No. 69 capture, by his link."""
    page = doc(http.get("/votes/43-2/69"))
    links = page.xpath("//a[normalize-space()='Ziad Aboultaif']/@href")
    assert links, "the division page links every member who voted"
    return int(str(links[0]).rsplit("/", 1)[1])


def url_of(name: str, member_id: int) -> str:
    return PAGES[name].format(member=member_id)


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_type_renders_in_both_languages(
    http: httpx.Client, member_id: int, name: str, lang: str
) -> None:
    path = url_of(name, member_id)
    response = http.get(path if lang == "en" else fr(path))
    assert response.status_code == 200, text(response)[:400]
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == lang
    page = doc(response)
    assert page.get("lang") == lang
    assert page.xpath("//main[@id='main']") and page.xpath("//h1")
    assert page.xpath("//nav[@aria-label]") and page.xpath("//footer")
    title = page.findtext(".//title") or ""
    assert title.endswith("· OpenPolicy") and len(title) > len("· OpenPolicy")
    og = {m.get("property"): m.get("content") for m in page.xpath("//meta[@property]")}
    assert og["og:title"] and og["og:description"] and og["og:url"]
    assert og["og:locale"] == ("fr_CA" if lang == "fr" else "en_CA")
    canonical = page.xpath("//link[@rel='canonical']/@href")[0]
    assert canonical.startswith("https://openpolicy.example/")
    hreflangs = set(page.xpath("//link[@rel='alternate'][@hreflang]/@hreflang"))
    assert hreflangs == {"en-CA", "fr-CA"}
    switch = page.xpath("//a[contains(@class, 'lang-switch')]")[0]
    other = "fr" if lang == "en" else "en"
    assert switch.get("hreflang") == other
    expected_switch = fr(path) if lang == "en" else path
    assert switch.get("href") == expected_switch
    # The Content-Security-Policy runs only the site's own files: a page holds no inline
    # script, no style attribute and no event-handler attribute (the browser would refuse
    # them, and templates written from now on must not need them).
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.xpath("//script[not(@src)]") == []
    assert page.xpath("//*[@style]") == []
    assert page.xpath("//@*[starts-with(name(), 'on')]") == []


def test_ui_strings_follow_the_language(http: httpx.Client) -> None:
    english, french = http.get("/bills"), http.get("/fr/bills")
    assert "Skip to main content" in english.text and "Passer au contenu principal" in french.text
    nav_fr = [a.text_content() for a in doc(french).xpath("//nav[contains(@class, 'site-nav')]//a")]
    assert nav_fr == ["Projets de loi", "Votes", "Députés", "Débats", "Recherche", "État"]


def test_division_page_shows_result_totals_chart_and_every_ballot(http: httpx.Client) -> None:
    # vote-43-2-69.xml: Agreed To, 330 participants: 305 Yea, 25 Nay, 0 Paired;
    # by caucus: Liberal 150 yea, Conservative 119 yea, Bloc 32 yea, NDP 22 nay,
    # Independent 4 yea, Green Party 3 nay.
    response = http.get("/votes/43-2/69")
    page = doc(response)
    stats = [words(li) for li in page.xpath("//ul[@class='stat-row']/li")]
    assert stats == ["Result Agreed to", "Yeas 305", "Nays 25", "Paired 0"]
    ballots = page.xpath("//div[@class='ballot-groups']//li")
    assert len(ballots) == 330
    groups = {
        " ".join(h.text_content().split())
        for h in page.xpath("//div[@class='ballot-groups']/details/summary")
    }
    assert "Liberal 150 yea, 0 nay" in groups and "NDP 0 yea, 22 nay" in groups
    assert "Green Party 0 yea, 3 nay" in groups and "Independent 4 yea, 0 nay" in groups
    svg = page.xpath("//*[local-name()='svg'][@class='chart']")
    assert len(svg) == 1 and svg[0].get("role") == "img"
    chart_text = [" ".join("".join(t.itertext()).split()) for t in svg[0].iter("{*}text")]
    assert "\u25a0 119 yea · \u25a0 0 nay" in chart_text
    assert "\u25a0 0 yea · \u25a0 22 nay" in chart_text
    # The NDP caucus voted as one, so nobody is marked against their party.
    assert not page.xpath("//li[contains(@class, 'dissent')]")
    ashton = page.xpath("//li[a[normalize-space()='Niki Ashton']]")[0]
    assert "Nay" in ashton.text_content()


def test_division_page_in_french_uses_french_words(http: httpx.Client) -> None:
    page = doc(http.get("/fr/votes/43-2/69"))
    stats = [words(li) for li in page.xpath("//ul[@class='stat-row']/li")]
    assert stats == ["Résultat Adoptée", "Pour 305", "Contre 25", "Pairés 0"]
    headings = " ".join(page.xpath("//div[@class='ballot-groups']//summary//text()"))
    assert "Libéral" in headings and "NPD" in headings and "Parti vert" in headings


def test_bill_page_has_timeline_sponsor_and_official_links(http: httpx.Client) -> None:
    # bill-45-1-C-2.xml: Strong Borders Act, "At second reading in the House of Commons",
    # sponsor Gary Anandasangaree; first reading done, second reading in progress,
    # Senate stages not reached.
    page_text = text(http.get("/bills/45-1/C-2"))
    assert "Strong Borders Act" in page_text
    assert "At second reading in the House of Commons" in page_text
    assert "Gary Anandasangaree" in page_text
    assert "House of Commons First reading — Completed" in page_text
    assert "Second reading — In progress" in page_text
    assert "Senate First reading — Not reached" in page_text
    page = doc(http.get("/bills/45-1/C-2"))
    assert page.xpath("//a[@href='https://www.parl.ca/legisinfo/en/bill/45-1/c-2']")
    french = text(http.get("/fr/bills/45-1/C-2"))
    assert "Loi visant une sécurité rigoureuse à la frontière" in french
    assert "À la deuxième lecture à la Chambre des communes" in french
    assert "Première lecture — Terminée" in french


def test_bill_with_royal_assent_shows_both_chambers(http: httpx.Client) -> None:
    # bill-44-1-C-11.xml: Online Streaming Act, Royal assent received, sponsor Pablo Rodriguez.
    page_text = text(http.get("/bills/44-1/C-11"))
    assert "Online Streaming Act" in page_text
    # Royal assent on 2023-04-27 (the capture's RoyalAssent event): a law, every stop done.
    assert "Law: royal assent received on April 27, 2023" in page_text
    steps = doc(http.get("/bills/44-1/C-11")).xpath("//ol[@class='tracker-steps']/li/@class")
    assert len(steps) == 11 and set(steps) == {"step step-done"}
    assert "Pablo Rodriguez" in page_text
    headings = doc(http.get("/bills/44-1/C-11")).xpath("//section[h2[@id='timeline']]/h3/text()")
    assert headings[:2] == ["House of Commons", "Senate"] and headings[-1] == "Royal assent"


def test_sitting_page_in_both_languages_keeps_the_same_anchors(http: httpx.Client) -> None:
    # HAN002-E/F-421.xml: 42-1 No. 002, Friday, December 4, 2015; 78 items (42
    # interventions, 12 turns printed inside them, 24 notes) with the same ids in both
    # editions; the 15th is Dominic LeBlanc's "Mr. Speaker, there have been discussions…" /
    # "Monsieur le Président, il y a eu consultations…".
    english = doc(http.get("/debates/42-1/2"))
    french = doc(http.get("/fr/debates/42-1/2"))
    en_ids = english.xpath("//article[@class='speech']/@id")
    assert len(en_ids) == 78 and en_ids == french.xpath("//article[@class='speech']/@id")
    assert "December 4, 2015" in english.findtext(".//h1")
    assert "4 décembre 2015" in french.findtext(".//h1")
    sixth_en = english.xpath("//article[@id='s-15']")[0].text_content()
    sixth_fr = french.xpath("//article[@id='s-15']")[0].text_content()
    assert "Mr. Speaker, there have been discussions among the parties" in sixth_en
    assert "Monsieur le Président, il y a eu consultations entre les partis" in sixth_fr
    toc_fr = french.xpath("//nav[contains(@class, 'toc')]//a/text()")
    assert "Les serments d'office" in toc_fr and "Le discours du Trône" in toc_fr
    switch = french.xpath("//article[@id='s-6']//a[@hreflang='en']/@href")
    assert switch == ["/debates/42-1/2#s-6"]


def test_sitting_without_french_edition_falls_back_to_marked_english(http: httpx.Client) -> None:
    # HAN005-E-441.xml is captured in English only (44-1 No. 005, 2021-11-26).
    page = doc(http.get("/fr/debates/44-1/5"))
    assert "26 novembre 2021" in page.findtext(".//h1")
    assert page.xpath("//p[@class='notice']")
    bodies = page.xpath("//article[@class='speech']/div")
    assert bodies and all(body.get("lang") == "en" for body in bodies)


def test_long_sitting_is_split_into_parts_that_link_each_speech(http: httpx.Client) -> None:
    # HAN086-E-412.xml: 589 items (479 interventions, the turns inside them, written
    # questions and answers, notes, division tables) → parts of 100: 1-100, …, 501-589.
    first = doc(http.get("/debates/41-2/86"))
    assert len(first.xpath("//article[@class='speech']")) == 100
    top, bottom = first.xpath("//nav[@class='part-nav']")
    parts = [f"/debates/41-2/86?part={n}" for n in range(2, 7)]
    # The parts are linked above the speeches and again below them.
    assert top.xpath(".//a/@href") == parts == bottom.xpath(".//a/@href")
    in_order = list(first.iter())
    speech = first.xpath("//article[@class='speech']")[0]
    assert in_order.index(top) < in_order.index(speech) < in_order.index(bottom)
    last = doc(http.get("/debates/41-2/86?part=6"))
    ids = last.xpath("//article[@class='speech']/@id")
    assert ids[0] == "s-501" and len(ids) == 89
    assert http.get("/debates/41-2/86?part=7").status_code == 404
    speech = doc(http.get("/debates/41-2/86/250"))
    assert speech.xpath("//a[@href='/debates/41-2/86?part=3#s-250']")
    # The contents are the whole sitting's on every part: its orders of business in order
    # (Government Orders twice: the House went back to them after the adjournment
    # proceedings), the subjects under each, a petition's topic under "Petitions".
    sections = "//nav[contains(@class, 'toc')]/ol/li/a"
    titles = [
        "Statements by Members",
        "Oral Questions",
        "Routine Proceedings",
        "Government Orders",
        "Private Members' Business",
        "Adjournment Proceedings",
        "Government Orders",
    ]
    second = doc(http.get("/debates/41-2/86?part=2"))
    assert [a.text for a in first.xpath(sections)] == titles
    assert [a.text for a in second.xpath(sections)] == titles
    # On part 1 the statements are on the page; on part 2 their links go back to part 1,
    # and the routine proceedings (speeches 108-189) are on the page.
    assert first.xpath(sections)[0].get("href") == "#s-3"
    assert second.xpath(sections)[0].get("href") == "/debates/41-2/86#s-3"
    assert first.xpath(sections)[2].get("href") == "/debates/41-2/86?part=2#s-108"
    assert second.xpath(sections)[2].get("href") == "#s-108"
    petitions = second.xpath("//nav[contains(@class, 'toc')]/ol/li/ol/li[a = 'Petitions']/ol/li/a")
    assert [(a.get("href"), a.text) for a in petitions] == [
        ("#s-115", "Agriculture"),
        ("#s-116", "Canada Post"),
        ("#s-117", "Democratic Reform"),
        ("#s-118", "Canada Post"),
        ("#s-119", "Agriculture"),
        ("#s-120", "Abortion"),
        ("#s-121", "Democratic Reform"),
    ]
    adjournment = second.xpath(sections)[5]
    assert adjournment.get("href") == "/debates/41-2/86?part=3#s-292"
    assert adjournment.xpath("../ol/li/a/@href") == ["/debates/41-2/86?part=3#s-293"]
    assert adjournment.xpath("../ol/li/a/text()") == ["Fisheries and Oceans"]
    # Every anchor on the page's own part lands on a speech of the page.
    ids = set(second.xpath("//article[@class='speech']/@id"))
    local = [h for h in second.xpath("//nav[contains(@class, 'toc')]//a/@href") if h[0] == "#"]
    assert local and {h[1:] for h in local} <= ids


def test_member_page_shows_terms_record_and_activity(http: httpx.Client, member_id: int) -> None:
    # Ziad Aboultaif: Conservative, Edmonton Manning (AB); Yea in 43-2 No. 69.
    response = http.get(f"/members/{member_id}")
    page_text = text(response)
    assert "Ziad Aboultaif" in page_text and "Edmonton Manning" in page_text
    assert "Conservative" in page_text and "Alberta" in page_text
    record = doc(response).xpath(
        "//section[h2[@id='record']]//table[caption='Recent divisions']/tbody/tr"
    )
    first = " ".join(record[0].text_content().split())
    assert "Division No. 69" in first and "Yea" in first and "Agreed to" in first
    feed = doc(response).xpath(
        "//link[@type='application/atom+xml'][contains(@href, '/feeds/members/')]"
    )
    assert feed


def test_lists_filter_like_the_api(http: httpx.Client) -> None:
    # 42-1 legacy divisions list: 880 divisions of which 252 Negatived; 43-2 No. 69 Agreed To.
    negatived = doc(http.get("/votes", params={"result": "negatived"}))
    badges = negatived.xpath("//tbody//span[contains(@class, 'badge')]/text()")
    assert len(badges) == 50 and set(badges) == {"Negatived"}
    assert negatived.xpath("//a[@rel='next']")
    in_43_2 = doc(http.get("/votes", params={"session": "43-2"}))
    assert len(in_43_2.xpath("//tbody/tr")) == 1
    bloc = doc(http.get("/members", params={"party": "Bloc Québécois", "province": "QC"}))
    parties = {" ".join(t.split()) for t in bloc.xpath("//tbody/tr/td[2]//text()") if t.strip()}
    assert parties == {"Bloc Québécois"}
    provinces = set(bloc.xpath("//tbody/tr/td[4]/text()"))
    assert provinces == {"Quebec"}
    named = doc(http.get("/members", params={"name": "Aboultaif", "status": "all"}))
    assert [a.text for a in named.xpath("//tbody//a")] == ["Ziad Aboultaif"]
    government = doc(http.get("/bills", params={"session": "44-1"}))
    numbers = set(government.xpath("//tbody/tr/td[1]/a/text()"))
    assert numbers == {"C-11", "C-291"}


def test_bad_filters_are_explained_not_crashed(http: httpx.Client) -> None:
    response = http.get("/votes", params={"from": "yesterday"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "from: expected a date" in response.text


def test_search_highlights_and_filters(http: httpx.Client) -> None:
    response = http.get("/search", params={"q": "firearms"})
    page = doc(response)
    assert page.xpath("//section[h2[@id='r-speeches']]//mark")
    assert page.xpath("//section[h2[@id='r-bills']]//mark")
    speeches_only = doc(http.get("/search", params={"q": "firearms", "type": "speech"}))
    assert not speeches_only.xpath("//section[h2[@id='r-bills']]")
    french = doc(http.get("/fr/search", params={"q": "Président"}))
    assert french.xpath("//section[h2[@id='r-speeches']]//mark")


def test_home_page_shows_latest_activity_and_freshness(http: httpx.Client) -> None:
    page = doc(http.get("/"))
    votes = page.xpath("//section[h2[@id='latest-votes']]//li/a/text()")
    # 44-1 No. 333, printed in the sitting of 2023-05-18: the newest division.
    assert "Division No. 333" in votes[0]
    assert page.xpath("//section[h2[@id='active-bills']]//a[contains(@href, '/bills/45-1/C-2')]")
    # HAN200-E-441.xml, the newest sitting: its topics, linked to their first speech.
    sitting = page.xpath("//section[h2[@id='latest-sitting']]")[0]
    assert "May 18, 2023" in " ".join(sitting.xpath("./h2//text()"))
    assert sitting.xpath(".//a[@href='/debates/44-1/200']")
    topics = sitting.xpath(".//ul[contains(@class, 'topics')]/li/a/@href")
    assert topics and all(t.startswith("/debates/44-1/200") and "#s-" in t for t in topics)
    # Freshness in one calm line, no badge.
    line = page.xpath("//p[@class='freshness-line']")[0]
    assert "from the official sources" in line.text_content() and not page.xpath(
        "//main//*[@class='badge']"
    )


def test_status_page_reports_sources_and_checks(http: httpx.Client) -> None:
    response = http.get("/status")
    assert response.headers["cache-control"] == "no-store"
    page = doc(response)
    sources = page.xpath("//section[h2[@id='sources']]//tbody/tr")
    assert len(sources) >= 5
    checks = " ".join(page.xpath("//section[h2[@id='checks']]//li//text()"))
    assert "ballots_match_totals" in checks
    assert "No open incident." in text(response)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_feeds_are_valid_atom(http: httpx.Client, member_id: int, lang: str) -> None:
    prefix = "/fr" if lang == "fr" else ""
    for path in ("/feeds/votes.atom", "/feeds/bills.atom", f"/feeds/members/{member_id}.atom"):
        response = http.get(prefix + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
        root = etree.fromstring(response.content)
        assert root.tag == f"{ATOM}feed"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        for required in ("id", "title", "updated"):
            assert root.findtext(f"{ATOM}{required}"), (path, required)
        entries = root.findall(f"{ATOM}entry")
        assert entries, path
        for entry in entries:
            assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}title")
            assert re.match(r"\d{4}-\d\d-\d\dT", entry.findtext(f"{ATOM}updated") or "")
            link = entry.find(f"{ATOM}link")
            assert link is not None
            assert (link.get("href") or "").startswith("https://openpolicy.example" + prefix + "/")
    votes = etree.fromstring(http.get(prefix + "/feeds/votes.atom").content)
    first = votes.find(f"{ATOM}entry")
    assert first is not None
    assert first.findtext(f"{ATOM}summary") == (
        # 44-1 No. 333 (2023-05-18), its printed totals.
        "Adoptée : 207 pour, 113 contre" if lang == "fr" else "Agreed to: 207 yeas, 113 nays"
    )


def test_pages_are_compressed_and_small(http: httpx.Client, member_id: int) -> None:
    for name in PAGES:
        path = url_of(name, member_id)
        for encoding in ("br", "gzip"):
            response = http.get(path, headers={"Accept-Encoding": encoding})
            assert response.headers["content-encoding"] == encoding, (path, encoding)
            assert "accept-encoding" in response.headers["vary"].lower()
            assert int(response.headers["content-length"]) < SIZE_LIMIT_COMPRESSED, path
        plain = http.get(path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert len(gzip.compress(plain.content)) < SIZE_LIMIT_COMPRESSED
    # The longest sitting of the sample (HAN086-E-412.xml, 479 interventions, 683 KB of XML)
    # is served in parts of 100 speeches, each far under the budget.
    for part in range(1, 6):
        big = http.get(f"/debates/41-2/86?part={part}", headers={"Accept-Encoding": "br"})
        assert big.status_code == 200
        assert int(big.headers["content-length"]) < SIZE_LIMIT_COMPRESSED


def test_api_and_operations_paths_keep_their_shape(http: httpx.Client) -> None:
    health = http.get("/health", headers={"Accept-Encoding": "br"})
    assert health.headers["content-type"] == "application/json"
    assert "content-encoding" not in health.headers
    missing_api = http.get("/api/v1/no-such-thing")
    assert missing_api.status_code == 404
    assert missing_api.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/bills/45-1/C-999", "Page not found"),
        ("/fr/bills/45-1/C-999", "Page introuvable"),
        ("/votes/43-2/9999", "Page not found"),
        ("/votes/43-2/abc", "Page not found"),
        ("/members/999999", "Page not found"),
        ("/no/such/page", "Page not found"),
        ("/fr/aucune/page", "Page introuvable"),
    ],
)
def test_not_found_pages_help_in_the_readers_language(
    http: httpx.Client, path: str, words: str
) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = doc(response)
    assert page.findtext(".//h1") == words
    assert page.xpath("//form[@role='search']") and page.xpath("//meta[@name='robots']")


def test_unknown_path_without_html_accept_stays_problem_json(http: httpx.Client) -> None:
    response = http.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_server_error_page_for_readers_problem_for_clients(web_settings: Settings) -> None:
    app = create_app(web_settings)
    crashing = APIRouter(tags=[WEB_TAG])

    @crashing.get("/fr/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    app.include_router(crashing)
    with TestClient(app, raise_server_exceptions=False, base_url=LOCAL) as client:
        response = client.get("/fr/boom")
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/html")
        assert "Une erreur s’est produite de notre côté" in response.text
        assert "a bug" not in response.text


def test_database_down_is_a_503_page(web_settings: Settings) -> None:
    from pydantic import SecretStr

    down = web_settings.model_copy(
        update={
            "database_url": SecretStr(f"postgresql://nobody@127.0.0.1:{free_port()}/none"),
            "db_connect_timeout_seconds": 1,
            "db_pool_timeout_seconds": 1.0,
        }
    )
    with TestClient(create_app(down), raise_server_exceptions=False, base_url=LOCAL) as client:
        response = client.get("/bills", headers={"Accept": "text/html"})
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    assert "Temporarily unavailable" in response.text


def test_maintenance_page_while_switch_is_on(web_settings: Settings) -> None:
    forced = web_settings.model_copy(update={"maintenance_mode": True})
    with TestClient(create_app(forced), raise_server_exceptions=False, base_url=LOCAL) as client:
        page = client.get("/fr/votes/43-2/69")
        assert page.status_code == 503 and page.headers["retry-after"]
        assert "En maintenance" in page.text
        status = client.get("/status")
        assert status.status_code == 200  # the status page stays up to explain
        assert "Down for maintenance" in status.text
