"""A sitting's contents nested as the reader sees them (pure: no database, no server).

The runs below are written by hand after the headings of HAN086-E-412 (41-2 No. 86) as
the sample stores them: the edition prints "Statements by Members", then
"STATEMENTS BY MEMBERS" over each statement; petitions carry their topic as a
sub-heading; the adjournment proceedings open with a run headed by the section's own name.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from sqlalchemy.engine import URL

from openpolicy.queries import debates
from openpolicy.queries.debates import ContentsEntry, SittingContents
from openpolicy.queries.freshness import request_version
from openpolicy.web.sitting_contents import contents_html, nest, recased


def run(
    section: str | None,
    heading: str,
    sequence: int,
    speeches: int,
    subheadings: tuple[tuple[str, int, int], ...] = (),
) -> ContentsEntry:
    return {
        "section": section,
        "heading": heading,
        "order_of_business": None,
        "sequence": sequence,
        "speeches": speeches,
        "subheadings": [
            {"subheading": title, "sequence": first, "speeches": count}
            for title, first, count in subheadings
        ],
    }


RUNS = (
    run("Statements by Members", "Statements by Members", 3, 1),
    run("STATEMENTS BY MEMBERS", "Trent-Severn Waterway", 4, 1),
    run("STATEMENTS BY MEMBERS", "Jan Karski", 5, 1),
    run("ORAL QUESTIONS", "Health", 21, 2),
    run("ORAL QUESTIONS", "Justice", 23, 4),
    run(
        "Routine Proceedings", "Committees of the House", 111, 1, (("Official Languages", 111, 1),)
    ),
    run(
        "Routine Proceedings",
        "Petitions",
        115,
        3,
        (("Agriculture", 115, 1), ("Canada Post", 116, 1), ("Democratic Reform", 117, 1)),
    ),
    run("ADJOURNMENT PROCEEDINGS", "ADJOURNMENT PROCEEDINGS", 292, 1),
    run(
        "ADJOURNMENT PROCEEDINGS",
        "ADJOURNMENT PROCEEDINGS",
        293,
        5,
        (("Fisheries and Oceans", 293, 5),),
    ),
)


def shape(entries: list[Any]) -> list[Any]:
    """(title, first speech, count, children) all the way down."""
    return [(e.title, e.sequence, e.speeches, shape(e.children)) for e in entries]


def test_subjects_nest_under_their_order_of_business_and_sub_headings_under_them() -> None:
    assert shape(nest(RUNS, "en")) == [
        (
            "Statements by Members",
            3,
            3,
            [("Trent-Severn Waterway", 4, 1, []), ("Jan Karski", 5, 1, [])],
        ),
        ("Oral Questions", 21, 6, [("Health", 21, 2, []), ("Justice", 23, 4, [])]),
        (
            "Routine Proceedings",
            111,
            4,
            [
                ("Committees of the House", 111, 1, [("Official Languages", 111, 1, [])]),
                (
                    "Petitions",
                    115,
                    3,
                    [
                        ("Agriculture", 115, 1, []),
                        ("Canada Post", 116, 1, []),
                        ("Democratic Reform", 117, 1, []),
                    ],
                ),
            ],
        ),
        # The section's own runs: their sub-headings hang under the section itself.
        ("Adjournment Proceedings", 292, 6, [("Fisheries and Oceans", 293, 5, [])]),
    ]


def test_headings_outside_any_section_stay_at_the_top() -> None:
    # HAN002-E-421 (42-1 No. 2, the opening of the 42nd Parliament) prints no order of
    # business: its subjects are the top level, with their sub-headings under them.
    runs = (
        run(None, "Oaths of Office", 6, 3),
        run(None, "Speech from the Throne", 36, 30, (("Address in Reply — The Address", 36, 30),)),
    )
    assert shape(nest(runs, "en")) == [
        ("Oaths of Office", 6, 3, []),
        ("Speech from the Throne", 36, 30, [("Address in Reply — The Address", 36, 30, [])]),
    ]


def test_a_section_printed_again_later_is_a_new_entry() -> None:
    runs = (
        run("Government Orders", "Business of Supply", 190, 58),
        run("Private Members' Business", "Meat Inspection Act", 255, 7),
        run("GOVERNMENT ORDERS", "Business of Supply", 298, 292),
    )
    assert [entry.title for entry in nest(runs, "en")] == [
        "Government Orders",
        "Private Members' Business",
        "Government Orders",
    ]


def test_headings_in_capitals_are_recased_the_way_each_language_writes_titles() -> None:
    assert recased("STATEMENTS BY MEMBERS", "en") == "Statements by Members"
    assert recased("ORDERS OF THE DAY", "en") == "Orders of the Day"
    assert recased("DÉCLARATIONS DE DÉPUTÉS", "fr") == "Déclarations de députés"
    assert recased("Questions orales", "fr") == "Questions orales"  # not in capitals: kept


def test_links_stay_on_the_page_within_the_part_and_name_the_part_elsewhere() -> None:
    contents = SittingContents(("test", 1, 5, 86, ("en", False)), RUNS)
    html = contents_html(
        contents, session="41-2", number=86, part=2, parts=6, lang="en", headings_lang="en"
    )
    # Speeches 101-200 are part 2: the petitions are on this page, question period is in
    # part 1 (no ?part=), the adjournment proceedings in part 3.
    assert '<a href="#s-115">Petitions</a> <span class="meta">(3 speeches)</span>' in html
    assert '<a href="#s-116">Canada Post</a></li>' in html  # a sub-heading: no count
    assert (
        '<a href="/debates/41-2/86#s-21">Oral Questions</a>'
        ' <span class="meta">(part 1 · 6 speeches)</span>'
    ) in html
    assert (
        '<a href="/debates/41-2/86?part=3#s-293">Fisheries and Oceans</a>'
        ' <span class="meta">(part 3)</span>'
    ) in html
    french = contents_html(
        contents, session="41-2", number=86, part=2, parts=6, lang="fr", headings_lang="en"
    )
    # English headings on a French page are marked as English; the page's words are French.
    assert (
        '<a href="/fr/debates/41-2/86#s-21" lang="en">Oral Questions</a>'
        ' <span class="meta">(partie 1 · 6 interventions)</span>'
    ) in french


def test_contents_are_read_once_per_data_version(sample_database: URL) -> None:
    """Every part of a sitting shows its whole contents: the headings are read once per
    data version and kept, and read anew when an ingest moves the version."""

    async def scenario() -> None:
        info = sample_database.render_as_string(hide_password=False)
        info = info.replace("postgresql+psycopg://", "postgresql://")
        async with await psycopg.AsyncConnection.connect(info, autocommit=True) as conn:
            first = await debates.sitting_contents(conn, "41-2", 86, "en")
            again = await debates.sitting_contents(conn, "41-2", 86, "en")
            assert again is first  # kept: no second read
            # 41-2 No. 86: 589 items, its first run Statements by Members at speech 3,
            # the last Business of Supply (Government Orders) from speech 298 to 589.
            assert first.entries[0]["sequence"] == 3
            last = first.entries[-1]
            assert (last["heading"], last["sequence"], last["speeches"]) == (
                "Business of Supply",
                298,
                292,
            )
            french = await debates.sitting_contents(conn, "41-2", 86, "fr", fallback=True)
            assert french is not first
            token = request_version.set(first.key[1] + 1)  # as after an ingest
            try:
                moved = await debates.sitting_contents(conn, "41-2", 86, "en")
            finally:
                request_version.reset(token)
            assert moved is not first and moved.entries == first.entries

    asyncio.run(scenario())
