"""Notices to people: SMTP e-mail and a JSON webhook (chat, paging), as configured.

Channels are independent: one failing never stops the others, and the caller gets a result
per channel so the CLI can say exactly which one failed and why.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from openpolicy import __version__
from openpolicy.config import Settings, mask_url
from openpolicy.errors import ConfigurationError
from openpolicy.ops.pg import OpsError


class NotificationError(OpsError):
    title = "Notification error"
    type_slug = "notification-error"


class NotificationNotConfiguredError(ConfigurationError, NotificationError):
    """A notice was asked for and no channel is configured (exit 2: a setting is missing)."""


@dataclass
class Notice:
    """One message: a subject line, a plain-text body, and structured fields for webhooks."""

    event: str
    subject: str
    body: str
    fields: dict[str, Any] = field(default_factory=dict)

    def payload(self, environment: str) -> dict[str, Any]:
        return {
            "event": self.event,
            "subject": self.subject,
            "text": self.body,
            "environment": environment,
            "source": f"openpolicy {__version__}",
            **{
                k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.fields.items()
            },
        }


@dataclass
class ChannelResult:
    channel: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "ok": self.ok, "detail": self.detail}


def configured_channels(settings: Settings) -> list[str]:
    return list(settings.notification_channels)


def send(settings: Settings, notice: Notice) -> list[ChannelResult]:
    """Send `notice` on every configured channel; never raises for a single channel."""
    results = []
    for channel in configured_channels(settings):
        try:
            if channel == "email":
                detail = send_email(settings, notice)
            elif channel == "webhook":
                detail = send_webhook(settings, notice)
            else:  # pragma: no cover - the settings validator rejects unknown channels
                raise NotificationError(f"unknown channel {channel}")
        except NotificationError as exc:
            results.append(ChannelResult(channel, False, exc.detail))
        else:
            results.append(ChannelResult(channel, True, detail))
    return results


def send_email(settings: Settings, notice: Notice) -> str:
    if not settings.smtp_host or not settings.smtp_from or not settings.smtp_to:
        raise NotificationError(
            "e-mail channel needs OPENPOLICY_SMTP_HOST, OPENPOLICY_SMTP_FROM and OPENPOLICY_SMTP_TO"
        )
    message = EmailMessage()
    message["Subject"] = notice.subject
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(settings.smtp_to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="openpolicy")
    message["X-OpenPolicy-Event"] = notice.event
    message.set_content(notice.body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password is not None:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise NotificationError(
            f"e-mail via {settings.smtp_host}:{settings.smtp_port} failed: {exc}"
        ) from exc
    if refused:
        raise NotificationError(f"e-mail refused for {', '.join(sorted(refused))}")
    return f"sent to {', '.join(settings.smtp_to)}"


def send_webhook(settings: Settings, notice: Notice) -> str:
    if settings.webhook_url is None:
        raise NotificationError("webhook channel needs OPENPOLICY_WEBHOOK_URL")
    url = settings.webhook_url.get_secret_value()
    shown = mask_url(url)  # chat webhooks carry their token in the path
    try:
        response = httpx.post(
            url,
            json=notice.payload(settings.environment),
            timeout=10.0,
            headers={"User-Agent": f"openpolicy/{__version__}"},
        )
    except httpx.HTTPError as exc:
        reason = str(exc).replace(url, shown)
        raise NotificationError(f"webhook {shown} failed: {reason}") from exc
    if response.status_code >= 300:
        raise NotificationError(f"webhook {shown} answered HTTP {response.status_code}")
    return f"POST {shown}: HTTP {response.status_code}"
