"""What can be followed, named as the site and the API name it, and how it is described.

* a member: `elected_members.id` (the site's `/members/{id}`);
* a bill: session and number, `45-1` and `C-2` (`/bills/45-1/C-2`);
* a division: session and number (`/votes/45-1/12`), or none at all: every new division;
* a saved search: the words (websearch syntax, as the search page takes them), the
  language of the speeches (`en`, `fr` or `any`), and the speaker and party facets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection

from openpolicy.alerts.searches import SearchSpec, saved_search_id
from openpolicy.errors import NotFoundError, ValidationFailedError

__all__ = ["Description", "SearchSpec", "Target", "TargetSpec", "describe", "resolve"]

KIND_NAMES = ("member", "bill", "division", "search")
_SESSION = re.compile(r"^\d{1,3}-\d{1,2}$")
_BILL_NUMBER = re.compile(r"^[CSTUcstu]-\d{1,4}[A-Za-z]?$")


@dataclass(frozen=True)
class TargetSpec:
    """What someone asks to follow, in public identifiers (validated by `resolve`)."""

    kind: str
    member_id: int | None = None
    session: str | None = None
    number: str | None = None  # a bill number (C-2) or a division number (12)
    search: SearchSpec | None = None


@dataclass(frozen=True)
class Target:
    """A resolved target: the row ids a subscription stores."""

    kind: str
    member_id: int | None = None
    bill_id: int | None = None
    vote_id: int | None = None
    search_id: int | None = None

    def columns(self) -> tuple[int | None, int | None, int | None, int | None]:
        return (self.member_id, self.bill_id, self.vote_id, self.search_id)


@dataclass
class Description:
    """How a subscription's target is shown: structured, so each language words it itself."""

    kind: str
    path: str | None
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, **self.facts}


def _session_id(conn: Connection[Any], code: str | None, what: str) -> int:
    if code is None or not _SESSION.match(code):
        raise ValidationFailedError(f"{what}.session: expected a session like 45-1, got {code!r}")
    row = conn.execute("SELECT id FROM parliamentary_sessions WHERE code = %s", (code,)).fetchone()
    if row is None:
        raise NotFoundError(f"{what}.session: no session {code}")
    return int(row[0])


def resolve(conn: Connection[Any], spec: TargetSpec) -> Target:
    """Row ids of what `spec` names; a clear 4xx naming the field when it names nothing."""
    if spec.kind == "member":
        if spec.member_id is None:
            raise ValidationFailedError("follow.member_id: a member id is required")
        found = conn.execute(
            "SELECT id FROM elected_members WHERE id = %s", (spec.member_id,)
        ).fetchone()
        if found is None:
            raise NotFoundError(f"follow.member_id: no member {spec.member_id}")
        return Target("member", member_id=int(found[0]))
    if spec.kind == "bill":
        session_id = _session_id(conn, spec.session, "follow")
        number = (spec.number or "").strip().upper()
        if not _BILL_NUMBER.match(number):
            raise ValidationFailedError(
                f"follow.number: expected a bill number like C-2, got {spec.number!r}"
            )
        found = conn.execute(
            "SELECT id FROM bills WHERE session_id = %s AND number = %s", (session_id, number)
        ).fetchone()
        if found is None:
            raise NotFoundError(f"follow: no bill {number} in session {spec.session}")
        return Target("bill", bill_id=int(found[0]))
    if spec.kind == "division":
        if spec.session is None and spec.number is None:
            return Target("division")  # every new division
        session_id = _session_id(conn, spec.session, "follow")
        if spec.number is None or not str(spec.number).isdigit():
            raise ValidationFailedError(
                f"follow.number: expected a division number like 12, got {spec.number!r}"
            )
        found = conn.execute(
            "SELECT id FROM votes WHERE session_id = %s AND number = %s",
            (session_id, int(spec.number)),
        ).fetchone()
        if found is None:
            raise NotFoundError(f"follow: no division {spec.number} in session {spec.session}")
        return Target("division", vote_id=int(found[0]))
    if spec.kind == "search":
        if spec.search is None:
            raise ValidationFailedError("follow.q: the words to look for are required")
        return Target("search", search_id=saved_search_id(conn, spec.search))
    raise ValidationFailedError(
        f"follow.kind: expected one of {', '.join(KIND_NAMES)}, got {spec.kind!r}"
    )


_DESCRIBE = """
SELECT sub.id, sub.kind,
       m.id, m.full_name,
       bps.code, b.number, coalesce(b.short_title_en, b.title_en),
       coalesce(b.short_title_fr, b.title_fr),
       vps.code, v.number, v.subject_en, v.subject_fr, v.date,
       q.query, q.language, qm.id, qm.full_name, p.short_name_en, p.short_name_fr
FROM alert_subscriptions sub
LEFT JOIN elected_members m ON m.id = sub.member_id
LEFT JOIN bills b ON b.id = sub.bill_id
LEFT JOIN parliamentary_sessions bps ON bps.id = b.session_id
LEFT JOIN votes v ON v.id = sub.vote_id
LEFT JOIN parliamentary_sessions vps ON vps.id = v.session_id
LEFT JOIN alert_searches q ON q.id = sub.search_id
LEFT JOIN elected_members qm ON qm.id = q.member_id
LEFT JOIN parties p ON p.id = q.party_id
WHERE sub.id = ANY(%s)
"""


def describe(conn: Connection[Any], subscription_ids: list[int]) -> dict[int, Description]:
    """How each subscription's target is shown (one statement for any number of them)."""
    if not subscription_ids:
        return {}
    found: dict[int, Description] = {}
    for row in conn.execute(_DESCRIBE, (subscription_ids,)).fetchall():
        sid, kind = int(row[0]), row[1]
        if kind == "member":
            found[sid] = Description(
                kind, f"/members/{row[2]}", {"member_id": row[2], "name": row[3]}
            )
        elif kind == "bill":
            found[sid] = Description(
                kind,
                f"/bills/{row[4]}/{row[5]}",
                {"session": row[4], "number": row[5], "title_en": row[6], "title_fr": row[7]},
            )
        elif kind == "division" and row[8] is not None:
            found[sid] = Description(
                kind,
                f"/votes/{row[8]}/{row[9]}",
                {
                    "session": row[8],
                    "number": row[9],
                    "subject_en": row[10],
                    "subject_fr": row[11],
                    "date": row[12].isoformat() if row[12] else None,
                },
            )
        elif kind == "division":
            found[sid] = Description(kind, "/votes", {"every_division": True})
        else:
            found[sid] = Description(
                kind,
                "/search",
                {
                    "q": row[13],
                    "language": row[14],
                    "member_id": row[15],
                    "member_name": row[16],
                    "party": row[17],
                    "party_fr": row[18],
                },
            )
    return found


def public_target(description: Description) -> dict[str, Any]:
    """The target as the API shows it (what POST /api/v1/subscriptions takes back)."""
    facts = description.facts
    if description.kind == "member":
        return {"kind": "member", "member_id": facts["member_id"], "name": facts["name"]}
    if description.kind == "bill":
        return {
            "kind": "bill",
            "session": facts["session"],
            "number": facts["number"],
            "title_en": facts["title_en"],
            "title_fr": facts["title_fr"],
        }
    if description.kind == "division":
        if facts.get("every_division"):
            return {"kind": "division"}
        return {
            "kind": "division",
            "session": facts["session"],
            "number": facts["number"],
            "subject_en": facts["subject_en"],
            "subject_fr": facts["subject_fr"],
        }
    return {
        "kind": "search",
        "q": facts["q"],
        "language": facts["language"],
        "member_id": facts["member_id"],
        "party": facts["party"],
    }
