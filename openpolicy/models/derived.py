"""Derived read-side state the database keeps exact for the API and the web site.

`data_version` moves on every change of civic data (cache keys, ETags); `vote_party_totals`
is kept by statement triggers on `ballots`, so a member's voting record can say in one index
lookup per division whether they voted against the majority of their party;
`debate_bill_mentions` is kept by statement triggers on `speeches`, so a bill's page lists
the sittings that name it without searching their text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base


class DataVersion(Base):
    """A single row (id 1): ingest bumps `version` in the transaction that changes data."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="1")
    version: Mapped[int] = mapped_column(
        BigInteger, server_default="0", comment="moves on every committed change of civic data"
    )
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), comment="Last-Modified of the API"
    )


class VotePartyTotal(Base):
    """Yeas, nays and paired of one party in one division (triggers on ballots keep it)."""

    __tablename__ = "vote_party_totals"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, comment="parties.id, or 0 for ballots without a party"
    )
    yeas: Mapped[int] = mapped_column(SmallInteger)
    nays: Mapped[int] = mapped_column(SmallInteger)
    paired: Mapped[int] = mapped_column(SmallInteger)


class DebateBillMention(Base):
    """How many speeches of one sitting name a bill number (triggers on speeches keep it)."""

    __tablename__ = "debate_bill_mentions"
    __table_args__ = (
        Index(
            "ix_debate_bill_mentions_bill_number_debate_id",
            "bill_number",
            "debate_id",
            postgresql_include=["speeches"],
        ),
    )

    debate_id: Mapped[int] = mapped_column(
        ForeignKey("debates.id", ondelete="CASCADE"), primary_key=True
    )
    bill_number: Mapped[str] = mapped_column(
        Text, primary_key=True, comment="as bills.number: C-11"
    )
    speeches: Mapped[int] = mapped_column(Integer, comment="speeches of the sitting naming it")
