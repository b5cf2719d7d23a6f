"""The one error a parser raises on bad input."""

from __future__ import annotations


class SourceFormatError(ValueError):
    """A document could not be parsed into records.

    Carries the document URL and where it went wrong: an element path such as
    ``/ArrayOfVoteParticipant/VoteParticipant[12]/PersonId``, a JSON path such as
    ``$[0].BillStages.HouseBillStages[2].BillStageId``, or a line number for text that
    is not well-formed at all. ``str()`` gives a one-line message fit for a log or a
    CLI error.
    """

    def __init__(
        self,
        url: str,
        problem: str,
        *,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        self.url = url
        self.problem = problem
        self.path = path
        self.line = line
        where = ""
        if path:
            where = f" at {path}"
        elif line is not None:
            where = f" at line {line}"
        super().__init__(f"{url}{where}: {problem}")
