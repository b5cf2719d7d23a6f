"""Where a bill stands, read off its LEGISinfo stages: the tracker of its path (the
originating chamber's five stages, then the other chamber's, then royal assent; each done,
current or to come, or, for a bill whose path ended short of royal assent, the stop where
it was defeated, not proceeded with or dropped, and the stops after it not reached), a
plain status that names the chamber, and its stage history with repeated debate days
collapsed into one row.

Pure functions of the bill's detail (what `queries/bills.py: bill_detail` returns): the
page reads nothing more for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from openpolicy.queries.bills import ENDING_WORDS
from openpolicy.web.i18n import N_

STEPS = ("first_reading", "second_reading", "committee", "report", "third_reading")


@dataclass(frozen=True)
class Step:
    """One stop of the tracker: a stage in a chamber, its state and its first date."""

    chamber: str  # house | senate | royal_assent
    stage: str
    # done | current | todo, or where the path ended (an ENDINGS kind) and not_reached after
    state: str
    date: str | None


# What a stop of the tracker says, in every state.
STATE_WORDS = {
    "done": N_("done"),
    "current": N_("current stage"),
    "todo": N_("to come"),
    "defeated": N_("defeated"),
    "not_proceeded": N_("not proceeded with"),
    "dropped": N_("dropped from the Order Paper"),
    "withdrawn": N_("withdrawn"),
    "not_reached": N_("not reached"),
}
# The plain status of a bill whose path ended, by how and in which chamber.
ENDED_STATUS = {
    ("defeated", "house"): N_("Defeated in the House of Commons: %(stage)s"),
    ("defeated", "senate"): N_("Defeated in the Senate: %(stage)s"),
    ("not_proceeded", "house"): N_("Not proceeded with in the House of Commons: %(stage)s"),
    ("not_proceeded", "senate"): N_("Not proceeded with in the Senate: %(stage)s"),
    ("dropped", "house"): N_("Dropped from the Order Paper of the House of Commons: %(stage)s"),
    ("dropped", "senate"): N_("Dropped from the Order Paper of the Senate: %(stage)s"),
    ("withdrawn", "house"): N_("Withdrawn in the House of Commons: %(stage)s"),
    ("withdrawn", "senate"): N_("Withdrawn in the Senate: %(stage)s"),
}
# A House division that decides a reading of the bill itself, not an amendment to the
# motion ("2nd reading of Bill C-239, An Act to amend the Income Tax Act (charitable
# gifts)", but not "… (reasoned amendment)" or "… (subamendment)").
_READING_DIVISION = re.compile(r"^(2nd|second|3rd|third) reading\b", re.IGNORECASE)
_AMENDMENT_DIVISION = re.compile(
    r"\((sub-?amendment|amendment|reasoned amendment|amendment to the amendment)\)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Ending:
    """Where and how a bill's path ended short of royal assent. `chamber`/`stage`: the
    stop, when the record names it (else the stop the bill had reached)."""

    kind: str  # an ENDED_STATUS kind: defeated | not_proceeded | dropped | withdrawn
    chamber: str | None
    stage: str | None
    date: str | None


def _ending_kind(words: str | None) -> str | None:
    if not words:
        return None
    text = words.casefold()
    return next((kind for kind, found in ENDING_WORDS if any(w in text for w in found)), None)


def ending(bill: dict[str, Any]) -> Ending | None:
    """How the bill's path ended, if the record says it did: a stage event that ends it
    (the last one wins), else a negatived House division on its second or third reading,
    else a status in those words. None for a bill with royal assent or still before
    Parliament as far as the record tells."""
    if bill.get("royal_assent"):
        return None
    for event in reversed(bill["stages"]):
        kind = _ending_kind(event.get("name_en"))
        if kind is not None:
            stage = event["stage"] if event["stage"] in STEPS else None
            date = None if event["date"] is None else str(event["date"])
            return Ending(kind, event["chamber"], stage, date)
    for division in reversed(bill.get("divisions") or ()):
        subject = division.get("subject_en") or ""
        reading = _READING_DIVISION.match(subject)
        if (
            division.get("result") == "negatived"
            and reading
            and not _AMENDMENT_DIVISION.search(subject)
        ):
            stage = "second_reading" if reading.group(1)[0] in "2sS" else "third_reading"
            return Ending("defeated", "house", stage, str(division.get("date") or "") or None)
    kind = _ending_kind(bill.get("status_en"))
    if kind is not None:
        return Ending(kind, None, None, None)
    return None


@dataclass
class HistoryRow:
    """Consecutive stage events of the same name, one row: "Debate at second reading,
    4 sitting days"."""

    chamber: str | None
    stage: str | None
    name_en: str | None
    name_fr: str | None
    outcome: str | None
    dates: list[str] = field(default_factory=list)
    events: int = 0

    @property
    def first(self) -> str | None:
        return self.dates[0] if self.dates else None

    @property
    def last(self) -> str | None:
        return self.dates[-1] if self.dates else None


def _reached(stage: dict[str, Any]) -> bool:
    return stage["outcome"] != "not_reached" and (
        stage["date"] is not None or stage["outcome"] in ("completed", "in_progress")
    )


def chamber_order(bill: dict[str, Any]) -> tuple[str, str]:
    """The chambers in the order the bill passes them (a Senate bill starts there)."""
    if bill.get("chamber") == "senate" or str(bill.get("number", "")).startswith("S-"):
        return ("senate", "house")
    return ("house", "senate")


def tracker(bill: dict[str, Any]) -> list[Step]:
    """The bill's path, each stop done, current or to come. The current stop is the stage
    LEGISinfo marks in progress, else the latest stage reached; a bill with royal assent
    has every stop done. A bill whose path ended (`ending`) has, instead of a current
    stop, the stop where it ended, in the way it ended, and the stops after it not
    reached: nothing is still to come."""
    order = [(chamber, stage) for chamber in chamber_order(bill) for stage in STEPS]
    order.append(("royal_assent", "royal_assent"))
    place = {key: index for index, key in enumerate(order)}
    first_date: dict[tuple[str, str], str] = {}
    current = -1
    in_progress = -1
    for stage in bill["stages"]:
        chamber = "royal_assent" if stage["stage"] == "royal_assent" else stage["chamber"]
        key = (chamber, stage["stage"])
        if key not in place or not _reached(stage):
            continue
        if stage["date"] is not None:
            first_date.setdefault(key, str(stage["date"]))
        current = max(current, place[key])
        if stage["outcome"] == "in_progress":
            in_progress = place[key]
    if bill.get("royal_assent"):
        current = len(order)  # past the end: everything done
        first_date.setdefault(("royal_assent", "royal_assent"), str(bill["royal_assent"]))
    elif in_progress >= 0:
        current = in_progress
    ended = ending(bill)
    if ended is None:
        here, after = "current", "todo"
    else:
        here, after = ended.kind, "not_reached"
        stop = place.get((ended.chamber or "", ended.stage or ""))
        current = stop if stop is not None else max(current, 0)
        if ended.date is not None:
            first_date[order[current]] = ended.date
    return [
        Step(
            chamber,
            stage,
            "done" if index < current else here if index == current else after,
            first_date.get((chamber, stage)),
        )
        for index, (chamber, stage) in enumerate(order)
    ]


def current_step(steps: list[Step]) -> Step | None:
    """The stop the bill is at, or where its path ended (None once it has royal assent or
    before any stage)."""
    return next((step for step in steps if step.state not in ("done", "todo", "not_reached")), None)


def history(stages: list[dict[str, Any]]) -> list[HistoryRow]:
    """The stage events in order, consecutive events of the same chamber and name in one
    row with their distinct dates (six "Debate at Second Reading" days read as one row)."""
    rows: list[HistoryRow] = []
    for stage in stages:
        last = rows[-1] if rows else None
        if (
            last is not None
            and last.chamber == stage["chamber"]
            and (last.name_en, last.name_fr, last.stage)
            == (stage["name_en"], stage["name_fr"], stage["stage"])
            and last.outcome == stage["outcome"]
        ):
            row = last
        else:
            row = HistoryRow(
                stage["chamber"],
                stage["stage"],
                stage["name_en"],
                stage["name_fr"],
                stage["outcome"],
            )
            rows.append(row)
        row.events += 1
        date = stage["date"]
        if date is not None and str(date) not in row.dates:
            row.dates.append(str(date))
    return rows


# The clean vocabulary of the status filter: every status LEGISinfo prints, old and new
# wording alike ("Royal Assent", "Royal assent received"; "First Reading", "Introduction
# and First Reading"), falls under one of these, matched on its words.
# Checked in this order: "Second Reading and Referral to Committee" is second reading.
_STATUS_WORDS = (
    ("royal_assent", ("royal assent",)),
    ("defeated", ("defeated", "negatived", "withdrawn", "not proceeded", "dropped")),
    ("third_reading", ("third reading", "3rd reading")),
    ("report", ("report stage",)),
    ("second_reading", ("second reading", "2nd reading")),
    ("committee", ("committee",)),
    ("first_reading", ("first reading", "1st reading", "introduction")),
)
# The filter's choices, in the order of a bill's path.
STATUS_GROUPS = {
    "first_reading": N_("At first reading"),
    "second_reading": N_("At second reading"),
    "committee": N_("In committee"),
    "report": N_("At report stage"),
    "third_reading": N_("At third reading"),
    "royal_assent": N_("Royal assent received"),
    "defeated": N_("Defeated or withdrawn"),
}


def status_group(status_en: str | None) -> str | None:
    """The clean status a LEGISinfo status belongs to (None when none fits)."""
    if not status_en:
        return None
    text = status_en.casefold()
    for group, words in _STATUS_WORDS:
        if any(word in text for word in words):
            return group
    return None
