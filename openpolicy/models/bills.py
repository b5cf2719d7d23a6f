"""Bills (LEGISinfo) and their stage history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base, ProvenanceMixin, TimestampMixin


class Bill(TimestampMixin, ProvenanceMixin, Base):
    """A bill in one session, keyed `(session, number)` as Parliament writes it (`C-11`)."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        UniqueConstraint("legisinfo_id"),
        Index("ix_bills_session_id_status_en", "session_id", "status_en"),
        Index("ix_bills_sponsor_member_id", "sponsor_member_id"),
        Index("ix_bills_latest_activity_at", "latest_activity_at"),
        Index(  # the API's default order (newest activity first, bills without one last)
            "ix_bills_activity_order",
            text(
                "COALESCE(latest_activity_at, '0001-01-01 00:00:00+00'::timestamp with time zone)"
            ),
            "id",
        ),
        Index(  # the same order within one session (the usual filter)
            "ix_bills_session_id_activity_order",
            "session_id",
            text(
                "COALESCE(latest_activity_at, '0001-01-01 00:00:00+00'::timestamp with time zone)"
            ),
            "id",
        ),
        Index("ix_bills_search_en", "search_en", postgresql_using="gin"),
        Index("ix_bills_search_fr", "search_fr", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legisinfo_id: Mapped[int | None] = mapped_column(Integer, comment="LEGISinfo Id / BillId")
    session_id: Mapped[int] = mapped_column(ForeignKey("parliamentary_sessions.id"))
    number: Mapped[str] = mapped_column(String(16), comment="C-11, S-209")
    number_prefix: Mapped[str | None] = mapped_column(String(4))
    number_int: Mapped[int | None] = mapped_column(SmallInteger)
    title_en: Mapped[str | None] = mapped_column(Text)
    title_fr: Mapped[str | None] = mapped_column(Text)
    short_title_en: Mapped[str | None] = mapped_column(Text)
    short_title_fr: Mapped[str | None] = mapped_column(Text)
    bill_type: Mapped[str | None] = mapped_column(Text, comment="government, private_member…")
    originating_chamber: Mapped[str | None] = mapped_column(Text, comment="house or senate")
    sponsor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("elected_members.id", ondelete="SET NULL")
    )
    sponsor_name: Mapped[str | None] = mapped_column(Text, comment="as LEGISinfo prints it")
    status_en: Mapped[str | None] = mapped_column(Text)
    status_fr: Mapped[str | None] = mapped_column(Text)
    introduced_date: Mapped[date | None] = mapped_column(Date)
    royal_assent_date: Mapped[date | None] = mapped_column(Date)
    latest_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    text_url: Mapped[str | None] = mapped_column(Text, comment="official text of the bill")
    division_numbers: Mapped[list[int] | None] = mapped_column(
        ARRAY(Integer), comment="House divisions LEGISinfo lists for this bill (HouseVoteDetails)"
    )
    search_en: Mapped[str | None] = mapped_column(
        TSVECTOR, comment="stored, not generated: restores must not recompute it"
    )
    search_fr: Mapped[str | None] = mapped_column(TSVECTOR)


class BillEvent(TimestampMixin, ProvenanceMixin, Base):
    """One stage of a bill in one chamber (LEGISinfo BillStages), in order."""

    __tablename__ = "bill_events"
    __table_args__ = (
        UniqueConstraint("bill_id", "sequence"),
        CheckConstraint("chamber IN ('house', 'senate', 'royal_assent')", name="known_chamber"),
        Index("ix_bill_events_event_date", "event_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(SmallInteger)
    chamber: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(Text, comment="stable code, e.g. second_reading")
    stage_name_en: Mapped[str | None] = mapped_column(Text)
    stage_name_fr: Mapped[str | None] = mapped_column(Text)
    event_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
