"""API keys: issued once, stored only as a SHA-256 hash, with scopes, expiry and last use.

A key reads `opk_<prefix>_<secret>`. The prefix (8 hex digits) is stored in clear so logs,
the CLI and the audit trail can name a key without holding it; the secret has 256 bits, so
a plain SHA-256 is the right hash (slow password hashes protect guessable secrets).
Rotation issues a replacement and lets the old key work for a grace period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg

from openpolicy.errors import NotFoundError, ValidationFailedError
from openpolicy.queries import admin

KEY_PREFIX = "opk"
SCOPES = ("read", "admin")


@dataclass(frozen=True)
class KeyInfo:
    """A verified key: who holds it and what it may do."""

    id: int
    prefix: str
    name: str
    service: str
    scopes: tuple[str, ...]
    rate_limit_per_minute: int | None
    expires_at: dt.datetime | None

    @property
    def actor(self) -> str:
        return f"key:{self.prefix}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8 or len(parts[2]) < 20:
        return None
    return parts[1]


async def verify(conn: psycopg.AsyncConnection[Any], key: str) -> KeyInfo | str:
    """The key's info, or why it is refused (unknown, revoked, expired). `conn` reaches the
    primary (openpolicy.db.WritePool): a key revoked a moment ago is refused at once."""
    prefix = split_key(key)
    if prefix is None:
        return "malformed API key (expected opk_XXXXXXXX_…)"
    row = await admin.key_by_prefix(conn, prefix)
    if row is None or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return "unknown API key"
    if row.revoked_at is not None:
        return f"API key {prefix} was revoked"
    if row.expires_at is not None and row.expires_at <= dt.datetime.now(dt.UTC):
        return f"API key {prefix} expired at {row.expires_at.isoformat()}"
    return KeyInfo(
        row.id,
        prefix,
        row.name,
        row.service,
        tuple(row.scopes or ()),
        row.rate_limit_per_minute,
        row.expires_at,
    )


async def touch(conn: psycopg.AsyncConnection[Any], key_id: int) -> None:
    """Record use (callers throttle this to once a minute per key)."""
    await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = %s", (key_id,))


AUDIT_SQL = (
    "INSERT INTO audit_events (actor, action, status_code, path, client_ip, details)"
    " VALUES (%s, %s, %s, %s, %s, %s::jsonb)"
)


def _audit_params(
    action: str,
    actor: str | None,
    status_code: int | None,
    path: str | None,
    client_ip: str | None,
    details: dict[str, Any] | None,
) -> tuple[Any, ...]:
    return (actor, action, status_code, path, client_ip, orjson.dumps(details or {}).decode())


def audit(
    conn: psycopg.Connection[Any],
    action: str,
    *,
    actor: str | None,
    status_code: int | None = None,
    path: str | None = None,
    client_ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit event, from the command line (in the command's transaction). The server's
    refusals are counted per address and minute instead (openpolicy.api.audit)."""
    conn.execute(AUDIT_SQL, _audit_params(action, actor, status_code, path, client_ip, details))


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailedError(
            f"unknown scope(s) {', '.join(unknown)}: choose from {', '.join(SCOPES)}"
        )
    return sorted(set(scopes)) or ["read"]


def create(
    conn: psycopg.Connection[Any],
    *,
    name: str,
    service: str,
    scopes: list[str],
    rate_limit_per_minute: int | None = None,
    expires_at: dt.datetime | None = None,
    actor: str = "cli",
) -> tuple[str, int]:
    """Issue a key; the clear key is returned once and never stored."""
    chosen = _check_scopes(scopes)
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = conn.execute(
        "INSERT INTO api_keys (name, service, prefix, key_hash, scopes, rate_limit_per_minute,"
        " expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (name, service, prefix, hash_key(key), chosen, rate_limit_per_minute, expires_at),
    ).fetchone()
    assert row is not None
    audit(
        conn,
        "api_key.create",
        actor=actor,
        details={"prefix": prefix, "service": service, "scopes": chosen},
    )
    return key, int(row[0])


def revoke(conn: psycopg.Connection[Any], prefix: str, actor: str = "cli") -> None:
    row = conn.execute(
        "UPDATE api_keys SET revoked_at = now(), updated_at = now()"
        " WHERE prefix = %s AND revoked_at IS NULL RETURNING id",
        (prefix,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no active API key with prefix {prefix}")
    audit(conn, "api_key.revoke", actor=actor, details={"prefix": prefix})


def rotate(
    conn: psycopg.Connection[Any], service: str, grace: dt.timedelta, actor: str = "cli"
) -> list[tuple[str, str, str]]:
    """Replace every active key of `service` (or of every service with `all`).

    Returns (service, old prefix, new key). Old keys stay valid for `grace`, then expire.
    """
    rows = conn.execute(
        "SELECT id, name, service, prefix, scopes, rate_limit_per_minute, expires_at"
        " FROM api_keys WHERE revoked_at IS NULL AND replaced_by_id IS NULL"
        " AND (expires_at IS NULL OR expires_at > now())"
        " AND (%s = 'all' OR service = %s) ORDER BY service, id",
        (service, service),
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no active API keys for service {service!r}")
    rotated = []
    until = dt.datetime.now(dt.UTC) + grace
    for key_id, name, owner, prefix, scopes, limit, expires_at in rows:
        new_key, new_id = create(
            conn,
            name=name,
            service=owner,
            scopes=list(scopes or ["read"]),
            rate_limit_per_minute=limit,
            expires_at=expires_at,
            actor=actor,
        )
        conn.execute(
            "UPDATE api_keys SET replaced_by_id = %s, updated_at = now(),"
            " expires_at = CASE WHEN expires_at IS NULL OR expires_at > %s THEN %s"
            " ELSE expires_at END WHERE id = %s",
            (new_id, until, until, key_id),
        )
        audit(
            conn,
            "api_key.rotate",
            actor=actor,
            details={
                "service": owner,
                "old": prefix,
                "new": new_key.split("_")[1],
                "old_valid_until": until.isoformat(),
            },
        )
        rotated.append((owner, prefix, new_key))
    return rotated
