"""Webhooks through a real receiver on loopback: signed JSON, retries with backoff, disabled
after repeated failures and re-enabled by the owner, and URLs checked before any request."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from sqlalchemy.engine import URL

from openpolicy.alerts import delivery, subscriptions, webhooks
from openpolicy.alerts.subscriptions import Webhook
from openpolicy.config import Settings
from openpolicy.errors import ConflictError, NotFoundError
from tests.alerts.conftest import (
    SITE,
    Query,
    Receiver,
    TargetSpec,
    alert_settings,
    connect,
    load,
    member_id,
)


def register(
    database: URL, settings: Settings, url: str, target: TargetSpec, owner: str = "civic-app"
) -> Webhook:
    with connect(database) as conn, conn.transaction():
        return subscriptions.create_webhook(
            conn,
            settings,
            owner=owner,
            api_key_id=None,
            url=url,
            target=target,
            description="test receiver",
        )


def expected_signature(secret: str, header: str, body: bytes) -> str:
    """The receiver's side, written out with the standard library."""
    timestamp = dict(part.split("=", 1) for part in header.split(","))["t"]
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_signed_deliveries_after_an_ingest(
    alerts_db: URL, receiver: Receiver, query: Query
) -> None:
    settings = alert_settings(alerts_db)
    load(alerts_db, settings, "members")
    johns = member_id(query, "Gord Johns")
    hook = register(alerts_db, settings, receiver.url, TargetSpec("member", member_id=johns))
    assert hook.secret is not None and hook.secret.startswith("whsec_")
    assert hook.status == "active"
    load(alerts_db, settings, "ballots", "hansard")
    assert delivery.send_due(alerts_db, settings).as_dict() == {"webhook.sent": 2}

    requests = receiver.received()
    assert [r.path for r in requests] == ["/hooks/openpolicy"] * 2
    first = requests[0]
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["OpenPolicy-Event"] == "alerts"
    assert first.headers["User-Agent"].startswith("OpenPolicy-Webhooks/")
    signature = first.headers["OpenPolicy-Signature"]
    timestamp = int(dict(p.split("=", 1) for p in signature.split(","))["t"])
    assert abs(time.time() - timestamp) < 300
    assert signature.endswith("v1=" + expected_signature(hook.secret, signature, first.body))
    assert webhooks.verify_signature(hook.secret, signature, first.body)
    assert not webhooks.verify_signature(hook.secret, signature, first.body + b" ")
    assert not webhooks.verify_signature("whsec_wrong", signature, first.body)

    body = first.json()
    assert body["event"] == "alerts"
    assert body["delivery_id"] == int(first.headers["OpenPolicy-Delivery"])
    assert body["subscription"] == {
        "id": hook.id,
        "follow": {"kind": "member", "member_id": johns, "name": "Gord Johns"},
    }
    [item] = body["items"]
    assert item["event"] == "member.ballot"
    assert item["data"]["ballot"] == "nay"
    assert item["data"]["vote"]["url"] == f"{SITE}/votes/43-2/69"
    second = requests[1].json()
    assert [i["event"] for i in second["items"]] == ["member.speeches"]


def test_retries_with_backoff_then_success(
    alerts_db: URL, receiver: Receiver, query: Query
) -> None:
    settings = alert_settings(alerts_db, alerts_retry_seconds=30)
    load(alerts_db, settings, "members")
    register(alerts_db, settings, receiver.url, TargetSpec("division"))
    receiver.statuses += [500, 503]
    load(alerts_db, settings, "ballots")
    assert delivery.send_due(alerts_db, settings).as_dict() == {"webhook.retried": 1}
    waits: list[float] = []
    for _ in range(2):
        [(status, wait, response)] = query(
            "SELECT status, extract(epoch FROM next_attempt_at - now()), response_status"
            " FROM alert_deliveries"
        )
        assert (status, response) == ("pending", 500 + 3 * len(waits))
        waits.append(float(wait))
        query("UPDATE alert_deliveries SET next_attempt_at = now()")  # the wait is over
        delivery.send_due(alerts_db, settings)
    # 30 s then 60 s (doubling, ±20 % jitter), then the third attempt went through.
    assert 0.8 * 30 - 5 <= waits[0] <= 1.2 * 30
    assert 0.8 * 60 - 5 <= waits[1] <= 1.2 * 60
    assert query("SELECT status, attempts, response_status FROM alert_deliveries") == [
        ("sent", 3, 204)
    ]
    bodies = {r.body for r in receiver.received()}
    ids = {r.headers["OpenPolicy-Delivery"] for r in receiver.received()}
    assert len(receiver.received()) == 3 and len(bodies) == 1 and len(ids) == 1
    assert query("SELECT failures FROM alert_subscriptions") == [(0,)]  # reset by the success


def test_disabled_after_repeated_failures_and_re_enabled(
    alerts_db: URL, receiver: Receiver, query: Query
) -> None:
    settings = alert_settings(alerts_db, alerts_webhook_disable_after=3, alerts_max_attempts=10)
    load(alerts_db, settings, "members")
    hook = register(alerts_db, settings, receiver.url, TargetSpec("division"))
    receiver.statuses += [500] * 3
    load(alerts_db, settings, "ballots")
    assert delivery.send_due(alerts_db, settings).as_dict() == {"webhook.retried": 3}
    with connect(alerts_db) as conn:
        disabled = subscriptions.get_webhook(conn, "civic-app", hook.id)
    assert disabled.status == "disabled"
    assert (
        disabled.disabled_reason is not None
        and "3 attempts failed in a row" in disabled.disabled_reason
    )
    assert query("SELECT status FROM alert_deliveries") == [("held",)]
    # Nothing is sent while disabled, whatever happens.
    load(alerts_db, settings, "votes")
    assert delivery.send_due(alerts_db, settings).as_dict() == {}
    assert len(receiver.received()) == 3

    with connect(alerts_db) as conn, conn.transaction():
        enabled = subscriptions.enable_webhook(conn, settings, "civic-app", hook.id)
    assert (enabled.status, enabled.failures, enabled.disabled_reason) == ("active", 0, None)
    delivery.send_due(alerts_db, settings)
    delivered = receiver.received()[3:]
    assert [len(r.json()["items"]) for r in delivered] == [1]  # the held one, nothing more
    # Matches made while disabled were not kept for it: the 42-1 divisions came meanwhile.
    assert query("SELECT status, count(*) FROM alert_deliveries GROUP BY 1") == [("sent", 1)]


def test_gone_disables_at_once(alerts_db: URL, receiver: Receiver, query: Query) -> None:
    settings = alert_settings(alerts_db)
    load(alerts_db, settings, "members")
    register(alerts_db, settings, receiver.url, TargetSpec("division"))
    receiver.statuses.append(410)
    load(alerts_db, settings, "ballots")
    assert delivery.send_due(alerts_db, settings).as_dict() == {"webhook.failed": 1}
    assert query("SELECT status, disabled_reason FROM alert_subscriptions") == [
        ("disabled", "the receiver answered 410 Gone")
    ]


def test_large_matches_are_split_into_posts_of_100(
    alerts_db: URL, receiver: Receiver, query: Query
) -> None:
    settings = alert_settings(alerts_db)
    load(alerts_db, settings, "members")
    register(alerts_db, settings, receiver.url, TargetSpec("division"))
    load(alerts_db, settings, "votes")
    delivery.send_due(alerts_db, settings)
    sizes = [len(r.json()["items"]) for r in receiver.received()]
    assert sorted(sizes) == [80] + [100] * 8
    numbers = [i["data"]["vote"]["number"] for r in receiver.received() for i in r.json()["items"]]
    assert sorted(numbers) == list(range(1, 881))


def test_ping(alerts_db: URL, receiver: Receiver) -> None:
    settings = alert_settings(alerts_db)
    load(alerts_db, settings, "members")
    hook = register(alerts_db, settings, receiver.url, TargetSpec("division"))
    with connect(alerts_db) as conn, conn.transaction():
        subscriptions.ping_webhook(conn, "civic-app", hook.id)
    delivery.send_due(alerts_db, settings)
    [ping] = receiver.received()
    assert ping.headers["OpenPolicy-Event"] == "ping"
    assert ping.json()["items"] == [] and ping.json()["event"] == "ping"


def test_urls_are_checked_against_private_networks(alerts_db: URL, receiver: Receiver) -> None:
    strict = alert_settings(
        alerts_db, alerts_webhook_allow_private=False, alerts_webhook_require_https=True
    )
    lenient = alert_settings(alerts_db, alerts_webhook_allow_private=False)
    load(alerts_db, strict, "members")
    for url, message in (
        ("http://hooks.example.ca/x", "must start with https://"),
        ("https://user:pw@hooks.example.ca/x", "credentials"),
        ("ftp://hooks.example.ca/x", "must start with"),
        ("https:///nohost", "no host"),
    ):
        with pytest.raises(webhooks.UnsafeUrlError, match=message):
            webhooks.check_url(strict, url)
    for address in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.1", "[::1]", "0.0.0.0"):
        with pytest.raises(webhooks.UnsafeUrlError, match="private, loopback or reserved"):
            webhooks.check_url(lenient, f"http://{address}:8080/hook")
    with pytest.raises(webhooks.UnsafeUrlError, match="private"):
        register(alerts_db, lenient, receiver.url, TargetSpec("division"))
    # The operator's allowance (tests, closed networks) lets loopback through.
    assert webhooks.check_url(alert_settings(alerts_db), receiver.url).address == "127.0.0.1"
    # Checked again before every attempt: an allowance withdrawn stops deliveries.
    register(alerts_db, alert_settings(alerts_db), receiver.url, TargetSpec("division"))
    load(alerts_db, lenient, "ballots")
    assert delivery.send_due(alerts_db, lenient).as_dict() == {"webhook.failed": 1}
    assert receiver.received() == []


def test_ownership_and_limits(alerts_db: URL, receiver: Receiver) -> None:
    settings = alert_settings(alerts_db, alerts_webhooks_per_key=2)
    load(alerts_db, settings, "members")
    with pytest.raises(NotFoundError, match="no member 999999"):
        register(alerts_db, settings, receiver.url, TargetSpec("member", member_id=999999))
    mine = register(alerts_db, settings, receiver.url, TargetSpec("division"))
    register(alerts_db, settings, receiver.url, TargetSpec("division"))
    with pytest.raises(ConflictError, match="limit is 2"):
        register(alerts_db, settings, receiver.url, TargetSpec("division"))
    with connect(alerts_db) as conn:
        assert [w.id for w in subscriptions.list_webhooks(conn, "other-app")] == []
        with pytest.raises(NotFoundError):
            subscriptions.get_webhook(conn, "other-app", mine.id)
        with pytest.raises(NotFoundError):
            subscriptions.delete_webhook(conn, "other-app", mine.id)
        listed = subscriptions.list_webhooks(conn, "civic-app")
    assert len(listed) == 2 and all(w.secret is None for w in listed)
