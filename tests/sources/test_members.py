"""Members list parser against the 2026 (45th) and 2023 (44th) captures."""

import datetime as dt
from collections import Counter
from collections.abc import Callable

from openpolicy.sources.members import parse_members
from openpolicy.vocab import Province

Read = Callable[[str], bytes]
URL = "https://www.ourcommons.ca/Members/en/search/xml"


def test_current_members(capture: Read) -> None:
    members = list(parse_members(capture("ourcommons/members-current-45.xml"), URL))
    assert len(members) == 343
    assert all(m.source_url == URL and m.kind == "member" for m in members)
    first = members[0]
    assert (first.person_id, first.first_name, first.last_name) == (89156, "Ziad", "Aboultaif")
    assert (first.constituency, first.province, first.caucus) == (
        "Edmonton Manning",
        Province.AB,
        "Conservative",
    )
    assert first.honorific is None  # <PersonShortHonorific />
    assert first.from_date == dt.date(2025, 4, 28) and first.to_date is None
    assert all(m.person_id is not None for m in members)
    assert len({m.person_id for m in members}) == 343
    assert all(m.to_date is None for m in members)  # xsi:nil for sitting members
    assert Counter(m.honorific for m in members) == {None: 272, "Hon.": 70, "Right Hon.": 1}
    carney = next(m for m in members if m.honorific == "Right Hon.")
    assert (carney.person_id, carney.last_name, carney.constituency) == (28286, "Carney", "Nepean")
    by_election = [m.last_name for m in members if m.from_date == dt.date(2026, 4, 13)]
    assert by_election == ["Auguste", "Begum", "Martin"]
    assert Counter(m.province for m in members)[Province.NU] == 1
    assert Counter(m.province for m in members)[Province.ON] == 122
    assert Counter(m.caucus for m in members) == {
        "Liberal": 174,
        "Conservative": 140,
        "Bloc Québécois": 22,
        "NDP": 5,
        "Independent": 1,
        "Green Party": 1,
    }
    ridings = {m.constituency for m in members}
    assert "Taiaiako'n—Parkdale—High Park" in ridings  # apostrophe and em dashes kept
    assert "La Pointe-de-l'Île" in ridings


def test_members_without_person_id(capture: Read) -> None:
    members = list(parse_members(capture("ourcommons/members-44.xml"), URL + "?parliament=44"))
    assert len(members) == 337
    assert all(m.person_id is None for m in members)
    trudeau = next(m for m in members if m.honorific == "Right Hon.")
    assert (trudeau.first_name, trudeau.last_name, trudeau.constituency) == (
        "Justin",
        "Trudeau",
        "Papineau",
    )
    assert trudeau.province is Province.QC  # printed "Quebec"
    assert sum(1 for m in members if m.from_date == dt.date(2021, 9, 20)) == 331
