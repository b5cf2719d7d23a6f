"""POST /api/v1/subscriptions and its companions, through the real app over HTTP: a webhook
registered with an API key, deliveries after a real ingest verified by a real receiver on
loopback with the secret the API returned, retries, disabling, re-enabling, ownership by the
key's service, and problems naming the field."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL

from openpolicy.alerts import delivery
from openpolicy.api import keys
from openpolicy.app import create_app
from openpolicy.config import Settings
from tests.alerts.conftest import (
    SITE,
    Query,
    Receiver,
    alert_settings,
    connect,
    load,
    member_id,
)
from tests.support.services import LiveServer

PROBLEM = "application/problem+json"


def receiver_verifies(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What docs/alerts.md tells receivers to do, written out with the standard library."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(fields["v1"], expected.hexdigest())


def issue_key(database: URL, service: str) -> str:
    with connect(database) as conn, conn.transaction():
        key, _ = keys.create(conn, name=f"{service} key", service=service, scopes=["read"])
    return key


@pytest.fixture
def hook_settings(alerts_db: URL) -> Settings:
    return alert_settings(
        alerts_db,
        alerts_webhook_disable_after=3,
        alerts_max_attempts=10,
        alerts_retry_seconds=60,  # each test says when the back-off is over
        api_key_cache_seconds=0,
        api_access_log=False,
    )


@pytest.fixture
def api(hook_settings: Settings) -> Iterator[httpx.Client]:
    with (
        LiveServer(create_app(hook_settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


def post(client: httpx.Client, key: str | None, body: Any, path: str = "") -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    return client.post(f"/api/v1/subscriptions{path}", json=body, headers=headers)


def test_webhook_lifecycle_over_http(
    alerts_db: URL, hook_settings: Settings, api: httpx.Client, receiver: Receiver, query: Query
) -> None:
    load(alerts_db, hook_settings, "members")
    johns = member_id(query, "Gord Johns")
    mine, theirs = issue_key(alerts_db, "civic-app"), issue_key(alerts_db, "other-app")

    created = post(
        api,
        mine,
        {"url": receiver.url, "follow": {"kind": "member", "member_id": johns}, "description": "t"},
    )
    assert created.status_code == 201, created.text
    hook = created.json()["data"]
    assert created.headers["Location"] == f"/api/v1/subscriptions/{hook['id']}"
    assert created.headers["Cache-Control"] == "no-store"
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    assert hook["follow"] == {"kind": "member", "member_id": johns, "name": "Gord Johns"}
    assert (hook["status"], hook["consecutive_failures"], hook["description"]) == (
        "active",
        0,
        "t",
    )

    # The secret is shown once; the key's service sees its own, nobody else sees anything.
    listed = api.get("/api/v1/subscriptions", headers={"X-API-Key": mine}).json()["data"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    one = api.get(f"/api/v1/subscriptions/{hook['id']}", headers={"X-API-Key": mine})
    assert one.status_code == 200 and "secret" not in one.json()["data"]
    assert api.get("/api/v1/subscriptions", headers={"X-API-Key": theirs}).json()["data"] == []
    for method, path in (
        ("GET", f"/api/v1/subscriptions/{hook['id']}"),
        ("DELETE", f"/api/v1/subscriptions/{hook['id']}"),
        ("POST", f"/api/v1/subscriptions/{hook['id']}/enable"),
        ("POST", f"/api/v1/subscriptions/{hook['id']}/ping"),
        ("GET", f"/api/v1/subscriptions/{hook['id']}/deliveries"),
    ):
        foreign = api.request(method, path, headers={"X-API-Key": theirs})
        assert foreign.status_code == 404, (method, path, foreign.text)
        assert foreign.headers["content-type"] == PROBLEM

    # A real ingest: the receiver gets signed deliveries it can verify with that secret.
    load(alerts_db, hook_settings, "ballots", "hansard")
    assert delivery.send_due(alerts_db, hook_settings).as_dict() == {"webhook.sent": 2}
    requests = receiver.received()
    assert len(requests) == 2
    for request in requests:
        signature = request.headers["OpenPolicy-Signature"]
        assert receiver_verifies(secret, signature, request.body)
        assert not receiver_verifies(secret, signature, request.body + b"\n")
        assert not receiver_verifies("whsec_not-the-secret", signature, request.body)
        assert request.json()["subscription"]["id"] == hook["id"]
    ballot = requests[0].json()["items"][0]
    assert ballot["event"] == "member.ballot"
    assert ballot["data"]["vote"]["url"] == f"{SITE}/votes/43-2/69"

    # A ping answered 500 is retried with the same body and id, then delivered.
    receiver.statuses.append(500)
    pinged = post(api, mine, None, f"/{hook['id']}/ping")
    assert pinged.status_code == 202
    ping_id = pinged.json()["data"]["delivery_id"]
    assert delivery.send_due(alerts_db, hook_settings).as_dict() == {"webhook.retried": 1}
    query("UPDATE alert_deliveries SET next_attempt_at = now()")  # the back-off is over
    assert delivery.send_due(alerts_db, hook_settings).as_dict() == {"webhook.sent": 1}
    first, second = receiver.received()[2:]
    assert first.body == second.body and first.json()["event"] == "ping"
    assert first.headers["OpenPolicy-Delivery"] == second.headers["OpenPolicy-Delivery"]
    assert int(second.headers["OpenPolicy-Delivery"]) == ping_id
    assert receiver_verifies(secret, second.headers["OpenPolicy-Signature"], second.body)
    history = api.get(
        f"/api/v1/subscriptions/{hook['id']}/deliveries?limit=1", headers={"X-API-Key": mine}
    ).json()["data"]
    assert [
        (d["id"], d["kind"], d["status"], d["attempts"], d["response_status"]) for d in history
    ] == [(ping_id, "ping", "sent", 2, 204)]

    # Three failures in a row disable it; nothing is sent meanwhile; the owner re-enables.
    receiver.statuses += [500, 500, 500]
    post(api, mine, None, f"/{hook['id']}/ping")
    for _ in range(3):
        delivery.send_due(alerts_db, hook_settings)
        query("UPDATE alert_deliveries SET next_attempt_at = now() WHERE status = 'pending'")
    disabled = api.get(f"/api/v1/subscriptions/{hook['id']}", headers={"X-API-Key": mine})
    body = disabled.json()["data"]
    assert (body["status"], body["consecutive_failures"]) == ("disabled", 3)
    assert "3 attempts failed in a row" in body["disabled_reason"]
    assert delivery.send_due(alerts_db, hook_settings).as_dict() == {}
    assert len(receiver.received()) == 7
    enabled = post(api, mine, None, f"/{hook['id']}/enable")
    assert enabled.status_code == 200
    assert enabled.json()["data"]["status"] == "active"
    assert enabled.json()["data"]["consecutive_failures"] == 0
    assert delivery.send_due(alerts_db, hook_settings).as_dict() == {"webhook.sent": 1}
    held = receiver.received()[-1]
    assert held.json()["event"] == "ping"
    assert receiver_verifies(secret, held.headers["OpenPolicy-Signature"], held.body)

    # Deleted: gone for its owner too, and nothing more is sent.
    gone = api.delete(f"/api/v1/subscriptions/{hook['id']}", headers={"X-API-Key": mine})
    assert gone.status_code == 204
    assert (
        api.get(f"/api/v1/subscriptions/{hook['id']}", headers={"X-API-Key": mine}).status_code
        == 404
    )
    assert query("SELECT count(*) FROM alert_subscriptions") == [(0,)]


def test_problems_name_the_field(
    alerts_db: URL, hook_settings: Settings, api: httpx.Client, receiver: Receiver, query: Query
) -> None:
    load(alerts_db, hook_settings, "members", "bill", "ballots")
    key = issue_key(alerts_db, "civic-app")
    member = {"kind": "member", "member_id": member_id(query, "Gord Johns")}

    anonymous = post(api, None, {"url": receiver.url, "follow": member})
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == PROBLEM
    assert "X-API-Key" in anonymous.json()["detail"]
    bad_key = post(api, "opk_00000000_" + "x" * 40, {"url": receiver.url, "follow": member})
    assert bad_key.status_code == 401

    cases: list[tuple[Any, int, str]] = [
        ({"follow": member}, 422, "url: Field required"),
        ({"url": receiver.url}, 422, "follow: Field required"),
        ({"url": receiver.url, "follow": {"kind": "party"}}, 422, "follow.kind:"),
        (
            {"url": receiver.url, "follow": {"kind": "member", "member_id": "x"}},
            422,
            "follow.member_id:",
        ),
        ({"url": receiver.url, "follow": member, "colour": "red"}, 422, "colour: Extra inputs"),
        ({"url": receiver.url, "follow": {"kind": "member"}}, 422, "follow.member_id: a member id"),
        (
            {"url": receiver.url, "follow": {"kind": "member", "member_id": 999999}},
            404,
            "follow.member_id: no member 999999",
        ),
        (
            {"url": receiver.url, "follow": {"kind": "bill", "session": "44-1", "number": "C-999"}},
            404,
            "no bill C-999",
        ),
        (
            {"url": receiver.url, "follow": {"kind": "bill", "session": "x", "number": "C-2"}},
            422,
            "follow.session",
        ),
        ({"url": receiver.url, "follow": {"kind": "search", "q": "-climate"}}, 422, "follow.q:"),
        ({"url": "ftp://hooks.example.ca/x", "follow": member}, 422, "url: must start with"),
        ({"url": "http://u:p@hooks.example.ca/x", "follow": member}, 422, "url: credentials"),
        ({"url": receiver.url, "follow": member, "description": "d" * 501}, 422, "description:"),
        ([1, 2], 400, "body: expected a JSON object"),
    ]
    for body, status, detail in cases:
        answer = post(api, key, body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        assert detail in answer.json()["detail"], (body, answer.json())
    not_json = api.post(
        "/api/v1/subscriptions",
        content=b"{",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400 and "body: not JSON" in not_json.json()["detail"]
    form = api.post("/api/v1/subscriptions", data={"url": receiver.url}, headers={"X-API-Key": key})
    assert form.status_code == 415
    assert query("SELECT count(*) FROM alert_subscriptions") == [(0,)]

    # Every kind of target can be registered, by the names the site uses.
    for follow in (
        {"kind": "bill", "session": "44-1", "number": "c-11"},
        {"kind": "division"},
        {"kind": "division", "session": "43-2", "number": 69},
        {"kind": "search", "q": '"dental care" or pharmacare', "language": "fr", "party": "NDP"},
    ):
        answer = post(api, key, {"url": receiver.url, "follow": follow})
        assert answer.status_code == 201, (follow, answer.text)
    follows = [
        h["follow"]
        for h in api.get("/api/v1/subscriptions", headers={"X-API-Key": key}).json()["data"]
    ]
    assert [f["kind"] for f in follows] == ["bill", "division", "division", "search"]
    assert (follows[0]["session"], follows[0]["number"]) == ("44-1", "C-11")
    assert follows[1] == {"kind": "division"}
    assert (follows[2]["session"], follows[2]["number"]) == ("43-2", 69)
    assert (follows[3]["q"], follows[3]["language"], follows[3]["party"]) == (
        '"dental care" or pharmacare',
        "fr",
        "NDP",
    )


def test_private_and_loopback_urls_are_refused_unless_allowed(
    alerts_db: URL, receiver: Receiver, query: Query
) -> None:
    strict = alert_settings(
        alerts_db,
        alerts_webhook_allow_private=False,
        alerts_webhook_require_https=True,
        api_access_log=False,
    )
    load(alerts_db, strict, "members")
    key = issue_key(alerts_db, "civic-app")
    follow = {"kind": "division"}
    with LiveServer(create_app(strict)) as server, httpx.Client(base_url=server.url) as client:
        for url, detail in (
            (receiver.url, "url: must start with https://"),
            ("https://127.0.0.1:8443/hook", "private, loopback or reserved address (127.0.0.1)"),
            ("https://10.0.0.8/hook", "private, loopback or reserved address (10.0.0.8)"),
            ("https://169.254.169.254/latest", "private, loopback or reserved"),
            ("https://[::1]/hook", "private, loopback or reserved"),
            ("https://localhost/hook", "private, loopback or reserved"),
        ):
            answer = post(client, key, {"url": url, "follow": follow})
            assert answer.status_code == 422, (url, answer.text)
            assert detail in answer.json()["detail"], (url, answer.json())
    assert query("SELECT count(*) FROM alert_subscriptions") == [(0,)]


def test_a_service_holds_at_most_its_limit_of_webhooks(
    alerts_db: URL, receiver: Receiver, query: Query
) -> None:
    limited = alert_settings(alerts_db, alerts_webhooks_per_key=2, api_access_log=False)
    load(alerts_db, limited, "members")
    key = issue_key(alerts_db, "civic-app")
    other = issue_key(alerts_db, "other-app")
    body = {"url": receiver.url, "follow": {"kind": "division"}}
    with LiveServer(create_app(limited)) as server, httpx.Client(base_url=server.url) as client:
        assert [post(client, key, body).status_code for _ in range(2)] == [201, 201]
        refused = post(client, key, body)
        assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
        assert "service 'civic-app' already has 2 webhook subscriptions" in refused.json()["detail"]
        assert post(client, other, body).status_code == 201  # another service's own count
        [first, _] = client.get("/api/v1/subscriptions", headers={"X-API-Key": key}).json()["data"]
        deleted = client.delete(f"/api/v1/subscriptions/{first['id']}", headers={"X-API-Key": key})
        assert deleted.status_code == 204
        assert post(client, key, body).status_code == 201  # room again
    assert query("SELECT owner, count(*) FROM alert_subscriptions GROUP BY 1 ORDER BY 1") == [
        ("civic-app", 2),
        ("other-app", 1),
    ]
