"""ops: ingestion paused for a maintenance window (`openpolicy ingest pause | resume`)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:00:00

One row per pause: `all` (every source) or a source name, who paused it, why, since when and
until when (empty: until `ingest resume`). Every worker reads it before a run starts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_pauses",
        sa.Column("source", sa.Text(), nullable=False, comment="a source name, or 'all'"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("paused_by", sa.Text(), nullable=True),
        sa.Column(
            "paused_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_ingest_pauses")),
    )


def downgrade() -> None:
    op.drop_table("ingest_pauses")
