"""E-mail alerts through a real SMTP server: double opt-in, messages in the subscriber's
language with their items and links, RFC 8058 one-click unsubscribe, digests, retries,
never the same item twice, and the worker doing it all from its own jobs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import URL

from openpolicy.alerts import delivery, jobs, subscriptions, tokens
from openpolicy.alerts.matching import match_changes
from openpolicy.errors import RateLimitedError, ValidationFailedError
from openpolicy.ingest.jobs import BackgroundWorker
from openpolicy.ingest.plans import SOURCE_ORDER
from tests.alerts.conftest import (
    SITE,
    Mailbox,
    Query,
    SearchSpec,
    TargetSpec,
    alert_settings,
    body_html,
    body_text,
    connect,
    follow,
    links,
    load,
    member_id,
    sign_up,
)
from tests.support.services import wait_until

NEVER = "0 0 1 1 *"


def test_double_opt_in(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    johns = member_id(query, "Gord Johns")
    sign_up(alerts_db, settings, "Reader@Example.CA", TargetSpec("member", member_id=johns))
    # Pending until confirmed: the address is stored as typed, its domain lower-cased.
    assert query("SELECT email, language FROM alert_recipients") == [("Reader@example.ca", "en")]
    assert query("SELECT status, confirmed_at FROM alert_subscriptions") == [("pending", None)]

    delivery.send_due(alerts_db, settings)
    [message] = smtp.wait_for("Reader@example.ca")
    assert message["Subject"] == "Confirm your OpenPolicy alert: Gord Johns"
    assert message["From"] == "OpenPolicy <alerts@openpolicy.test>"
    assert "List-Unsubscribe" not in message  # nothing to unsubscribe from yet
    text = body_text(message)
    assert "Gord Johns" in text and "48 hours" in text
    assert f"{SITE}/members/{johns}" in text
    [token] = links(message, "confirm")
    assert f'href="{SITE}/alerts/confirm/{token}"' in body_html(message)

    # A forged or altered link confirms nothing.
    with connect(alerts_db) as conn, pytest.raises(tokens.InvalidTokenError):
        subscriptions.confirm(conn, settings, token[:-2] + ("A" if token[-1] != "A" else "B"))
    with connect(alerts_db) as conn, conn.transaction():
        description, recipient, newly = subscriptions.confirm(conn, settings, token)
    assert (description.kind, recipient.email, newly) == ("member", "Reader@example.ca", True)
    assert query("SELECT status FROM alert_subscriptions") == [("active",)]
    with connect(alerts_db) as conn, conn.transaction():
        assert subscriptions.confirm(conn, settings, token)[2] is False  # twice: no change


def test_an_expired_confirmation_confirms_nothing_and_is_forgotten(
    alerts_db: URL, smtp: Mailbox, query: Query
) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    sign_up(alerts_db, settings, "late@example.ca", TargetSpec("division"))
    delivery.send_due(alerts_db, settings)
    [token] = links(smtp.wait_for("late@example.ca")[0], "confirm")
    query("UPDATE alert_subscriptions SET created_at = now() - interval '49 hours'")
    [(subscription_id, nonce)] = query(
        "SELECT s.id, r.link_nonce FROM alert_subscriptions s"
        " JOIN alert_recipients r ON r.id = s.recipient_id"
    )
    issued = int(dt.datetime.now(dt.UTC).timestamp()) - 49 * 3600
    stale = tokens.sign(settings, tokens.Token("confirm", subscription_id, nonce, issued))
    assert tokens.verify(settings, token, "confirm").id == subscription_id  # the real one
    with connect(alerts_db) as conn, pytest.raises(tokens.InvalidTokenError, match="expired"):
        subscriptions.confirm(conn, settings, stale)
    with connect(alerts_db) as conn, conn.transaction():
        done = subscriptions.cleanup(conn, settings)
    assert done["expired_signups"] == 1 and done["forgotten_addresses"] == 1
    assert query("SELECT count(*) FROM alert_recipients") == [(0,)]
    assert query("SELECT count(*) FROM alert_deliveries") == [(0,)]


def test_alerts_in_each_language_with_links_and_one_click_unsubscribe(
    alerts_db: URL, smtp: Mailbox, query: Query
) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    johns = member_id(query, "Gord Johns")
    follow(alerts_db, settings, smtp, "en@example.ca", TargetSpec("member", member_id=johns))
    follow(
        alerts_db,
        settings,
        smtp,
        "fr@example.ca",
        TargetSpec("member", member_id=johns),
        language="fr",
    )
    follow(
        alerts_db,
        settings,
        smtp,
        "fr@example.ca",
        TargetSpec("search", search=SearchSpec("classe moyenne", "fr")),
        language="fr",
    )
    # Two sources imported, then one matching pass (the worker's minute tick does this when
    # the ingest hook is off): one message per address with everything new.
    quiet = alert_settings(alerts_db, smtp, alerts_match_after_ingest=False)
    load(alerts_db, quiet, "ballots", "hansard")
    with connect(alerts_db) as conn:
        assert match_changes(conn, settings).deliveries == 2
    delivery.send_due(alerts_db, settings)
    [_, english] = smtp.wait_for("en@example.ca", 2)
    [_, _, french] = smtp.wait_for("fr@example.ca", 3)

    # English: the ballot and the sitting he spoke in, each with its link.
    spoke = query("SELECT count(*) FROM speeches WHERE member_id = %s", johns)[0][0]
    assert english["Subject"] == "OpenPolicy: 2 new items — Gord Johns"
    assert english["Content-Language"] == "en"
    text = body_text(english)
    assert "Gord Johns voted Nay on division 69 (43-2), March 10, 2021" in text
    assert f"{SITE}/votes/43-2/69" in text
    assert f"Gord Johns spoke {spoke} times in the sitting of May 18, 2023" in text
    assert f"{SITE}/debates/44-1/200/" in text

    # French: the subscriber's language throughout, the French pages linked.
    assert french["Subject"].startswith("OpenPolicy : ")
    assert french["Content-Language"] == "fr"
    texte = body_text(french)
    assert "Gord Johns a voté Contre sur le vote 69 (43-2), 10 mars 2021" in texte
    assert f"{SITE}/fr/votes/43-2/69" in texte
    assert "Interventions contenant « classe moyenne »" in texte
    # One link per speech of the sitting whose French text says the phrase (read here with
    # plain SQL, not through the matcher).
    said = query(
        "SELECT count(*) FROM speeches s JOIN debates d ON d.id = s.debate_id"
        " JOIN parliamentary_sessions p ON p.id = d.session_id"
        " WHERE p.code = '42-1' AND d.number = 2 AND s.text_fr ILIKE %s",
        "%classe moyenne%",
    )[0][0]
    assert said > 0
    assert texte.count(f"{SITE}/fr/debates/42-1/2/") == said

    # RFC 8058: an https List-Unsubscribe URL and the One-Click POST marker, a stable id.
    unsubscribe = english["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{SITE}/alerts/unsubscribe/") and unsubscribe.endswith(">")
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<alert-\d+@openpolicy\.test>", english["Message-ID"])
    assert english["List-Id"] == "OpenPolicy alerts <alerts.openpolicy.test>"
    assert french["List-Unsubscribe"].startswith(f"<{SITE}/fr/alerts/unsubscribe/")

    # Nothing new: nothing sent, however often the worker looks.
    before = len(smtp.messages)
    delivery.send_due(alerts_db, settings)
    load(alerts_db, settings, "ballots", "hansard")
    delivery.send_due(alerts_db, settings)
    assert len(smtp.messages) == before

    # One click: every alert of the address, and the address itself, are gone.
    token = urlsplit(unsubscribe.strip("<>")).path.rsplit("/", 1)[1]
    with connect(alerts_db) as conn, conn.transaction():
        assert subscriptions.unsubscribe_all(conn, settings, token) == 1
    assert query("SELECT email FROM alert_recipients") == [("fr@example.ca",)]
    assert query(
        "SELECT count(*) FROM alert_deliveries d JOIN alert_recipients r"
        " ON r.id = d.recipient_id WHERE r.email = 'en@example.ca'"
    ) == [(0,)]
    with connect(alerts_db) as conn, conn.transaction():
        assert subscriptions.unsubscribe_all(conn, settings, token) == 0  # twice: fine

    # Stopping one alert keeps the others; stopping the last forgets the address.
    stops = links(french, "stop")
    assert len(stops) == 2
    with connect(alerts_db) as conn, conn.transaction():
        subscriptions.stop(conn, settings, stops[0])
    assert query("SELECT count(*) FROM alert_subscriptions") == [(1,)]
    with connect(alerts_db) as conn, conn.transaction():
        subscriptions.stop(conn, settings, stops[1])
    assert query("SELECT count(*) FROM alert_recipients") == [(0,)]
    assert query("SELECT count(*) FROM alert_searches") == [(0,)]


def test_daily_digest(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    johns = member_id(query, "Gord Johns")
    target = TargetSpec("member", member_id=johns)
    follow(alerts_db, settings, smtp, "daily@example.ca", target, cadence="daily")
    follow(alerts_db, settings, smtp, "daily@example.ca", TargetSpec("division"), cadence="daily")
    load(alerts_db, settings, "ballots", "hansard")
    delivery.send_due(alerts_db, settings)
    assert len(smtp.to("daily@example.ca")) == 2  # the two confirmations, no alert yet
    waiting = query("SELECT count(*) FROM alert_items WHERE delivery_id IS NULL")[0][0]
    # His ballot, the sitting he spoke in, and every division now known (the ballots
    # document's, and those the sittings' division tables name): all new since the follow.
    divisions = query("SELECT count(*) FROM votes")[0][0]
    assert divisions >= 1
    assert waiting == 2 + divisions

    assert jobs.digest(alerts_db, settings)["digests"] == 1
    digest = smtp.wait_for("daily@example.ca", 3)[-1]
    assert digest["Subject"] == f"OpenPolicy daily digest: {waiting} new items"
    text = body_text(digest)
    assert "Your daily OpenPolicy digest." in text
    assert "== Gord Johns ==" in text and "== Every new division ==" in text
    assert jobs.digest(alerts_db, settings)["digests"] == 0  # nothing new: no empty digest


def test_a_long_list_is_cut_with_a_link_to_the_rest(
    alerts_db: URL, smtp: Mailbox, query: Query
) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    follow(alerts_db, settings, smtp, "all@example.ca", TargetSpec("division"))
    load(alerts_db, settings, "votes")
    delivery.send_due(alerts_db, settings)
    message = smtp.wait_for("all@example.ca", 2)[-1]
    assert message["Subject"] == "OpenPolicy: 880 new items — Every new division"
    text = body_text(message)
    assert text.count(f"{SITE}/votes/42-1/") == 25
    assert f"… and 855 more: {SITE}/votes" in text


def test_retries_and_permanent_refusals(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(alerts_db, smtp, alerts_retry_seconds=3600)
    load(alerts_db, settings, "members")
    # A temporary refusal: retried an hour later (doubling), then sent once.
    smtp.refusals.append("451 4.3.0 Try again later")
    sign_up(alerts_db, settings, "retry@example.ca", TargetSpec("division"))
    report = delivery.send_due(alerts_db, settings)
    assert report.as_dict() == {"email.retried": 1}
    [(status, attempts, wait, error)] = query(
        "SELECT status, attempts, extract(epoch FROM next_attempt_at - now()), last_error"
        " FROM alert_deliveries"
    )
    assert (status, attempts) == ("pending", 1)
    assert 0.8 * 3600 - 60 <= wait <= 1.2 * 3600
    assert "451" in error
    assert delivery.send_due(alerts_db, settings).as_dict() == {}  # not due yet
    query("UPDATE alert_deliveries SET next_attempt_at = now()")
    assert delivery.send_due(alerts_db, settings).as_dict() == {"email.sent": 1}
    assert len(smtp.to("retry@example.ca")) == 1

    # A permanent refusal (5xx): failed at once, never tried again.
    smtp.refusals.append("550 5.1.1 No such user")
    sign_up(alerts_db, settings, "nobody@example.ca", TargetSpec("division"))
    assert delivery.send_due(alerts_db, settings).as_dict() == {"email.failed": 1}
    assert query(
        "SELECT status, attempts FROM alert_deliveries d JOIN alert_recipients r"
        " ON r.id = d.recipient_id WHERE r.email = 'nobody@example.ca'"
    ) == [("failed", 1)]
    assert query("SELECT channel, outcome, total FROM alert_delivery_totals ORDER BY 1, 2") == [
        ("email", "failed", 1),
        ("email", "retried", 1),
        ("email", "sent", 1),
        ("webhook", "failed", 0),
        ("webhook", "retried", 0),
        ("webhook", "sent", 0),
    ]


def test_the_smtp_server_down_then_back(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    """A real outage: the SMTP server stops; the delivery waits; it goes out once it is back."""
    settings = alert_settings(alerts_db, smtp, alerts_retry_seconds=3600)
    load(alerts_db, settings, "members")
    sign_up(alerts_db, settings, "outage@example.ca", TargetSpec("division"))
    smtp.stop()
    assert delivery.send_due(alerts_db, settings).as_dict() == {"email.retried": 1}
    [(status, error)] = query("SELECT status, last_error FROM alert_deliveries")
    assert status == "pending" and "Connection refused" in error
    smtp.start()
    query("UPDATE alert_deliveries SET next_attempt_at = now()")  # the hour has passed
    assert delivery.send_due(alerts_db, settings).as_dict() == {"email.sent": 1}
    assert len(smtp.wait_for("outage@example.ca")) == 1


def test_signup_limits_and_privacy(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(
        alerts_db,
        smtp,
        alerts_signups_per_address_per_day=2,
        alerts_signups_per_ip_per_hour=6,
        alerts_max_follows_per_address=3,
    )
    load(alerts_db, settings, "members")
    member = TargetSpec("member", member_id=member_id(query, "Gord Johns"))
    # An address signed up three times in a day: two confirmations, then silence.
    for client in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        sign_up(alerts_db, settings, "victim@example.ca", member, client=client)
    delivery.send_due(alerts_db, settings)
    assert len(smtp.to("victim@example.ca")) == 2
    # One client signing up many addresses: refused past its hourly limit, saying so.
    for number in range(5):
        sign_up(alerts_db, settings, f"a{number}@example.ca", member, client="192.0.2.1")
    with pytest.raises(RateLimitedError):
        sign_up(alerts_db, settings, "a9@example.ca", member, client="192.0.2.1")
    # The log keeps keyed hashes, never an address or a client address.
    logged = " ".join(str(v) for row in query("SELECT * FROM alert_signups") for v in row)
    assert "example.ca" not in logged and "192.0.2" not in logged
    expected = hmac.new(tokens.signing_key(settings), b"address:victim@example.ca", hashlib.sha256)
    assert expected.hexdigest() in logged
    # Bad input is a clear error naming the field (and says nothing about any address).
    with pytest.raises(ValidationFailedError, match="email"):
        sign_up(alerts_db, settings, "not an address", member, client="192.0.2.50")


def test_an_address_holds_a_bounded_number_of_alerts(
    alerts_db: URL, smtp: Mailbox, query: Query
) -> None:
    settings = alert_settings(alerts_db, smtp, alerts_max_follows_per_address=3)
    load(alerts_db, settings, "members")
    for words in ("budget", "housing", "dental care", "pharmacare"):
        target = TargetSpec("search", search=SearchSpec(words))
        sign_up(alerts_db, settings, "many@example.ca", target, client="192.0.2.7")
    assert query("SELECT count(*) FROM alert_subscriptions") == [(3,)]
    delivery.send_due(alerts_db, settings)
    assert len(smtp.to("many@example.ca")) == 3


def test_the_worker_sends_from_its_own_jobs(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(
        alerts_db,
        smtp,
        worker_heartbeat_seconds=0.5,
        alerts_digest_schedule=NEVER,
        **{f"ingest_schedule_{source}": NEVER for source in SOURCE_ORDER},
    )
    load(alerts_db, settings, "members")
    johns = member_id(query, "Gord Johns")
    worker = BackgroundWorker(settings, alerts_db).start()
    try:
        # The sign-up's transaction queued the job that sends the confirmation.
        sign_up(alerts_db, settings, "worker@example.ca", TargetSpec("member", member_id=johns))
        [confirmation] = smtp.wait_for("worker@example.ca", 1)
        [token] = links(confirmation, "confirm")
        with connect(alerts_db) as conn, conn.transaction():
            subscriptions.confirm(conn, settings, token)
        # An ingest: the runner's hook matched, its transaction queued the sending job.
        load(alerts_db, settings, "ballots")
        alert = smtp.wait_for("worker@example.ca", 2)[-1]
        assert "voted Nay on division 69" in body_text(alert)
        wait_until(
            lambda: (
                query("SELECT status, count(*) FROM alert_deliveries GROUP BY 1") == [("sent", 2)]
            ),
            30,
            "both deliveries recorded as sent",
        )
    finally:
        worker.stop()
