"""Bills, divisions and sittings at a glance (issue 17, part B) over plain HTTP against the
bundled real sample: short labels and yea/nay bars in lists, official totals drawn while
ballots are pending, "how did my MP vote?" with no script, previous / next pages with
counts. Expected values are read off the captures in tests/fixtures/ (noted per test).
"""

from __future__ import annotations

import httpx
from lxml import html


def doc(response: httpx.Response) -> html.HtmlElement:
    assert response.status_code == 200, response.text[:500]
    return html.fromstring(response.content)


def words(element: html.HtmlElement) -> str:
    return " ".join(" ".join(element.itertext()).split())


def test_division_list_rows_have_short_labels_bars_and_twins_told_apart(
    http: httpx.Client,
) -> None:
    # votes-42-1.xml: Nos. 877 and 878 (2018-06-20) are both "3rd reading and adoption of
    # Bill C-69, An Act to enact the Impact Assessment Act …", 168–132 and 169–131.
    page = doc(http.get("/votes", params={"session": "42-1", "bill": "C-69"}))
    rows = {words(row.xpath("td")[1]): row for row in page.xpath("//tbody/tr")}
    first = "3rd reading and adoption of Bill C-69 No. 877 · 42-1 · Bill C-69 · vote 1 of 2 on"
    second = "3rd reading and adoption of Bill C-69 No. 878 · 42-1 · Bill C-69 · vote 2 of 2 on"
    assert first + " these words that day" in rows
    assert second + " these words that day" in rows
    bar = rows[first + " these words that day"].xpath(".//svg[@role='img']")[0]
    assert bar.get("aria-label") == "168 yeas, 132 nays"
    # Every row of the list has its bar, and no label repeats the bill's long title.
    assert len(page.xpath("//tbody/tr//svg[@class='yn-bar']")) == len(rows) == 14
    assert not [label for label in rows if "Impact Assessment Act" in label]
    assert words(page.xpath("//p[@class='result-count']")[0]) == "14 divisions"


def test_french_lists_mark_english_subjects(http: httpx.Client) -> None:
    # The 42-1 divisions of votes-42-1.xml have English subjects only.
    page = doc(http.get("/fr/votes", params={"session": "42-1", "bill": "C-69"}))
    marked = page.xpath("//tbody/tr/td[2]/a/span[@lang='en']")
    assert len(marked) == 14 and all("Bill C-69" in words(span) for span in marked)
    notes = page.xpath("//tbody/tr/td[2]/a/span[@class='untranslated']")
    assert len(notes) == len(marked) and words(notes[0]) == "(en anglais seulement)"
    assert page.xpath("//tbody/tr//svg/@aria-label")[0].endswith("contre")


def test_pending_division_draws_its_official_totals(http: httpx.Client) -> None:
    # HAN195-E-441.xml names 44-1 No. 333 (2023-05-18): 207 yeas, 113 nays, 4 paired as
    # printed; its ballots document is not in the sample (ballots pending).
    page = doc(http.get("/votes/44-1/333"))
    bar = page.xpath("//div[@class='totals-bar']//svg[@role='img']")[0]
    assert bar.get("aria-label") == "207 yeas, 113 nays, 4 paired"
    assert page.xpath("//div[@class='totals-bar']/div[contains(@class, 'yn-pending')]")
    assert "ballots pending" in words(page.xpath("//p[@class='notice']")[0])
    assert not page.xpath("//svg[@class='chart']")  # no party chart without ballots
    answer = doc(http.get("/votes/44-1/333", params={"mp": "Poilievre"}))
    assert "not published yet" in words(answer.xpath("//div[@class='lookup-result']")[0])


def test_how_did_my_mp_vote_by_name_or_riding_without_script(http: httpx.Client) -> None:
    # vote-43-2-69.xml: Ziad Aboultaif (Edmonton Manning, Conservative) voted Yea; Niki
    # Ashton (Churchill—Keewatinook Aski, NDP) voted Nay.
    by_riding = doc(http.get("/votes/43-2/69", params={"mp": "edmonton manning"}))
    found = [words(li) for li in by_riding.xpath("//div[@class='lookup-result']//li")]
    assert found == ["Ziad Aboultaif (Edmonton Manning, Conservative) — Yea"]
    by_name = doc(http.get("/votes/43-2/69", params={"mp": "niki ashton"}))
    found = [words(li) for li in by_name.xpath("//div[@class='lookup-result']//li")]
    assert len(found) == 1 and found[0].startswith("Niki Ashton") and found[0].endswith("Nay")
    french = doc(http.get("/fr/votes/43-2/69", params={"mp": "Aboultaif"}))
    assert words(french.xpath("//div[@class='lookup-result']//li")[0]).endswith("Pour")
    nobody = doc(http.get("/votes/43-2/69", params={"mp": "Nobody Atall"}))
    assert "No member named “Nobody Atall”" in words(nobody)


def test_ballots_are_grouped_by_party_in_collapsible_groups(http: httpx.Client) -> None:
    page = doc(http.get("/votes/43-2/69"))
    groups = page.xpath("//div[@class='ballot-groups']/details")
    assert len(groups) == 6  # Liberal, Conservative, Bloc, NDP, Independent, Green
    assert sum(len(group.xpath(".//li")) for group in groups) == 330
    assert not [group for group in groups if group.get("open") is not None]  # nobody dissented


def test_lists_page_back_and_forth_with_counts(http: httpx.Client) -> None:
    # votes-42-1.xml: 880 divisions in 42-1; 50 a page.
    first = doc(http.get("/votes", params={"session": "42-1"}))
    assert words(first.xpath("//p[@class='result-count']")[0]) == "880 divisions · 50 on this page"
    assert not first.xpath("//a[@rel='prev']")
    first_rows = [words(r) for r in first.xpath("//tbody/tr")]
    second = doc(http.get(first.xpath("//a[@rel='next']/@href")[0]))
    second_rows = [words(r) for r in second.xpath("//tbody/tr")]
    assert len(second_rows) == 50 and not set(first_rows) & set(second_rows)
    third = doc(http.get(second.xpath("//a[@rel='next']/@href")[0]))
    back = doc(http.get(third.xpath("//a[@rel='prev']/@href")[0]))
    assert [words(r) for r in back.xpath("//tbody/tr")] == second_rows
    again = doc(http.get(back.xpath("//a[@rel='prev']/@href")[0]))
    assert [words(r) for r in again.xpath("//tbody/tr")] == first_rows
    assert not again.xpath("//a[@rel='prev']")  # the first page again: nothing before it
    assert "session=42-1" in back.xpath("//a[@rel='prev']/@href")[0]  # filters kept
    bills = doc(http.get("/bills", params={"session": "42-1"}))
    assert words(bills.xpath("//p[@class='result-count']")[0]).endswith("on this page")
    french = doc(http.get("/fr/votes", params={"session": "42-1"}))
    assert words(french.xpath("//p[@class='result-count']")[0]) == "880 votes · 50 sur cette page"


def test_bill_tracker_names_where_the_bill_stands(http: httpx.Client) -> None:
    # bills-42-1 (legacy LEGISinfo): C-69 passed every House stage, then "Introduction and
    # First Reading" in the Senate on 2018-06-20, no royal assent in the capture.
    page = doc(http.get("/bills/42-1/C-69"))
    assert words(page.xpath("//p[@class='plain-status']")[0]).startswith(
        "In the Senate: First reading since June 20, 2018"
    )
    chambers = page.xpath("//nav[@class='tracker']/ol/li")
    names = [words(c.xpath("span[@class='tracker-chamber-name']")[0]) for c in chambers]
    assert names == ["House of Commons", "Senate", "Royal assent"]
    states = [
        [step.get("class").removeprefix("step step-") for step in c.xpath(".//li")]
        for c in chambers
    ]
    assert states == [["done"] * 5, ["current"] + ["todo"] * 4, ["todo"]]
    current = page.xpath("//li[@aria-current='step']")
    assert len(current) == 1 and "First reading" in words(current[0])


def test_bill_tracker_of_a_projected_path_ends_with_royal_assent(http: httpx.Client) -> None:
    # bill-45-1-C-2.xml: first reading done, second reading in progress, every later stage
    # of both chambers "not reached".
    page = doc(http.get("/fr/bills/45-1/C-2"))
    status = words(page.xpath("//p[@class='plain-status']")[0])
    assert status.startswith("À la Chambre des communes : Deuxième lecture depuis le 17")
    steps = page.xpath("//nav[@class='tracker']//ol[@class='tracker-steps']/li")
    assert [s.get("class").removeprefix("step step-") for s in steps] == (
        ["done", "current"] + ["todo"] * 9
    )
    assert words(steps[-1]) == "Sanction royale à venir"


def test_repeated_debate_days_are_one_row_and_divisions_have_bars(http: httpx.Client) -> None:
    # C-69's history: "Debate at Second Reading" on seven events over three days
    # (2018-02-14, 02-27 twice, 03-02 four times); 14 divisions name the bill.
    page = doc(http.get("/bills/42-1/C-69"))
    rows = [words(li) for li in page.xpath("//ol[@class='timeline']/li")]
    debate = [row for row in rows if row.startswith("Debate at Second Reading")]
    assert debate == [
        "Debate at Second Reading 3 sitting days, Feb 14, 2018 to Mar 2, 2018"
        " Feb 14, 2018 · Feb 27, 2018 · Mar 2, 2018"
    ]
    assert len([row for row in rows if row.startswith("Debate at 3rd Reading")]) == 1
    divisions = page.xpath("//ul[contains(@class, 'divisions')]/li")
    assert len(divisions) == 14
    assert all(li.xpath(".//svg[@class='yn-bar']") for li in divisions)
    labels = [words(li.xpath(".//a")[0]) for li in divisions]
    assert "3rd reading and adoption of Bill C-69" in labels
    assert not [label for label in labels if "Impact Assessment Act" in label]
    last = divisions[-1].xpath(".//svg/@aria-label")[0]
    assert last == "169 yeas, 131 nays"  # No. 878, votes-42-1.xml


def test_status_filter_offers_a_clean_vocabulary(http: httpx.Client) -> None:
    page = doc(http.get("/bills"))
    choices = [words(o) for o in page.xpath("//select[@name='status']/option")]
    assert choices == [
        "Any status",
        "At first reading",
        "At second reading",
        "In committee",
        "At report stage",
        "At third reading",
        "Royal assent received",
        "Defeated or withdrawn",
    ]
    # Both wordings LEGISinfo used ("Royal Assent" in the legacy 42-1 list, "Royal assent
    # received" in 44-1) fall under one choice.
    assented = doc(http.get("/bills", params={"status": "royal_assent", "session": "44-1"}))
    statuses = {words(td) for td in assented.xpath("//tbody/tr/td[3]")}
    assert statuses == {"Royal assent received"}
    older = doc(http.get("/bills", params={"status": "royal_assent", "session": "42-1"}))
    assert {words(td) for td in older.xpath("//tbody/tr/td[3]")} == {"Royal Assent"}
    chosen = older.xpath("//select[@name='status']/option[@selected]/@value")
    assert chosen == ["royal_assent"]
    second = doc(http.get("/bills", params={"status": "second_reading"}))
    found = {words(td) for td in second.xpath("//tbody/tr/td[3]")}
    assert found and all("econd" in status for status in found)


def test_sittings_link_the_other_language_only_where_it_exists(http: httpx.Client) -> None:
    # HAN005-E-441.xml is captured in English only; 42-1 No. 2 in both languages.
    english_only = doc(http.get("/debates/44-1/5"))
    assert english_only.xpath("//article[@class='speech']")
    assert not english_only.xpath("//article//a[@hreflang='fr']")
    assert not doc(http.get("/fr/debates/44-1/5")).xpath("//article//a[@hreflang='en']")
    both = doc(http.get("/debates/42-1/2"))
    assert words(both.xpath("//article[@id='s-15']//a[@hreflang='fr']")[0]) == "Lire en français"


def test_sponsor_filter_is_a_type_ahead_that_works_without_script(http: httpx.Client) -> None:
    page = doc(http.get("/bills"))
    field = page.xpath("//input[@name='sponsor']")[0]
    names = page.xpath(f"//datalist[@id='{field.get('list')}']/option/@value")
    assert "Catherine McKenna" in names and len(names) == len(set(names)) > 50
    assert not page.xpath("//select[@name='sponsor']")  # no drop-down of hundreds
    # A typed name, any case and accents, finds the sponsor's bills and shows the name back.
    found = doc(http.get("/bills", params={"sponsor": "catherine mckenna", "session": "42-1"}))
    assert found.xpath("//input[@name='sponsor']/@value") == ["Catherine McKenna"]
    numbers = {words(a) for a in found.xpath("//tbody/tr/td[1]//a")}
    assert "C-69" in numbers  # bills-42-1: C-69 is Catherine McKenna's
    assert all("Catherine McKenna" in words(row) for row in found.xpath("//tbody/tr"))
    nobody = doc(http.get("/bills", params={"sponsor": "Nobody Atall"}))
    assert "No sponsor named “Nobody Atall”." in words(nobody)
    assert not nobody.xpath("//tbody/tr")


def test_home_page_divisions_have_bars(http: httpx.Client) -> None:
    # The latest division of the sample: 44-1 No. 333 (2023-05-18), 207–113, 4 paired, as
    # HAN195-E-441.xml prints it.
    page = doc(http.get("/"))
    items = page.xpath("//section[h2[@id='latest-votes']]//li")
    assert items and all(li.xpath(".//svg[@class='yn-bar']") for li in items)
    assert items[0].xpath(".//svg/@aria-label") == ["207 yeas, 113 nays, 4 paired"]


def test_fresh_sample_greets_the_public_calmly(http: httpx.Client) -> None:
    # The bundled sample passes its own checks: no "Degraded" badge on the home page or the
    # status page, in either language, right after it is loaded.
    for path, calm in (("/status", "All systems operational"), ("/fr/status", "fonctionnent")):
        page = words(doc(http.get(path)).xpath("//main")[0])
        assert calm in page and "Degraded" not in page and "Dégradé" not in page, path
    for path in ("/", "/fr"):
        home = words(doc(http.get(path)).xpath("//main")[0])
        assert "Degraded" not in home and "Dégradé" not in home, path


def test_members_list_pages_back_and_forth_with_counts(http: httpx.Client) -> None:
    # members-current-45.xml lists 343 sitting members (5 NDP); 100 a page, A to Z.
    first = doc(http.get("/members"))
    assert words(first.xpath("//p[@class='result-count']")[0]) == "343 members · 100 on this page"
    assert not first.xpath("//a[@rel='prev']")
    pages = [first]
    while next_links := pages[-1].xpath("//a[@rel='next']/@href"):
        pages.append(doc(http.get(next_links[0])))
    rows = [[words(r.xpath("./td[1]/a")[0]) for r in p.xpath("//tbody/tr")] for p in pages]
    assert [len(names) for names in rows] == [100, 100, 100, 43]
    links = [p.xpath("//tbody/tr/td[1]/a/@href") for p in pages]
    assert len({href for page in links for href in page}) == 343  # nobody twice, nobody lost
    # Back from the last page, one page at a time, to the first (which has no "previous").
    back = pages[-1]
    for index in (2, 1, 0):
        back = doc(http.get(back.xpath("//a[@rel='prev']/@href")[0]))
        assert back.xpath("//tbody/tr/td[1]/a/@href") == links[index]
    assert not back.xpath("//a[@rel='prev']")
    assert words(pages[1].xpath("//p[@class='result-count']")[0]).startswith("343 members")
    # Filters are kept by both links and the count follows them.
    ndp = doc(http.get("/members", params={"party": "NDP"}))
    assert words(ndp.xpath("//p[@class='result-count']")[0]) == "5 members"
    assert not ndp.xpath("//nav[@class='pagination']")
    # members-current-45.xml: 37 sitting for Alberta; with former members, more.
    alberta = doc(http.get("/members", params={"province": "AB"}))
    assert words(alberta.xpath("//p[@class='result-count']")[0]) == "37 members"
    everyone = doc(http.get("/members", params={"status": "all", "province": "AB"}))
    total = int(words(everyone.xpath("//p[@class='result-count']")[0]).split()[0])
    assert total == len(everyone.xpath("//tbody/tr/td[1]/a/@href")) and total > 37
    former = doc(http.get("/members", params={"status": "all", "name": "an"}))
    onward = doc(http.get(former.xpath("//a[@rel='next']/@href")[0]))
    assert "status=all" in onward.xpath("//a[@rel='prev']/@href")[0]
    assert "name=an" in onward.xpath("//a[@rel='prev']/@href")[0]
    french = doc(http.get("/fr/members"))
    counted = words(french.xpath("//p[@class='result-count']")[0])
    assert counted == "343 députés · 100 sur cette page"
    second = doc(http.get(french.xpath("//a[@rel='next']/@href")[0]))
    assert second.xpath("//a[@rel='prev']/@href")[0].startswith("/fr/members?")
    assert words(second.xpath("//a[@rel='prev']")[0]) == "← Page précédente"


def test_member_filters_are_type_aheads_that_work_without_script(http: httpx.Client) -> None:
    page = doc(http.get("/members"))
    field = page.xpath("//input[@name='name']")[0]
    options = page.xpath(f"//datalist[@id='{field.get('list')}']/option")
    suggested = {o.get("value"): words(o) for o in options}
    # members-current-45.xml: 343 sitting members; Ziad Aboultaif sits for Edmonton Manning.
    assert len(options) == len(suggested) == 343
    assert suggested["Ziad Aboultaif"] == "Edmonton Manning"
    found = doc(http.get("/members", params={"name": "Ziad Aboultaif"}))
    assert [words(a) for a in found.xpath("//tbody/tr/td[1]/a")] == ["Ziad Aboultaif"]
    assert found.xpath("//input[@name='name']/@value") == ["Ziad Aboultaif"]
    # The suggestions are the members the other filters match (5 NDP), whatever name was typed.
    assert len(found.xpath("//datalist[@id='f-name-names']/option")) == 343
    ndp = doc(http.get("/members", params={"party": "NDP"}))
    ndp_names = ndp.xpath("//datalist[@id='f-name-names']/option/@value")
    assert sorted(ndp_names) == sorted(words(a) for a in ndp.xpath("//tbody/tr/td[1]/a"))
    assert len(ndp_names) == 5
    # "How did my MP vote?": the division's 330 voters (vote-43-2-69.xml), with their riding.
    vote = doc(http.get("/votes/43-2/69"))
    lookup = vote.xpath("//input[@name='mp']")[0]
    voters = vote.xpath(f"//datalist[@id='{lookup.get('list')}']/option")
    assert len(voters) == 330
    assert {o.get("value"): words(o) for o in voters}["Niki Ashton"].startswith("Churchill")
    # A division whose ballots are not published has nobody to suggest.
    pending = doc(http.get("/votes/44-1/333"))
    assert not pending.xpath("//input[@name='mp']/@list") and not pending.xpath("//datalist")
