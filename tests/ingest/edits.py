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


MEMBERS_44 = FIXTURES / "ourcommons/members-44.xml"


def members_list(
    *,
    since: str | None = None,
    renamed: dict[tuple[str, str], tuple[str, str]] | None = None,
    only: set[str] | None = None,
) -> bytes:
    """The real 44th-Parliament list (no PersonIds), with every term starting `since`
    (as a list of another Parliament would print it), some members printed under another
    name (`renamed[(first, last)] = (first, last)`), and only the entries whose last
    name is in `only` when given."""
    body = MEMBERS_44.read_bytes().decode()
    if only is not None:
        head, _, rest = body.partition("<MemberOfParliament>")
        entries = ["<MemberOfParliament>" + e for e in rest.split("<MemberOfParliament>")]
        kept = [
            e.replace("</ArrayOfMemberOfParliament>", "")
            for e in entries
            if re.search(r"<PersonOfficialLastName>([^<]*)<", e).group(1) in only  # type: ignore[union-attr]
        ]
        body = head + "".join(kept) + "</ArrayOfMemberOfParliament>"
    if since is not None:
        body = re.sub(
            r"<FromDateTime>[^<]*</FromDateTime>",
            f"<FromDateTime>{since}T00:00:00</FromDateTime>",
            body,
        )
    for (first, last), (new_first, new_last) in (renamed or {}).items():
        old = (
            f"<PersonOfficialFirstName>{first}</PersonOfficialFirstName>"
            f"<PersonOfficialLastName>{last}</PersonOfficialLastName>"
        )
        assert old in body, (first, last)
        body = body.replace(
            old,
            f"<PersonOfficialFirstName>{new_first}</PersonOfficialFirstName>"
            f"<PersonOfficialLastName>{new_last}</PersonOfficialLastName>",
        )
    return body.encode()


def ballots_renamed(renamed: dict[tuple[str, str], tuple[str, str]]) -> bytes:
    """Division 43-2 No. 69 with some voters printed under another name (PersonIds kept)."""
    body = BALLOTS_69.read_bytes().decode()
    for (first, last), (new_first, new_last) in renamed.items():
        old = (
            f"<PersonOfficialFirstName>{first}</PersonOfficialFirstName>"
            f"<PersonOfficialLastName>{last}</PersonOfficialLastName>"
        )
        assert old in body, (first, last)
        body = body.replace(
            old,
            f"<PersonOfficialFirstName>{new_first}</PersonOfficialFirstName>"
            f"<PersonOfficialLastName>{new_last}</PersonOfficialLastName>",
        )
    return body.encode()
