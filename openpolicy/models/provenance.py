"""Where every fact came from: sources, their runs, and the documents fetched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base, TimestampMixin, utc_now_column


class SourceDocument(Base):
    """One body fetched from an official endpoint, archived with its hash."""

    __tablename__ = "source_documents"
    __table_args__ = (
        UniqueConstraint("url", "sha256"),
        Index("ix_source_documents_source_fetched_at", "source", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(Text, comment="bills, bill, members, votes, ballots…")
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = utc_now_column()
    sha256: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True),
        comment="when this body was last imported in full; unchanged bodies are skipped",
    )
    record_count: Mapped[int | None] = mapped_column(
        Integer, comment="records the body held when imported (reported unchanged on a skip)"
    )


class DataSource(TimestampMixin, Base):
    """Per source: health as operators and the /status page see it."""

    __tablename__ = "data_sources"
    __table_args__ = (
        UniqueConstraint("name"),
        CheckConstraint(
            "status IN ('never_run', 'running', 'ok', 'degraded', 'failed', 'disabled')",
            name="known_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="never_run")
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="last run that changed data"
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    fidelity: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default="{}", comment="results of the latest fidelity checks"
    )


class IngestRun(Base):
    """One run of one source: what it did and how it ended."""

    __tablename__ = "ingest_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'succeeded', 'partial', 'failed')", name="known_status"
        ),
        Index("ix_ingest_runs_data_source_id_started_at", "data_source_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data_source_id: Mapped[int] = mapped_column(ForeignKey("data_sources.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = utc_now_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text, server_default="running")
    inserted: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    unchanged: Mapped[int] = mapped_column(Integer, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
