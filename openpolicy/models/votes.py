"""Recorded divisions and every member's ballot."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base, ProvenanceMixin, TimestampMixin


class Vote(TimestampMixin, ProvenanceMixin, Base):
    """A recorded division, keyed `(session, number)`, with the official totals."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        CheckConstraint("result IN ('agreed', 'negatived', 'tied')", name="known_result"),
        CheckConstraint("yeas >= 0 AND nays >= 0 AND paired >= 0", name="non_negative_totals"),
        Index("ix_votes_date", "date"),
        Index("ix_votes_bill_id", "bill_id"),
        Index("ix_votes_session_id_bill_number", "session_id", "bill_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("parliamentary_sessions.id"))
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    sitting_number: Mapped[int | None] = mapped_column(SmallInteger)
    subject_en: Mapped[str | None] = mapped_column(Text)
    subject_fr: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(16))
    yeas: Mapped[int] = mapped_column(SmallInteger)
    nays: Mapped[int] = mapped_column(SmallInteger)
    paired: Mapped[int] = mapped_column(SmallInteger)
    document_type: Mapped[str | None] = mapped_column(Text, comment="Supply, Report Stage…")
    bill_number: Mapped[str | None] = mapped_column(String(16), comment="as the source names it")
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id", ondelete="SET NULL"))
    totals_derived: Mapped[bool] = mapped_column(
        Boolean,
        server_default="false",
        comment="true while no divisions list was read: yeas/nays/paired counted from ballots",
    )


class Ballot(ProvenanceMixin, Base):
    """One member's ballot in one division, with their party on the division date."""

    __tablename__ = "ballots"
    __table_args__ = (
        # INCLUDE: a division's ballots are read from the index alone (no heap pages).
        UniqueConstraint("vote_id", "member_id", postgresql_include=["party_id", "value"]),
        CheckConstraint("value IN ('yea', 'nay', 'paired')", name="known_value"),
        Index(  # covering: a member's voting record reads no heap pages
            "ix_ballots_member_id_vote_id",
            "member_id",
            "vote_id",
            postgresql_include=["value", "party_id"],
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("elected_members.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    value: Mapped[str] = mapped_column(String(8))
