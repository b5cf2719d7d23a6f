"""Documents made from the real captures for scenarios no capture shows (one edit each)."""

from __future__ import annotations

import re

from tests.ingest.parliament import FIXTURES

LEGACY_VOTES = FIXTURES / "ourcommons/legacy/votes-42-1-legacy-2018.xml"
BALLOTS_69 = FIXTURES / "ourcommons/vote-43-2-69.xml"


def division_list(
    *divisions: tuple[int, int, int, int, int, int, str], result: str = "Agreed To"
) -> bytes:
    """A legacy divisions list holding the given divisions (parliament, session, number,
    yeas, nays, paired, day), built from the first division of the real 42-1 capture."""
    text = LEGACY_VOTES.read_bytes().decode("utf-8-sig")
    head, _, rest = text.partition("<VoteParticipant>")
    first = "<VoteParticipant>" + rest.split("</VoteParticipant>", 1)[0] + "</VoteParticipant>"
    blocks = []
    for parliament, session, number, yeas, nays, paired, day in divisions:
        block = first
        for tag, value in (
            ("ParliamentNumber", parliament),
            ("SessionNumber", session),
            ("DecisionDivisionNumber", number),
            ("DecisionDivisionNumberOfYeas", yeas),
            ("DecisionDivisionNumberOfNays", nays),
            ("DecisionDivisionNumberOfPaired", paired),
            ("DecisionEventDateTime", f"{day}T00:00:00"),
            ("DecisionResultName", result),
        ):
            block = re.sub(f"<{tag}>[^<]*</{tag}>", f"<{tag}>{value}</{tag}>", block, count=1)
        blocks.append(block)
    return (head + "\n  ".join(blocks) + "\n</List>\n").encode()


def ballots_with_one_yea_flipped() -> bytes:
    """Division 43-2 No. 69 with Ziad Aboultaif's Yea turned into a Nay (flags too)."""
    body = BALLOTS_69.read_bytes()
    body = body.replace(
        b"<VoteValueName>Yea</VoteValueName><PersonOfficialFirstName>Ziad",
        b"<VoteValueName>Nay</VoteValueName><PersonOfficialFirstName>Ziad",
        1,
    )
    return body.replace(
        b"<IsVoteYea>true</IsVoteYea><IsVoteNay>false</IsVoteNay>",
        b"<IsVoteYea>false</IsVoteYea><IsVoteNay>true</IsVoteNay>",
        1,
    )
