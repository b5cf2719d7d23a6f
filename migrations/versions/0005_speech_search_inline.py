"""search: keep speeches' tsvectors in the row (storage MAIN), texts go out of line first

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:45:00

A speech's row (both texts and both tsvectors) averages about 2 KB, the size at which
PostgreSQL moves its largest values to the TOAST table, and with EXTENDED storage the
tsvectors were the ones moved. A search reads only the tsvector of each speech in its
window of sittings: fetching it from TOAST cost a second index probe and page per speech.
With MAIN storage the texts (read only for the 20 speeches of a page) leave the row first
and the tsvectors stay in it. Measured on copies of the newest 300 sittings of
bench/api.py's dataset (105,600 speeches, stored in sitting order as ingest writes them),
a window of 17 sittings (about 6,000 speeches) was scanned in 5.4 ms instead of 8.2 ms.

Only rows written from now on are laid out this way: the migration does not rewrite the
table (minutes under an exclusive lock on a full parliament). `VACUUM FULL speeches` or
`CLUSTER speeches USING uq_speeches_debate_id_sequence` in a maintenance window moves
the existing rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE speeches ALTER COLUMN search_en SET STORAGE MAIN,"
        " ALTER COLUMN search_fr SET STORAGE MAIN"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE speeches ALTER COLUMN search_en SET STORAGE EXTENDED,"
        " ALTER COLUMN search_fr SET STORAGE EXTENDED"
    )
