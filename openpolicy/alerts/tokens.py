"""Signed links: confirm a follow, manage an address's alerts, unsubscribe. No account.

A token is `<purpose>.<id>.<nonce>[.<issued>]` and an HMAC-SHA256 of it keyed by a key
derived from `OPENPOLICY_SECRET_KEY`, both in URL-safe base64. The recipient's `link_nonce`
is part of every manage and unsubscribe token, so one change voids every link already sent.
Confirmation tokens carry their issue time and expire with the pending sign-up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Literal

from openpolicy.config import Settings
from openpolicy.errors import ConfigurationError

Purpose = Literal["confirm", "manage", "unsubscribe", "stop"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "manage", "unsubscribe", "stop")
_CONTEXT = b"openpolicy.alerts.links.v1"


class InvalidTokenError(Exception):
    """The link was altered, expired, or belongs to alerts that no longer exist."""


@dataclass(frozen=True)
class Token:
    purpose: Purpose
    id: int  # a subscription (confirm, stop) or a recipient (manage, unsubscribe)
    nonce: str
    issued: int | None = None


def signing_key(settings: Settings) -> bytes:
    """The key links are signed with; without a secret key there are no e-mail alerts."""
    if settings.secret_key is None:
        raise ConfigurationError(
            "e-mail alerts need OPENPOLICY_SECRET_KEY: it signs the confirm and manage links"
        )
    return hmac.new(
        settings.secret_key.get_secret_value().encode(), _CONTEXT, hashlib.sha256
    ).digest()


def keyed_hash(settings: Settings, value: str) -> str:
    """An HMAC of `value` (addresses and client IPs in the sign-up log are kept only so)."""
    return hmac.new(signing_key(settings), value.encode(), hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(settings: Settings, token: Token) -> str:
    parts = [token.purpose, str(token.id), token.nonce]
    if token.issued is not None:
        parts.append(str(token.issued))
    body = ".".join(parts).encode()
    mac = hmac.new(signing_key(settings), body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def verify(
    settings: Settings, text: str, purpose: Purpose, max_age_seconds: float | None = None
) -> Token:
    """The token's contents if its signature holds, it is for `purpose` and not expired."""
    try:
        encoded_body, encoded_mac = text.split(".", 1)
        body, mac = _unb64(encoded_body), _unb64(encoded_mac)
    except ValueError as exc:
        raise InvalidTokenError("malformed link") from exc
    expected = hmac.new(signing_key(settings), body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise InvalidTokenError("the link's signature does not match")
    parts = body.decode(errors="replace").split(".")
    if len(parts) not in (3, 4) or parts[0] != purpose or not parts[1].isdigit():
        raise InvalidTokenError(f"not a {purpose} link")
    issued = int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else None
    if max_age_seconds is not None and (issued is None or time.time() - issued > max_age_seconds):
        raise InvalidTokenError("the link has expired")
    return Token(purpose, int(parts[1]), parts[2], issued)
