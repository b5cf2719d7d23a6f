"""Operations and security state: API keys, the audit trail, incidents, maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from openpolicy.models.base import Base, TimestampMixin, utc_now_column


class ApiKey(TimestampMixin, Base):
    """An API key, stored only as a hash; the prefix identifies it in logs and the CLI."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("prefix"), Index("ix_api_keys_service", "service"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(Text, comment="who holds it; rotation is per service")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )


class AuditEvent(Base):
    """A security-relevant event (every 401/403, key changes, maintenance switches)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_occurred_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    occurred_at: Mapped[datetime] = utc_now_column()
    actor: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(Text)
    client_ip: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class Incident(TimestampMixin, Base):
    """An incident as the runbook tracks it, shown on /status while open."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')", name="known_severity"),
        CheckConstraint(
            "status IN ('Investigating', 'Identified', 'Monitoring', 'Resolved')",
            name="known_status",
        ),
        Index("ix_incidents_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    severity: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(Text, server_default="Investigating")
    title: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(Text)
    services: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    opened_at: Mapped[datetime] = utc_now_column()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_update_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IncidentUpdate(Base):
    """One status change or note on an incident: the actions taken, in order."""

    __tablename__ = "incident_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    posted_at: Mapped[datetime] = utc_now_column()
    status: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)


class MaintenanceState(Base):
    """The one maintenance switch every replica reads (a single row, id 1)."""

    __tablename__ = "maintenance"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, server_default="1")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    message: Mapped[str | None] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = utc_now_column(onupdate=True)
    updated_by: Mapped[str | None] = mapped_column(Text)
