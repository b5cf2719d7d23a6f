"""alerts: subscriptions (e-mail and webhook), saved searches, matched items, deliveries

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 09:00:00

Statement triggers on speeches, ballots, votes, bills and bill_events append the ids of new
rows, and of rows whose alert-worthy columns changed, to `alert_changes`, but only while a
subscription is active (an empty platform pays one index probe per statement). Matching
(openpolicy.alerts.matching) takes them set-based after each ingest. Whoever writes those
tables, the importers need not know alerts exist.

* `alert_recipients`: an e-mail address with at least one alert (deleted with its last);
  `link_nonce` is part of every signed link, so changing it voids the links already sent.
* `alert_searches`: saved searches (words as typed, `websearch_to_tsquery` in English and/or
  French, speaker and party facets); `alert_search_anchors`: lexemes of which every match
  holds one, joined with the new speeches' lexemes so each speech is tested only against
  the searches it could match.
* `alert_subscriptions`: one follow, by an address (e-mail) or to a URL (webhook, owned by
  an API key's service).
* `alert_items`: one matched item per subscription, keyed (subscription_id, item_key) so
  it is never sent twice; it stores what it is about (event, ref_id), not the facts.
* `alert_deliveries`: one e-mail or one webhook POST, with its attempts.
* `alert_signups`: sign-up attempts under keyed hashes (limits), kept one day;
  `alert_delivery_totals`: the monotonic counts behind `alerts_sent_total`.

`alert_items` and `alert_deliveries` are written by the thousand per matching pass, so they
have no foreign keys (each would lock its parent row once per row written): the triggers
`alert_subscriptions_forget` and `alert_recipients_forget` delete them with their
subscription or address, however those are deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (source written to alert_changes, columns whose change is worth matching again)
WATCHED: dict[str, tuple[str, tuple[str, ...]]] = {
    "speeches": ("speech", ("member_id", "text_en", "text_fr")),
    "ballots": ("ballot", ("member_id", "value")),
    "votes": ("vote", ("result", "yeas", "nays", "paired", "bill_id")),
    "bills": ("bill", ("sponsor_member_id",)),
    "bill_events": ("bill_event", ("chamber", "stage", "event_date", "outcome")),
}


def _log_function(table: str) -> str:
    source, compared = WATCHED[table]
    changed = " OR ".join(f"n.{column} IS DISTINCT FROM o.{column}" for column in compared)
    return f"""
CREATE FUNCTION alerts_log_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM alert_subscriptions WHERE status = 'active') THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO alert_changes (source, row_id) SELECT '{source}', n.id FROM new_rows n;
    ELSE
        INSERT INTO alert_changes (source, row_id)
        SELECT '{source}', n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE {changed};
    END IF;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "alert_changes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "source", sa.String(length=12), nullable=False, comment="table the row is in (singular)"
        ),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "source IN ('speech', 'ballot', 'vote', 'bill', 'bill_event')",
            name=op.f("ck_alert_changes_known_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_changes")),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=12),
            nullable=False,
            comment="confirmation, alert, digest or ping",
        ),
        sa.Column(
            "recipient_id",
            sa.BigInteger(),
            nullable=True,
            comment="alert_recipients.id (e-mail; deleted with it)",
        ),
        sa.Column(
            "subscription_id",
            sa.BigInteger(),
            nullable=True,
            comment="alert_subscriptions.id: webhook deliveries, and the follow a confirmation "
            "confirms (deleted with it)",
        ),
        sa.Column("status", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "claimed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when a worker took it (status sending)",
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True, comment="webhook: HTTP status"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(channel = 'email' AND recipient_id IS NOT NULL)"
            " OR (channel = 'webhook' AND subscription_id IS NOT NULL)",
            name=op.f("ck_alert_deliveries_has_destination"),
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'webhook')", name=op.f("ck_alert_deliveries_known_channel")
        ),
        sa.CheckConstraint(
            "kind IN ('confirmation', 'alert', 'digest', 'ping')",
            name=op.f("ck_alert_deliveries_known_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'held')",
            name=op.f("ck_alert_deliveries_known_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index(
        "ix_alert_deliveries_created_at",
        "alert_deliveries",
        ["created_at"],
        unique=False,
        postgresql_using="brin",
    )
    op.create_index(
        "ix_alert_deliveries_due",
        "alert_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_alert_deliveries_recipient_id",
        "alert_deliveries",
        ["recipient_id"],
        unique=False,
        postgresql_where=sa.text("recipient_id IS NOT NULL"),
    )
    op.create_index(
        "ix_alert_deliveries_subscription_id",
        "alert_deliveries",
        ["subscription_id"],
        unique=False,
        postgresql_where=sa.text("subscription_id IS NOT NULL"),
    )
    op.create_table(
        "alert_delivery_totals",
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column(
            "outcome",
            sa.String(length=12),
            nullable=False,
            comment="sent, retried, failed, disabled",
        ),
        sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("channel", "outcome", name=op.f("pk_alert_delivery_totals")),
    )
    op.create_table(
        "alert_items",
        sa.Column(
            "subscription_id",
            sa.BigInteger(),
            nullable=False,
            comment="alert_subscriptions.id (its items are deleted with it)",
        ),
        sa.Column(
            "item_key", sa.Text(), nullable=False, comment="what the item is, e.g. ballot:812:yea"
        ),
        sa.Column(
            "event", sa.String(length=24), nullable=False, comment="member.ballot, bill.stage…"
        ),
        sa.Column(
            "ref_id",
            sa.BigInteger(),
            nullable=False,
            comment="the row it is about (see openpolicy.alerts.payloads)",
        ),
        sa.Column(
            "matched_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "delivery_id",
            sa.BigInteger(),
            nullable=True,
            comment="alert_deliveries.id: the message it went (goes) out in",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "item_key", name=op.f("pk_alert_items")),
    )
    op.create_index(
        "ix_alert_items_matched_at",
        "alert_items",
        ["matched_at"],
        unique=False,
        postgresql_using="brin",
    )
    op.create_index(
        "ix_alert_items_undelivered",
        "alert_items",
        ["subscription_id"],
        unique=False,
        postgresql_where=sa.text("delivery_id IS NULL"),
    )
    op.create_table(
        "alert_recipients",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False, comment="as typed, domain lower-cased"),
        sa.Column(
            "language",
            sa.String(length=2),
            nullable=False,
            comment="en or fr: every message's language",
        ),
        sa.Column(
            "link_nonce",
            sa.Text(),
            nullable=False,
            comment="part of every signed link; changing it voids the links already sent",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "language IN ('en', 'fr')", name=op.f("ck_alert_recipients_known_language")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_recipients")),
        sa.UniqueConstraint("email", name=op.f("uq_alert_recipients_email")),
    )
    op.create_table(
        "alert_signups",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("address_hash", sa.Text(), nullable=False),
        sa.Column("client_hash", sa.Text(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False, comment="a confirmation e-mail was queued"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_signups")),
    )
    op.create_index(
        "ix_alert_signups_address_hash_at", "alert_signups", ["address_hash", "at"], unique=False
    )
    op.create_index(
        "ix_alert_signups_client_hash_at", "alert_signups", ["client_hash", "at"], unique=False
    )
    op.create_table(
        "alert_searches",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "query", sa.Text(), nullable=False, comment="the words as typed (websearch syntax)"
        ),
        sa.Column("language", sa.String(length=3), nullable=False, comment="en, fr or any"),
        sa.Column("member_id", sa.Integer(), nullable=True, comment="facet: speaker"),
        sa.Column("party_id", sa.Integer(), nullable=True, comment="facet: speaker's party"),
        sa.Column(
            "query_en", postgresql.TSQUERY(), nullable=True, comment="websearch_to_tsquery english"
        ),
        sa.Column(
            "query_fr", postgresql.TSQUERY(), nullable=True, comment="websearch_to_tsquery french"
        ),
        sa.Column(
            "unanchored",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment="no lexeme every match must hold (a pure NOT): tested against every speech",
        ),
        sa.Column(
            "exact",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment="each query is one lexeme, its anchor: holding the anchor is matching",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "language IN ('en', 'fr', 'any')", name=op.f("ck_alert_searches_known_language")
        ),
        sa.CheckConstraint(
            "query_en IS NOT NULL OR query_fr IS NOT NULL", name=op.f("ck_alert_searches_has_query")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["elected_members.id"],
            name=op.f("fk_alert_searches_member_id_elected_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_alert_searches_party_id_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_searches")),
        sa.UniqueConstraint(
            "query",
            "language",
            "member_id",
            "party_id",
            name=op.f("uq_alert_searches_query_language_member_id_party_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "alert_search_anchors",
        sa.Column("lexeme", sa.Text(), nullable=False),
        sa.Column(
            "config", sa.String(length=2), nullable=False, comment="en: search_en, fr: search_fr"
        ),
        sa.Column("search_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "config IN ('en', 'fr')", name=op.f("ck_alert_search_anchors_known_config")
        ),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["alert_searches.id"],
            name=op.f("fk_alert_search_anchors_search_id_alert_searches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "lexeme", "config", "search_id", name=op.f("pk_alert_search_anchors")
        ),
    )
    op.create_index(
        "ix_alert_search_anchors_search_id", "alert_search_anchors", ["search_id"], unique=False
    )
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False, comment="email or webhook"),
        sa.Column(
            "kind", sa.String(length=10), nullable=False, comment="member, bill, division or search"
        ),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column(
            "vote_id",
            sa.Integer(),
            nullable=True,
            comment="one division; NULL with kind division: every new division",
        ),
        sa.Column("search_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "cadence",
            sa.String(length=10),
            server_default="immediate",
            nullable=False,
            comment="immediate or daily (e-mail)",
        ),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("owner", sa.Text(), nullable=True, comment="webhook: the API key's service"),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True, comment="webhook: where deliveries are POSTed"),
        sa.Column("secret", sa.Text(), nullable=True, comment="webhook: HMAC key of signatures"),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "failures",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="consecutive failed webhook attempts",
        ),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(channel = 'email' AND recipient_id IS NOT NULL AND url IS NULL)"
            " OR (channel = 'webhook' AND recipient_id IS NULL AND url IS NOT NULL"
            " AND secret IS NOT NULL AND owner IS NOT NULL)",
            name=op.f("ck_alert_subscriptions_channel_fields"),
        ),
        sa.CheckConstraint(
            "(kind = 'member') = (member_id IS NOT NULL)"
            " AND (kind = 'bill') = (bill_id IS NOT NULL)"
            " AND (kind = 'search') = (search_id IS NOT NULL)"
            " AND (vote_id IS NULL OR kind = 'division')",
            name=op.f("ck_alert_subscriptions_target_matches_kind"),
        ),
        sa.CheckConstraint(
            "cadence IN ('immediate', 'daily')", name=op.f("ck_alert_subscriptions_known_cadence")
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'webhook')", name=op.f("ck_alert_subscriptions_known_channel")
        ),
        sa.CheckConstraint(
            "kind IN ('member', 'bill', 'division', 'search')",
            name=op.f("ck_alert_subscriptions_known_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'disabled')",
            name=op.f("ck_alert_subscriptions_known_status"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_alert_subscriptions_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bills.id"],
            name=op.f("fk_alert_subscriptions_bill_id_bills"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["elected_members.id"],
            name=op.f("fk_alert_subscriptions_member_id_elected_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["alert_recipients.id"],
            name=op.f("fk_alert_subscriptions_recipient_id_alert_recipients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["alert_searches.id"],
            name=op.f("fk_alert_subscriptions_search_id_alert_searches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_alert_subscriptions_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
    )
    op.create_index(
        "ix_alert_subscriptions_bill_id",
        "alert_subscriptions",
        ["bill_id"],
        unique=False,
        postgresql_where=sa.text("bill_id IS NOT NULL"),
    )
    op.create_index(
        "ix_alert_subscriptions_member_id",
        "alert_subscriptions",
        ["member_id"],
        unique=False,
        postgresql_where=sa.text("member_id IS NOT NULL"),
    )
    op.create_index(
        "ix_alert_subscriptions_owner",
        "alert_subscriptions",
        ["owner"],
        unique=False,
        postgresql_where=sa.text("owner IS NOT NULL"),
    )
    op.create_index(
        op.f("ix_alert_subscriptions_recipient_id"),
        "alert_subscriptions",
        ["recipient_id"],
        unique=False,
    )
    op.create_index(
        "ix_alert_subscriptions_search_id",
        "alert_subscriptions",
        ["search_id"],
        unique=False,
        postgresql_where=sa.text("search_id IS NOT NULL"),
    )
    op.create_index(
        "ix_alert_subscriptions_status", "alert_subscriptions", ["status"], unique=False
    )
    op.create_index(
        "ix_alert_subscriptions_vote_id",
        "alert_subscriptions",
        ["vote_id"],
        unique=False,
        postgresql_where=sa.text("kind = 'division'"),
    )
    op.create_index(
        "uq_alert_subscriptions_email_target",
        "alert_subscriptions",
        ["recipient_id", "kind", "member_id", "bill_id", "vote_id", "search_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("channel = 'email'"),
    )
    # No foreign keys on alert_items and alert_deliveries (see openpolicy.alerts.models): a
    # subscription's items and deliveries, and an address's deliveries, go with them, however
    # they are deleted (cascades from addresses, members, bills…).
    op.execute(
        """
CREATE FUNCTION alerts_forget_subscriptions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM alert_items i USING old_rows o WHERE i.subscription_id = o.id;
    DELETE FROM alert_deliveries d USING old_rows o WHERE d.subscription_id = o.id;
    RETURN NULL;
END
$$;
CREATE FUNCTION alerts_forget_recipients() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM alert_deliveries d USING old_rows o WHERE d.recipient_id = o.id;
    RETURN NULL;
END
$$;
"""
    )
    op.execute(
        "CREATE TRIGGER alert_subscriptions_forget AFTER DELETE ON alert_subscriptions"
        " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION alerts_forget_subscriptions()"
    )
    op.execute(
        "CREATE TRIGGER alert_recipients_forget AFTER DELETE ON alert_recipients"
        " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION alerts_forget_recipients()"
    )
    for table in WATCHED:
        op.execute(_log_function(table))
        op.execute(
            f"CREATE TRIGGER alerts_{table}_insert AFTER INSERT ON {table}"
            " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
            f" EXECUTE FUNCTION alerts_log_{table}()"
        )
        op.execute(
            f"CREATE TRIGGER alerts_{table}_update AFTER UPDATE ON {table}"
            " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
            f" EXECUTE FUNCTION alerts_log_{table}()"
        )
    op.execute(
        "INSERT INTO alert_delivery_totals (channel, outcome, total)"
        " SELECT c, o, 0 FROM unnest(ARRAY['email', 'webhook']) AS c,"
        " unnest(ARRAY['sent', 'retried', 'failed']) AS o"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS alert_subscriptions_forget ON alert_subscriptions")
    op.execute("DROP TRIGGER IF EXISTS alert_recipients_forget ON alert_recipients")
    op.execute("DROP FUNCTION IF EXISTS alerts_forget_subscriptions()")
    op.execute("DROP FUNCTION IF EXISTS alerts_forget_recipients()")
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS alerts_{table}_insert ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS alerts_{table}_update ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS alerts_log_{table}()")
    op.drop_index(
        "uq_alert_subscriptions_email_target",
        table_name="alert_subscriptions",
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("channel = 'email'"),
    )
    op.drop_index(
        "ix_alert_subscriptions_vote_id",
        table_name="alert_subscriptions",
        postgresql_where=sa.text("kind = 'division'"),
    )
    op.drop_index("ix_alert_subscriptions_status", table_name="alert_subscriptions")
    op.drop_index(
        "ix_alert_subscriptions_search_id",
        table_name="alert_subscriptions",
        postgresql_where=sa.text("search_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_alert_subscriptions_recipient_id"), table_name="alert_subscriptions")
    op.drop_index(
        "ix_alert_subscriptions_owner",
        table_name="alert_subscriptions",
        postgresql_where=sa.text("owner IS NOT NULL"),
    )
    op.drop_index(
        "ix_alert_subscriptions_member_id",
        table_name="alert_subscriptions",
        postgresql_where=sa.text("member_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_alert_subscriptions_bill_id",
        table_name="alert_subscriptions",
        postgresql_where=sa.text("bill_id IS NOT NULL"),
    )
    op.drop_table("alert_subscriptions")
    op.drop_index("ix_alert_search_anchors_search_id", table_name="alert_search_anchors")
    op.drop_table("alert_search_anchors")
    op.drop_table("alert_searches")
    op.drop_index("ix_alert_signups_client_hash_at", table_name="alert_signups")
    op.drop_index("ix_alert_signups_address_hash_at", table_name="alert_signups")
    op.drop_table("alert_signups")
    op.drop_table("alert_recipients")
    op.drop_index(
        "ix_alert_items_undelivered",
        table_name="alert_items",
        postgresql_where=sa.text("delivery_id IS NULL"),
    )
    op.drop_index("ix_alert_items_matched_at", table_name="alert_items", postgresql_using="brin")
    op.drop_table("alert_items")
    op.drop_table("alert_delivery_totals")
    op.drop_index(
        "ix_alert_deliveries_subscription_id",
        table_name="alert_deliveries",
        postgresql_where=sa.text("subscription_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_alert_deliveries_recipient_id",
        table_name="alert_deliveries",
        postgresql_where=sa.text("recipient_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_alert_deliveries_due",
        table_name="alert_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_alert_deliveries_created_at", table_name="alert_deliveries", postgresql_using="brin"
    )
    op.drop_table("alert_deliveries")
    op.drop_table("alert_changes")
