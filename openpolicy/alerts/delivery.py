"""Sending deliveries: claim the due ones, send them, record how it went, retry later.

A delivery is claimed (status `sending`, attempts + 1) and committed before it is sent, so
two workers never send the same one, and its items belong to it alone: an item is in one
message at most. A failed attempt is retried after `alerts_retry_seconds` × 2^(attempt-1)
(with jitter, at most 6 hours) until `alerts_max_attempts`; a permanent refusal (a 5xx reply
to RCPT, HTTP 410) fails at once. If a worker dies between sending and recording, the
delivery is put back after `STALE_SENDING` and sent again with the same Message-ID /
`OpenPolicy-Delivery` id, which mail clients and receivers use to drop the repeat.

Webhooks count consecutive failed attempts; at `alerts_webhook_disable_after` the
subscription is disabled and its waiting deliveries are held until the owner re-enables it.
Every outcome is counted in `alert_delivery_totals` (the `alerts_sent_total` metric).
"""

from __future__ import annotations

import logging
import random
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

import httpx
import orjson
from psycopg import Connection
from sqlalchemy.engine import URL

from openpolicy import db
from openpolicy.alerts import payloads, render, tokens, webhooks
from openpolicy.alerts.targets import describe, public_target
from openpolicy.config import Settings
from openpolicy.web.i18n import Lang

log = logging.getLogger("openpolicy.alerts")

BATCH = 20
MAX_BACKOFF_SECONDS = 6 * 3600
STALE_SENDING = "10 minutes"


@dataclass
class Claimed:
    id: int
    channel: str
    kind: str
    recipient_id: int | None
    subscription_id: int | None
    attempts: int


@dataclass
class Outcome:
    ok: bool
    error: str | None = None
    permanent: bool = False
    status: int | None = None


@dataclass
class SendReport:
    """What one `send_due` call did, per channel and outcome."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, channel: str, outcome: str) -> None:
        self.counts[(channel, outcome)] = self.counts.get((channel, outcome), 0) + 1

    def total(self, outcome: str) -> int:
        return sum(n for (_, name), n in self.counts.items() if name == outcome)

    def as_dict(self) -> dict[str, int]:
        return {f"{channel}.{outcome}": n for (channel, outcome), n in sorted(self.counts.items())}


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Delay before the next attempt after `attempts` failed ones (doubling, jittered)."""
    base = settings.alerts_retry_seconds * 2.0 ** max(attempts - 1, 0)
    return float(min(base, MAX_BACKOFF_SECONDS) * random.uniform(0.8, 1.2))


def claim(conn: Connection[Any], limit: int = BATCH) -> list[Claimed]:
    """Take up to `limit` due deliveries (committed before anything is sent)."""
    with conn.transaction():
        rows = conn.execute(
            """
            WITH due AS (
                SELECT id FROM alert_deliveries
                WHERE status = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED
            )
            UPDATE alert_deliveries d SET status = 'sending', attempts = d.attempts + 1,
                   claimed_at = now()
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.channel, d.kind, d.recipient_id, d.subscription_id, d.attempts
            """,
            (limit,),
        ).fetchall()
    return [Claimed(*row) for row in sorted(rows)]


def bring_forward(conn: Connection[Any]) -> int:
    """Deliveries waiting for a retry become due now (`alerts send-pending --retry-now`)."""
    return conn.execute(
        "UPDATE alert_deliveries SET next_attempt_at = now()"
        " WHERE status = 'pending' AND next_attempt_at > now()"
    ).rowcount


def requeue_stale(conn: Connection[Any]) -> int:
    """Deliveries left `sending` by a worker that died go back to the queue."""
    return conn.execute(
        "UPDATE alert_deliveries SET status = 'pending', next_attempt_at = now()"
        f" WHERE status = 'sending' AND claimed_at < now() - interval '{STALE_SENDING}'"
    ).rowcount


def _count(conn: Connection[Any], channel: str, outcome: str) -> None:
    conn.execute(
        "INSERT INTO alert_delivery_totals (channel, outcome, total) VALUES (%s, %s, 1)"
        " ON CONFLICT (channel, outcome) DO UPDATE SET total = alert_delivery_totals.total + 1",
        (channel, outcome),
    )


def record(conn: Connection[Any], settings: Settings, delivery: Claimed, outcome: Outcome) -> str:
    """Store the attempt's result; returns `sent`, `retried` or `failed`."""
    with conn.transaction():
        if outcome.ok:
            result = "sent"
            conn.execute(
                "UPDATE alert_deliveries SET status = 'sent', sent_at = now(), last_error = NULL,"
                " response_status = %s WHERE id = %s",
                (outcome.status, delivery.id),
            )
            if delivery.channel == "webhook":
                conn.execute(
                    "UPDATE alert_subscriptions SET failures = 0 WHERE id = %s AND failures > 0",
                    (delivery.subscription_id,),
                )
        else:
            give_up = outcome.permanent or delivery.attempts >= settings.alerts_max_attempts
            result = "failed" if give_up else "retried"
            conn.execute(
                "UPDATE alert_deliveries SET status = %s, last_error = %s, response_status = %s,"
                " next_attempt_at = now() + make_interval(secs => %s) WHERE id = %s",
                (
                    "failed" if give_up else "pending",
                    (outcome.error or "failed")[:1000],
                    outcome.status,
                    0 if give_up else backoff_seconds(settings, delivery.attempts),
                    delivery.id,
                ),
            )
            if delivery.channel == "webhook":
                _webhook_failed(conn, settings, delivery, outcome)
        _count(conn, delivery.channel, result)
    return result


def _webhook_failed(
    conn: Connection[Any], settings: Settings, delivery: Claimed, outcome: Outcome
) -> None:
    row = conn.execute(
        "UPDATE alert_subscriptions SET failures = failures + 1, updated_at = now()"
        " WHERE id = %s RETURNING failures, status",
        (delivery.subscription_id,),
    ).fetchone()
    if row is None or row[1] != "active":
        return
    gone = outcome.status == 410
    if gone or int(row[0]) >= settings.alerts_webhook_disable_after:
        reason = (
            "the receiver answered 410 Gone"
            if gone
            else f"{row[0]} attempts failed in a row (last: {outcome.error})"
        )
        conn.execute(
            "UPDATE alert_subscriptions SET status = 'disabled', disabled_reason = %s,"
            " updated_at = now() WHERE id = %s",
            (reason[:1000], delivery.subscription_id),
        )
        conn.execute(
            "UPDATE alert_deliveries SET status = 'held'"
            " WHERE subscription_id = %s AND status = 'pending'",
            (delivery.subscription_id,),
        )
        log.warning("webhook subscription %s disabled: %s", delivery.subscription_id, reason)


# --- e-mail ---------------------------------------------------------------------------------


def sender(settings: Settings) -> str | None:
    return settings.alerts_from or settings.smtp_from


def email_problems(settings: Settings) -> list[str]:
    """What is missing for e-mail alerts (empty: they can be sent)."""
    problems = []
    if not settings.smtp_host:
        problems.append("OPENPOLICY_SMTP_HOST is not set")
    if not sender(settings):
        problems.append("neither OPENPOLICY_ALERTS_FROM nor OPENPOLICY_SMTP_FROM is set")
    if settings.secret_key is None:
        problems.append("OPENPOLICY_SECRET_KEY is not set (it signs the links)")
    return problems


class SmtpSession:
    """One SMTP connection reused across the messages of a batch, reopened after errors."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        if self._smtp is None:
            settings = self.settings
            assert settings.smtp_host is not None
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
            try:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username and settings.smtp_password is not None:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> Outcome:
        try:
            refused = self._open().send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            refusal = f"recipient refused: {exc.recipients}"
            return Outcome(False, refusal, permanent=min(codes) >= 500)
        except smtplib.SMTPResponseException as exc:
            self.close()
            return Outcome(
                False, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            )
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return Outcome(False, f"SMTP {type(exc).__name__}: {exc}")
        if refused:
            return Outcome(False, f"recipient refused: {refused}", permanent=True)
        return Outcome(True)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def _domain(settings: Settings) -> str:
    from urllib.parse import urlsplit

    return urlsplit(render.site_base(settings)).hostname or "openpolicy"


def email_message(
    settings: Settings,
    to: str,
    lang: Lang,
    rendered: render.Rendered,
    delivery_id: int,
    unsubscribe_url: str | None,
) -> EmailMessage:
    """The MIME message: text and HTML parts, stable Message-ID, RFC 8058 headers."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = formataddr(("OpenPolicy", sender(settings) or ""))
    message["To"] = to
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<alert-{delivery_id}@{_domain(settings)}>"
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url is not None:
        message["List-Id"] = f"OpenPolicy alerts <alerts.{_domain(settings)}>"
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = lang  # after the parts: set_content drops Content-* headers
    return message


def _recipient(conn: Connection[Any], recipient_id: int) -> tuple[str, Lang, str] | None:
    row = conn.execute(
        "SELECT email, language, link_nonce FROM alert_recipients WHERE id = %s", (recipient_id,)
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def _link(settings: Settings, lang: Lang, purpose: tokens.Purpose, id_: int, nonce: str) -> str:
    issued = int(datetime.now(UTC).timestamp()) if purpose == "confirm" else None
    token = tokens.sign(settings, tokens.Token(purpose, id_, nonce, issued))
    return render.link(settings, lang, f"/alerts/{purpose}/{token}")


def compose_email(
    conn: Connection[Any], settings: Settings, delivery: Claimed
) -> EmailMessage | None:
    """The message a delivery sends (None if its address or follow is gone)."""
    assert delivery.recipient_id is not None
    found = _recipient(conn, delivery.recipient_id)
    if found is None:
        return None
    email, lang, nonce = found
    if delivery.kind == "confirmation":
        assert delivery.subscription_id is not None
        description = describe(conn, [delivery.subscription_id]).get(delivery.subscription_id)
        if description is None:
            return None
        rendered = render.confirmation(
            lang,
            description,
            _link(settings, lang, "confirm", delivery.subscription_id, nonce),
            settings.alerts_confirm_hours,
            render.link(settings, lang, description.path) if description.path else None,
        )
        return email_message(settings, email, lang, rendered, delivery.id, None)
    rows = conn.execute(
        f"SELECT {payloads.ITEM_COLUMNS} FROM alert_items i {payloads.ITEM_JOINS}"
        " WHERE i.subscription_id IN (SELECT id FROM alert_subscriptions WHERE recipient_id = %s)"
        " AND i.delivery_id = %s ORDER BY i.subscription_id, i.matched_at, i.ref_id",
        (delivery.recipient_id, delivery.id),
    ).fetchall()
    if not rows:
        return None
    shown: dict[int, list[payloads.ItemRef]] = {}
    more: dict[int, int] = {}
    for row in rows:
        listed = shown.setdefault(int(row[0]), [])
        if len(listed) < render.ITEMS_SHOWN:
            listed.append(payloads.ItemRef(*row))
        else:
            more[int(row[0])] = more.get(int(row[0]), 0) + 1
    facts = payloads.facts(conn, [item for listed in shown.values() for item in listed])
    descriptions = describe(conn, sorted(shown))
    groups: list[render.Group] = []
    for subscription_id, listed in shown.items():
        description = descriptions.get(subscription_id)
        if description is None:
            continue
        group = render.Group(
            render.target_label(description, lang),
            render.link(settings, lang, description.path) if description.path else None,
            _link(settings, lang, "stop", subscription_id, nonce),
            [],
            more.get(subscription_id, 0),
        )
        for item in listed:
            payload = facts.get(item.key)
            if payload is None:  # its row is gone (a sitting re-published without it)
                continue
            view = render.item_view(item.event, payload, lang)
            group.items.append(
                (view, render.link(settings, lang, view.path) if view.path else None)
            )
        if group.items or group.more:
            groups.append(group)
    if not groups:
        return None
    unsubscribe_url = _link(settings, lang, "unsubscribe", delivery.recipient_id, nonce)
    rendered = render.alerts(
        lang,
        delivery.kind == "digest",
        groups,
        _link(settings, lang, "manage", delivery.recipient_id, nonce),
        unsubscribe_url,
    )
    return email_message(settings, email, lang, rendered, delivery.id, unsubscribe_url)


# --- webhooks -------------------------------------------------------------------------------


def webhook_body(conn: Connection[Any], settings: Settings, delivery: Claimed) -> bytes | None:
    """The JSON a webhook delivery POSTs (None if the subscription is gone)."""
    assert delivery.subscription_id is not None
    description = describe(conn, [delivery.subscription_id]).get(delivery.subscription_id)
    if description is None:
        return None
    items = []
    if delivery.kind != "ping":
        rows = conn.execute(
            f"SELECT {payloads.ITEM_COLUMNS}, i.matched_at FROM alert_items i"
            f" {payloads.ITEM_JOINS} WHERE i.subscription_id = %s AND i.delivery_id = %s"
            " ORDER BY i.matched_at, i.ref_id, i.item_key",
            (delivery.subscription_id, delivery.id),
        ).fetchall()
        refs = [payloads.ItemRef(*row[:7]) for row in rows]
        facts = payloads.facts(conn, refs)
        for ref, row in zip(refs, rows, strict=True):
            if ref.key in facts:
                items.append(
                    {
                        "key": ref.item_key,
                        "event": ref.event,
                        "matched_at": row[7],
                        "data": _with_urls(settings, facts[ref.key]),
                    }
                )
    created = conn.execute(
        "SELECT created_at FROM alert_deliveries WHERE id = %s", (delivery.id,)
    ).fetchone()
    # The same bytes on every attempt: the signature's timestamp says when it was sent.
    body = {
        "delivery_id": delivery.id,
        "event": "ping" if delivery.kind == "ping" else "alerts",
        "created_at": created[0] if created else None,
        "subscription": {"id": delivery.subscription_id, "follow": public_target(description)},
        "items": items,
    }
    return orjson.dumps(body)


def _with_urls(settings: Settings, value: Any) -> Any:
    """Payload paths become absolute `url`s (English pages; `/fr` + path for French)."""
    if isinstance(value, dict):
        converted = {key: _with_urls(settings, item) for key, item in value.items()}
        path = value.get("path")
        if isinstance(path, str):
            converted["url"] = render.site_base(settings) + path
        return converted
    return value


def webhook_target(conn: Connection[Any], subscription_id: int) -> tuple[str, str] | None:
    row = conn.execute(
        "SELECT url, secret FROM alert_subscriptions WHERE id = %s", (subscription_id,)
    ).fetchone()
    return (row[0], row[1]) if row else None


# --- the loop -------------------------------------------------------------------------------


def send_one(
    conn: Connection[Any],
    settings: Settings,
    delivery: Claimed,
    smtp: SmtpSession,
    http: httpx.Client,
) -> Outcome | None:
    """Compose and send one claimed delivery (None: nothing left to send, drop it)."""
    if delivery.channel == "email":
        message = compose_email(conn, settings, delivery)
        if message is None:
            return None
        problems = email_problems(settings)
        if problems:
            return Outcome(False, "; ".join(problems))
        return smtp.send(message)
    body = webhook_body(conn, settings, delivery)
    target = webhook_target(conn, delivery.subscription_id or 0)
    if body is None or target is None:
        return None
    attempt = webhooks.post(
        settings,
        http,
        target[0],
        target[1],
        body,
        delivery.id,
        "ping" if delivery.kind == "ping" else "alerts",
    )
    return Outcome(attempt.ok, attempt.error, attempt.permanent, attempt.status)


def send_due(
    database: Settings | URL | str,
    settings: Settings,
    *,
    max_batches: int | None = None,
    on_result: Callable[[Claimed, str], None] | None = None,
) -> SendReport:
    """Send every due delivery (batch after batch until none is due); never raises for one."""
    report = SendReport()
    smtp = SmtpSession(settings)
    http = httpx.Client(timeout=settings.alerts_webhook_timeout_seconds, trust_env=False)
    batches = 0
    try:
        with db.connect(database, autocommit=True, application_name="openpolicy-alerts") as conn:
            while max_batches is None or batches < max_batches:
                claimed = claim(conn)
                if not claimed:
                    break
                batches += 1
                for delivery in claimed:
                    try:
                        outcome = send_one(conn, settings, delivery, smtp, http)
                    except Exception as exc:  # a rendering bug must not stop the others
                        log.exception("delivery %s could not be composed", delivery.id)
                        outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
                    if outcome is None:
                        conn.execute(
                            "UPDATE alert_deliveries SET status = 'failed',"
                            " last_error = 'nothing left to send' WHERE id = %s",
                            (delivery.id,),
                        )
                        continue
                    result = record(conn, settings, delivery, outcome)
                    report.add(delivery.channel, result)
                    if on_result is not None:
                        on_result(delivery, result)
    finally:
        smtp.close()
        http.close()
    if report.counts:
        log.info("alerts sent: %s", report.as_dict())
    return report
