"""Hansard sittings and their speeches (interventions), English and French side by side."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base, ProvenanceMixin, TimestampMixin


class Debate(TimestampMixin, ProvenanceMixin, Base):
    """One sitting's Hansard, keyed `(session, number)`."""

    __tablename__ = "debates"
    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        Index("ix_debates_date", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("parliamentary_sessions.id"))
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    hansard_document_id: Mapped[int | None] = mapped_column(
        Integer, comment="publication DocId, shared by the EN and FR editions"
    )
    source_url_en: Mapped[str | None] = mapped_column(Text)
    source_url_fr: Mapped[str | None] = mapped_column(Text)


class Speech(TimestampMixin, ProvenanceMixin, Base):
    """One intervention, in document order; text in both languages when both exist."""

    __tablename__ = "speeches"
    __table_args__ = (
        UniqueConstraint("debate_id", "sequence"),
        Index("ix_speeches_member_id_debate_id", "member_id", "debate_id"),
        Index("ix_speeches_search_en", "search_en", postgresql_using="gin"),
        Index("ix_speeches_search_fr", "search_fr", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    debate_id: Mapped[int] = mapped_column(ForeignKey("debates.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer, comment="position in the sitting, from 1")
    hansard_id: Mapped[str | None] = mapped_column(Text, comment="Intervention id (EN = FR)")
    spoken_at: Mapped[time | None] = mapped_column(Time)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("elected_members.id", ondelete="SET NULL")
    )
    speaker_name: Mapped[str | None] = mapped_column(Text, comment="as printed")
    speaker_role: Mapped[str | None] = mapped_column(Text, comment="The Speaker, minister…")
    party_abbreviation: Mapped[str | None] = mapped_column(Text, comment="as printed: Lib.")
    hansard_affiliation_id: Mapped[int | None] = mapped_column(
        Integer, comment="Affiliation DbId (a role id, not the PersonId)"
    )
    intervention_type: Mapped[str | None] = mapped_column(Text)
    order_of_business: Mapped[str | None] = mapped_column(Text)
    heading_en: Mapped[str | None] = mapped_column(Text)
    heading_fr: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    text_fr: Mapped[str | None] = mapped_column(Text)
    search_en: Mapped[str | None] = mapped_column(
        TSVECTOR, comment="stored, not generated: restores must not recompute it"
    )
    search_fr: Mapped[str | None] = mapped_column(TSVECTOR)
