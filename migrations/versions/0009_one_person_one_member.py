"""members: one person is one member — names over time, and the duplicates merged

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:00:00

Earlier versions created a second member for a person they met under another name or
before their PersonId was known ("Rhéal Fortin" holding the term and speeches, "Rhéal Éloi
Fortin" holding the ballot; "Rachael Harder" and "Rachael Thomas" in one seat). This
migration:

* creates `member_names` (every name a member was known by, first and last day seen) and
  fills it from the members' current names and their terms' dates;
* adds `member_terms.person_id` (the PersonId the source printed with the term);
* merges the duplicates: two members are one person when they held the same seat on the
  same days (a seat has one member on a day; an open term ends at the latest with its
  Parliament's dissolution) and their names agree in part (same first or last name, or
  one's words within the other's), or when they bear the same name and held the same
  seat; never two PersonIds. The member with the PersonId (else the older row) stays;
  terms, ballots, speeches, sponsorships, printed division names and names move to it;
  a row both held is kept once, and each merge is written to `audit_events`
  (`member.merge`, with what moved).

Downgrading drops the new table and column; merges are not undone (the audit log says
what each joined).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy (this migration must not change when the application's table does).
DISSOLUTIONS = {
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


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in letters.casefold())
    return " ".join(cleaned.split())


def _agree(a: tuple[str, str], b: tuple[str, str]) -> bool:
    if _key(a[0]) == _key(b[0]) or _key(a[1]) == _key(b[1]):
        return True
    left, right = set(_key(f"{a[0]} {a[1]}").split()), set(_key(f"{b[0]} {b[1]}").split())
    return left <= right or right <= left


def upgrade() -> None:
    op.create_table(
        "member_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=True, comment="first day seen in use"),
        sa.Column("last_seen", sa.Date(), nullable=True, comment="last day seen in use"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["elected_members.id"],
            name=op.f("fk_member_names_member_id_elected_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_names")),
        sa.UniqueConstraint(
            "member_id",
            "first_name",
            "last_name",
            name=op.f("uq_member_names_member_id_first_name_last_name"),
        ),
    )
    op.create_index("ix_member_names_last_name", "member_names", ["last_name"], unique=False)
    op.add_column(
        "member_terms",
        sa.Column(
            "person_id",
            sa.Integer(),
            nullable=True,
            comment="the PersonId the source printed with this term",
        ),
    )
    op.execute(
        "INSERT INTO member_names (member_id, first_name, last_name, full_name, first_seen,"
        " last_seen) SELECT m.id, m.first_name, m.last_name, m.full_name,"
        " (SELECT min(t.start_date) FROM member_terms t WHERE t.member_id = m.id),"
        " (SELECT max(coalesce(t.end_date, t.start_date)) FROM member_terms t"
        "  WHERE t.member_id = m.id) FROM elected_members m"
    )
    op.execute(
        "UPDATE member_terms t SET person_id = m.person_id FROM elected_members m"
        " WHERE m.id = t.member_id AND m.person_id IS NOT NULL"
    )
    if context.is_offline_mode():
        # Printing SQL (`openpolicy db upgrade --sql`): merging needs the data.
        op.execute(
            "-- 0009: duplicate members are merged when this migration runs online"
            " (openpolicy db upgrade); see the revision's docstring"
        )
        return
    _merge_duplicates(op.get_bind())


def _merge_duplicates(conn: Any) -> None:
    members = {
        int(row[0]): (row[1], row[2], row[3])
        for row in conn.exec_driver_sql(
            "SELECT id, person_id, first_name, last_name FROM elected_members"
        )
    }
    terms: dict[int, list[tuple[int, dt.date, dt.date | None]]] = {}
    for member_id, constituency, start, end, parliament in conn.exec_driver_sql(
        "SELECT member_id, constituency_id, start_date, end_date, parliament FROM member_terms"
    ):
        last = end if end is not None else DISSOLUTIONS.get(parliament)
        terms.setdefault(int(member_id), []).append((int(constituency), start, last))
    parent = {member_id: member_id for member_id in members}

    def root(member_id: int) -> int:
        while parent[member_id] != member_id:
            parent[member_id] = parent[parent[member_id]]
            member_id = parent[member_id]
        return member_id

    def same_person(a: int, b: int) -> bool:
        pa, pb = members[a][0], members[b][0]
        if pa is not None and pb is not None:
            return False
        names_a, names_b = members[a][1:], members[b][1:]
        same_name = _key(" ".join(names_a)) == _key(" ".join(names_b))
        for seat_a, start_a, last_a in terms.get(a, []):
            for seat_b, start_b, last_b in terms.get(b, []):
                if seat_a != seat_b:
                    continue
                if same_name:
                    return True
                overlap = (last_a is None or start_b <= last_a) and (
                    last_b is None or start_a <= last_b
                )
                if overlap and _agree(names_a, names_b):
                    return True
        return False

    by_seat: dict[int, set[int]] = {}
    for member_id, held in terms.items():
        for seat, _, _ in held:
            by_seat.setdefault(seat, set()).add(member_id)
    for holders in by_seat.values():
        ordered = sorted(holders)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if root(a) != root(b) and same_person(a, b):
                    ra, rb = root(a), root(b)
                    # Never join two PersonIds through a third row.
                    if members[ra][0] is not None and members[rb][0] is not None:
                        continue
                    keep, gone = sorted((ra, rb), key=lambda m: (members[m][0] is None, m))
                    parent[gone] = keep
                    members[keep] = (
                        members[keep][0] if members[keep][0] is not None else members[gone][0],
                        *members[keep][1:],
                    )
    groups: dict[int, list[int]] = {}
    for member_id in members:
        if root(member_id) != member_id:
            groups.setdefault(root(member_id), []).append(member_id)
    for keep, gone_ids in sorted(groups.items()):
        for gone in sorted(gone_ids):
            moved = _merge(conn, keep, gone)
            conn.exec_driver_sql(
                "INSERT INTO audit_events (actor, action, details)"
                " VALUES ('migration 0009', 'member.merge', %(details)s::jsonb)",
                {
                    "details": json.dumps(
                        {
                            "kept": keep,
                            "merged": gone,
                            "kept_name": " ".join(members[keep][1:]),
                            "merged_name": " ".join(members[gone][1:]),
                            "moved": moved,
                        },
                        ensure_ascii=False,
                    )
                },
            )


def _merge(conn: Any, keep: int, gone: int) -> dict[str, int]:
    """Move every row of `gone` to `keep` (a row both hold is kept once), drop `gone`."""
    params = {"keep": keep, "gone": gone}
    statements = {
        "terms_both": "DELETE FROM member_terms d USING member_terms k"
        " WHERE d.member_id = %(gone)s AND k.member_id = %(keep)s"
        " AND k.constituency_id = d.constituency_id"
        " AND k.party_id IS NOT DISTINCT FROM d.party_id AND k.start_date = d.start_date",
        "terms": "UPDATE member_terms SET member_id = %(keep)s WHERE member_id = %(gone)s",
        "ballots_both": "DELETE FROM ballots d USING ballots k WHERE d.member_id = %(gone)s"
        " AND k.member_id = %(keep)s AND k.vote_id = d.vote_id",
        "ballots": "UPDATE ballots SET member_id = %(keep)s WHERE member_id = %(gone)s",
        "speeches": "UPDATE speeches SET member_id = %(keep)s WHERE member_id = %(gone)s",
        "sponsorships": "UPDATE bills SET sponsor_member_id = %(keep)s"
        " WHERE sponsor_member_id = %(gone)s",
        "division_names": "UPDATE division_names SET member_id = %(keep)s"
        " WHERE member_id = %(gone)s",
        "names_both": "DELETE FROM member_names d USING member_names k"
        " WHERE d.member_id = %(gone)s AND k.member_id = %(keep)s"
        " AND k.first_name = d.first_name AND k.last_name = d.last_name",
        "names": "UPDATE member_names SET member_id = %(keep)s WHERE member_id = %(gone)s",
    }
    moved = {name: conn.exec_driver_sql(sql, params).rowcount for name, sql in statements.items()}
    conn.exec_driver_sql("DELETE FROM elected_members WHERE id = %(gone)s", params)
    return moved


def downgrade() -> None:
    op.drop_column("member_terms", "person_id")
    op.drop_index("ix_member_names_last_name", table_name="member_names")
    op.drop_table("member_names")
