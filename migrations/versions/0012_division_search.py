"""search: divisions found by their subject (EN/FR tsvectors, GIN)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:30:00

The search box promises divisions. A division is found by its subject and its bill's
number, stemmed in its language (a French reader also finds a subject printed only in
English). The vectors are generated columns: a few thousand short subjects cost nothing
to recompute on a restore (unlike the speeches', DESIGN.md §8), and ingest does not have
to know about them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE votes"
        " ADD COLUMN search_en tsvector GENERATED ALWAYS AS (to_tsvector('english',"
        " coalesce(bill_number, '') || ' ' || coalesce(subject_en, ''))) STORED,"
        " ADD COLUMN search_fr tsvector GENERATED ALWAYS AS (to_tsvector('french',"
        " coalesce(bill_number, '') || ' ' || coalesce(subject_fr, subject_en, ''))) STORED"
    )
    op.execute("CREATE INDEX ix_votes_search_en ON votes USING gin (search_en)")
    op.execute("CREATE INDEX ix_votes_search_fr ON votes USING gin (search_fr)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_votes_search_fr")
    op.execute("DROP INDEX ix_votes_search_en")
    op.execute("ALTER TABLE votes DROP COLUMN search_fr, DROP COLUMN search_en")
