"""Set-based matching: the new and changed rows against every subscription, in PostgreSQL.

Triggers (migration 0010) append the ids of new and changed speeches, ballots, divisions,
bills and stages to `alert_changes`. `match_changes` takes all of them in one transaction
and runs one INSERT … SELECT per kind of item into a temporary table: the changed rows
joined with the active subscriptions that follow them. Saved searches are stored tsqueries:
the new speeches' lexemes are joined with the searches' anchors (openpolicy.alerts.searches)
and only those candidates are tested with `@@`. The cost grows with the changed rows and the
items found, never with one query per subscription. Items store what they are about
(`event`, `ref_id`), not the facts: those are read when a message is sent
(openpolicy.alerts.payloads), so a sitting's hundred thousand items stay small rows.

Each item is unique per `(subscription_id, item_key)`: pairs already stored are dropped
before anything is written, so an item matched again by a later ingest is never sent again.
Keys name the fact, with the values that make a correction news: `ballot:812:nay` after
`ballot:812:yea` is sent; the same ballot stored again is not. Facts dated more than
`alerts_max_item_age_days` before the match are history, not news: a backfill of past
sessions does not flood subscribers.

Items are written with their delivery: one e-mail per address for immediate e-mail
subscriptions, POSTs of at most `WEBHOOK_BATCH` items for webhooks; daily ones wait for the
digest (`group_items`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, LiteralString

from psycopg import Connection

from openpolicy.alerts.queue import defer_delivery
from openpolicy.config import Settings

log = logging.getLogger("openpolicy.alerts")

WEBHOOK_BATCH = 100
_LOCK = "openpolicy.alerts.match"

_ACTIVE = "sub.status = 'active'"
# Which message an item goes into: one e-mail per address (immediate e-mail follows), one
# POST per webhook (cut into WEBHOOK_BATCH items later); NULL: the daily digest.
_ROUTE = (
    "CASE WHEN sub.channel = 'webhook' THEN 'w' || sub.id"
    " WHEN sub.cadence = 'immediate' THEN 'e' || sub.recipient_id END,"
    " sub.recipient_id, CASE WHEN sub.channel = 'webhook' THEN sub.id END"
)

# (event, statements…): each adds (subscription, item_key, event, ref_id, routing) rows to
# the pass's `alert_matched` from its `alert_changed`; %(since)s: the oldest date still news.
STATEMENTS: tuple[tuple[str, ...], ...] = (
    (
        "member.ballot",
        f"""
INSERT INTO alert_matched
SELECT sub.id, 'ballot:' || b.vote_id || ':' || b.value, 'member.ballot', b.id, {_ROUTE}
FROM alert_changed c
JOIN ballots b ON b.id = c.row_id
JOIN votes v ON v.id = b.vote_id
JOIN alert_subscriptions sub ON sub.kind = 'member' AND sub.member_id = b.member_id AND {_ACTIVE}
WHERE c.source = 'ballot' AND v.date >= %(since)s
""",
    ),
    (
        "member.speeches",
        f"""
INSERT INTO alert_matched
SELECT sub.id, 'speeches:' || f.debate_id, 'member.speeches', f.debate_id, {_ROUTE}
FROM (
    SELECT DISTINCT s.member_id, s.debate_id
    FROM alert_changed c
    JOIN speeches s ON s.id = c.row_id
    JOIN debates d ON d.id = s.debate_id
    WHERE c.source = 'speech' AND s.member_id IS NOT NULL AND d.date >= %(since)s
) AS f
JOIN alert_subscriptions sub ON sub.kind = 'member' AND sub.member_id = f.member_id AND {_ACTIVE}
""",
    ),
    (
        "member.bill",
        f"""
INSERT INTO alert_matched
SELECT sub.id, 'bill:' || b.id, 'member.bill', b.id, {_ROUTE}
FROM alert_changed c
JOIN bills b ON b.id = c.row_id
JOIN alert_subscriptions sub
  ON sub.kind = 'member' AND sub.member_id = b.sponsor_member_id AND {_ACTIVE}
WHERE c.source = 'bill'
  AND coalesce(b.introduced_date, b.latest_activity_at::date, current_date) >= %(since)s
""",
    ),
    (
        "bill.stage",
        f"""
WITH stages AS MATERIALIZED (
    SELECT e.id, b.id AS bill_id, b.sponsor_member_id,
           concat_ws(':', 'stage', b.id, e.chamber, e.stage, e.event_date, e.outcome) AS item_key
    FROM alert_changed c
    JOIN bill_events e ON e.id = c.row_id
    JOIN bills b ON b.id = e.bill_id
    WHERE c.source = 'bill_event' AND coalesce(e.event_date, current_date) >= %(since)s
)
INSERT INTO alert_matched
SELECT sub.id, f.item_key, 'bill.stage', f.id, {_ROUTE}
FROM stages f JOIN alert_subscriptions sub
  ON sub.kind = 'bill' AND sub.bill_id = f.bill_id AND {_ACTIVE}
UNION ALL
SELECT sub.id, f.item_key, 'bill.stage', f.id, {_ROUTE}
FROM stages f JOIN alert_subscriptions sub
  ON sub.kind = 'member' AND sub.member_id = f.sponsor_member_id AND {_ACTIVE}
""",
    ),
    (
        "bill.division",
        f"""
INSERT INTO alert_matched
SELECT sub.id, 'division:' || v.id, 'bill.division', v.id, {_ROUTE}
FROM alert_changed c
JOIN votes v ON v.id = c.row_id
JOIN bills b ON b.id = v.bill_id
    OR (v.bill_id IS NULL AND b.session_id = v.session_id AND b.number = v.bill_number)
JOIN alert_subscriptions sub ON sub.kind = 'bill' AND sub.bill_id = b.id AND {_ACTIVE}
WHERE c.source = 'vote' AND v.date >= %(since)s
""",
    ),
    (
        "bill.mention",
        f"""
INSERT INTO alert_matched
SELECT sub.id, 'mention:' || d.id, 'bill.mention', d.id, {_ROUTE}
FROM (
    SELECT DISTINCT s.debate_id FROM alert_changed c JOIN speeches s ON s.id = c.row_id
    WHERE c.source = 'speech'
) AS cd
JOIN debates d ON d.id = cd.debate_id
JOIN debate_bill_mentions dbm ON dbm.debate_id = d.id
JOIN bills b ON b.session_id = d.session_id AND b.number = dbm.bill_number
JOIN alert_subscriptions sub ON sub.kind = 'bill' AND sub.bill_id = b.id AND {_ACTIVE}
WHERE d.date >= %(since)s
""",
    ),
    (
        "division.outcome",
        f"""
WITH outcomes AS MATERIALIZED (
    SELECT v.id, concat_ws(':', 'outcome', v.id, v.result, v.yeas, v.nays, v.paired) AS item_key
    FROM alert_changed c JOIN votes v ON v.id = c.row_id
    WHERE c.source = 'vote' AND v.date >= %(since)s
)
INSERT INTO alert_matched
SELECT sub.id, f.item_key, 'division.outcome', f.id, {_ROUTE}
FROM outcomes f JOIN alert_subscriptions sub
  ON sub.kind = 'division' AND sub.vote_id = f.id AND {_ACTIVE}
UNION ALL
SELECT sub.id, 'outcome:' || f.id, 'division.outcome', f.id, {_ROUTE}
FROM outcomes f JOIN alert_subscriptions sub
  ON sub.kind = 'division' AND sub.vote_id IS NULL AND {_ACTIVE}
""",
    ),
    (
        "search.speech",
        # In steps, each in a temporary table analyzed before the next step is planned:
        # the joins are then planned from real sizes (hash joins over tens of thousands of
        # candidates, not as many index probes planned for a hundred).
        """
CREATE TEMP TABLE alert_new_speeches ON COMMIT DROP AS
SELECT s.id, s.search_en, s.search_fr, s.member_id, s.party_abbreviation
FROM alert_changed c
JOIN speeches s ON s.id = c.row_id
JOIN debates d ON d.id = s.debate_id
WHERE c.source = 'speech' AND d.date >= %(since)s
""",
        "ANALYZE alert_new_speeches",
        # Candidates: the searches one of whose anchors the speech holds. Without an anchor
        # a search names a speaker (openpolicy.alerts.searches): that speaker's speeches.
        """
CREATE TEMP TABLE alert_candidates ON COMMIT DROP AS
SELECT a.search_id, l.speech_id
FROM (
    SELECT n.id AS speech_id, 'en' AS config, x.lexeme
    FROM alert_new_speeches n, unnest(tsvector_to_array(n.search_en)) AS x(lexeme)
    UNION ALL
    SELECT n.id, 'fr', x.lexeme
    FROM alert_new_speeches n, unnest(tsvector_to_array(n.search_fr)) AS x(lexeme)
) AS l
JOIN alert_search_anchors a ON a.lexeme = l.lexeme AND a.config = l.config
UNION ALL
SELECT q.id, n.id FROM alert_searches q JOIN alert_new_speeches n ON n.member_id = q.member_id
WHERE q.unanchored
""",
        "ANALYZE alert_candidates",
        # Hits: the candidates whose stored tsquery the speech's vector matches (@@).
        f"""
INSERT INTO alert_matched
SELECT sub.id, 'speech:' || h.speech_id, 'search.speech', h.speech_id, {_ROUTE}
FROM (
    SELECT DISTINCT c.search_id, c.speech_id
    FROM alert_candidates c
    JOIN alert_searches q ON q.id = c.search_id
    JOIN alert_new_speeches n ON n.id = c.speech_id
    LEFT JOIN parties p ON p.id = q.party_id
    WHERE (q.member_id IS NULL OR n.member_id = q.member_id)
      AND (q.party_id IS NULL OR n.party_abbreviation = p.abbreviation)
      AND (q.exact  -- the anchor was the whole query: holding it is matching
           OR (q.query_en IS NOT NULL AND n.search_en @@ q.query_en)
           OR (q.query_fr IS NOT NULL AND n.search_fr @@ q.query_fr))
) AS h
JOIN alert_subscriptions sub ON sub.kind = 'search' AND sub.search_id = h.search_id AND {_ACTIVE}
""",
    ),
)

# The pass's matches: rows already stored (matched by an earlier pass) are dropped, a
# webhook's are cut into POSTs of WEBHOOK_BATCH, each batch gets its delivery id, then the
# deliveries and the items are written, one statement each.
_MATCHED: LiteralString = """
CREATE TEMP TABLE alert_matched (
    subscription_id bigint, item_key text, event text, ref_id bigint,
    batch text, recipient_id bigint, webhook_id bigint
) ON COMMIT DROP
"""
_DROP_KNOWN: LiteralString = """
DELETE FROM alert_matched m USING alert_items i
WHERE i.subscription_id = m.subscription_id AND i.item_key = m.item_key
"""
_CUT_WEBHOOKS: LiteralString = """
UPDATE alert_matched m SET batch = m.batch || ':' || w.part
FROM (
    SELECT ctid, (row_number() OVER (PARTITION BY subscription_id ORDER BY item_key) - 1)
                 / %(batch)s AS part
    FROM alert_matched WHERE webhook_id IS NOT NULL
) AS w
WHERE m.ctid = w.ctid
"""
_BATCHES: LiteralString = """
CREATE TEMP TABLE alert_batch ON COMMIT DROP AS
SELECT batch, min(webhook_id) AS webhook_id, min(recipient_id) AS recipient_id,
       nextval('alert_deliveries_id_seq') AS delivery_id
FROM alert_matched WHERE batch IS NOT NULL GROUP BY batch
"""
_DELIVERIES: LiteralString = """
INSERT INTO alert_deliveries (id, channel, kind, recipient_id, subscription_id)
SELECT delivery_id, CASE WHEN webhook_id IS NULL THEN 'email' ELSE 'webhook' END, 'alert',
       CASE WHEN webhook_id IS NULL THEN recipient_id END, webhook_id
FROM alert_batch
"""
_ITEMS: LiteralString = """
INSERT INTO alert_items (subscription_id, item_key, event, ref_id, delivery_id)
SELECT m.subscription_id, m.item_key, m.event, m.ref_id, b.delivery_id
FROM alert_matched m LEFT JOIN alert_batch b ON b.batch = m.batch
ORDER BY m.subscription_id, m.item_key
"""

# Undelivered items (the daily ones, or any left behind) become deliveries: one e-mail per
# address, one POST per WEBHOOK_BATCH items of a webhook. Delivery ids are drawn first, so
# items and deliveries are written by one statement each, set-based.
_GROUP_EMAIL: LiteralString = """
WITH pending AS (
    SELECT i.subscription_id, i.item_key, sub.recipient_id FROM alert_items i
    JOIN alert_subscriptions sub ON sub.id = i.subscription_id
    WHERE i.delivery_id IS NULL AND sub.channel = 'email' AND sub.status = 'active'
      AND sub.cadence = %(cadence)s
), groups AS MATERIALIZED (
    SELECT recipient_id, nextval('alert_deliveries_id_seq') AS delivery_id
    FROM (SELECT DISTINCT recipient_id FROM pending) AS r
), made AS (
    INSERT INTO alert_deliveries (id, channel, kind, recipient_id)
    SELECT delivery_id, 'email', %(kind)s, recipient_id FROM groups
    RETURNING id
), assigned AS (
    UPDATE alert_items i SET delivery_id = g.delivery_id
    FROM pending p JOIN groups g ON g.recipient_id = p.recipient_id
    WHERE i.subscription_id = p.subscription_id AND i.item_key = p.item_key
    RETURNING 1
)
SELECT (SELECT count(*) FROM made), (SELECT count(*) FROM assigned)
"""

_GROUP_WEBHOOK: LiteralString = """
WITH pending AS (
    SELECT i.subscription_id, i.item_key,
           (row_number() OVER (PARTITION BY i.subscription_id ORDER BY i.item_key) - 1)
               / %(batch)s AS part
    FROM alert_items i
    JOIN alert_subscriptions sub ON sub.id = i.subscription_id
    WHERE i.delivery_id IS NULL AND sub.channel = 'webhook' AND sub.status = 'active'
), groups AS MATERIALIZED (
    SELECT subscription_id, part, nextval('alert_deliveries_id_seq') AS delivery_id
    FROM (SELECT DISTINCT subscription_id, part FROM pending ORDER BY 1, 2) AS g
), made AS (
    INSERT INTO alert_deliveries (id, channel, kind, subscription_id)
    SELECT delivery_id, 'webhook', 'alert', subscription_id FROM groups
    RETURNING id
), assigned AS (
    UPDATE alert_items i SET delivery_id = g.delivery_id
    FROM pending p JOIN groups g ON g.subscription_id = p.subscription_id AND g.part = p.part
    WHERE i.subscription_id = p.subscription_id AND i.item_key = p.item_key
    RETURNING 1
)
SELECT (SELECT count(*) FROM made), (SELECT count(*) FROM assigned)
"""


@dataclass
class MatchReport:
    """What one matching pass did."""

    changes: int = 0
    items: dict[str, int] = field(default_factory=dict)
    deliveries: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def total_items(self) -> int:
        return sum(self.items.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "items": dict(self.items),
            "deliveries": self.deliveries,
            "seconds": round(self.seconds, 4),
            "timings": {step: round(seconds, 4) for step, seconds in self.timings.items()},
        }


def match_changes(
    conn: Connection[Any], settings: Settings, *, max_age_days: int | None = None
) -> MatchReport:
    """Match every pending change (one transaction); return what was found.

    `conn` must be in autocommit mode outside this call (the ingest runner's and the
    worker's connections are). Concurrent calls queue on an advisory lock.
    """
    started = time.perf_counter()
    report = MatchReport()
    age = settings.alerts_max_item_age_days if max_age_days is None else max_age_days
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (_LOCK,))
        pending = conn.execute("SELECT EXISTS (SELECT 1 FROM alert_changes)").fetchone()
        if pending is None or not pending[0]:
            return report
        conn.execute(
            "CREATE TEMP TABLE alert_changed ON COMMIT DROP AS"
            " WITH taken AS (DELETE FROM alert_changes RETURNING source, row_id)"
            " SELECT DISTINCT source, row_id FROM taken"
        )
        counted = conn.execute("SELECT count(*) FROM alert_changed").fetchone()
        report.changes = int(counted[0]) if counted else 0
        conn.execute("ANALYZE alert_changed")
        conn.execute(_MATCHED)
        since = conn.execute("SELECT current_date - %s::int", (age,)).fetchone()
        assert since is not None
        report.timings["take"] = time.perf_counter() - started
        for event, *statements in STATEMENTS:
            step = time.perf_counter()
            for statement in statements:
                conn.execute(statement.encode(), {"since": since[0]} if "%(" in statement else None)
            report.timings[event] = time.perf_counter() - step
        step = time.perf_counter()
        # No ANALYZE of alert_matched: the planner sizes it from its pages, which is all the
        # next statements need (an ANALYZE of 100,000 rows costs a tenth of a second).
        conn.execute(_DROP_KNOWN)
        conn.execute(_CUT_WEBHOOKS, {"batch": WEBHOOK_BATCH})
        report.timings["new"] = time.perf_counter() - step
        step = time.perf_counter()
        conn.execute(_BATCHES)
        report.deliveries = conn.execute(_DELIVERIES).rowcount
        report.timings["deliveries"] = time.perf_counter() - step
        step = time.perf_counter()
        conn.execute(_ITEMS)
        report.timings["items"] = time.perf_counter() - step
        for event, count in conn.execute(
            "SELECT event, count(*) FROM alert_matched GROUP BY 1 ORDER BY 1"
        ).fetchall():
            report.items[event] = int(count)
        if report.deliveries:
            defer_delivery(conn)
    report.seconds = time.perf_counter() - started
    log.info("alerts matched: %s", report.as_dict())
    return report


def group_items(conn: Connection[Any], cadence: str) -> int:
    """Turn undelivered items into deliveries (`daily`: the digests); returns how many."""
    kind = "digest" if cadence == "daily" else "alert"
    row = conn.execute(_GROUP_EMAIL, {"cadence": cadence, "kind": kind}).fetchone()
    made = int(row[0]) if row else 0
    if cadence == "immediate":
        row = conn.execute(_GROUP_WEBHOOK, {"batch": WEBHOOK_BATCH}).fetchone()
        made += int(row[0]) if row else 0
    return made


def after_ingest(database: Any, settings: Settings) -> MatchReport | None:
    """The ingest runner's hook: match what the run changed. Never fails the run."""
    if not settings.alerts_match_after_ingest:
        return None
    from openpolicy import db

    try:
        with db.connect(database, autocommit=True, application_name="openpolicy-alerts") as conn:
            return match_changes(conn, settings)
    except Exception:  # alerts must never turn a good ingest into a failed one
        log.exception("matching alerts after the ingest failed; the worker's tick retries it")
        return None
