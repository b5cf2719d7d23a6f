"""api: data version row, per-party division totals kept by triggers on ballots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00

`data_version` moves in the same transaction as every change of civic data (ingest calls
`openpolicy.queries.freshness.bump_data_version`): response-cache keys and ETags include it.
`vote_party_totals` is maintained by statement-level triggers on `ballots` (transition
tables), so it is exact at every commit whoever writes ballots; it is backfilled here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFRESH_FUNCTION = """
CREATE FUNCTION refresh_vote_party_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    affected integer[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM vote_party_totals;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT vote_id) INTO affected FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT vote_id) INTO affected FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT vote_id) INTO affected
        FROM (SELECT vote_id FROM new_rows UNION SELECT vote_id FROM old_rows) AS changed;
    END IF;
    IF affected IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM vote_party_totals t
    WHERE t.vote_id = ANY (affected)
      AND NOT EXISTS (SELECT 1 FROM ballots b
                      WHERE b.vote_id = t.vote_id AND coalesce(b.party_id, 0) = t.party_id);
    INSERT INTO vote_party_totals (vote_id, party_id, yeas, nays, paired)
    SELECT b.vote_id, coalesce(b.party_id, 0),
           count(*) FILTER (WHERE b.value = 'yea'),
           count(*) FILTER (WHERE b.value = 'nay'),
           count(*) FILTER (WHERE b.value = 'paired')
    FROM ballots b
    JOIN votes v ON v.id = b.vote_id
    WHERE b.vote_id = ANY (affected)
    GROUP BY b.vote_id, coalesce(b.party_id, 0)
    ON CONFLICT (vote_id, party_id) DO UPDATE
        SET yeas = EXCLUDED.yeas, nays = EXCLUDED.nays, paired = EXCLUDED.paired;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column(
            "version",
            sa.BigInteger(),
            server_default="0",
            nullable=False,
            comment="moves on every committed change of civic data",
        ),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="Last-Modified of the API",
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, version, changed_at) VALUES (1, 0, now())")
    op.create_table(
        "vote_party_totals",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column(
            "party_id",
            sa.Integer(),
            nullable=False,
            comment="parties.id, or 0 for ballots without a party",
        ),
        sa.Column("yeas", sa.SmallInteger(), nullable=False),
        sa.Column("nays", sa.SmallInteger(), nullable=False),
        sa.Column("paired", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_party_totals_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vote_id", "party_id", name=op.f("pk_vote_party_totals")),
    )
    op.execute(
        "INSERT INTO vote_party_totals (vote_id, party_id, yeas, nays, paired)"
        " SELECT vote_id, coalesce(party_id, 0), count(*) FILTER (WHERE value = 'yea'),"
        " count(*) FILTER (WHERE value = 'nay'), count(*) FILTER (WHERE value = 'paired')"
        " FROM ballots GROUP BY 1, 2"
    )
    op.execute(_REFRESH_FUNCTION)
    op.execute(
        "CREATE TRIGGER ballots_totals_insert AFTER INSERT ON ballots"
        " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION refresh_vote_party_totals()"
    )
    op.execute(
        "CREATE TRIGGER ballots_totals_update AFTER UPDATE ON ballots"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION refresh_vote_party_totals()"
    )
    op.execute(
        "CREATE TRIGGER ballots_totals_delete AFTER DELETE ON ballots"
        " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION refresh_vote_party_totals()"
    )
    op.execute(
        "CREATE TRIGGER ballots_totals_truncate AFTER TRUNCATE ON ballots"
        " FOR EACH STATEMENT EXECUTE FUNCTION refresh_vote_party_totals()"
    )

    # Search plans from lexeme frequencies: keep ten times more of them in the statistics.
    for column in ("search_en", "search_fr"):
        op.execute(f"ALTER TABLE speeches ALTER COLUMN {column} SET STATISTICS 1000")
    # The API's default bill order, and a covering index for members' voting records.
    op.create_index(
        "ix_bills_activity_order",
        "bills",
        [
            sa.text(
                "COALESCE(latest_activity_at, '0001-01-01 00:00:00+00'::timestamp with time zone)"
            ),
            sa.text("id"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_bills_session_id_activity_order",
        "bills",
        [
            "session_id",
            sa.text(
                "COALESCE(latest_activity_at, '0001-01-01 00:00:00+00'::timestamp with time zone)"
            ),
            sa.text("id"),
        ],
        unique=False,
    )
    op.drop_index("ix_ballots_member_id_vote_id", table_name="ballots")
    op.create_index(
        "ix_ballots_member_id_vote_id",
        "ballots",
        ["member_id", "vote_id"],
        unique=False,
        postgresql_include=["value", "party_id"],
    )
    # A division's ballots from the unique index alone (index-only scan).
    op.drop_constraint("uq_ballots_vote_id_member_id", "ballots", type_="unique")
    op.execute(
        "ALTER TABLE ballots ADD CONSTRAINT uq_ballots_vote_id_member_id"
        " UNIQUE (vote_id, member_id) INCLUDE (party_id, value)"
    )


def downgrade() -> None:
    op.drop_constraint("uq_ballots_vote_id_member_id", "ballots", type_="unique")
    op.create_unique_constraint("uq_ballots_vote_id_member_id", "ballots", ["vote_id", "member_id"])
    for column in ("search_en", "search_fr"):
        op.execute(f"ALTER TABLE speeches ALTER COLUMN {column} SET STATISTICS -1")
    op.drop_index("ix_ballots_member_id_vote_id", table_name="ballots")
    op.create_index("ix_ballots_member_id_vote_id", "ballots", ["member_id", "vote_id"])
    op.drop_index("ix_bills_session_id_activity_order", table_name="bills")
    op.drop_index("ix_bills_activity_order", table_name="bills")
    for name in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS ballots_totals_{name} ON ballots")
    op.execute("DROP FUNCTION IF EXISTS refresh_vote_party_totals()")
    op.drop_table("vote_party_totals")
    op.drop_table("data_version")
