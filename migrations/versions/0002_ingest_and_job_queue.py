"""ingest bookkeeping columns and the procrastinate job queue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00

The job queue's schema is procrastinate's own `schema.sql`, read from the installed
package, so the tables always match the library the worker runs. Upgrading procrastinate
to a version with schema changes needs a new revision applying its migration files.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Everything procrastinate's schema.sql creates, in an order that drops cleanly.
_PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)
_PROCRASTINATE_TYPES = (
    "procrastinate_job_to_defer_v1",
    "procrastinate_job_event_type",
    "procrastinate_job_status",
)


def _procrastinate_schema() -> str:
    from procrastinate.schema import SchemaManager

    return str(SchemaManager.get_schema())


def _run_script(sql: str) -> None:
    """Run a multi-statement script as is (no bind-parameter parsing of `:` or `%`)."""
    if context.is_offline_mode():
        op.execute(sql)
        return
    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute(sql)


def upgrade() -> None:
    op.add_column(
        "source_documents",
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when this body was last imported in full; unchanged bodies are skipped",
        ),
    )
    op.add_column(
        "source_documents",
        sa.Column(
            "record_count",
            sa.Integer(),
            nullable=True,
            comment="records the body held when imported (reported unchanged on a skip)",
        ),
    )
    op.add_column(
        "votes",
        sa.Column(
            "totals_derived",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment="true while no divisions list was read: yeas/nays/paired counted from ballots",
        ),
    )
    op.add_column(
        "bills",
        sa.Column(
            "division_numbers",
            postgresql.ARRAY(sa.Integer()),
            nullable=True,
            comment="House divisions LEGISinfo lists for this bill (HouseVoteDetails)",
        ),
    )
    op.add_column(
        "member_terms",
        sa.Column(
            "inferred",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment=(
                "true: known only from ballots (in this seat on those dates), not a members list"
            ),
        ),
    )
    _run_script(_procrastinate_schema())


def downgrade() -> None:
    # Functions and procedures by catalogue lookup, so every version's names are covered.
    _run_script(
        """
DO $$
DECLARE routine record;
BEGIN
    FOR routine IN
        SELECT p.oid::regprocedure AS signature, p.prokind
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS %s CASCADE',
            CASE routine.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
            routine.signature
        );
    END LOOP;
END
$$;
"""
        + "".join(f"DROP TABLE IF EXISTS {name} CASCADE;\n" for name in _PROCRASTINATE_TABLES)
        + "".join(f"DROP TYPE IF EXISTS {name} CASCADE;\n" for name in _PROCRASTINATE_TYPES)
    )
    op.drop_column("member_terms", "inferred")
    op.drop_column("bills", "division_numbers")
    op.drop_column("votes", "totals_derived")
    op.drop_column("source_documents", "record_count")
    op.drop_column("source_documents", "imported_at")
