"""What the API's gate and admin endpoints read of the operations tables: API keys and the
audit trail. Key checks run on the primary (a key just created or revoked must count at
once); listings may come from any read connection."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import psycopg

from openpolicy.queries._sql import fetch_all, fetch_one


class StoredKey(NamedTuple):
    id: int
    key_hash: str
    name: str
    service: str
    scopes: list[str] | None
    rate_limit_per_minute: int | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


async def key_by_prefix(conn: psycopg.AsyncConnection[Any], prefix: str) -> StoredKey | None:
    """The stored key with this prefix (its hash, never the key), if any."""
    return await fetch_one(
        conn,
        StoredKey,
        "SELECT id, key_hash, name, service, scopes, rate_limit_per_minute, expires_at,"
        " revoked_at FROM api_keys WHERE prefix = %s",
        (prefix,),
    )


class KeyListed(NamedTuple):
    id: int
    name: str
    service: str
    prefix: str
    scopes: list[str] | None
    rate_limit_per_minute: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    replaced_by_id: int | None


def key_status(revoked_at: Any, expires_at: Any, replaced_by: Any) -> str:
    now = dt.datetime.now(dt.UTC)
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and expires_at <= now:
        return "expired"
    if replaced_by is not None:
        return "rotating"
    return "active"


async def api_keys(
    conn: psycopg.AsyncConnection[Any], service: str | None = None
) -> list[dict[str, Any]]:
    """Every key (or every key of `service`) with its status; never the key itself."""
    rows = await fetch_all(
        conn,
        KeyListed,
        "SELECT id, name, service, prefix, scopes, rate_limit_per_minute, created_at,"
        " expires_at, last_used_at, revoked_at, replaced_by_id FROM api_keys"
        " WHERE %s::text IS NULL OR service = %s ORDER BY service, created_at, id",
        (service, service),
    )
    return [
        {
            **row._asdict(),
            "scopes": list(row.scopes or []),
            "status": key_status(row.revoked_at, row.expires_at, row.replaced_by_id),
        }
        for row in rows
    ]


class AuditEvent(NamedTuple):
    id: int
    occurred_at: dt.datetime
    actor: str | None
    action: str
    status_code: int | None
    path: str | None
    client_ip: str | None
    details: dict[str, Any] | None


async def audit_events(
    conn: psycopg.AsyncConnection[Any], action: str | None, limit: int
) -> list[dict[str, Any]]:
    """The newest `limit` audit events (of one `action`, or all)."""
    rows = await fetch_all(
        conn,
        AuditEvent,
        "SELECT id, occurred_at, actor, action, status_code, path, client_ip, details"
        " FROM audit_events WHERE %s::text IS NULL OR action = %s"
        " ORDER BY occurred_at DESC, id DESC LIMIT %s",
        (action, action, limit),
    )
    return [row._asdict() for row in rows]
