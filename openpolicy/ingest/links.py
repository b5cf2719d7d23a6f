"""Links between records never depend on the order the sources were imported in.

A bill names its sponsor by PersonId, a sitting names its speakers by name and riding, a
division table its voters by surname: the member each names may arrive later (or change:
a name learnt, two rows found to be one person). After a run that adds or changes
members (the members lists, the ballots), `relink` makes every such link again where
the change can matter: bill sponsors by PersonId, and the speakers and printed division
names of the sittings that fall in a term written by the run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from openpolicy.ingest.bills import link_sponsors
from openpolicy.ingest.debates import Row, resolve_speakers
from openpolicy.ingest.divisions import settle_division

if TYPE_CHECKING:
    from openpolicy.ingest.context import ImportContext


def _spans(ctx: ImportContext) -> list[tuple[dt.date, dt.date]]:
    """The date ranges of the terms this run wrote (open terms run to today)."""
    today = dt.date.today()
    return [(start, end or today) for start, end in ctx.members.touched]


def relink(ctx: ImportContext) -> dict[str, int]:
    """Make the links the run's members can change; return how many moved."""
    moved = {"sponsors": link_sponsors(ctx), "speakers": 0, "division_names": 0}
    spans = _spans(ctx)
    if not spans:
        return moved
    low = min(start for start, _ in spans)
    high = max(end for _, end in spans)
    sittings = ctx.conn.execute(
        "SELECT d.id, d.date FROM debates d WHERE d.date BETWEEN %s AND %s ORDER BY d.date",
        (low, high),
    ).fetchall()
    for debate_id, day in sittings:
        if any(start <= day <= end for start, end in spans):
            moved["speakers"] += relink_sitting(ctx, debate_id, day)
    divisions = ctx.conn.execute(
        "SELECT DISTINCT v.id, v.date FROM votes v JOIN division_names n ON n.vote_id = v.id"
        " WHERE v.date BETWEEN %s AND %s AND (n.member_id IS NULL OR n.matched IS NOT TRUE)",
        (low, high),
    ).fetchall()
    for vote_id, day in divisions:
        if any(start <= day <= end for start, end in spans):
            settle_division(ctx, vote_id, day)
            moved["division_names"] += 1
    return moved


def relink_sitting(ctx: ImportContext, debate_id: int, day: dt.date) -> int:
    """Resolve a stored sitting's speakers again; return how many links changed."""
    stored = ctx.conn.execute(
        "SELECT id, kind, speaker_name, speaker_role, speaker_riding, hansard_affiliation_id,"
        " member_id FROM speeches WHERE debate_id = %s AND kind IN ('speech', 'question',"
        " 'answer') ORDER BY sequence",
        (debate_id,),
    ).fetchall()
    rows: list[tuple[int, int | None, Row]] = [
        (
            speech_id,
            member,
            Row(
                kind=kind,
                hansard_id=None,
                item=None,
                spoken_at=None,
                speaker_name=name,
                speaker_role=role,
                speaker_riding=riding,
                affiliation_id=affiliation,
            ),
        )
        for speech_id, kind, name, role, riding, affiliation, member in stored
    ]
    resolve_speakers(ctx.members, day, [row for _, _, row in rows])
    changed = [
        (speech_id, row.member_id) for speech_id, member, row in rows if row.member_id != member
    ]
    if changed:
        ctx.conn.execute(
            "UPDATE speeches s SET member_id = c.member_id, updated_at = now()"
            " FROM unnest(%s::bigint[], %s::int[]) AS c(id, member_id) WHERE s.id = c.id",
            ([c[0] for c in changed], [c[1] for c in changed]),
        )
    return len(changed)
