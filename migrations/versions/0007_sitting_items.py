"""hansard: every item of a sitting (notes, written questions, division tables), headings,
markup; division tables name by name; parser versions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00

`speeches` holds every item of a sitting in order, and `kind` says which: a `speech`
(one turn of speaking), a `note` (procedural text, "The House resumed…", the Prayer), a
written `question` and its `answer`, or a `division` table (linked to its division by
`vote_id`). Items carry three heading levels (`section_*`, `heading_*`, `subheading_*`)
and, where the plain text loses something (italics, quotations, "[Translation]"
markers, time stamps), the small safe markup in `html_*`.

`division_names` keeps each name printed in a division table, with the member it was
matched to and whether the ballots agree. `votes.ballots_source` says where a division's
ballots came from: its ballots document, or (while there is none) the printed table.

`source_documents.parser_version` records which version of its source's parser read a
body: a body read by an older parser is re-read at the next run (existing sittings get
their new items that way, from the archived bodies).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEM_KINDS = ("speech", "note", "question", "answer", "division")


def upgrade() -> None:
    op.add_column(
        "speeches",
        sa.Column(
            "kind",
            sa.Text(),
            server_default="speech",
            nullable=False,
            comment="speech, note, question, answer or division",
        ),
    )
    op.create_check_constraint(
        op.f("ck_speeches_known_kind"),
        "speeches",
        "kind IN ('speech', 'note', 'question', 'answer', 'division')",
    )
    op.add_column(
        "speeches",
        sa.Column("note_type", sa.Text(), nullable=True, comment="procedural, resumed, text…"),
    )
    for language in ("en", "fr"):
        op.add_column(
            "speeches",
            sa.Column(
                f"section_{language}",
                sa.Text(),
                nullable=True,
                comment="order of business as printed: Government Orders",
            ),
        )
        op.add_column(
            "speeches",
            sa.Column(
                f"subheading_{language}",
                sa.Text(),
                nullable=True,
                comment="qualifier and catch line: a petition's topic, Speaker's Ruling",
            ),
        )
        op.add_column(
            "speeches",
            sa.Column(
                f"html_{language}",
                sa.Text(),
                nullable=True,
                comment="the text in the safe markup; NULL when plain paragraphs say it all",
            ),
        )
    op.add_column(
        "speeches",
        sa.Column("question_number", sa.Integer(), nullable=True, comment="written question"),
    )
    op.add_column(
        "speeches",
        sa.Column(
            "speaker_riding",
            sa.Text(),
            nullable=True,
            comment="the riding printed with the speaker's name",
        ),
    )
    op.add_column(
        "speeches",
        sa.Column(
            "speaker_role_fr", sa.Text(), nullable=True, comment="the role in French: Le Président"
        ),
    )
    op.add_column(
        "speeches",
        sa.Column(
            "vote_id",
            sa.Integer(),
            sa.ForeignKey("votes.id", name=op.f("fk_speeches_vote_id_votes"), ondelete="SET NULL"),
            nullable=True,
            comment="the division a division table prints",
        ),
    )
    op.create_index(
        "ix_speeches_vote_id",
        "speeches",
        ["vote_id"],
        unique=False,
        postgresql_where=sa.text("vote_id IS NOT NULL"),
    )
    op.add_column(
        "debates",
        sa.Column(
            "speaker_name", sa.Text(), nullable=True, comment="the Speaker of the House that day"
        ),
    )
    op.add_column(
        "votes",
        sa.Column(
            "ballots_source",
            sa.Text(),
            nullable=True,
            comment="ballots (its ballots document) or hansard (the printed table)",
        ),
    )
    op.create_check_constraint(
        op.f("ck_votes_known_ballots_source"),
        "votes",
        "ballots_source IN ('ballots', 'hansard')",
    )
    op.execute(
        "UPDATE votes v SET ballots_source = 'ballots'"
        " WHERE EXISTS (SELECT 1 FROM ballots b WHERE b.vote_id = v.id)"
    )
    op.create_table(
        "division_names",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("speech_id", sa.BigInteger(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.SmallInteger(), nullable=False, comment="order in the table"),
        sa.Column("value", sa.String(length=8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False, comment="as printed: Falk (Provencher)"),
        sa.Column("surname", sa.Text(), nullable=False),
        sa.Column("riding", sa.Text(), nullable=True),
        sa.Column("hansard_affiliation_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True, comment="the member it names"),
        sa.Column(
            "matched",
            sa.Boolean(),
            nullable=True,
            comment="agrees with the ballots document; NULL while there is none",
        ),
        sa.CheckConstraint(
            "value IN ('yea', 'nay', 'paired')", name=op.f("ck_division_names_known_value")
        ),
        sa.ForeignKeyConstraint(
            ["speech_id"],
            ["speeches.id"],
            name=op.f("fk_division_names_speech_id_speeches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_division_names_vote_id_votes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["elected_members.id"],
            name=op.f("fk_division_names_member_id_elected_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_division_names")),
        sa.UniqueConstraint(
            "speech_id", "position", name=op.f("uq_division_names_speech_id_position")
        ),
    )
    op.create_index("ix_division_names_vote_id", "division_names", ["vote_id"], unique=False)
    op.add_column(
        "source_documents",
        sa.Column(
            "parser_version",
            sa.SmallInteger(),
            nullable=True,
            comment="version of the source's parser that read this body for the tables",
        ),
    )


def downgrade() -> None:
    op.drop_column("source_documents", "parser_version")
    op.drop_index("ix_division_names_vote_id", table_name="division_names")
    op.drop_table("division_names")
    op.drop_constraint(op.f("ck_votes_known_ballots_source"), "votes", type_="check")
    op.drop_column("votes", "ballots_source")
    op.drop_column("debates", "speaker_name")
    # The older schema holds speeches only: the other items cannot be represented.
    op.execute("DELETE FROM speeches WHERE kind <> 'speech'")
    op.drop_index("ix_speeches_vote_id", table_name="speeches")
    op.drop_column("speeches", "vote_id")
    op.drop_column("speeches", "speaker_role_fr")
    op.drop_column("speeches", "speaker_riding")
    op.drop_column("speeches", "question_number")
    for language in ("en", "fr"):
        op.drop_column("speeches", f"html_{language}")
        op.drop_column("speeches", f"subheading_{language}")
        op.drop_column("speeches", f"section_{language}")
    op.drop_column("speeches", "note_type")
    op.drop_constraint(op.f("ck_speeches_known_kind"), "speeches", type_="check")
    op.drop_column("speeches", "kind")
