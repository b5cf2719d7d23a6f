"""The server's way to the alerts engine: each operation one transaction, off the event loop.

The engine (`subscriptions`, `targets`, `searches`) is written for plain psycopg connections,
the write side's kind (openpolicy.db.connect), because the worker and the command line call
it too. A sign-up, a click on a link or a webhook registration is rare next to the pages
read, so the server runs each one in a worker thread on a connection of its own to the
primary, at most `CONCURRENT` at a time: a burst of clicks queues here instead of opening a
connection each.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from psycopg import Connection

from openpolicy import db
from openpolicy.alerts import subscriptions, tokens
from openpolicy.alerts.subscriptions import Followed, Recipient, SignUp, Webhook
from openpolicy.alerts.targets import Description, TargetSpec
from openpolicy.config import Settings

T = TypeVar("T")
CONCURRENT = 4
# One limiter per event loop: a limiter's waiters are woken on the loop that releases it,
# so two apps in one process (the tests' live servers) must not share one.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _slots() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(CONCURRENT)
    return limiter


async def in_transaction(settings: Settings, work: Callable[[Connection[Any]], T]) -> T:
    """Run `work(conn)` in one transaction of its own: committed if it returns, rolled
    back if it raises."""

    def run() -> T:
        with db.connect(settings, application_name="openpolicy-alerts-web") as conn:
            return work(conn)  # the `with` commits on success, rolls back on an exception

    return await anyio.to_thread.run_sync(run, limiter=_slots())


# --- e-mail: the pages ------------------------------------------------------------------


async def sign_up(settings: Settings, request: SignUp) -> None:
    await in_transaction(settings, lambda conn: subscriptions.sign_up(conn, settings, request))


@dataclass
class Confirmed:
    description: Description
    recipient: Recipient
    newly: bool
    manage_token: str


async def pending_confirmation(
    settings: Settings, token: str
) -> tuple[Description, Recipient, str]:
    """What a confirmation link names and its status, confirming nothing (the page asks)."""

    def work(conn: Connection[Any]) -> tuple[Description, Recipient, str]:
        found = tokens.verify(
            settings, token, "confirm", max_age_seconds=settings.alerts_confirm_hours * 3600
        )
        return subscriptions.describe_subscription(conn, found)

    return await in_transaction(settings, work)


async def confirm(settings: Settings, token: str) -> Confirmed:
    def work(conn: Connection[Any]) -> Confirmed:
        description, recipient, newly = subscriptions.confirm(conn, settings, token)
        manage = tokens.sign(settings, tokens.Token("manage", recipient.id, recipient.nonce))
        return Confirmed(description, recipient, newly, manage)

    return await in_transaction(settings, work)


@dataclass
class Manage:
    """What the manage page shows: the address, its language, every alert."""

    recipient: Recipient
    followed: list[Followed]
    manage_token: str
    unsubscribe_token: str


def _manage(conn: Connection[Any], settings: Settings, token: str) -> Manage:
    recipient = subscriptions.recipient_for(conn, tokens.verify(settings, token, "manage"))
    return Manage(
        recipient,
        subscriptions.followed(conn, settings, recipient),
        tokens.sign(settings, tokens.Token("manage", recipient.id, recipient.nonce)),
        tokens.sign(settings, tokens.Token("unsubscribe", recipient.id, recipient.nonce)),
    )


async def manage(settings: Settings, token: str) -> Manage:
    return await in_transaction(settings, lambda conn: _manage(conn, settings, token))


async def update_preferences(
    settings: Settings, token: str, language: str | None, cadences: dict[int, str]
) -> Manage:
    """Save the manage page's form; the page as it now stands."""

    def work(conn: Connection[Any]) -> Manage:
        recipient = subscriptions.recipient_for(conn, tokens.verify(settings, token, "manage"))
        subscriptions.update_preferences(conn, recipient, language=language, cadences=cadences)
        return _manage(conn, settings, token)

    return await in_transaction(settings, work)


async def stop_target(settings: Settings, token: str) -> Description | None:
    """What a stop link names (None when already stopped), without stopping it."""

    def work(conn: Connection[Any]) -> Description | None:
        found = tokens.verify(settings, token, "stop")
        try:
            return subscriptions.describe_subscription(conn, found)[0]
        except tokens.InvalidTokenError:
            return None

    return await in_transaction(settings, work)


@dataclass
class Stopped:
    description: Description | None  # None: it was already stopped
    manage_token: str | None  # None: it was the address's last alert (the address is gone)


async def stop(settings: Settings, token: str) -> Stopped:
    def work(conn: Connection[Any]) -> Stopped:
        found = tokens.verify(settings, token, "stop")
        try:
            recipient = subscriptions.describe_subscription(conn, found)[1]
        except tokens.InvalidTokenError:
            return Stopped(None, None)
        description = subscriptions.stop(conn, settings, token)
        try:
            still = subscriptions.recipient_for(
                conn, tokens.Token("manage", recipient.id, recipient.nonce)
            )
        except tokens.InvalidTokenError:
            return Stopped(description, None)
        return Stopped(
            description, tokens.sign(settings, tokens.Token("manage", still.id, still.nonce))
        )

    return await in_transaction(settings, work)


async def unsubscribe_check(settings: Settings, token: str) -> int:
    """How many alerts an unsubscribe link would end (0: none left), ending none."""

    def work(conn: Connection[Any]) -> int:
        found = tokens.verify(settings, token, "unsubscribe")  # a forged link raises
        try:
            recipient = subscriptions.recipient_for(conn, found)
        except tokens.InvalidTokenError:
            return 0  # already unsubscribed
        return len(subscriptions.followed(conn, settings, recipient))

    return await in_transaction(settings, work)


async def unsubscribe(settings: Settings, token: str) -> int:
    return await in_transaction(
        settings, lambda conn: subscriptions.unsubscribe_all(conn, settings, token)
    )


# --- webhooks: the API ------------------------------------------------------------------


async def create_webhook(
    settings: Settings,
    *,
    owner: str,
    api_key_id: int | None,
    url: str,
    target: TargetSpec,
    description: str | None,
) -> Webhook:
    return await in_transaction(
        settings,
        lambda conn: subscriptions.create_webhook(
            conn,
            settings,
            owner=owner,
            api_key_id=api_key_id,
            url=url,
            target=target,
            description=description,
        ),
    )


async def list_webhooks(settings: Settings, owner: str) -> list[Webhook]:
    return await in_transaction(settings, lambda conn: subscriptions.list_webhooks(conn, owner))


async def get_webhook(settings: Settings, owner: str, subscription_id: int) -> Webhook:
    return await in_transaction(
        settings, lambda conn: subscriptions.get_webhook(conn, owner, subscription_id)
    )


async def delete_webhook(settings: Settings, owner: str, subscription_id: int) -> None:
    await in_transaction(
        settings, lambda conn: subscriptions.delete_webhook(conn, owner, subscription_id)
    )


async def enable_webhook(settings: Settings, owner: str, subscription_id: int) -> Webhook:
    return await in_transaction(
        settings,
        lambda conn: subscriptions.enable_webhook(conn, settings, owner, subscription_id),
    )


async def ping_webhook(settings: Settings, owner: str, subscription_id: int) -> int:
    return await in_transaction(
        settings, lambda conn: subscriptions.ping_webhook(conn, owner, subscription_id)
    )


async def webhook_deliveries(
    settings: Settings, owner: str, subscription_id: int, limit: int
) -> list[dict[str, Any]]:
    return await in_transaction(
        settings,
        lambda conn: subscriptions.webhook_deliveries(conn, owner, subscription_id, limit),
    )
