"""Closed vocabularies shared by sources, ingest, queries and the web.

The official feeds spell the same thing several ways (``Agreed To`` / ``Agreed to``,
``Quebec`` / ``Québec``, ``C‑2`` with a non-breaking hyphen). Everything is mapped
onto these enums once, at parse time, so nothing downstream compares raw strings.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Chamber(StrEnum):
    """A house of Parliament."""

    HOUSE = "house"
    SENATE = "senate"


class Language(StrEnum):
    """An official language; also the edition of a bilingual document."""

    EN = "en"
    FR = "fr"


class BillType(StrEnum):
    """LEGISinfo's bill document types (``BillDocumentTypeNameEn`` / ``BillTypeEn``)."""

    GOVERNMENT = "government"  # House Government Bill
    PRIVATE_MEMBER = "private_member"  # Private Member's Bill
    SENATE_GOVERNMENT = "senate_government"  # Senate Government Bill
    SENATE_PUBLIC = "senate_public"  # Senate Public Bill
    SENATE_PRIVATE = "senate_private"  # Senate Private Bill


class BillStage(StrEnum):
    """The legislative stage a bill event belongs to."""

    FIRST_READING = "first_reading"
    SECOND_READING = "second_reading"
    COMMITTEE = "committee"
    REPORT = "report"
    THIRD_READING = "third_reading"
    SENATE_PRE_STUDY = "senate_pre_study"
    ROYAL_ASSENT = "royal_assent"
    OTHER = "other"


class StageState(StrEnum):
    """Where a bill stands in one stage (LEGISinfo ``State`` / ``StateNameEn``)."""

    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    NOT_REACHED = "not_reached"
    OTHER = "other"


class VoteResult(StrEnum):
    """The outcome of a recorded division."""

    AGREED = "agreed"
    NEGATIVED = "negatived"
    TIED = "tied"


class NoteType(StrEnum):
    """What kind of unspoken line of a sitting a Hansard ``Note`` is."""

    PROCEDURAL = "procedural"  # ProceduralText: "(Motion agreed to)", "Bill C-2. Second reading"
    RESUMED = "resumed"  # "The House resumed consideration of the motion that Bill C-13…"
    TEXT = "text"  # other text printed outside any intervention (a message, a ruling…)
    PRAYER = "prayer"  # the Prayer that opens the sitting


class BallotValue(StrEnum):
    """How one member voted in a division."""

    YEA = "yea"
    NAY = "nay"
    PAIRED = "paired"


class Province(StrEnum):
    """The 13 provinces and territories, by postal abbreviation."""

    AB = "AB"
    BC = "BC"
    MB = "MB"
    NB = "NB"
    NL = "NL"
    NS = "NS"
    NT = "NT"
    NU = "NU"
    ON = "ON"
    PE = "PE"
    QC = "QC"
    SK = "SK"
    YT = "YT"


# --- lookups from the spellings printed in the feeds -------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"})


def normalize_apostrophes(text: str) -> str:
    """Replace typographic apostrophes (U+2019, U+02BC) with ``'``.

    LEGISinfo JSON and XML captures of the same bill differ only in this, so titles
    are compared and stored in the straight form.
    """
    return text.translate(_APOSTROPHES)


def normalize_hyphens(text: str) -> str:
    """Replace U+2010/U+2011/U+2012/U+2013 with ``-`` (bill numbers such as ``C‑2``).

    The em dash U+2014 is left alone: riding names use it (``Parry Sound—Muskoka``).
    """
    return text.translate(_HYPHENS)


def _key(text: str) -> str:
    return " ".join(normalize_hyphens(normalize_apostrophes(text)).casefold().split())


_BILL_NUMBER = re.compile(r"([CS])\s*-\s*([0-9]{1,4})([A-Z]?)\b")


def normalize_bill_number(text: str | None) -> str | None:
    """``'c‑11'`` → ``'C-11'``; ``'C-2, An Act to…'`` → ``'C-2'``; anything else → None."""
    if not text:
        return None
    match = _BILL_NUMBER.match(normalize_hyphens(text).strip().upper())
    if match is None:
        return None
    prefix, digits, suffix = match.groups()
    return f"{prefix}-{int(digits)}{suffix}"


def session_code(parliament: int, session: int) -> str:
    """``(45, 1)`` → ``'45-1'``: the session key used in URLs, records and tables."""
    return f"{parliament}-{session}"


# ASCII digits only: `\d` also matches ٤٥ and ４５, which int() would then accept.
_SESSION = re.compile(r"([0-9]{1,2})-([0-9])")


_ASCII_INT = re.compile(r"-?[0-9]{1,18}")


def ascii_int(raw: str) -> int | None:
    """An integer written in ASCII digits, else None (int() also takes ５, ٥, `1_000` and
    surrounding spaces, none of which a parameter of ours may hold)."""
    return int(raw) if _ASCII_INT.fullmatch(raw) else None


def parse_session_code(code: str) -> tuple[int, int]:
    """``'45-1'`` → ``(45, 1)``; raises ValueError on anything else."""
    match = _SESSION.fullmatch(code.strip())
    if match is None:
        raise ValueError(f"not a session code like '45-1': {code!r}")
    return int(match.group(1)), int(match.group(2))


_PROVINCE_NAMES: dict[str, Province] = {
    _key(name): province
    for province, names in {
        Province.AB: ("Alberta",),
        Province.BC: ("British Columbia", "Colombie-Britannique"),
        Province.MB: ("Manitoba",),
        Province.NB: ("New Brunswick", "Nouveau-Brunswick"),
        Province.NL: (
            "Newfoundland and Labrador",
            "Newfoundland & Labrador",
            "Newfoundland",
            "Terre-Neuve-et-Labrador",
        ),
        Province.NS: ("Nova Scotia", "Nouvelle-Écosse"),
        Province.NT: ("Northwest Territories", "Territoires du Nord-Ouest"),
        Province.NU: ("Nunavut",),
        Province.ON: ("Ontario",),
        Province.PE: ("Prince Edward Island", "Île-du-Prince-Édouard"),
        Province.QC: ("Quebec", "Québec"),
        Province.SK: ("Saskatchewan",),
        Province.YT: ("Yukon", "Yukon Territory", "Territoire du Yukon"),
    }.items()
    for name in (*names, province.value)
}


def province_from_name(name: str) -> Province | None:
    """Map a province or territory as printed (EN or FR, any case) to its enum."""
    return _PROVINCE_NAMES.get(_key(name))


_BILL_TYPES: dict[str, BillType] = {
    _key(name): bill_type
    for name, bill_type in (
        ("House Government Bill", BillType.GOVERNMENT),
        ("Government Bill", BillType.GOVERNMENT),
        ("Private Member's Bill", BillType.PRIVATE_MEMBER),
        ("Senate Government Bill", BillType.SENATE_GOVERNMENT),
        ("Senate Public Bill", BillType.SENATE_PUBLIC),
        ("Senate Private Bill", BillType.SENATE_PRIVATE),
        ("Projet de loi émanant d'un député", BillType.PRIVATE_MEMBER),
        ("Projet de loi d'intérêt public du Sénat", BillType.SENATE_PUBLIC),
        ("Projet de loi d'intérêt privé du Sénat", BillType.SENATE_PRIVATE),
    )
}


def bill_type_from_name(name: str) -> BillType | None:
    """Map LEGISinfo's bill type name (either apostrophe) to its enum."""
    return _BILL_TYPES.get(_key(name))


_VOTE_RESULTS: dict[str, VoteResult] = {
    "agreed to": VoteResult.AGREED,
    "agreed": VoteResult.AGREED,
    "adoptée": VoteResult.AGREED,
    "adopté": VoteResult.AGREED,
    "negatived": VoteResult.NEGATIVED,
    "rejetée": VoteResult.NEGATIVED,
    "rejeté": VoteResult.NEGATIVED,
    "tie": VoteResult.TIED,
    "tied": VoteResult.TIED,
    "égalité": VoteResult.TIED,
}


def vote_result_from_name(name: str) -> VoteResult | None:
    """Map ``DecisionResultName`` (``Agreed To``, ``Negatived``, ``Tie``, FR) to its enum."""
    return _VOTE_RESULTS.get(_key(name))


_BALLOT_VALUES: dict[str, BallotValue] = {
    "yea": BallotValue.YEA,
    "nay": BallotValue.NAY,
    "paired": BallotValue.PAIRED,
    "pour": BallotValue.YEA,
    "contre": BallotValue.NAY,
    "pairé": BallotValue.PAIRED,
    "pairée": BallotValue.PAIRED,
}


def ballot_value_from_name(name: str) -> BallotValue | None:
    """Map ``VoteValueName`` (``Yea``/``Nay``/``Paired``, FR ``Pour``/``Contre``) to its enum."""
    return _BALLOT_VALUES.get(_key(name))


_CHAMBERS: dict[str, Chamber] = {
    "1": Chamber.HOUSE,
    "2": Chamber.SENATE,
    "house of commons": Chamber.HOUSE,
    "chambre des communes": Chamber.HOUSE,
    "hoc": Chamber.HOUSE,
    "house": Chamber.HOUSE,
    "senate": Chamber.SENATE,
    "sénat": Chamber.SENATE,
    "sen": Chamber.SENATE,
}


def chamber_from_code(code: str) -> Chamber | None:
    """Map an organisation id (``1``/``2``), ``HOC``/``SEN`` or a chamber name to its enum."""
    return _CHAMBERS.get(_key(code))


_STAGE_IDS: dict[int, BillStage] = {
    60029: BillStage.FIRST_READING,
    60030: BillStage.SECOND_READING,
    60049: BillStage.COMMITTEE,
    60032: BillStage.REPORT,
    60031: BillStage.THIRD_READING,
    60038: BillStage.SENATE_PRE_STUDY,
    60050: BillStage.ROYAL_ASSENT,
}

# Checked in order: "Debate at Report Stage and Second Reading" is a report-stage event.
_STAGE_WORDS: tuple[tuple[tuple[str, ...], BillStage], ...] = (
    (("royal assent", "sanction royale"), BillStage.ROYAL_ASSENT),
    (("pre-study", "étude préalable"), BillStage.SENATE_PRE_STUDY),
    (("report stage", "étape du rapport"), BillStage.REPORT),
    (("third reading", "3rd reading", "troisième lecture"), BillStage.THIRD_READING),
    (("second reading", "2nd reading", "deuxième lecture"), BillStage.SECOND_READING),
    (("first reading", "1st reading", "première lecture"), BillStage.FIRST_READING),
    (("committee", "comité"), BillStage.COMMITTEE),
)


def bill_stage_from(stage_id: int | None, name: str | None) -> BillStage:
    """Classify a stage by LEGISinfo ``BillStageId``, falling back to its English name."""
    if stage_id is not None and stage_id in _STAGE_IDS:
        return _STAGE_IDS[stage_id]
    if name:
        lowered = _key(name)
        for words, stage in _STAGE_WORDS:
            if any(word in lowered for word in words):
                return stage
    return BillStage.OTHER


_STAGE_STATES: dict[str, StageState] = {
    "4": StageState.COMPLETED,
    "3": StageState.IN_PROGRESS,
    "1": StageState.NOT_REACHED,
    "completed": StageState.COMPLETED,
    "in progress": StageState.IN_PROGRESS,
    "not reached": StageState.NOT_REACHED,
}


def stage_state_from(state_id: str | None, name: str | None) -> StageState | None:
    """Map LEGISinfo ``State`` (4/3/1) or ``StateNameEn``; None when neither is given."""
    for value in (state_id, name):
        if value:
            found = _STAGE_STATES.get(_key(value))
            if found is not None:
                return found
    if (state_id and state_id != "0") or name:
        return StageState.OTHER
    return None
