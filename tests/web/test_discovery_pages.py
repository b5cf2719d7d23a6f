"""Search, members, party cohesion and the home page over plain HTTP, in both languages,
against the bundled real sample (expected values read off tests/fixtures/, see comments)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from lxml import etree, html


def doc(response: httpx.Response) -> html.HtmlElement:
    assert response.status_code == 200, response.text[:500]
    return html.fromstring(response.content)


def words(element: html.HtmlElement) -> str:
    return " ".join(" ".join(element.itertext()).split())


# --- search ----------------------------------------------------------------------------


def test_search_mixes_every_kind_with_counts(http: httpx.Client) -> None:
    page = doc(http.get("/search", params={"q": "housing"}))
    tabs = {words(a) for a in page.xpath("//nav[@class='tabs']//a")}
    assert any(t.startswith("Speeches ") for t in tabs)
    assert any(t.startswith("Divisions ") for t in tabs)
    # votes-42-1-legacy-2018.xml No. 394: "...(right to housing)", 42 yeas, 243 nays, 2 paired.
    division = page.xpath("//section[h2[@id='r-divisions']]//li")[0]
    assert "right to housing" in words(division)
    assert division.xpath(".//a/@href")[0] == "/votes/42-1/394"
    assert division.xpath(".//svg[@class='yn-bar']/@aria-label") == ["42 yeas, 243 nays, 2 paired"]
    # Bills C-264 and C-325 (bills-42-1-legacy-2018.xml) are titled "(right to housing)".
    bills = page.xpath("//section[h2[@id='r-bills']]//li//a/@href")
    assert {"/bills/42-1/C-264", "/bills/42-1/C-325"} <= set(bills)
    # The first speeches have the word as typed, highlighted as typed.
    marks = page.xpath("//section[h2[@id='r-speeches']]//li[1]//mark/text()")
    assert marks and {m.lower() for m in marks} == {"housing"}


def test_search_facets_filter_and_count(http: httpx.Client) -> None:
    page = doc(http.get("/search", params={"q": "housing"}))
    party_links = page.xpath("//aside[@class='facets']//h3[.='Party']/following-sibling::ul[1]//li")
    assert party_links
    first = party_links[0]
    count = int(first.xpath(".//span[@class='count']/text()")[0].replace(",", ""))
    href = first.xpath(".//a/@href")[0]
    assert "party=" in href and "type=speech" in href
    narrowed = doc(http.get(href))
    heading = words(narrowed.xpath("//h2[@id='r-speeches']")[0])
    assert f"({count})" in heading
    years = page.xpath("//aside[@class='facets']//h3[.='Year']/following-sibling::ul[1]//a/@href")
    assert years and all(re.search(r"from=\d{4}-01-01&to=\d{4}-12-31", y) for y in years)


def test_search_trend_chart_has_a_text_equivalent(http: httpx.Client) -> None:
    page = doc(http.get("/search", params={"q": "housing"}))
    svg = page.xpath("//section[@class='trend']//svg[@role='img']")[0]
    assert svg.xpath("./title/text()") and svg.xpath("./desc/text()")
    assert svg.get("aria-labelledby") == "trend-title trend-desc"
    rows = page.xpath("//section[@class='trend']//table/tbody/tr")
    total = sum(int(r.xpath("./td[1]/text()")[0].replace(",", "")) for r in rows)
    speeches = words(page.xpath("//h2[@id='r-speeches']")[0])
    assert f"({total})" in speeches
    french = doc(http.get("/fr/search", params={"q": "logement"}))
    assert french.xpath("//section[@class='trend']//svg/title[contains(., 'mois par mois')]")


def test_search_names_presiding_officers_and_sub_headings(http: httpx.Client) -> None:
    page = doc(http.get("/search", params={"q": "order", "type": "speech", "sort": "newest"}))
    metas = [
        words(m) for m in page.xpath("//li[contains(@class, 'hit-speech')]/div[@class='meta']")
    ]
    assert any(m.startswith(("The Speaker", "The Deputy Speaker")) for m in metas)
    housing = doc(http.get("/search", params={"q": "housing", "type": "speech"}))
    # HAN200-E-441.xml: "Business of Supply" — "Opposition Motion—Opioid Crisis".
    assert housing.xpath("//li[contains(@class,'hit-speech')]//span[@class='subheading']")
    french = doc(http.get("/fr/search", params={"q": "ordre", "type": "speech"}))
    assert french.xpath("//li[contains(@class, 'hit-speech')]")


def test_french_search_marks_english_subjects(http: httpx.Client) -> None:
    # Division subjects of the legacy lists are English only (no French subject).
    page = doc(http.get("/fr/search", params={"q": "C-325", "type": "division"}))
    item = page.xpath("//li[contains(@class,'hit-division')]")[0]
    assert item.xpath(".//span[@lang='en']")
    assert "(en anglais seulement)" in words(item)
    assert item.xpath(".//svg[@class='yn-bar']/@aria-label") == ["42 pour, 243 contre, 2 pairés"]


def test_search_pages_follow_with_the_kind_kept(http: httpx.Client) -> None:
    page = doc(http.get("/search", params={"q": "the house", "type": "speech"}))
    nxt = page.xpath("//a[@rel='next']/@href")
    assert nxt and "type=speech" in nxt[0] and "cursor=" in nxt[0]
    second = doc(http.get(nxt[0]))
    first_ids = page.xpath("//li[contains(@class,'hit-speech')]/a[1]/@href")
    second_ids = second.xpath("//li[contains(@class,'hit-speech')]/a[1]/@href")
    assert second_ids and not set(first_ids) & set(second_ids)


# --- members ---------------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def member_link(http: httpx.Client) -> str:
    """Ziad Aboultaif's page, found on division 43-2 No. 69 as a reader would."""
    page = doc(http.get("/votes/43-2/69"))
    return str(page.xpath("//a[normalize-space()='Ziad Aboultaif']/@href")[0])


def test_members_are_listed_a_to_z_with_initials(http: httpx.Client) -> None:
    # The sitting members are those of members-current-45.xml, by last name then first.
    source = etree.parse(str(FIXTURES / "ourcommons" / "members-current-45.xml"))
    people = sorted(
        (
            m.findtext("PersonOfficialLastName", "").lower(),
            m.findtext("PersonOfficialFirstName", "").lower(),
            f"{m.findtext('PersonOfficialFirstName')} {m.findtext('PersonOfficialLastName')}",
        )
        for m in source.iter("MemberOfParliament")
    )
    page = doc(http.get("/members"))
    rows = page.xpath("//tbody/tr")
    names = [words(r.xpath("./td[1]/a")[0]) for r in rows]
    assert names[:5] == [name for _last, _first, name in people[:5]]
    assert rows[0].xpath("./td[1]/span[@class='avatar'][@aria-hidden='true']/text()") == ["ZA"]
    french = doc(http.get("/fr/members"))
    assert [words(a) for a in french.xpath("//tbody/tr/td[1]/a")][:5] == names[:5]


def test_member_participation_is_explained_and_drawn_year_by_year(http: httpx.Client) -> None:
    path = member_link(http)
    page = doc(http.get(path))
    # No image URL in the members feed: a placeholder with the initials, hidden from readers.
    assert page.xpath("//div[contains(@class,'photo-initials')][@aria-hidden='true']/text()") == [
        "ZA"
    ]
    stats = words(page.xpath("//ul[@class='stat-row']")[0])
    # vote-43-2-69.xml (2021-03-10): his only division on file, Yea with all 119 Conservatives.
    assert "Participation 100.0% voted in 1 of 1 divisions" in stats
    assert "Votes against their party 0.0% 0 ballots" in stats
    assert "How we count" in words(page.xpath("//p[contains(@class,'method')]")[0])
    svg = page.xpath("//figure[@class='series']/svg[@role='img']")[0]
    assert svg.get("aria-labelledby") == "record-years-title record-years-desc"
    assert "2021: voted in 100.0%, against their party 0.0%" in svg.xpath("./desc/text()")[0]
    rows = page.xpath("//details[@class='series-table']//tbody/tr")
    assert [words(r) for r in rows] == ["2021 1 1 100.0% 0 0.0%"]
    french = doc(http.get("/fr" + path))
    assert "a voté dans 1 des 1 votes" in words(french.xpath("//ul[@class='stat-row']")[0])
    assert "Notre méthode" in words(french.xpath("//p[contains(@class,'method')]")[0])
    assert french.xpath("//figure[@class='series']/svg/title[contains(., 'par année')]")


# --- French pages mark English source text -------------------------------------------------


def test_french_division_lists_mark_english_subjects(http: httpx.Client) -> None:
    # The 42-1 legacy list (votes-42-1-legacy-2018.xml) gives subjects in English only.
    page = doc(http.get("/fr/votes", params={"session": "42-1"}))
    marked = page.xpath("//tbody/tr//a/span[@lang='en']")
    assert marked
    assert all(
        words(span.getnext()) == "(en anglais seulement)"
        and span.getnext().get("class") == "untranslated"
        for span in marked
    )
    english = doc(http.get("/votes", params={"session": "42-1"}))
    assert not english.xpath("//tbody/tr//span[@lang='en']")
    assert not english.xpath("//*[@class='untranslated']")


# --- home ------------------------------------------------------------------------------


def test_home_tells_what_happened(http: httpx.Client) -> None:
    page = doc(http.get("/"))
    # HAN200-E-441.xml (2023-05-18): "Business of Supply" is among its topics.
    sitting = page.xpath("//section[h2[@id='latest-sitting']]")[0]
    topics = {words(a): a.get("href") for a in sitting.xpath(".//ul/li/a")}
    assert "Business of Supply" in topics
    assert topics["Business of Supply"].startswith("/debates/44-1/200")
    # The divisions of that day (44-1 Nos. 332 and 333), each with its yea/nay bar.
    divisions = page.xpath("//section[h2[@id='latest-votes']]//li")
    assert [d.xpath("./a/@href")[0] for d in divisions][:2] == [
        "/votes/44-1/333",
        "/votes/44-1/332",
    ]
    assert all(d.xpath(".//svg[@class='yn-bar']") for d in divisions)
    french = doc(http.get("/fr"))
    assert french.xpath("//section[h2[@id='latest-sitting']]//ul/li/a")
    assert "sources officielles" in words(french.xpath("//p[@class='freshness-line']")[0])


def test_party_cohesion_per_session(http: httpx.Client) -> None:
    # vote-43-2-69.xml, the sample's division with ballots: 150 Liberals, 119 Conservatives,
    # 32 Bloc Québécois yea; 22 NDP and 3 Green Party nay; 4 Independents (left out).
    page = doc(http.get("/parties"))
    section = page.xpath("//section[h2[@id='session-43-2']]")[0]
    rows = {words(r.xpath("./th")[0]): r for r in section.xpath(".//tbody/tr")}
    assert list(rows) == ["Liberal", "Conservative", "Bloc Québécois", "NDP", "Green Party"]
    assert [words(td) for td in rows["NDP"].xpath("./td")] == [
        "100.0%",
        "1",
        "0 (0.0%)",
        "0 (0.0%)",
    ]
    method = words(page.xpath("//p[contains(@class,'method')]")[0])
    assert "How we count" in method and "(100% when all its members voted alike" in method
    members = doc(http.get("/members"))
    assert members.xpath("//main//a[@href='/parties']")
    french = doc(http.get("/fr/parties"))
    assert words(french.xpath("//h1")[0]) == "Cohésion des partis"
    assert "(100 % quand" in words(french.xpath("//p[contains(@class,'method')]")[0])
    french_rows = french.xpath("//section[h2[@id='session-43-2']]//tbody/tr/th")
    assert "NPD" in [words(th) for th in french_rows]
