"""Recorded divisions list (ourcommons.ca ``/Members/{en|fr}/votes/XML?parlSession=…``).

Two shapes, same fields:

* current: ``<ArrayOfVote>`` of ``<Vote>`` (no real capture; written from the field
  names production parsers read, so ``SittingNumber`` and the document type are optional);
* legacy 2017–2019 export: ``<List>`` whose divisions are ``<VoteParticipant>`` elements.

The English list gives ``subject_en``, the French list (``/Members/fr/…``, detected from
the URL) ``subject_fr``; ``pair_vote_lists`` joins the two by division number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from lxml import etree

from openpolicy.records import Vote
from openpolicy.sources._fields import Fields
from openpolicy.sources._parsing import load_xml
from openpolicy.vocab import (
    Language,
    normalize_bill_number,
    session_code,
    vote_result_from_name,
)

_ROOTS = {"ArrayOfVote": "Vote", "List": "VoteParticipant"}


def language_of_url(url: str) -> Language:
    """``…/Members/fr/votes/…`` → FR; anything else is the English edition."""
    return Language.FR if "/fr/" in url.lower() else Language.EN


def _vote(element: etree._Element, url: str, language: Language) -> Vote:
    fields = Fields(element, url)
    parliament = fields.required_integer("ParliamentNumber")
    session_number = fields.required_integer("SessionNumber")
    decided_at = fields.timestamp("DecisionEventDateTime")
    if decided_at is None:
        raise fields.error(
            "DecisionEventDateTime", "required field DecisionEventDateTime is missing"
        )
    result_name = fields.required("DecisionResultName")
    result = vote_result_from_name(result_name)
    if result is None:
        raise fields.error("DecisionResultName", f"unknown result {result_name!r}")
    bill_text = fields.text("BillNumberCode")
    bill_number = normalize_bill_number(bill_text)
    if bill_text and bill_number is None:
        raise fields.error("BillNumberCode", f"not a bill number: {bill_text!r}")
    subject = fields.required("DecisionDivisionSubject")
    return Vote(
        source_url=url,
        session=session_code(parliament, session_number),
        parliament=parliament,
        session_number=session_number,
        number=fields.required_integer("DecisionDivisionNumber"),
        date=decided_at.date(),
        # The legacy list prints the day only (T00:00:00): no time of day is known.
        decided_at=None if decided_at.time() == dt.time(0, 0) else decided_at,
        subject_en=subject if language is Language.EN else None,
        subject_fr=subject if language is Language.FR else None,
        result=result,
        yeas=fields.required_integer("DecisionDivisionNumberOfYeas"),
        nays=fields.required_integer("DecisionDivisionNumberOfNays"),
        paired=fields.required_integer("DecisionDivisionNumberOfPaired"),
        bill_number=bill_number,
        document_type=fields.text("DecisionDivisionDocumentTypeName"),
        sitting=fields.integer("SittingNumber"),
    )


def parse_votes(body: bytes, url: str) -> Iterator[Vote]:
    """One ``Vote`` per division, in either shape.

    An empty list is accepted: a session that has just opened has no divisions yet.
    """
    root = load_xml(body, url, tuple(_ROOTS))
    language = language_of_url(url)
    for element in root.iterfind(_ROOTS[root.tag]):
        yield _vote(element, url, language)


def pair_vote_lists(english: Iterable[Vote], french: Iterable[Vote]) -> Iterator[Vote]:
    """English votes with ``subject_fr`` taken from the French list (same session/number).

    Votes missing from the French list keep ``subject_fr=None``.
    """
    subjects = {(vote.session, vote.number): vote.subject_fr for vote in french}
    for vote in english:
        subject_fr = subjects.get((vote.session, vote.number))
        yield vote.model_copy(update={"subject_fr": subject_fr}) if subject_fr else vote
