"""The web site's building blocks on their own: paths, formatting, palette, chart, Atom."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from babel.numbers import format_decimal, format_percent
from lxml import etree
from starlette.routing import Match

from openpolicy.web import i18n
from openpolicy.web.atom import ATOM_NS, Entry, atom_feed
from openpolicy.web.charts import ChartLabels, PartyTally, party_breakdown_svg
from openpolicy.web.compression import is_web_path
from openpolicy.web.fragments import same_day_repeats, yea_nay_bar
from openpolicy.web.palette import UNKNOWN, party_colour
from openpolicy.web.progress import current_step, history, status_group, tracker
from openpolicy.web.routes import WebPages, section_of, web_router
from openpolicy.web.subjects import short_subject

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


def test_cached_numbers_and_rates_read_exactly_as_babel_formats_them() -> None:
    """Whole numbers and rates are formatted once per value: the output must stay Babel's
    own for every value, halves included (Babel rounds a tenth of a percent half to even)."""
    rng = random.Random(16)
    rates = [rng.random() for _ in range(3000)] + [i / 2000 for i in range(2001)]
    rates += [0.0, 1.0, 0.0005, 0.0015, 0.00125, 0.99951, 1.5, -0.25, float("nan")]
    for lang in i18n.LANGUAGES:
        locale = i18n.babel_locale(lang)
        for rate in rates:
            assert i18n.format_pct(rate, lang) == format_percent(
                rate, format="#,##0.0%", locale=locale
            ), (rate, lang)
        for whole in [*range(-2000, 2000, 7), 10**9, 1_234_567]:
            assert i18n.format_number(whole, lang) == format_decimal(whole, locale=locale)
        assert i18n.format_number(1234.5, lang) == format_decimal(1234.5, locale=locale)


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


def _row_text(row: etree._Element) -> list[str]:
    return [
        " ".join("".join(str(part) for part in text.itertext()).split())
        for text in row.iter(f"{SVG}text")
    ]


def test_party_chart_scales_bars_and_prints_every_count() -> None:
    labels = ChartLabels("Votes by party", "Yeas and nays", "yea", "nay", "paired")
    svg = party_breakdown_svg(
        [
            PartyTally("Conservative", "Conservative", 100, 20, 0),
            PartyTally("Liberal", "Liberal", 150, 0, 0),
        ],
        labels,
    )
    root = etree.fromstring(str(svg).encode())
    assert root.get("role") == "img" and root.get("width") == "100%"  # as wide as the page
    rows = list(root.iter(f"{SVG}g"))
    assert [row.get("data-party") for row in rows] == ["Liberal", "Conservative"]  # largest first
    assert _row_text(rows[0]) == ["Liberal", "\u25a0 150 yea · \u25a0 0 nay"]
    assert _row_text(rows[1]) == ["Conservative", "\u25a0 100 yea · \u25a0 20 nay"]
    # Bars in percent of the width: Liberal's 150 fill it; Conservative's 100 yeas and 20
    # nays are 2/3 and 2/15 of it, the nays starting where the yeas end.
    liberal = [r for r in rows[0].iter(f"{SVG}rect")]
    assert [r.get("width") for r in liberal] == ["100.00%"]
    yea, nay = rows[1].iter(f"{SVG}rect")
    assert yea.get("width") == "66.67%" and nay.get("width") == "13.33%"
    assert nay.get("x") == "66.67%"


def test_party_chart_legend_swatches_are_painted_like_their_bars() -> None:
    labels = ChartLabels("Votes by party", "Yeas and nays", "yea", "nay", "paired")
    svg = party_breakdown_svg([PartyTally("NDP", "NDP", 3, 22, 2)], labels)
    root = etree.fromstring(str(svg).encode())
    swatches = [t for t in root.iter(f"{SVG}tspan") if t.get("class") == "swatch"]
    bars = list(root.iter(f"{SVG}rect"))
    bars = [b for b in bars if (b.get("class") or "").startswith("bar ")]
    paint = ("fill", "stroke")
    assert [tuple(s.get(k) for k in paint) for s in swatches] == [
        tuple(b.get(k) for k in paint) for b in bars
    ]
    ndp = party_colour("NDP").fill
    assert swatches[0].get("fill") == ndp and swatches[1].get("stroke") == ndp  # not grey
    assert swatches[1].get("fill", "").startswith("url(#hatch-")


def test_short_subject_drops_the_bills_long_title_and_keeps_the_qualifier() -> None:
    long = (
        "3rd reading and adoption of Bill C-69, An Act to enact the Impact Assessment Act and"
        " the Canadian Energy Regulator Act, to amend the Navigation Protection Act and to"
        " make consequential amendments to other Acts"
    )
    assert short_subject(long) == "3rd reading and adoption of Bill C-69"
    assert (
        short_subject(
            "Bill C-14, An Act to amend the Criminal Code and to make related amendments to"
            " other Acts (medical assistance in dying) (report stage amendment)"
        )
        == "Bill C-14 (report stage amendment)"
    )
    assert (
        short_subject(
            "Motion relative aux amendements du Sénat au projet de loi C-11,Loi modifiant la"
            " Loi sur la radiodiffusion (amendement)"
        )
        == "Motion relative aux amendements du Sénat au projet de loi C-11 (amendement)"
    )
    assert short_subject("Opposition Motion (Carbon tax)") == "Opposition Motion (Carbon tax)"
    very_long = "Fifth Report of the Standing Committee on " + "very " * 30 + "long things"
    cut = short_subject(very_long)
    assert len(cut) <= 110 and cut.endswith("…") and " very…" in cut


def test_yea_nay_bar_draws_shares_and_says_the_numbers() -> None:
    html = yea_nay_bar(305, 25, "en", paired=0)
    root = etree.fromstring(html.encode())
    svg = root.find(f"{SVG}svg")
    if svg is None:
        svg = root.find("svg")
    assert svg is not None and svg.get("role") == "img"
    assert svg.get("aria-label") == "305 yeas, 25 nays"
    widths = [r.get("width") for r in svg if r.tag.endswith("rect")]
    assert widths == ["92.4%", "7.6%"]
    french = yea_nay_bar(0, 0, "fr", pending=True)
    assert 'class="yn yn-pending"' in french and "0 pour, 0 contre" in french
    # Paired members counted with the plural of the page's language.
    assert 'aria-label="10 pour, 20 contre, 1 pairé"' in yea_nay_bar(10, 20, "fr", paired=1)
    assert 'aria-label="10 pour, 20 contre, 4 pairés"' in yea_nay_bar(10, 20, "fr", paired=4)
    assert 'aria-label="10 yeas, 20 nays, 1 paired"' in yea_nay_bar(10, 20, "en", paired=1)


def test_same_day_repeats_tell_identical_divisions_apart() -> None:
    class V(NamedTuple):
        number: int
        date: dt.date
        subject_en: str | None
        subject_fr: str | None

    day = dt.date(2018, 6, 20)
    found = same_day_repeats(
        [
            V(878, day, "3rd reading and adoption of Bill C-69", None),
            V(877, day, "3rd reading and adoption of Bill C-69", None),
            V(870, dt.date(2018, 6, 19), "3rd reading and adoption of Bill C-69", None),
        ]
    )
    assert found == {877: (1, 2), 878: (2, 2)}


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


def _stage(chamber: str, stage: str, date: str | None, outcome: str | None = None) -> Any:
    return {
        "chamber": chamber,
        "stage": stage,
        "name_en": stage,
        "name_fr": stage,
        "date": date,
        "outcome": outcome,
    }


def test_tracker_of_a_senate_bill_with_royal_assent_is_all_done() -> None:
    bill = {
        "number": "S-3",
        "chamber": "senate",
        "royal_assent": dt.date(2017, 12, 12),
        "stages": [
            _stage("senate", "first_reading", "2016-10-25"),
            _stage("senate", "third_reading", "2017-05-31"),
            _stage("house", "third_reading", "2017-12-07"),
        ],
    }
    steps = tracker(bill)
    assert [s.chamber for s in steps][:6] == ["senate"] * 5 + ["house"]
    assert {s.state for s in steps} == {"done"} and current_step(steps) is None
    assert steps[-1].date == "2017-12-12"


def test_tracker_takes_the_stage_in_progress_over_later_empty_ones() -> None:
    bill = {
        "number": "C-2",
        "chamber": "house",
        "royal_assent": None,
        "stages": [
            _stage("house", "first_reading", "2025-06-03", "completed"),
            _stage("house", "second_reading", "2025-09-17", "in_progress"),
            _stage("house", "committee", None, "not_reached"),
        ],
    }
    now = current_step(tracker(bill))
    assert now is not None and (now.chamber, now.stage) == ("house", "second_reading")


def test_history_collapses_repeated_days_and_keeps_distinct_dates() -> None:
    rows = history(
        [
            _stage("house", "second_reading", "2018-02-14"),
            _stage("house", "second_reading", "2018-02-27"),
            _stage("house", "second_reading", "2018-02-27"),
            _stage("house", "committee", "2018-05-29"),
            _stage("senate", "second_reading", "2018-06-21"),
        ]
    )
    assert [(r.chamber, r.stage, r.dates, r.events) for r in rows] == [
        ("house", "second_reading", ["2018-02-14", "2018-02-27"], 3),
        ("house", "committee", ["2018-05-29"], 1),
        ("senate", "second_reading", ["2018-06-21"], 1),
    ]


def test_status_groups_fold_old_and_new_wordings() -> None:
    assert status_group("Royal Assent") == status_group("Royal assent received") == "royal_assent"
    assert status_group("First Reading") == status_group("Introduction and First Reading")
    assert status_group("Second Reading and Referral to Committee") == "second_reading"
    assert status_group("Committee Report Adopted as Amended") == "committee"
    assert status_group("Concurrence at Report Stage") == "report"
    assert status_group("At second reading in the House of Commons") == "second_reading"
    assert status_group(None) is None


def test_web_pages_are_routed_by_their_first_segment_and_leave_the_api_alone() -> None:
    pages = WebPages(web_router().routes)

    def routed(path: str, method: str = "GET") -> tuple[Match, str | None]:
        scope = {"type": "http", "path": path, "root_path": "", "method": method}
        match, child = pages.matches(scope)
        return match, getattr(child.get("route"), "name", None)

    assert section_of("/fr/bills/45-1/C-2") == "bills"
    assert section_of("/fr") == section_of("/") == ""
    assert section_of("/fresh") == "fresh"
    assert routed("/") == (Match.FULL, "web_home_en")
    assert routed("/fr") == (Match.FULL, "web_home_fr")
    assert routed("/fr/bills/45-1/C-2") == (Match.FULL, "web_bill_fr")
    assert routed("/votes/45-1/12") == (Match.FULL, "web_vote_en")
    assert routed("/votes/45-1/twelve") == (Match.NONE, None)  # {number:int}
    assert routed("/feeds/members/7.atom") == (Match.FULL, "web_feed_member_en")
    assert routed("/bills", "DELETE")[0] == Match.PARTIAL  # a 405, not a 404
    for elsewhere in ("/api/v1/bills", "/health", "/static/site.css", "/fresh"):
        assert routed(elsewhere) == (Match.NONE, None)
