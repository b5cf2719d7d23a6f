"""The facts of matched items, read when they are sent (one statement per kind of item).

Matching stores only what an item is about (`event`, `ref_id`, `item_key`): a sitting can
match a hundred thousand (subscription, item) pairs, and copying the facts into each would
cost more than finding them. A message reads the facts of its own items when it is sent,
in both languages, with language-neutral site paths (`path`) the renderers localize.

`ref_id` by event: member.ballot → ballots.id; member.speeches → debates.id (the member is
the subscription's); member.bill → bills.id; bill.stage → bill_events.id; bill.division →
votes.id (the bill is the subscription's); bill.mention → debates.id; division.outcome →
votes.id; search.speech → speeches.id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

from psycopg import Connection

_MEMBER = "jsonb_build_object('id', m.id, 'name', m.full_name)"
_VOTE = """jsonb_build_object(
    'session', vps.code, 'number', v.number, 'date', v.date, 'subject_en', v.subject_en,
    'subject_fr', v.subject_fr, 'result', v.result, 'yeas', v.yeas, 'nays', v.nays,
    'paired', v.paired, 'bill_number', v.bill_number,
    'path', '/votes/' || vps.code || '/' || v.number)"""
_BILL = """jsonb_build_object(
    'session', bps.code, 'number', b.number,
    'title_en', coalesce(b.short_title_en, b.title_en),
    'title_fr', coalesce(b.short_title_fr, b.title_fr),
    'status_en', b.status_en, 'status_fr', b.status_fr,
    'path', '/bills/' || bps.code || '/' || b.number)"""
_DEBATE = """jsonb_build_object(
    'session', dps.code, 'number', d.number, 'date', d.date,
    'path', '/debates/' || dps.code || '/' || d.number)"""
_SPEECH = """jsonb_build_object(
    'sequence', s.sequence, 'member_id', s.member_id, 'speaker_name', s.speaker_name,
    'party', s.party_abbreviation, 'heading_en', s.heading_en, 'heading_fr', s.heading_fr,
    'excerpt_en', left(s.text_en, 400), 'excerpt_fr', left(s.text_fr, 400),
    'path', '/debates/' || dps.code || '/' || d.number || '/' || s.sequence)"""

# event -> statement. %(refs)s: the ref ids; %(others)s: the subscription's member or bill
# id in the same order where the event needs one. Each row: (ref, other, payload).
FACTS: dict[str, LiteralString] = {
    "member.ballot": f"""
        SELECT b.id, b.member_id, jsonb_build_object('member', {_MEMBER}, 'vote', {_VOTE},
                                                   'ballot', b.value)
        FROM ballots b JOIN votes v ON v.id = b.vote_id
        JOIN parliamentary_sessions vps ON vps.id = v.session_id
        JOIN elected_members m ON m.id = b.member_id
        WHERE b.id = ANY(%(refs)s)""",
    "member.speeches": f"""
        SELECT p.ref, p.other, jsonb_build_object(
                   'member', {_MEMBER}, 'debate', {_DEBATE}, 'speeches', count(*),
                   'first', (array_agg({_SPEECH} ORDER BY s.sequence))[1])
        FROM (SELECT DISTINCT * FROM unnest(%(refs)s::bigint[], %(others)s::bigint[])
              AS x(ref, other)) AS p
        JOIN debates d ON d.id = p.ref
        JOIN parliamentary_sessions dps ON dps.id = d.session_id
        JOIN elected_members m ON m.id = p.other
        JOIN speeches s ON s.debate_id = d.id AND s.member_id = m.id
        GROUP BY p.ref, p.other, d.id, dps.code, m.id""",
    "member.bill": f"""
        SELECT b.id, b.sponsor_member_id, jsonb_build_object(
                   'member', {_MEMBER}, 'bill', {_BILL}, 'introduced', b.introduced_date)
        FROM bills b JOIN parliamentary_sessions bps ON bps.id = b.session_id
        LEFT JOIN elected_members m ON m.id = b.sponsor_member_id
        WHERE b.id = ANY(%(refs)s)""",
    "bill.stage": f"""
        SELECT e.id, b.id, jsonb_build_object(
                   'bill', {_BILL},
                   'stage', jsonb_build_object(
                       'chamber', e.chamber, 'stage', e.stage, 'name_en', e.stage_name_en,
                       'name_fr', e.stage_name_fr, 'date', e.event_date, 'outcome', e.outcome),
                   'sponsor', CASE WHEN b.sponsor_member_id IS NOT NULL THEN
                       jsonb_build_object('id', b.sponsor_member_id, 'name', b.sponsor_name) END)
        FROM bill_events e JOIN bills b ON b.id = e.bill_id
        JOIN parliamentary_sessions bps ON bps.id = b.session_id
        WHERE e.id = ANY(%(refs)s)""",
    "bill.division": f"""
        SELECT v.id, b.id, jsonb_build_object('bill', {_BILL}, 'vote', {_VOTE})
        FROM (SELECT DISTINCT * FROM unnest(%(refs)s::bigint[], %(others)s::bigint[])
              AS x(ref, other)) AS p
        JOIN votes v ON v.id = p.ref
        JOIN parliamentary_sessions vps ON vps.id = v.session_id
        JOIN bills b ON b.id = p.other
        JOIN parliamentary_sessions bps ON bps.id = b.session_id""",
    "bill.mention": f"""
        SELECT d.id, b.id, jsonb_build_object('bill', {_BILL}, 'debate', {_DEBATE},
                                               'speeches', coalesce(dbm.speeches, 0))
        FROM (SELECT DISTINCT * FROM unnest(%(refs)s::bigint[], %(others)s::bigint[])
              AS x(ref, other)) AS p
        JOIN debates d ON d.id = p.ref
        JOIN parliamentary_sessions dps ON dps.id = d.session_id
        JOIN bills b ON b.id = p.other
        JOIN parliamentary_sessions bps ON bps.id = b.session_id
        LEFT JOIN debate_bill_mentions dbm
            ON dbm.debate_id = d.id AND dbm.bill_number = b.number""",
    "division.outcome": f"""
        SELECT v.id, NULL::bigint, jsonb_build_object('vote', {_VOTE})
        FROM votes v JOIN parliamentary_sessions vps ON vps.id = v.session_id
        WHERE v.id = ANY(%(refs)s)""",
    "search.speech": f"""
        SELECT s.id, NULL::bigint, jsonb_build_object('debate', {_DEBATE}, 'speech', {_SPEECH})
        FROM speeches s JOIN debates d ON d.id = s.debate_id
        JOIN parliamentary_sessions dps ON dps.id = d.session_id
        WHERE s.id = ANY(%(refs)s)""",
}
# Events whose facts depend on the subscription's member or bill, not only on the ref.
_PAIRED = {"member.speeches": "member_id", "bill.division": "bill_id", "bill.mention": "bill_id"}


@dataclass(frozen=True)
class ItemRef:
    """One stored item and what its facts need from its subscription."""

    subscription_id: int
    event: str
    ref_id: int
    item_key: str
    member_id: int | None  # the subscription's
    bill_id: int | None
    query: str | None  # a saved search's words

    @property
    def key(self) -> tuple[int, str]:
        return (self.subscription_id, self.item_key)


ITEM_COLUMNS: LiteralString = (
    "i.subscription_id, i.event, i.ref_id, i.item_key, sub.member_id, sub.bill_id, q.query"
)
ITEM_JOINS: LiteralString = (
    "JOIN alert_subscriptions sub ON sub.id = i.subscription_id"
    " LEFT JOIN alert_searches q ON q.id = sub.search_id"
)


def facts(conn: Connection[Any], items: list[ItemRef]) -> dict[tuple[int, str], dict[str, Any]]:
    """Each item's facts, by item key (items whose rows are gone are left out)."""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    by_event: dict[str, list[ItemRef]] = {}
    for item in items:
        by_event.setdefault(item.event, []).append(item)
    for event, group in by_event.items():
        statement = FACTS.get(event)
        if statement is None:
            continue
        paired = _PAIRED.get(event)
        others = [getattr(item, paired) if paired else None for item in group]
        rows = conn.execute(
            statement, {"refs": [item.ref_id for item in group], "others": others}
        ).fetchall()
        by_ref = {
            (int(r[0]), int(r[1]) if paired and r[1] is not None else None): r[2] for r in rows
        }
        for item, other in zip(group, others, strict=True):
            payload = by_ref.get((item.ref_id, other if paired else None))
            if payload is None:
                continue
            payload = dict(payload)
            if event == "member.ballot":  # the ballot the item was matched for
                payload["ballot"] = item.item_key.rsplit(":", 1)[1]
            elif event == "search.speech":
                payload["search"] = {"q": item.query}
            found[item.key] = payload
    return found
