"""bills: sponsor by PersonId, latest stage, event times, messages between the chambers;
sessions with their dates

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00

* `bills.sponsor_person_id` keeps the sponsor's PersonId as LEGISinfo gives it, so the
  link to the member (`sponsor_member_id`) is made whichever of the two arrives first.
* `bills.latest_stage*`: the latest stage reached (and in which chamber), which the
  displayed status follows; `status_en/fr` stay the source's own words.
* `bill_events.event_at`: the stage's time with its offset, not just its day.
* `bill_messages`: the messages between the chambers about a bill.
* `parliamentary_sessions.start_date/end_date` are filled for the sessions of the
  Library of Parliament's record (`openpolicy/parliaments.py`, copied here so this
  migration never changes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSIONS = (
    ("35-1", "1994-01-17", "1996-02-02"),
    ("35-2", "1996-02-27", "1997-04-27"),
    ("36-1", "1997-09-22", "1999-09-18"),
    ("36-2", "1999-10-12", "2000-10-22"),
    ("37-1", "2001-01-29", "2002-09-16"),
    ("37-2", "2002-09-30", "2003-11-12"),
    ("37-3", "2004-02-02", "2004-05-23"),
    ("38-1", "2004-10-04", "2005-11-29"),
    ("39-1", "2006-04-03", "2007-09-14"),
    ("39-2", "2007-10-16", "2008-09-07"),
    ("40-1", "2008-11-18", "2008-12-04"),
    ("40-2", "2009-01-26", "2009-12-30"),
    ("40-3", "2010-03-03", "2011-03-26"),
    ("41-1", "2011-06-02", "2013-09-13"),
    ("41-2", "2013-10-16", "2015-08-02"),
    ("42-1", "2015-12-03", "2019-09-11"),
    ("43-1", "2019-12-05", "2020-08-18"),
    ("43-2", "2020-09-23", "2021-08-15"),
    ("44-1", "2021-11-22", "2025-01-06"),
    ("45-1", "2025-05-26", None),
)


def upgrade() -> None:
    op.add_column(
        "bills",
        sa.Column(
            "sponsor_person_id", sa.Integer(), nullable=True, comment="the sponsor's PersonId"
        ),
    )
    op.add_column(
        "bills",
        sa.Column(
            "latest_stage", sa.Text(), nullable=True, comment="latest stage reached: stable code"
        ),
    )
    op.add_column("bills", sa.Column("latest_stage_name_en", sa.Text(), nullable=True))
    op.add_column("bills", sa.Column("latest_stage_name_fr", sa.Text(), nullable=True))
    op.add_column(
        "bills",
        sa.Column(
            "latest_stage_chamber",
            sa.Text(),
            nullable=True,
            comment="house, senate or royal_assent",
        ),
    )
    op.execute(
        "UPDATE bills b SET sponsor_person_id = m.person_id FROM elected_members m"
        " WHERE m.id = b.sponsor_member_id"
    )
    op.add_column(
        "bill_events",
        sa.Column(
            "event_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the stage's time, when the source gives one",
        ),
    )
    op.create_table(
        "bill_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.SmallInteger(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_fr", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chamber", sa.Text(), nullable=True, comment="house or senate"),
        sa.Column("sitting_number", sa.Integer(), nullable=True),
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
        sa.Column("source_document_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "chamber IN ('house', 'senate')", name=op.f("ck_bill_messages_known_chamber")
        ),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bills.id"],
            name=op.f("fk_bill_messages_bill_id_bills"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_document_id"],
            ["source_documents.id"],
            name=op.f("fk_bill_messages_source_document_id_source_documents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_messages")),
        sa.UniqueConstraint("bill_id", "sequence", name=op.f("uq_bill_messages_bill_id_sequence")),
    )
    for code, start, end in SESSIONS:
        op.execute(
            sa.text(
                "UPDATE parliamentary_sessions SET start_date = COALESCE(start_date, :start),"
                " end_date = COALESCE(end_date, :end) WHERE code = :code"
            ).bindparams(
                sa.bindparam("start", dt.date.fromisoformat(start), type_=sa.Date),
                sa.bindparam("end", dt.date.fromisoformat(end) if end else None, type_=sa.Date),
                code=code,
            )
        )


def downgrade() -> None:
    op.drop_table("bill_messages")
    op.drop_column("bill_events", "event_at")
    for column in (
        "latest_stage_chamber",
        "latest_stage_name_fr",
        "latest_stage_name_en",
        "latest_stage",
        "sponsor_person_id",
    ):
        op.drop_column("bills", column)
