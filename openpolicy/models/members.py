"""Elected members and their terms (member × constituency × party × dates)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base, ProvenanceMixin, TimestampMixin


class ElectedMember(TimestampMixin, ProvenanceMixin, Base):
    """A person who sat in the House. `person_id` is ourcommons' PersonId when known."""

    __tablename__ = "elected_members"
    __table_args__ = (
        UniqueConstraint("person_id"),
        Index("ix_elected_members_last_name_first_name", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(Integer, comment="ourcommons PersonId")
    honorific: Mapped[str | None] = mapped_column(Text, comment="Hon., Right Hon.")
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    full_name: Mapped[str] = mapped_column(Text)
    photo_url: Mapped[str | None] = mapped_column(Text)


class MemberTerm(TimestampMixin, ProvenanceMixin, Base):
    """One stretch of a member in one seat for one party; floor-crossing starts a new row."""

    __tablename__ = "member_terms"
    __table_args__ = (
        UniqueConstraint(
            "member_id",
            "constituency_id",
            "party_id",
            "start_date",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        Index("ix_member_terms_constituency_id_start_date", "constituency_id", "start_date"),
        Index("ix_member_terms_party_id", "party_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("elected_members.id", ondelete="CASCADE"), index=True
    )
    constituency_id: Mapped[int] = mapped_column(ForeignKey("constituencies.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    parliament: Mapped[int | None] = mapped_column(SmallInteger)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    inferred: Mapped[bool] = mapped_column(
        Boolean,
        server_default="false",
        comment="true: known only from ballots (in this seat on those dates), not a members list",
    )
