"""What operators see: `openpolicy alerts status | send-pending`, and the metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from openpolicy.alerts import metrics as alerts_metrics
from openpolicy.cli import app
from openpolicy.config import get_settings
from openpolicy.ops.metrics import render_metrics
from tests.alerts.conftest import (
    SECRET,
    SITE,
    Mailbox,
    Query,
    TargetSpec,
    alert_settings,
    follow,
    load,
    member_id,
    sign_up,
)


@pytest.fixture
def cli_env(alerts_db: URL, smtp: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name, value in {
        "DATABASE_URL": alerts_db.render_as_string(hide_password=False),
        "OPENPOLICY_SECRET_KEY": SECRET,
        "OPENPOLICY_SITE_URL": SITE,
        "OPENPOLICY_SMTP_HOST": smtp.host,
        "OPENPOLICY_SMTP_PORT": str(smtp.port),
        "OPENPOLICY_SMTP_STARTTLS": "false",
        "OPENPOLICY_ALERTS_FROM": "alerts@openpolicy.test",
        "OPENPOLICY_ALERTS_MAX_ITEM_AGE_DAYS": "100000",
        "OPENPOLICY_ALERTS_MATCH_AFTER_INGEST": "false",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    get_settings.cache_clear()
    result = runner.invoke(app, ["alerts", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_status_and_send_pending(
    alerts_db: URL, smtp: Mailbox, query: Query, cli_env: CliRunner
) -> None:
    settings = get_settings()
    load(alerts_db, settings, "members")
    johns = member_id(query, "Gord Johns")
    follow(alerts_db, settings, smtp, "ops@example.ca", TargetSpec("member", member_id=johns))
    follow(alerts_db, settings, smtp, "daily@example.ca", TargetSpec("division"), cadence="daily")
    load(alerts_db, settings, "ballots")  # the hook is off: the changes wait

    code, out = run(cli_env, "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert status["email_alerts"] == "ready" and status["problems"] == []
    assert status["subscriptions"] == {"email active": 2}
    assert status["active_by_kind"] == {"division": 1, "member": 1}
    # Every ballot and the division (written, then its totals counted from the ballots).
    assert query(
        "SELECT source, count(DISTINCT row_id) FROM alert_changes GROUP BY 1 ORDER BY 1"
    ) == [("ballot", 330), ("vote", 1)]
    assert status["changes_waiting"] == query("SELECT count(*) FROM alert_changes")[0][0]
    assert status["deliveries_due"] == 0
    assert status["attempts"]["email sent"] == 2  # the confirmations

    code, out = run(cli_env, "send-pending", "--json")
    assert code == 0
    assert json.loads(out) == {
        "matched_items": 2,
        "digests": 0,
        "requeued": 0,
        "brought_forward": 0,
        "sent": 1,
        "to_retry": 0,
        "failed": 0,
    }
    assert len(smtp.to("ops@example.ca")) == 2
    assert len(smtp.to("daily@example.ca")) == 1  # the digest waits for its hour
    code, out = run(cli_env, "send-pending", "--digests")
    assert code == 0
    assert re.search(r"^digests +1$", out, re.M) and re.search(r"^sent +1$", out, re.M)
    assert len(smtp.to("daily@example.ca")) == 2

    # A failing server: exit 1, and the delivery waits for its retry.
    smtp.refusals.append("451 4.3.0 busy")
    sign_up(alerts_db, settings, "later@example.ca", TargetSpec("division"))
    code, out = run(cli_env, "send-pending")
    assert code == 1 and re.search(r"^to retry +1$", out, re.M)
    code, out = run(cli_env, "status")
    assert code == 0 and re.search(r"^deliveries +.*email pending 1", out, re.M)


def test_metrics(alerts_db: URL, smtp: Mailbox, query: Query) -> None:
    settings = alert_settings(alerts_db, smtp)
    load(alerts_db, settings, "members")
    follow(alerts_db, settings, smtp, "m@example.ca", TargetSpec("division"))
    smtp.stop()  # the next message will wait
    sign_up(alerts_db, settings, "waits@example.ca", TargetSpec("division"))
    query(
        "UPDATE alert_deliveries SET next_attempt_at = now() - interval '20 minutes'"
        " WHERE status = 'pending'"
    )
    engine = create_engine(alerts_db, poolclass=NullPool)
    try:
        alerts_metrics.install()
        text = render_metrics(engine)[0].decode()
    finally:
        engine.dispose()
    assert 'alerts_sent_total{channel="email",outcome="sent"} 1.0' in text
    assert 'alerts_sent_total{channel="webhook",outcome="failed"} 0.0' in text
    age = re.search(r'alerts_queue_age_seconds\{queue="deliveries"\} ([0-9.e+]+)', text)
    assert age is not None and 1200 <= float(age.group(1)) < 1300
    assert 'alerts_queue_depth{queue="deliveries"} 1.0' in text
    assert 'alerts_queue_age_seconds{queue="changes"} 0.0' in text
    assert 'alerts_subscriptions{channel="email",status="active"} 1.0' in text
    assert 'alerts_subscriptions{channel="email",status="pending"} 1.0' in text
