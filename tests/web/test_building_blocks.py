"""The web site's building blocks on their own: paths, formatting, palette, chart, Atom."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from openpolicy.web import i18n
from openpolicy.web.atom import ATOM_NS, Entry, atom_feed
from openpolicy.web.charts import ChartLabels, PartyTally, party_breakdown_svg
from openpolicy.web.compression import is_web_path
from openpolicy.web.palette import UNKNOWN, party_colour

SVG = "{http://www.w3.org/2000/svg}"


def test_language_prefix_round_trips() -> None:
    assert i18n.localize_path("/bills/45-1/C-2", "fr") == "/fr/bills/45-1/C-2"
    assert i18n.localize_path("/fr/bills/45-1/C-2", "en") == "/bills/45-1/C-2"
    assert i18n.localize_path("/", "fr") == "/fr"
    assert i18n.localize_path("/fr", "en") == "/"
    assert i18n.lang_of_path("/fr/votes") == "fr"
    assert i18n.lang_of_path("/fresh") == "en"  # a prefix of letters is not a language


def test_dates_and_numbers_follow_the_reader() -> None:
    day = dt.date(2021, 11, 26)
    assert i18n.format_date(day, "en") == "November 26, 2021"
    assert i18n.format_date(day, "fr") == "26 novembre 2021"
    assert i18n.format_number(12345, "fr") == "12\xa0345"  # fr_CA groups with a no-break space
    assert i18n.format_pct(None, "en") == "—"


def test_french_data_falls_back_to_english_only_when_missing() -> None:
    assert i18n.pick("fr", "Online Streaming Act", "Loi sur la diffusion continue") == (
        "Loi sur la diffusion continue"
    )
    assert i18n.pick("fr", "Online Streaming Act", None) == "Online Streaming Act"
    assert i18n.pick("en", "Online Streaming Act", "Loi") == "Online Streaming Act"


def test_catalogue_translates_ui_strings() -> None:
    assert i18n.translate("fr", "Bills") == "Projets de loi"
    assert i18n.translate("en", "Bills") == "Bills"


def test_palette_matches_feed_spellings_and_abbreviations() -> None:
    assert party_colour("Bloc Québécois") == party_colour("bloc quebecois") == party_colour("BQ")
    assert party_colour("Lib.") == party_colour("Liberal")
    assert party_colour("NDP") != party_colour("Liberal")
    assert party_colour("Rhinoceros") == UNKNOWN
    assert party_colour(None) == UNKNOWN


def test_only_api_and_ops_paths_are_left_alone() -> None:
    assert is_web_path("/") and is_web_path("/fr/bills") and is_web_path("/apiary")
    assert not is_web_path("/api/v1/bills")
    assert not is_web_path("/health") and not is_web_path("/metrics")


def test_party_chart_scales_bars_and_prints_every_count() -> None:
    labels = ChartLabels("Votes by party", "Yeas and nays", "yea", "nay", "paired")
    svg = party_breakdown_svg(
        [
            PartyTally("Liberal", "Liberal", 150, 0, 0),
            PartyTally("Conservative", "Conservative", 100, 20, 0),
        ],
        labels,
    )
    root = etree.fromstring(str(svg).encode())
    assert root.get("role") == "img"
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "150 yea · 0 nay" in texts and "100 yea · 20 nay" in texts
    assert texts.index("Liberal") < texts.index("Conservative")  # largest party first
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("height") == "16"]
    widths = sorted(float(rect.get("width", "0")) for rect in bars)
    # Liberal 150 of 150 fills the width; Conservative's 100 yeas and 20 nays are 2/3 and 2/15.
    assert widths[-1] == 478.0
    assert abs(widths[0] - 478 * 20 / 150) < 0.1
    assert abs(widths[1] - 478 * 100 / 150) < 0.1
    liberal_fill = party_colour("Liberal").fill
    assert any(rect.get("fill") == liberal_fill for rect in bars)


def test_atom_feed_is_valid_atom() -> None:
    when = dt.datetime(2021, 3, 10, 15, 50, tzinfo=dt.UTC)
    body = atom_feed(
        feed_id="https://example.test/feeds/votes.atom",
        title="Divisions",
        subtitle="New divisions",
        self_url="https://example.test/feeds/votes.atom",
        alternate_url="https://example.test/votes",
        lang="en",
        entries=[
            Entry(
                "https://example.test/votes/43-2/69",
                "Division 69",
                "https://example.test/votes/43-2/69",
                when,
                "Agreed to",
            )
        ],
    )
    root = etree.fromstring(body)
    assert root.tag == f"{{{ATOM_NS}}}feed"
    assert root.findtext(f"{{{ATOM_NS}}}updated") == "2021-03-10T15:50:00+00:00"
    entry = root.find(f"{{{ATOM_NS}}}entry")
    assert entry is not None and entry.findtext(f"{{{ATOM_NS}}}title") == "Division 69"


def test_ballots_against_the_party_majority_are_marked() -> None:
    from openpolicy.web.fragments import ballot_groups

    breakdown: Any = [
        {"party": "Liberal", "yea": 2, "nay": 1, "paired": 0, "majority": "yea"},
        {"party": "NDP", "yea": 1, "nay": 1, "paired": 0, "majority": None},
        {"party": "Independent", "yea": 0, "nay": 1, "paired": 0, "majority": "nay"},
    ]
    ballots: Any = [
        {"member_id": 1, "name": "A", "party": "Liberal", "value": "yea"},
        {"member_id": 2, "name": "B <b>", "party": "Liberal", "value": "nay"},
        {"member_id": 3, "name": "C", "party": "Liberal", "value": "yea"},
        {"member_id": 4, "name": "D", "party": "NDP", "value": "yea"},
        {"member_id": 5, "name": "E", "party": "NDP", "value": "nay"},
        {"member_id": 6, "name": "F", "party": "Independent", "value": "nay"},
    ]
    groups, dissenters = ballot_groups(breakdown, ballots, "en")
    assert [group["party"] for group in groups] == ["Liberal", "NDP", "Independent"]
    assert dissenters == 1  # a split caucus has no majority; independents have no party line
    items = etree.fromstring(f"<ul>{groups[0]['ballots']}</ul>").findall("li")
    assert [(li.get("class"), li.findtext("a")) for li in items] == [
        (None, "A"),
        ("dissent", "B <b>"),  # escaped in the HTML, read back as text
        (None, "C"),
    ]
    assert items[1].find("a").get("href") == "/members/2"  # type: ignore[union-attr]
    french, _count = ballot_groups(breakdown, ballots, "fr")
    assert 'href="/fr/members/1"' in french[0]["ballots"] and "Pour" in french[0]["ballots"]


def test_a_menu_marks_the_current_choice_and_escapes_the_rest() -> None:
    from openpolicy.web.fragments import option_tags

    menu = [(1, "Ziad Aboultaif"), (22, "A & B"), ('x"y', "quote")]
    html = str(option_tags(menu, "22"))
    assert html.count(" selected") == 1 and '<option value="22" selected>A &amp; B' in html
    assert 'value="x&#34;y"' in html
    assert " selected" not in str(option_tags(menu, None))
