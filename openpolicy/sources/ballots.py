"""Per-division ballots (ourcommons.ca ``/Members/en/votes/{p}/{s}/{number}/XML``).

``<ArrayOfVoteParticipant>`` of ``<VoteParticipant>``, one per member who voted.
The value is read from ``VoteValueName`` and cross-checked against the
``IsVoteYea``/``IsVoteNay``/``IsVotePaired`` flags (production code branches on the
flags; a disagreement means the feed changed).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from openpolicy.records import Ballot
from openpolicy.sources._fields import Fields
from openpolicy.sources._parsing import load_xml, xpath_of
from openpolicy.sources.errors import SourceFormatError
from openpolicy.vocab import BallotValue, ballot_value_from_name, session_code

_FLAGS = (
    ("IsVoteYea", BallotValue.YEA),
    ("IsVoteNay", BallotValue.NAY),
    ("IsVotePaired", BallotValue.PAIRED),
)


def _value(fields: Fields) -> BallotValue:
    flagged = [value for key, value in _FLAGS if fields.boolean(key)]
    name = fields.text("VoteValueName")
    if name is not None:
        value = ballot_value_from_name(name)
        if value is None:
            raise fields.error("VoteValueName", f"unknown vote value {name!r}")
        if flagged and flagged != [value]:
            raise fields.error("VoteValueName", f"{name!r} contradicts the IsVote* flags")
        return value
    if len(flagged) != 1:
        raise fields.error("VoteValueName", "no VoteValueName and no single IsVote* flag set")
    return flagged[0]


def _ballot(element: etree._Element, url: str) -> Ballot:
    fields = Fields(element, url)
    parliament = fields.required_integer("ParliamentNumber")
    session_number = fields.required_integer("SessionNumber")
    return Ballot(
        source_url=url,
        session=session_code(parliament, session_number),
        parliament=parliament,
        session_number=session_number,
        division_number=fields.required_integer("DecisionDivisionNumber"),
        person_id=fields.integer("PersonId"),
        salutation=fields.text("PersonShortSalutation"),
        first_name=fields.required("PersonOfficialFirstName"),
        last_name=fields.required("PersonOfficialLastName"),
        constituency=fields.required("ConstituencyName"),
        province=fields.province("ConstituencyProvinceTerritoryName"),
        caucus=fields.text("CaucusShortName"),
        value=_value(fields),
    )


def parse_ballots(body: bytes, url: str) -> Iterator[Ballot]:
    """One ``Ballot`` per ``VoteParticipant``.

    An empty ``<ArrayOfVoteParticipant/>`` is what the site answers (HTTP 200) for a
    division number that does not exist; a real division always has ballots, so it
    is an error naming the URL.
    """
    root = load_xml(body, url, ("ArrayOfVoteParticipant",))
    participants = root.findall("VoteParticipant")
    if not participants:
        raise SourceFormatError(
            url, "no ballots: the division does not exist (empty list)", path=xpath_of(root)
        )
    for element in participants:
        yield _ballot(element, url)
