"""The calendar of the House: general elections, sessions and dissolutions.

Reference data, from the Library of Parliament's record of Parliaments and sessions
(ParlInfo, lop.parl.ca): the feeds name a session ("44-1") but never its dates. A session
opens with its first sitting and ends at prorogation or dissolution; a Parliament begins
at its general election (members elected at a by-election belong to the Parliament
sitting then) and ends at its dissolution. A session newer than this table gets its start
from its first Hansard sitting when that is imported.
"""

from __future__ import annotations

import datetime as dt

# Parliament → the day of its general election.
GENERAL_ELECTIONS: tuple[tuple[int, dt.date], ...] = (
    (35, dt.date(1993, 10, 25)),
    (36, dt.date(1997, 6, 2)),
    (37, dt.date(2000, 11, 27)),
    (38, dt.date(2004, 6, 28)),
    (39, dt.date(2006, 1, 23)),
    (40, dt.date(2008, 10, 14)),
    (41, dt.date(2011, 5, 2)),
    (42, dt.date(2015, 10, 19)),
    (43, dt.date(2019, 10, 21)),
    (44, dt.date(2021, 9, 20)),
    (45, dt.date(2025, 4, 28)),
)

# Parliament → the day it was dissolved: every seat of it ended then at the latest.
DISSOLUTIONS: dict[int, dt.date] = {
    35: dt.date(1997, 4, 27),
    36: dt.date(2000, 10, 22),
    37: dt.date(2004, 5, 23),
    38: dt.date(2005, 11, 29),
    39: dt.date(2008, 9, 7),
    40: dt.date(2011, 3, 26),
    41: dt.date(2015, 8, 2),
    42: dt.date(2019, 9, 11),
    43: dt.date(2021, 8, 15),
    44: dt.date(2025, 3, 23),
}

# (parliament, session) → (opened, ended by prorogation or dissolution; None: sitting).
SESSIONS: dict[tuple[int, int], tuple[dt.date, dt.date | None]] = {
    (35, 1): (dt.date(1994, 1, 17), dt.date(1996, 2, 2)),
    (35, 2): (dt.date(1996, 2, 27), dt.date(1997, 4, 27)),
    (36, 1): (dt.date(1997, 9, 22), dt.date(1999, 9, 18)),
    (36, 2): (dt.date(1999, 10, 12), dt.date(2000, 10, 22)),
    (37, 1): (dt.date(2001, 1, 29), dt.date(2002, 9, 16)),
    (37, 2): (dt.date(2002, 9, 30), dt.date(2003, 11, 12)),
    (37, 3): (dt.date(2004, 2, 2), dt.date(2004, 5, 23)),
    (38, 1): (dt.date(2004, 10, 4), dt.date(2005, 11, 29)),
    (39, 1): (dt.date(2006, 4, 3), dt.date(2007, 9, 14)),
    (39, 2): (dt.date(2007, 10, 16), dt.date(2008, 9, 7)),
    (40, 1): (dt.date(2008, 11, 18), dt.date(2008, 12, 4)),
    (40, 2): (dt.date(2009, 1, 26), dt.date(2009, 12, 30)),
    (40, 3): (dt.date(2010, 3, 3), dt.date(2011, 3, 26)),
    (41, 1): (dt.date(2011, 6, 2), dt.date(2013, 9, 13)),
    (41, 2): (dt.date(2013, 10, 16), dt.date(2015, 8, 2)),
    (42, 1): (dt.date(2015, 12, 3), dt.date(2019, 9, 11)),
    (43, 1): (dt.date(2019, 12, 5), dt.date(2020, 8, 18)),
    (43, 2): (dt.date(2020, 9, 23), dt.date(2021, 8, 15)),
    (44, 1): (dt.date(2021, 11, 22), dt.date(2025, 1, 6)),
    (45, 1): (dt.date(2025, 5, 26), None),
}


def parliament_on(day: dt.date) -> int | None:
    """The Parliament a seat won on `day` belongs to (by-elections included)."""
    found = None
    for number, elected in GENERAL_ELECTIONS:
        if day >= elected:
            found = number
    return found


def session_dates(parliament: int, session: int) -> tuple[dt.date | None, dt.date | None]:
    """When a session opened and ended, where known; ``(None, None)`` otherwise."""
    return SESSIONS.get((parliament, session), (None, None))


def latest_end(parliament: int | None) -> dt.date | None:
    """The last day a seat of this Parliament can have been held (its dissolution)."""
    return DISSOLUTIONS.get(parliament) if parliament is not None else None
