"""A search of one kind still counts every other kind (the page's tabs): those counts are
taken without ranking or fetching the other kinds, and they must be the counts the search
of everything finds by ranking each kind."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import URL

from openpolicy.db import connect_async
from openpolicy.queries.search_all import KINDS, SearchRequest, search_everything

# Words the bundled sample holds in each kind (tests/fixtures/): "housing" in speeches,
# the titles of C-264 and C-325 and division No. 394 of 42-1 ("right to housing"); "act"
# in hundreds of 42-1's bills and divisions but two bills of 44-1, so a filter left out of
# a count shows.
SEARCHES: list[dict[str, Any]] = [
    {"q": "housing"},
    {"q": '"right to housing"'},
    {"q": "act", "session": "44-1"},
    {"q": "motion", "session": "44-1"},
    {"q": "act", "date_from": dt.date(2017, 1, 1), "date_to": dt.date(2017, 6, 30)},
    {"q": "logement", "lang": "fr"},
    {"q": "loi", "lang": "fr", "session": "44-1"},
]


@pytest.mark.parametrize("asked", SEARCHES, ids=lambda asked: "-".join(map(str, asked.values())))
def test_counts_of_kinds_not_shown_match_the_search_of_everything(
    api_database: URL, asked: dict[str, Any]
) -> None:
    async def scenario() -> None:
        async with connect_async(api_database) as conn:
            everything = await search_everything(conn, SearchRequest(**asked))
            assert sum(count for count, _relation in everything.counts.values()) > 0
            for kind in KINDS:
                one = await search_everything(conn, SearchRequest(**asked, kind=kind))
                assert one.counts == everything.counts, kind
                # Only the kind asked is listed, with its items.
                assert set(one.results) <= {kind, "speech"}
                if kind != "speech" and kind in everything.counts:  # applicable
                    assert one.results[kind].total == everything.counts[kind][0]

    asyncio.run(scenario())
