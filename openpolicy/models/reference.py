"""Parliamentary sessions, parties and constituencies: the shared reference data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base, TimestampMixin


class ParliamentarySession(TimestampMixin, Base):
    """A session of a Parliament, written `45-1` everywhere (paths, CLI, exports)."""

    __tablename__ = "parliamentary_sessions"
    __table_args__ = (
        UniqueConstraint("parliament", "session"),
        UniqueConstraint("code"),
        CheckConstraint("parliament > 0 AND session > 0", name="positive_numbers"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parliament: Mapped[int] = mapped_column(SmallInteger)
    session: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str] = mapped_column(String(8), comment="e.g. 45-1")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class Party(TimestampMixin, Base):
    """A caucus as the feeds name it (`Liberal`, `Bloc Québécois`, `NDP`…)."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("short_name_en"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    short_name_en: Mapped[str] = mapped_column(Text)
    short_name_fr: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    name_fr: Mapped[str | None] = mapped_column(Text)
    abbreviation: Mapped[str | None] = mapped_column(Text, comment="as printed in Hansard: Lib.")
    colour: Mapped[str | None] = mapped_column(String(7), comment="#rrggbb, one per party")


class Constituency(TimestampMixin, Base):
    """An electoral district (riding). Names use an em dash as the official sources do."""

    __tablename__ = "constituencies"
    __table_args__ = (UniqueConstraint("name_en", "province"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(Text)
    name_fr: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str] = mapped_column(Text, comment="province or territory code, e.g. ON")
