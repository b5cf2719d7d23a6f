"""Saved searches: stored tsqueries and their anchors.

A saved search keeps the words as typed and what PostgreSQL parses them into:
`websearch_to_tsquery('english', q)` and/or `websearch_to_tsquery('french', q)`, the very
parse the search page uses, so an alert matches exactly what the page would find.

Its *anchors* are lexemes of which every matching speech must hold at least one: for
`a & b` the rarer side, for `a | b` both sides, for a phrase like an AND; a NOT anchors
nothing. Matching joins the lexemes of the new speeches with the anchors, so each speech
is tested (`@@`) only against the searches it could match. A search without anchors (a pure
negation) is tested against every new speech; there are few. Rarity comes from the column
statistics (`pg_stats.most_common_elems`); a lexeme too rare to be listed is the best anchor.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from openpolicy.errors import NotFoundError, ValidationFailedError

CONFIGS = {"en": "english", "fr": "french"}
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class SearchSpec:
    """A saved search as typed: the words and the facets."""

    q: str
    language: str = "any"
    member_id: int | None = None
    party: str | None = None


def normalize_query(q: str) -> str:
    return " ".join(q.split())


_TOKEN = re.compile(r"'(?:[^']|'')*'(?::[A-Z*]+)?|<->|<\d+>|[&|!()]")
RARE = 0.0  # the share of a lexeme the statistics do not list


class _Anchors:
    """Recursive descent over a tsquery's text, returning anchor sets (None: unanchored)."""

    def __init__(self, tsquery: str, shares: dict[str, float]) -> None:
        self.tokens: list[str] = _TOKEN.findall(tsquery)
        self.position = 0
        self.shares = shares

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        self.position += 1
        return self.tokens[self.position - 1]

    def cost(self, anchors: frozenset[str]) -> tuple[float, int]:
        # The share of speeches the anchors let through, then fewer and longer lexemes.
        share = sum(self.shares.get(lexeme, RARE) for lexeme in anchors)
        return (share, len(anchors) * 1000 - sum(len(lexeme) for lexeme in anchors))

    def pick(self, left: frozenset[str] | None, right: frozenset[str] | None) -> Any:
        """Both sides must hold: either side's anchors will do; keep the rarer."""
        if left is None:
            return right
        if right is None:
            return left
        return min(left, right, key=self.cost)

    def primary(self) -> frozenset[str] | None:
        token = self.take()
        if token == "(":
            value = self.disjunction()
            if self.peek() == ")":
                self.take()
            return value
        if token == "!":
            self.primary()
            return None
        if not token.startswith("'"):
            raise ValueError(f"unexpected {token!r} in tsquery")
        lexeme, _, flags = token[1:].rpartition("'")
        if "*" in flags:  # a prefix: no single lexeme to join on
            return None
        return frozenset({lexeme.replace("''", "'")})

    def phrase(self) -> frozenset[str] | None:
        value = self.primary()
        while (self.peek() or "").startswith("<"):
            self.take()
            value = self.pick(value, self.primary())
        return value

    def conjunction(self) -> frozenset[str] | None:
        value = self.phrase()
        while self.peek() == "&":
            self.take()
            value = self.pick(value, self.phrase())
        return value

    def disjunction(self) -> frozenset[str] | None:
        value = self.conjunction()
        while self.peek() == "|":
            self.take()
            other = self.conjunction()
            value = None if value is None or other is None else value | other
        return value


def anchors(tsquery: str, shares: dict[str, float] | None = None) -> frozenset[str] | None:
    """Lexemes every match of `tsquery` holds one of; None when no such set exists."""
    walker = _Anchors(tsquery, shares or {})
    if not walker.tokens:
        return None
    found = walker.disjunction()
    if walker.position != len(walker.tokens):
        raise ValueError(f"could not read tsquery {tsquery!r}")
    return found


_SHARES_SECONDS = 600.0
_shares: dict[str, tuple[float, dict[str, float]]] = {}


def lexeme_shares(conn: Connection[Any], config: str) -> dict[str, float]:
    """Share of speeches holding each common lexeme, from the column's statistics (read at
    most every ten minutes: ANALYZE changes them about as often, and a burst of sign-ups
    should not parse the statistics array each time)."""
    cached = _shares.get(config)
    if cached is not None and time.monotonic() - cached[0] < _SHARES_SECONDS:
        return cached[1]
    shares = _read_shares(conn, config)
    _shares[config] = (time.monotonic(), shares)
    return shares


def _read_shares(conn: Connection[Any], config: str) -> dict[str, float]:
    column = "search_fr" if config == "fr" else "search_en"
    row = conn.execute(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
        " WHERE tablename = 'speeches' AND attname = %s AND schemaname = current_schema()",
        (column,),
    ).fetchone()
    if row is None or not row[0]:
        return {}
    return dict(zip(row[0], row[1][: len(row[0])], strict=False))


def check_spec(spec: SearchSpec) -> SearchSpec:
    q = normalize_query(spec.q)
    if not q:
        raise ValidationFailedError("follow.q: the words to look for are required")
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationFailedError(f"follow.q: at most {MAX_QUERY_LENGTH} characters")
    if spec.language not in ("en", "fr", "any"):
        raise ValidationFailedError(
            f"follow.language: expected en, fr or any, got {spec.language!r}"
        )
    party = spec.party.strip() if spec.party else None
    return SearchSpec(q, spec.language, spec.member_id, party or None)


def saved_search_id(conn: Connection[Any], spec: SearchSpec) -> int:
    """The id of the saved search `spec` (created with its tsqueries and anchors if new)."""
    spec = check_spec(spec)
    party_id = None
    if spec.party is not None:
        found = conn.execute(
            "SELECT id FROM parties WHERE lower(short_name_en) = lower(%s)"
            " OR lower(short_name_fr) = lower(%s) OR lower(abbreviation) = lower(%s)"
            " ORDER BY id LIMIT 1",
            (spec.party, spec.party, spec.party),
        ).fetchone()
        if found is None:
            raise NotFoundError(f"follow.party: no party {spec.party!r}")
        party_id = int(found[0])
    if spec.member_id is not None:
        member = conn.execute(
            "SELECT 1 FROM elected_members WHERE id = %s", (spec.member_id,)
        ).fetchone()
        if member is None:
            raise NotFoundError(f"follow.member_id: no member {spec.member_id}")
    existing = conn.execute(
        "SELECT id FROM alert_searches WHERE query = %s AND language = %s"
        " AND member_id IS NOT DISTINCT FROM %s AND party_id IS NOT DISTINCT FROM %s",
        (spec.q, spec.language, spec.member_id, party_id),
    ).fetchone()
    if existing is not None:
        return int(existing[0])
    languages = ("en", "fr") if spec.language == "any" else (spec.language,)
    parsed: dict[str, str | None] = {"en": None, "fr": None}
    for language in languages:
        row = conn.execute(
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text",
            (CONFIGS[language], spec.q),
        ).fetchone()
        parsed[language] = row[0] if row and row[0] else None
    if not any(parsed.values()):
        raise ValidationFailedError(
            f"follow.q: {spec.q!r} has no searchable words (only stop words or punctuation)"
        )
    anchor_sets = {
        language: anchors(text, lexeme_shares(conn, language))
        for language, text in parsed.items()
        if text
    }
    unanchored = any(found is None for found in anchor_sets.values())
    if unanchored and spec.member_id is None:
        # Only words to leave out: nearly every speech would match, an alert for each.
        raise ValidationFailedError(
            f"follow.q: {spec.q!r} names no word to look for, only words to leave out"
            " (add a word, or choose a member whose speeches to follow)"
        )
    # One plain lexeme per language: a speech holding the anchor matches, no @@ needed.
    exact = all(
        text is not None and _TOKEN.fullmatch(text) is not None and ":" not in text
        for text in parsed.values()
        if text
    )
    row = conn.execute(
        "INSERT INTO alert_searches (query, language, member_id, party_id, query_en, query_fr,"
        " unanchored, exact) VALUES (%s, %s, %s, %s, %s::tsquery, %s::tsquery, %s, %s)"
        " ON CONFLICT (query, language, member_id, party_id) DO UPDATE SET query = EXCLUDED.query"
        " RETURNING id, (xmax = 0)",
        (
            spec.q,
            spec.language,
            spec.member_id,
            party_id,
            parsed["en"],
            parsed["fr"],
            unanchored,
            exact and not unanchored,
        ),
    ).fetchone()
    assert row is not None
    search_id, created = int(row[0]), bool(row[1])
    if created and not unanchored:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO alert_search_anchors (lexeme, config, search_id) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                [
                    (lexeme, language, search_id)
                    for language, found in anchor_sets.items()
                    for lexeme in sorted(found or ())
                ],
            )
    return search_id
