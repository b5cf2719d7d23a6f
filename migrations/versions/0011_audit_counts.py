"""audit: refused requests counted per address and minute, not written one row each

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:30:00

A flood of bad API keys wrote one `audit_events` row per attempt. Refused requests (401,
403) are now counted in each process and written as one row per action, client address
and minute, whose `count` grows with every flush (`ON CONFLICT` on the unique index below;
NULLS NOT DISTINCT, PostgreSQL 15, so an unknown address is one row too). Other events
(key changes, maintenance switches) stay one row each with a count of 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PER_MINUTE_ACTIONS = "action IN ('api.unauthorized', 'api.forbidden')"


def upgrade() -> None:
    op.add_column(
        "audit_events",
        sa.Column(
            "count",
            sa.Integer(),
            server_default=sa.text("1"),
            nullable=False,
            comment="events this row stands for (refused requests: per address and minute)",
        ),
    )
    op.execute(
        "CREATE UNIQUE INDEX ux_audit_events_per_minute ON audit_events"
        " (action, client_ip, occurred_at) NULLS NOT DISTINCT"
        f" WHERE {PER_MINUTE_ACTIONS}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ux_audit_events_per_minute")
    op.drop_column("audit_events", "count")
