"""Search, members, party cohesion and the home page over plain HTTP, in both languages,
against the bundled real sample (expected values read off tests/fixtures/, see comments)."""

from __future__ import annotations

import re

import httpx
from lxml import html


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
    # votes-42-1-legacy-2018.xml No. 394: "...(right to housing)", 42 yeas, 243 nays.
    division = page.xpath("//section[h2[@id='r-divisions']]//li")[0]
    assert "right to housing" in words(division)
    assert division.xpath(".//a/@href")[0] == "/votes/42-1/394"
    assert "42 yeas, 243 nays" in words(division)
    assert division.xpath(".//span[@class='votebar']/svg[@aria-hidden='true']")
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
    assert "42 pour, 243 contre" in words(item)


def test_search_pages_follow_with_the_kind_kept(http: httpx.Client) -> None:
    page = doc(http.get("/search", params={"q": "the house", "type": "speech"}))
    nxt = page.xpath("//a[@rel='next']/@href")
    assert nxt and "type=speech" in nxt[0] and "cursor=" in nxt[0]
    second = doc(http.get(nxt[0]))
    first_ids = page.xpath("//li[contains(@class,'hit-speech')]/a[1]/@href")
    second_ids = second.xpath("//li[contains(@class,'hit-speech')]/a[1]/@href")
    assert second_ids and not set(first_ids) & set(second_ids)
