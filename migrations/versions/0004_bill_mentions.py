"""api: sittings that mention a bill, kept by triggers on speeches; votes by bill number

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:00:00

A bill's detail lists the sittings whose speeches name it. Matching the number as a phrase
on every speech of the session cost more database time than the rest of the page together
(bench/api.py), so the matches are data: `debate_bill_mentions` holds, per sitting and bill
number, how many speeches name it. Statement triggers on `speeches` (transition tables)
keep it exact at every commit, whoever writes speeches; it is backfilled here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A bill number as Hansard prints it, in either language: "Bill C-11", "projet de loi S-209".
# The cheap prefilter (~) keeps the capturing regexp off the speeches that name no bill.
_MENTIONS_OF = """
    SELECT s.debate_id, m.number, count(*)
    FROM speeches s
    CROSS JOIN LATERAL (
        SELECT DISTINCT upper(x[1]) || '-' || x[2] AS number
        FROM regexp_matches(coalesce(s.text_en, '') || ' ' || coalesce(s.text_fr, ''),
                            '\\m([CS])-([0-9]{{1,4}})\\M', 'gi') AS x
    ) AS m
    WHERE {where}
      AND (coalesce(s.text_en, '') || ' ' || coalesce(s.text_fr, '')) ~* '\\m[CS]-[0-9]'
    GROUP BY s.debate_id, m.number
"""

_REFRESH_FUNCTION = (
    """
CREATE FUNCTION refresh_debate_bill_mentions() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    affected integer[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM debate_bill_mentions;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT debate_id) INTO affected FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT debate_id) INTO affected FROM old_rows;
    ELSE
        -- Only updates that change a text or move a speech (not member links, vectors…).
        SELECT array_agg(DISTINCT debate_id) INTO affected FROM (
            SELECT n.debate_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE n.text_en IS DISTINCT FROM o.text_en
               OR n.text_fr IS DISTINCT FROM o.text_fr
               OR n.debate_id <> o.debate_id
            UNION
            SELECT o.debate_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE n.debate_id <> o.debate_id
        ) AS changed;
    END IF;
    IF affected IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM debate_bill_mentions WHERE debate_id = ANY (affected);
    INSERT INTO debate_bill_mentions (debate_id, bill_number, speeches)
    """
    + _MENTIONS_OF.format(where="s.debate_id = ANY (affected)")
    + """;
    RETURN NULL;
END
$$;
"""
)


def upgrade() -> None:
    op.create_table(
        "debate_bill_mentions",
        sa.Column("debate_id", sa.Integer(), nullable=False),
        sa.Column("bill_number", sa.Text(), nullable=False, comment="as bills.number: C-11"),
        sa.Column(
            "speeches", sa.Integer(), nullable=False, comment="speeches of the sitting naming it"
        ),
        sa.ForeignKeyConstraint(
            ["debate_id"],
            ["debates.id"],
            name=op.f("fk_debate_bill_mentions_debate_id_debates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("debate_id", "bill_number", name=op.f("pk_debate_bill_mentions")),
    )
    op.execute(
        "INSERT INTO debate_bill_mentions (debate_id, bill_number, speeches)"
        + _MENTIONS_OF.format(where="true")
    )
    op.create_index(
        "ix_debate_bill_mentions_bill_number_debate_id",
        "debate_bill_mentions",
        ["bill_number", "debate_id"],
        unique=False,
        postgresql_include=["speeches"],
    )
    op.execute(_REFRESH_FUNCTION)
    for name, event, tables in (
        ("insert", "INSERT", "NEW TABLE AS new_rows"),
        ("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("delete", "DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER speeches_mentions_{name} AFTER {event} ON speeches"
            f" REFERENCING {tables} FOR EACH STATEMENT"
            " EXECUTE FUNCTION refresh_debate_bill_mentions()"
        )
    op.execute(
        "CREATE TRIGGER speeches_mentions_truncate AFTER TRUNCATE ON speeches"
        " FOR EACH STATEMENT EXECUTE FUNCTION refresh_debate_bill_mentions()"
    )
    # The divisions of a bill not (yet) linked by id are found by session and number.
    op.create_index(
        "ix_votes_session_id_bill_number", "votes", ["session_id", "bill_number"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_votes_session_id_bill_number", table_name="votes")
    for name in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS speeches_mentions_{name} ON speeches")
    op.execute("DROP FUNCTION IF EXISTS refresh_debate_bill_mentions()")
    op.drop_index(
        "ix_debate_bill_mentions_bill_number_debate_id", table_name="debate_bill_mentions"
    )
    op.drop_table("debate_bill_mentions")
