"""Following and unfollowing: e-mail sign-ups with double opt-in, the signed links'
operations, and webhook subscriptions owned by an API key's service.

Privacy: a sign-up answers the same whatever the address's state (new, pending, already
following, over its limits): nothing tells whether an address is subscribed. The limits
per address and per client are counted in `alert_signups` under keyed hashes, never the
address itself. An address exists only while it has alerts: the last unsubscribe deletes it
(with its deliveries), and unconfirmed sign-ups expire after `alerts_confirm_hours`.

Callers own transactions: every function here takes a connection inside one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection

from openpolicy.alerts import tokens, webhooks
from openpolicy.alerts.queue import defer_delivery
from openpolicy.alerts.targets import (
    Description,
    Target,
    TargetSpec,
    describe,
    public_target,
    resolve,
)
from openpolicy.config import Settings
from openpolicy.errors import (
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ValidationFailedError,
)

MAX_EMAIL_LENGTH = 254
# Deliberately simple: one @, a dot in the domain, no spaces or angle brackets. The
# confirmation e-mail is the real check.
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\"]{2,}$")
CADENCES = ("immediate", "daily")


def normalize_email(text: str) -> str:
    """The address as stored: trimmed, domain lower-cased; a 422 naming the field if absurd."""
    address = text.strip()
    if len(address) > MAX_EMAIL_LENGTH or not _EMAIL.match(address):
        raise ValidationFailedError("email: expected an e-mail address like name@example.ca")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class SignUp:
    """One submission of a Follow form."""

    email: str
    language: str
    cadence: str
    target: TargetSpec
    client: str  # the client's address, for the per-IP limit


def _check_language(language: str) -> str:
    if language not in ("en", "fr"):
        raise ValidationFailedError(f"language: expected en or fr, got {language!r}")
    return language


def _check_cadence(cadence: str) -> str:
    if cadence not in CADENCES:
        raise ValidationFailedError(f"cadence: expected immediate or daily, got {cadence!r}")
    return cadence


def sign_up(conn: Connection[Any], settings: Settings, request: SignUp) -> None:
    """Record a pending follow and queue its confirmation e-mail, within the limits.

    Raises only for what the requester may know: a malformed field, an unknown target, or
    too many sign-ups from their own client address (429). Everything about the e-mail
    address (new or known, pending, already following, over its daily limit or its number
    of alerts) ends the same way, silently.
    """
    email = normalize_email(request.email)
    language = _check_language(request.language)
    cadence = _check_cadence(request.cadence)
    target = resolve(conn, request.target)
    client_hash = tokens.keyed_hash(settings, "client:" + request.client)
    address_hash = tokens.keyed_hash(settings, "address:" + email.lower())
    recent = conn.execute(
        "SELECT count(*) FROM alert_signups WHERE client_hash = %s"
        " AND at > now() - interval '1 hour'",
        (client_hash,),
    ).fetchone()
    if recent is not None and recent[0] >= settings.alerts_signups_per_ip_per_hour:
        raise RateLimitedError(
            f"more than {settings.alerts_signups_per_ip_per_hour} sign-ups from your address"
            " in an hour; try again later",
            retry_after=3600,
        )
    sent_today = conn.execute(
        "SELECT count(*) FROM alert_signups WHERE address_hash = %s AND sent"
        " AND at > now() - interval '1 day'",
        (address_hash,),
    ).fetchone()
    allowed = sent_today is None or sent_today[0] < settings.alerts_signups_per_address_per_day
    queued = allowed and _queue_confirmation(conn, settings, email, language, cadence, target)
    conn.execute(
        "INSERT INTO alert_signups (address_hash, client_hash, sent) VALUES (%s, %s, %s)",
        (address_hash, client_hash, queued),
    )
    if queued:
        defer_delivery(conn)


def _queue_confirmation(
    conn: Connection[Any],
    settings: Settings,
    email: str,
    language: str,
    cadence: str,
    target: Target,
) -> bool:
    recipient = conn.execute(
        "INSERT INTO alert_recipients (email, language, link_nonce) VALUES (%s, %s, %s)"
        " ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id",
        (email, language, secrets.token_urlsafe(12)),
    ).fetchone()
    assert recipient is not None
    recipient_id = int(recipient[0])
    held = conn.execute(
        "SELECT count(*) FROM alert_subscriptions WHERE recipient_id = %s", (recipient_id,)
    ).fetchone()
    existing = conn.execute(
        "SELECT id FROM alert_subscriptions WHERE channel = 'email' AND recipient_id = %s"
        " AND kind = %s AND member_id IS NOT DISTINCT FROM %s AND bill_id IS NOT DISTINCT FROM %s"
        " AND vote_id IS NOT DISTINCT FROM %s AND search_id IS NOT DISTINCT FROM %s",
        (recipient_id, target.kind, *target.columns()),
    ).fetchone()
    if existing is None:
        if held is not None and held[0] >= settings.alerts_max_follows_per_address:
            return False
        row = conn.execute(
            "INSERT INTO alert_subscriptions (channel, kind, member_id, bill_id, vote_id,"
            " search_id, recipient_id, cadence) VALUES ('email', %s, %s, %s, %s, %s, %s, %s)"
            " RETURNING id",
            (target.kind, *target.columns(), recipient_id, cadence),
        ).fetchone()
        assert row is not None
        subscription_id = int(row[0])
    else:
        subscription_id = int(existing[0])
        conn.execute(  # a pending one starts its wait again; an active one keeps its state
            "UPDATE alert_subscriptions SET created_at = now(), cadence = %s, updated_at = now()"
            " WHERE id = %s AND status = 'pending'",
            (cadence, subscription_id),
        )
    conn.execute(
        "INSERT INTO alert_deliveries (channel, kind, recipient_id, subscription_id)"
        " VALUES ('email', 'confirmation', %s, %s)",
        (recipient_id, subscription_id),
    )
    return True


# --- the signed links -------------------------------------------------------------------------


@dataclass
class Followed:
    """One of an address's alerts, as the manage page lists it."""

    id: int
    description: Description
    status: str
    cadence: str
    stop_token: str


@dataclass
class Recipient:
    id: int
    email: str
    language: str
    nonce: str


def _recipient_of_subscription(
    conn: Connection[Any], subscription_id: int, nonce: str
) -> Recipient:
    row = conn.execute(
        "SELECT r.id, r.email, r.language, r.link_nonce FROM alert_subscriptions s"
        " JOIN alert_recipients r ON r.id = s.recipient_id WHERE s.id = %s",
        (subscription_id,),
    ).fetchone()
    if row is None or not secrets.compare_digest(row[3], nonce):
        raise tokens.InvalidTokenError("this alert no longer exists")
    return Recipient(*row)


def recipient_for(conn: Connection[Any], token: tokens.Token) -> Recipient:
    row = conn.execute(
        "SELECT id, email, language, link_nonce FROM alert_recipients WHERE id = %s",
        (token.id,),
    ).fetchone()
    if row is None or not secrets.compare_digest(row[3], token.nonce):
        raise tokens.InvalidTokenError("these alerts no longer exist")
    return Recipient(*row)


def describe_subscription(
    conn: Connection[Any], token: tokens.Token
) -> tuple[Description, Recipient, str]:
    """What a confirm or stop link names, who holds it and its status; changes nothing (the
    pages a link opens ask before acting: mail scanners open links too)."""
    recipient = _recipient_of_subscription(conn, token.id, token.nonce)
    row = conn.execute(
        "SELECT status FROM alert_subscriptions WHERE id = %s", (token.id,)
    ).fetchone()
    assert row is not None  # the recipient was found through it
    return describe(conn, [token.id])[token.id], recipient, str(row[0])


def confirm(
    conn: Connection[Any], settings: Settings, token_text: str
) -> tuple[Description, Recipient, bool]:
    """Activate the follow a confirmation link names; (what, who, newly confirmed)."""
    token = tokens.verify(
        settings, token_text, "confirm", max_age_seconds=settings.alerts_confirm_hours * 3600
    )
    recipient = _recipient_of_subscription(conn, token.id, token.nonce)
    row = conn.execute(
        "UPDATE alert_subscriptions SET status = 'active', confirmed_at = now(), updated_at = now()"
        " WHERE id = %s AND status = 'pending' RETURNING id",
        (token.id,),
    ).fetchone()
    description = describe(conn, [token.id])[token.id]
    return description, recipient, row is not None


def followed(conn: Connection[Any], settings: Settings, recipient: Recipient) -> list[Followed]:
    rows = conn.execute(
        "SELECT id, status, cadence FROM alert_subscriptions WHERE recipient_id = %s ORDER BY id",
        (recipient.id,),
    ).fetchall()
    descriptions = describe(conn, [int(r[0]) for r in rows])
    return [
        Followed(
            int(r[0]),
            descriptions[int(r[0])],
            r[1],
            r[2],
            tokens.sign(settings, tokens.Token("stop", int(r[0]), recipient.nonce)),
        )
        for r in rows
    ]


def stop(conn: Connection[Any], settings: Settings, token_text: str) -> Description | None:
    """Delete the follow a `stop` link names (and the address, if it was its last)."""
    token = tokens.verify(settings, token_text, "stop")
    try:
        recipient = _recipient_of_subscription(conn, token.id, token.nonce)
    except tokens.InvalidTokenError:
        return None  # already gone: stopping twice is not an error
    description = describe(conn, [token.id]).get(token.id)
    conn.execute("DELETE FROM alert_subscriptions WHERE id = %s", (token.id,))
    forget_if_empty(conn, recipient.id)
    return description


def unsubscribe_all(conn: Connection[Any], settings: Settings, token_text: str) -> int:
    """Delete every alert of the address (and the address); returns how many there were."""
    token = tokens.verify(settings, token_text, "unsubscribe")
    try:
        recipient = recipient_for(conn, token)
    except tokens.InvalidTokenError:
        return 0
    count = conn.execute(
        "SELECT count(*) FROM alert_subscriptions WHERE recipient_id = %s", (recipient.id,)
    ).fetchone()
    conn.execute("DELETE FROM alert_recipients WHERE id = %s", (recipient.id,))
    forget_unused_searches(conn)
    return int(count[0]) if count else 0


def update_preferences(
    conn: Connection[Any],
    recipient: Recipient,
    *,
    language: str | None = None,
    cadences: dict[int, str] | None = None,
) -> None:
    """The manage page's form: the address's language, and each alert's frequency."""
    if language is not None:
        conn.execute(
            "UPDATE alert_recipients SET language = %s WHERE id = %s",
            (_check_language(language), recipient.id),
        )
    for subscription_id, cadence in (cadences or {}).items():
        conn.execute(
            "UPDATE alert_subscriptions SET cadence = %s, updated_at = now()"
            " WHERE id = %s AND recipient_id = %s",
            (_check_cadence(cadence), subscription_id, recipient.id),
        )


def forget_if_empty(conn: Connection[Any], recipient_id: int) -> None:
    conn.execute(
        "DELETE FROM alert_recipients r WHERE r.id = %s AND NOT EXISTS"
        " (SELECT 1 FROM alert_subscriptions s WHERE s.recipient_id = r.id)",
        (recipient_id,),
    )
    forget_unused_searches(conn)


def forget_unused_searches(conn: Connection[Any]) -> int:
    return conn.execute(
        "DELETE FROM alert_searches q WHERE NOT EXISTS"
        " (SELECT 1 FROM alert_subscriptions s WHERE s.search_id = q.id)"
    ).rowcount


# --- webhooks -----------------------------------------------------------------------------------


WEBHOOK_COLUMNS = (
    "id, url, description, status, failures, disabled_reason, created_at, updated_at, kind"
)


@dataclass
class Webhook:
    """A webhook subscription as its owner sees it (never the secret, except at creation)."""

    id: int
    url: str
    description: str | None
    status: str
    failures: int
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    follow: dict[str, Any]
    secret: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "url": self.url,
            "description": self.description,
            "follow": self.follow,
            "status": self.status,
            "consecutive_failures": self.failures,
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.secret is not None:
            body["secret"] = self.secret
        return body


def _webhooks(
    conn: Connection[Any], owner: str, where: str, params: tuple[Any, ...]
) -> list[Webhook]:
    rows = conn.execute(
        f"SELECT {WEBHOOK_COLUMNS} FROM alert_subscriptions"
        f" WHERE channel = 'webhook' AND owner = %s {where} ORDER BY id",
        (owner, *params),
    ).fetchall()
    descriptions = describe(conn, [int(r[0]) for r in rows])
    return [
        Webhook(
            id=int(row[0]),
            url=row[1],
            description=row[2],
            status=row[3],
            failures=int(row[4]),
            disabled_reason=row[5],
            created_at=row[6],
            updated_at=row[7],
            follow=public_target(descriptions[int(row[0])]),
        )
        for row in rows
    ]


def create_webhook(
    conn: Connection[Any],
    settings: Settings,
    *,
    owner: str,
    api_key_id: int | None,
    url: str,
    target: TargetSpec,
    description: str | None,
) -> Webhook:
    """Register a webhook: URL checked, target resolved, a fresh secret (shown once)."""
    webhooks.check_url(settings, url)
    held = conn.execute(
        "SELECT count(*) FROM alert_subscriptions WHERE channel = 'webhook' AND owner = %s",
        (owner,),
    ).fetchone()
    if held is not None and held[0] >= settings.alerts_webhooks_per_key:
        raise ConflictError(
            f"service {owner!r} already has {held[0]} webhook subscriptions"
            f" (the limit is {settings.alerts_webhooks_per_key}); delete some first"
        )
    if description is not None and len(description) > 500:
        raise ValidationFailedError("description: at most 500 characters")
    resolved = resolve(conn, target)
    secret = webhooks.new_secret()
    row = conn.execute(
        "INSERT INTO alert_subscriptions (channel, kind, member_id, bill_id, vote_id, search_id,"
        " status, owner, api_key_id, url, secret, description, confirmed_at)"
        " VALUES ('webhook', %s, %s, %s, %s, %s, 'active', %s, %s, %s, %s, %s, now())"
        " RETURNING id",
        (resolved.kind, *resolved.columns(), owner, api_key_id, url, secret, description),
    ).fetchone()
    assert row is not None
    created = get_webhook(conn, owner, int(row[0]))
    created.secret = secret
    return created


def list_webhooks(conn: Connection[Any], owner: str) -> list[Webhook]:
    return _webhooks(conn, owner, "", ())


def get_webhook(conn: Connection[Any], owner: str, subscription_id: int) -> Webhook:
    found = _webhooks(conn, owner, "AND id = %s", (subscription_id,))
    if not found:
        raise NotFoundError(f"no webhook subscription {subscription_id} for this API key's service")
    return found[0]


def delete_webhook(conn: Connection[Any], owner: str, subscription_id: int) -> None:
    deleted = conn.execute(
        "DELETE FROM alert_subscriptions WHERE id = %s AND channel = 'webhook' AND owner = %s",
        (subscription_id, owner),
    ).rowcount
    if not deleted:
        raise NotFoundError(f"no webhook subscription {subscription_id} for this API key's service")
    forget_unused_searches(conn)


def enable_webhook(
    conn: Connection[Any], settings: Settings, owner: str, subscription_id: int
) -> Webhook:
    """Re-enable a disabled webhook: failures reset, held deliveries sent again."""
    found = get_webhook(conn, owner, subscription_id)
    webhooks.check_url(settings, found.url)
    conn.execute(
        "UPDATE alert_subscriptions SET status = 'active', failures = 0, disabled_reason = NULL,"
        " updated_at = now() WHERE id = %s",
        (subscription_id,),
    )
    released = conn.execute(
        "UPDATE alert_deliveries SET status = 'pending', next_attempt_at = now(), attempts = 0"
        " WHERE subscription_id = %s AND status = 'held'",
        (subscription_id,),
    ).rowcount
    if released:
        defer_delivery(conn)
    return get_webhook(conn, owner, subscription_id)


def ping_webhook(conn: Connection[Any], owner: str, subscription_id: int) -> int:
    """Queue a signed `ping` delivery (no items) so a developer can test their receiver."""
    get_webhook(conn, owner, subscription_id)
    row = conn.execute(
        "INSERT INTO alert_deliveries (channel, kind, subscription_id)"
        " VALUES ('webhook', 'ping', %s) RETURNING id",
        (subscription_id,),
    ).fetchone()
    assert row is not None
    defer_delivery(conn)
    return int(row[0])


def webhook_deliveries(
    conn: Connection[Any], owner: str, subscription_id: int, limit: int
) -> list[dict[str, Any]]:
    get_webhook(conn, owner, subscription_id)
    rows = conn.execute(
        "SELECT d.id, d.kind, d.status, d.attempts, d.created_at, d.sent_at, d.next_attempt_at,"
        " d.response_status, d.last_error,"
        " (SELECT count(*) FROM alert_items i WHERE i.subscription_id = d.subscription_id"
        " AND i.delivery_id = d.id)"
        " FROM alert_deliveries d WHERE d.subscription_id = %s AND d.channel = 'webhook'"
        " ORDER BY d.id DESC LIMIT %s",
        (subscription_id, limit),
    ).fetchall()
    names = (
        "id",
        "kind",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "next_attempt_at",
        "response_status",
        "last_error",
        "items",
    )
    return [dict(zip(names, row, strict=True)) for row in rows]


# --- housekeeping (the worker's minute tick) ----------------------------------------------------


def cleanup(conn: Connection[Any], settings: Settings) -> dict[str, int]:
    """Expire unconfirmed sign-ups, forget addresses left without alerts, prune old rows."""
    done: dict[str, int] = {}
    done["expired_signups"] = conn.execute(
        "DELETE FROM alert_subscriptions WHERE channel = 'email' AND status = 'pending'"
        " AND created_at < now() - make_interval(secs => %s)",
        (settings.alerts_confirm_hours * 3600,),
    ).rowcount
    done["forgotten_addresses"] = conn.execute(
        "DELETE FROM alert_recipients r WHERE NOT EXISTS"
        " (SELECT 1 FROM alert_subscriptions s WHERE s.recipient_id = r.id)"
    ).rowcount
    done["unused_searches"] = forget_unused_searches(conn)
    done["signup_log"] = conn.execute(
        "DELETE FROM alert_signups WHERE at < now() - interval '1 day'"
    ).rowcount
    done["old_items"] = conn.execute(
        "DELETE FROM alert_items i WHERE i.matched_at < now() - make_interval(days => %s)"
        " AND (i.delivery_id IS NULL OR EXISTS (SELECT 1 FROM alert_deliveries d"
        " WHERE d.id = i.delivery_id AND d.status IN ('sent', 'failed')))",
        (settings.alerts_keep_days,),
    ).rowcount
    # A day later than the items: a digest's items were matched up to a day before it.
    done["old_deliveries"] = conn.execute(
        "DELETE FROM alert_deliveries d"
        " WHERE d.created_at < now() - make_interval(days => %s + 1)"
        " AND d.status IN ('sent', 'failed')",
        (settings.alerts_keep_days,),
    ).rowcount
    return {name: count for name, count in done.items() if count}
