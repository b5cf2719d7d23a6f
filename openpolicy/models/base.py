"""Declarative base with the constraint naming convention every migration relies on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table of the schema. Alembic owns the DDL; this only describes it."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utc_now_column(*, onupdate: bool = False) -> Mapped[datetime]:
    """A non-null timestamptz defaulting to the database's now()."""
    if onupdate:
        return mapped_column(
            DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
        )
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class TimestampMixin:
    """created_at / updated_at on every fact table (updated_since filters and Last-Modified)."""

    created_at: Mapped[datetime] = utc_now_column()
    updated_at: Mapped[datetime] = utc_now_column(onupdate=True)


class ProvenanceMixin:
    """The source document a fact row was last read from."""

    @declared_attr
    def source_document_id(cls) -> Mapped[int | None]:
        return mapped_column(
            BigInteger, ForeignKey("source_documents.id", ondelete="SET NULL"), nullable=True
        )
