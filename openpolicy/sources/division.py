"""The division a ballots document belongs to: when it was decided and how it ended.

Every ``<VoteParticipant>`` of ``/Members/en/votes/{p}/{s}/{n}/XML`` repeats
``DecisionEventDateTime`` and ``DecisionResultName``. The ``ballot`` record does not
carry them, but ingest needs them when the ballots of a division arrive before (or
without) the divisions list: the vote row is then created from these facts. Only the
first participant is read, with the same hardened parser settings as ``load_xml``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from lxml import etree

from openpolicy.sources._fields import Fields
from openpolicy.sources._parsing import load_xml
from openpolicy.vocab import VoteResult, session_code, vote_result_from_name


@dataclass(frozen=True)
class DivisionFacts:
    """What the ballots feed says about its division."""

    session: str
    number: int
    decided_at: dt.datetime
    result: VoteResult


def division_facts(body: bytes, url: str) -> DivisionFacts | None:
    """Facts of the first ``VoteParticipant``; None when there is none.

    Malformed bodies raise ``SourceFormatError`` exactly as ``parse_ballots`` does.
    """
    events = etree.iterparse(
        io.BytesIO(body),
        events=("end",),
        tag="VoteParticipant",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        first = next(iter(events), None)
    except etree.XMLSyntaxError:
        load_xml(body, url, ("ArrayOfVoteParticipant",))  # raises the located error
        raise
    if first is None:
        return None
    fields = Fields(first[1], url)
    parliament = fields.required_integer("ParliamentNumber")
    session_number = fields.required_integer("SessionNumber")
    decided_at = fields.timestamp("DecisionEventDateTime")
    if decided_at is None:
        raise fields.error(
            "DecisionEventDateTime", "required field DecisionEventDateTime is missing"
        )
    name = fields.required("DecisionResultName")
    result = vote_result_from_name(name)
    if result is None:
        raise fields.error("DecisionResultName", f"unknown result {name!r}")
    return DivisionFacts(
        session=session_code(parliament, session_number),
        number=fields.required_integer("DecisionDivisionNumber"),
        decided_at=decided_at,
        result=result,
    )
