"""Webhooks: where they may point, how deliveries are signed, and how they are POSTed.

Signature (Stripe's scheme, so existing verifiers apply): the header
`OpenPolicy-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
Receivers recompute it over the raw body, compare in constant time and refuse timestamps
older than a few minutes (replays). `OpenPolicy-Delivery` is the delivery id, the same on
every retry, so a receiver can drop a repeat.

URLs must be https and resolve only to public addresses unless the operator allows
otherwise; the check runs at registration and again before every attempt, and the request
goes to the address that was checked (so a DNS answer cannot change in between).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from openpolicy import __version__
from openpolicy.config import Settings
from openpolicy.errors import ValidationFailedError

SIGNATURE_HEADER = "OpenPolicy-Signature"
DELIVERY_HEADER = "OpenPolicy-Delivery"
EVENT_HEADER = "OpenPolicy-Event"
SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2000


class UnsafeUrlError(ValidationFailedError):
    """The URL is not one deliveries may go to (scheme, host, or a private address)."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` keyed by the subscription's secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={signature(secret, moment, body)}"


def verify_signature(secret: str, header: str, body: bytes, tolerance_seconds: int = 300) -> bool:
    """What a receiver does (documented in docs/alerts.md; the tests use it as a receiver)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        moment = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - moment) > tolerance_seconds:
        return False
    return hmac.compare_digest(fields.get("v1", ""), signature(secret, moment, body))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Destination:
    """A checked URL and the address the request must go to."""

    url: str
    host: str
    address: str


def check_url(settings: Settings, url: str, *, resolve: bool = True) -> Destination:
    """Refuse URLs deliveries may not go to; return where to connect."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrlError(f"url: at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    allowed = ("https",) if settings.alerts_webhook_require_https else ("https", "http")
    if parts.scheme not in allowed:
        raise UnsafeUrlError(f"url: must start with {' or '.join(s + '://' for s in allowed)}")
    if not parts.hostname:
        raise UnsafeUrlError("url: no host")
    if parts.username or parts.password:
        raise UnsafeUrlError("url: credentials in the URL are not allowed (use the signature)")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not resolve:
        return Destination(url, host, host)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrlError(f"url: {host} does not resolve ({exc})") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not settings.alerts_webhook_allow_private:
        private = sorted({str(a) for a in addresses if not _public(a)})
        if private:
            raise UnsafeUrlError(
                f"url: {host} resolves to a private, loopback or reserved address"
                f" ({', '.join(private)}); deliveries go only to public addresses"
            )
    return Destination(url, host, str(addresses[0]))


@dataclass
class Attempt:
    """How one POST went."""

    ok: bool
    status: int | None
    error: str | None
    permanent: bool = False  # no point retrying (410 Gone, an unsafe URL)


def post(
    settings: Settings,
    client: httpx.Client,
    url: str,
    secret: str,
    body: bytes,
    delivery_id: int,
    event: str,
) -> Attempt:
    """One signed POST to the address `check_url` approved; never raises."""
    try:
        destination = check_url(settings, url)
    except UnsafeUrlError as exc:
        return Attempt(False, None, exc.detail, permanent=True)
    parts = httpx.URL(url)
    pinned = parts.copy_with(host=destination.address)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"OpenPolicy-Webhooks/{__version__}",
        "Host": parts.netloc.decode("ascii"),
        SIGNATURE_HEADER: signature_header(secret, body),
        DELIVERY_HEADER: str(delivery_id),
        EVENT_HEADER: event,
    }
    extensions = {"sni_hostname": destination.host} if parts.scheme == "https" else {}
    try:
        response = client.post(
            pinned, content=body, headers=headers, extensions=extensions, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Attempt(True, response.status_code, None)
    return Attempt(
        False,
        response.status_code,
        f"HTTP {response.status_code}",
        permanent=response.status_code == 410,
    )
