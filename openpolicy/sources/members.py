"""House of Commons members list (ourcommons.ca ``/Members/en/search/XML``).

``<ArrayOfMemberOfParliament>`` of ``<MemberOfParliament>``. ``PersonId`` is present in
2026 captures and absent in older ones, so it is optional; ``ToDateTime`` is
``xsi:nil`` for sitting members.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from openpolicy.records import Member
from openpolicy.sources._fields import Fields
from openpolicy.sources._parsing import load_xml, xpath_of
from openpolicy.sources.errors import SourceFormatError


def _member(element: etree._Element, url: str) -> Member:
    fields = Fields(element, url)
    return Member(
        source_url=url,
        person_id=fields.integer("PersonId"),
        honorific=fields.text("PersonShortHonorific"),
        first_name=fields.required("PersonOfficialFirstName"),
        last_name=fields.required("PersonOfficialLastName"),
        constituency=fields.required("ConstituencyName"),
        province=fields.province("ConstituencyProvinceTerritoryName"),
        caucus=fields.text("CaucusShortName"),
        from_date=fields.day("FromDateTime"),
        to_date=fields.day("ToDateTime"),
    )


def parse_members(body: bytes, url: str) -> Iterator[Member]:
    """One ``Member`` per ``MemberOfParliament``.

    An empty list is an error: the House always has members, so an empty answer
    means a wrong query.
    """
    root = load_xml(body, url, ("ArrayOfMemberOfParliament",))
    members = root.findall("MemberOfParliament")
    if not members:
        raise SourceFormatError(url, "the members list is empty", path=xpath_of(root))
    for element in members:
        yield _member(element, url)
