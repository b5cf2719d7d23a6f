"""What one run of a source fetches: its units of work, from settings and what is stored.

A *unit* is the set of documents imported in one transaction: one document for most
sources; the English and French editions of a Hansard sitting or of a divisions list. The
first URL is the primary one (its records are the ones stored); the others are optional.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from openpolicy.config import Settings
from openpolicy.sources import registry
from openpolicy.vocab import Language

SOURCE_ORDER: tuple[str, ...] = ("members", "bills", "bill", "votes", "ballots", "hansard")
"""Dependencies first: members before ballots and Hansard, bills before votes."""


@dataclass(frozen=True)
class Unit:
    """Documents imported together in one transaction."""

    source: str
    urls: tuple[str, ...]
    probe: bool = False  # a 404 on the primary URL means "not published yet", not a failure

    @property
    def primary(self) -> str:
        return self.urls[0]

    @property
    def optional(self) -> tuple[str, ...]:
        return self.urls[1:]


_HANSARD_FR = re.compile(r"-F\.XML$", re.IGNORECASE)


def pair_key(source: str, url: str) -> str:
    """Documents with the same key form one unit (EN and FR editions)."""
    if source == "hansard":
        return _HANSARD_FR.sub("-E.XML", url)
    if source == "votes":
        return url.replace("/Members/fr/", "/Members/en/").replace("/members/fr/", "/members/en/")
    return url


def is_french(source: str, url: str) -> bool:
    if source == "hansard":
        return bool(_HANSARD_FR.search(url))
    if source == "votes":
        return "/fr/" in url.lower()
    return False


def group_units(source: str, urls: Iterable[str]) -> list[Unit]:
    """Group URLs into units, English edition first; order of first appearance kept."""
    groups: dict[str, list[str]] = {}
    for url in urls:
        groups.setdefault(pair_key(source, url), []).append(url)
    units = []
    for members in groups.values():
        ordered = sorted(members, key=lambda url: is_french(source, url))
        units.append(Unit(source, tuple(ordered)))
    return units


def plan(source: str, conn: Connection[Any], settings: Settings) -> list[Unit]:
    """The units a live run of `source` fetches."""
    parl, commons = settings.parl_base_url, settings.ourcommons_base_url
    sessions = list(dict.fromkeys(settings.ingest_sessions))
    if source == "members":
        urls = [registry.members_url(None, commons)]
        urls += [
            registry.members_url(p, commons) for p in dict.fromkeys(settings.ingest_parliaments)
        ]
        return [Unit(source, (url,)) for url in dict.fromkeys(urls)]
    if source == "bills":
        return [Unit(source, (registry.bills_url(s, parl),)) for s in sessions]
    if source == "bill":
        rows = conn.execute(
            "SELECT s.code, b.number FROM bills b JOIN parliamentary_sessions s"
            " ON s.id = b.session_id WHERE s.code = ANY(%s) ORDER BY s.code, b.number_prefix,"
            " b.number_int, b.number",
            (sessions,),
        ).fetchall()
        return [
            Unit(source, (registry.bill_url(code, number, "json", parl),)) for code, number in rows
        ]
    if source == "votes":
        return [
            Unit(
                source,
                (
                    registry.votes_url(s, Language.EN, commons),
                    registry.votes_url(s, Language.FR, commons),
                ),
            )
            for s in sessions
        ]
    if source == "ballots":
        # Divisions without ballots, or whose ballots disagree with the official totals.
        rows = conn.execute(
            "SELECT s.code, v.number FROM votes v JOIN parliamentary_sessions s"
            " ON s.id = v.session_id"
            " LEFT JOIN (SELECT vote_id, count(*) FILTER (WHERE value = 'yea') y,"
            "  count(*) FILTER (WHERE value = 'nay') n, count(*) FILTER (WHERE value = 'paired') p"
            "  FROM ballots GROUP BY vote_id) b ON b.vote_id = v.id"
            " WHERE s.code = ANY(%s) AND (b.vote_id IS NULL"
            "  OR (NOT v.totals_derived AND (v.yeas, v.nays, v.paired) <> (b.y, b.n, b.p)))"
            " ORDER BY v.date DESC, v.number DESC LIMIT %s",
            (sessions, settings.ingest_ballots_per_run),
        ).fetchall()
        return [
            Unit(source, (registry.ballots_url(code, number, commons),)) for code, number in rows
        ]
    if source == "hansard":
        return _hansard_units(conn, settings, sessions)
    raise registry.UnknownSourceError(source)


def _hansard_units(conn: Connection[Any], settings: Settings, sessions: list[str]) -> list[Unit]:
    """Sittings named by divisions but not stored, then a few past the newest stored one."""
    units: list[Unit] = []
    base = settings.ourcommons_base_url
    for code in sessions:
        row = conn.execute(
            "SELECT coalesce(max(d.number), 0) FROM debates d JOIN parliamentary_sessions s"
            " ON s.id = d.session_id WHERE s.code = %s",
            (code,),
        ).fetchone()
        newest = int(row[0]) if row else 0
        missing = conn.execute(
            "SELECT DISTINCT v.sitting_number FROM votes v JOIN parliamentary_sessions s"
            " ON s.id = v.session_id WHERE s.code = %s AND v.sitting_number IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM debates d WHERE d.session_id = v.session_id"
            "  AND d.number = v.sitting_number) ORDER BY 1",
            (code,),
        ).fetchall()
        sittings = [int(r[0]) for r in missing if int(r[0]) <= newest]
        for sitting in sittings:
            units.append(_sitting(code, sitting, base, probe=False))
        for sitting in range(newest + 1, newest + 1 + settings.ingest_hansard_probe):
            units.append(_sitting(code, sitting, base, probe=True))
    return units


def _sitting(code: str, sitting: int, base: str, *, probe: bool) -> Unit:
    return Unit(
        "hansard",
        (
            registry.hansard_url(code, sitting, Language.EN, base),
            registry.hansard_url(code, sitting, Language.FR, base),
        ),
        probe=probe,
    )
