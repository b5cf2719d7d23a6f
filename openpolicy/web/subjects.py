"""Short labels for divisions: the subject as the House prints it, without the bill's long
title that most subjects repeat ("3rd reading and adoption of Bill C-69, An Act to enact
the Impact Assessment Act and the Canadian Energy Regulator Act, to amend …" reads
"3rd reading and adoption of Bill C-69"). The full subject stays on the division's page.

Pure functions of the text: the same subject always gets the same label, in lists, on the
home page, on a bill's page and in the division's own title.
"""

from __future__ import annotations

import re
from functools import lru_cache

# "Bill C-69, An Act to …" / "Bill S-3, A second Act to …" / "projet de loi C-69, Loi …":
# the bill's number stays, its title goes; a closing procedural qualifier such as
# "(report stage amendment)" stays (the title's own parentheses, "(medical assistance in
# dying)", go with it).
_BILL_AND_TITLE = re.compile(r"\b(?:Bill|[Pp]rojet de loi) [CS]-\d+[A-Z]?(?=,)")
_QUALIFIER = re.compile(
    r"\s(\([^()]*\b(?:amendment|subamendment|recommittal|referral|hoist|reasoned|amendement|"
    r"sous-amendement|renvoi|motion)\b[^()]*\))$",
    re.IGNORECASE,
)
MAX_LABEL = 110


@lru_cache(maxsize=8192)
def short_subject(subject: str) -> str:
    """A division's subject without the long title of the bill it names, and cut at a word
    boundary (with an ellipsis) when it is still longer than MAX_LABEL characters."""
    text = " ".join(subject.split())
    label = text
    bill = _BILL_AND_TITLE.search(text)
    if bill is not None:
        qualifier = _QUALIFIER.search(text, bill.end())
        label = text[: bill.end()] + (f" {qualifier.group(1)}" if qualifier else "")
    if len(label) <= MAX_LABEL:
        return label
    cut = label[: MAX_LABEL - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
