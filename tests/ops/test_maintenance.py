"""Maintenance mode: stored once, seen by every replica within 2 s, announced by e-mail and
webhook (a real SMTP server and a webhook receiver on loopback)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from typer.testing import Result

from openpolicy.config import Settings
from openpolicy.ops.maintenance import MaintenanceReader, parse_until
from openpolicy.ops.pg import OpsInputError
from tests.ops.conftest import (
    OpsEnv,
    SmtpServer,
    WebhookReceiver,
    run_openpolicy,
    run_script,
)
from tests.support.services import wait_until


def test_switch_reaches_every_replica_within_two_seconds(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    settings = Settings(database_url=ops_env.url_string)
    replicas = [
        MaintenanceReader(create_engine(ops_env.url, poolclass=NullPool), settings)
        for _ in range(3)
    ]
    assert all(not r.current().enabled for r in replicas)
    switched = time.monotonic()
    result = cli("maintenance", "on", "--message", "Database upgrade", "--until", "90m")
    assert result.exit_code == 0, result.output
    wait_until(lambda: all(r.current().enabled for r in replicas), 2.0, "every replica")
    assert time.monotonic() - switched < 2.0
    state = replicas[0].current()
    assert state.message == "Database upgrade"
    assert state.retry_after_seconds is not None and 5300 < state.retry_after_seconds <= 5400
    status = json.loads(cli("maintenance", "status", "--json").stdout)
    assert status["enabled"] is True and "(cli)" in status["updated_by"]
    assert cli("maintenance", "off").exit_code == 0
    wait_until(lambda: not any(r.current().enabled for r in replicas), 2.0, "maintenance off")
    actions = ops_env.sql(
        "SELECT action FROM audit_events WHERE action LIKE 'maintenance.%' ORDER BY id"
    )
    assert [a for (a,) in actions] == ["maintenance.on", "maintenance.off"]


def test_reader_caches_and_the_setting_forces(ops_env: OpsEnv) -> None:
    engine = create_engine(ops_env.url, poolclass=NullPool)
    reader = MaintenanceReader(engine, Settings(database_url=ops_env.url_string), ttl=60)
    assert reader.current().enabled is False
    ops_env.sql(
        "INSERT INTO maintenance (id, enabled, message) VALUES (1, true, 'x')"
        " ON CONFLICT (id) DO UPDATE SET enabled = true"
    )
    assert reader.current().enabled is False  # cached: no query per request
    reader.invalidate()
    assert reader.current().enabled is True
    forced = MaintenanceReader(
        engine, Settings(database_url=ops_env.url_string, maintenance_mode=True)
    )
    ops_env.sql("UPDATE maintenance SET enabled = false")
    assert forced.current().enabled and forced.current().forced_by_setting
    assert reader.ttl <= 1.0 and forced.ttl <= 1.0
    engine.dispose()


def test_event_loop_reader_serves_the_last_value_while_it_refreshes(ops_env: OpsEnv) -> None:
    """The API gate asks on the event loop: the first read is awaited, later stale values
    are refreshed in a worker thread while requests get the last one at once."""
    import asyncio

    engine = create_engine(ops_env.url, poolclass=NullPool)
    reader = MaintenanceReader(engine, Settings(database_url=ops_env.url_string), ttl=0.0)
    ops_env.sql("UPDATE maintenance SET enabled = false")

    async def scenario() -> list[bool]:
        seen = [(await reader.current_async()).enabled]  # first read: waited for
        ops_env.sql(
            "INSERT INTO maintenance (id, enabled, message) VALUES (1, true, 'x')"
            " ON CONFLICT (id) DO UPDATE SET enabled = true"
        )
        seen.append((await reader.current_async()).enabled)  # stale, refresh started
        refresh = reader._refresh
        assert refresh is not None
        await refresh
        seen.append(reader._value.enabled)  # what the background refresh read
        return seen

    assert asyncio.run(scenario()) == [False, False, True]
    ops_env.sql("UPDATE maintenance SET enabled = false")
    engine.dispose()


def test_notices_go_to_email_and_webhook(
    ops_env: OpsEnv,
    smtp_server: SmtpServer,
    webhook_receiver: WebhookReceiver,
    cli: Callable[..., Result],
) -> None:
    smtp_server.configure(ops_env)
    ops_env.setenv("OPENPOLICY_WEBHOOK_URL", webhook_receiver.url)
    ops_env.setenv("OPENPOLICY_NOTIFICATION_CHANNELS", "email,webhook")
    ops_env.setenv("OPENPOLICY_ENVIRONMENT", "staging")
    result = cli(
        "maintenance", "on", "--notify", "--message", "Upgrading PostgreSQL", "--until", "30m"
    )
    assert result.exit_code == 0, result.output
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["Subject"] == "[OpenPolicy staging] Maintenance: Upgrading PostgreSQL"
    assert mail["To"] == "oncall@openpolicy.test, status@openpolicy.test"
    assert "Expected back:" in mail.get_payload()
    hook = webhook_receiver.received[0]
    assert hook["event"] == "maintenance.scheduled" and hook["environment"] == "staging"
    assert hook["message"] == "Upgrading PostgreSQL" and hook["until"]
    assert cli("maintenance", "off", "--notify").exit_code == 0
    assert webhook_receiver.received[-1]["event"] == "maintenance.complete"
    assert smtp_server.messages[-1]["Subject"] == "[OpenPolicy staging] Maintenance complete"


def test_operator_scripts_send_notices(
    ops_env: OpsEnv, smtp_server: SmtpServer, webhook_receiver: WebhookReceiver
) -> None:
    smtp_server.configure(ops_env)
    ops_env.setenv("OPENPOLICY_WEBHOOK_URL", webhook_receiver.url)
    ops_env.setenv("OPENPOLICY_NOTIFICATION_CHANNELS", "email,webhook")
    sent = run_script("send-maintenance-notification.sh", "Planned upgrade", "2h")
    assert sent.returncode == 0, sent.stderr
    done = run_script("send-maintenance-complete.sh", "All done")
    assert done.returncode == 0, done.stderr
    assert [m["Subject"].split("] ")[1] for m in smtp_server.messages] == [
        "Maintenance: Planned upgrade",
        "Maintenance complete",
    ]
    assert [h["event"] for h in webhook_receiver.received] == [
        "maintenance.scheduled",
        "maintenance.complete",
    ]
    # The switch itself was not touched by the notices.
    assert ops_env.sql("SELECT count(*) FROM maintenance WHERE enabled") == [(0,)]
    enabled = run_script("enable-maintenance.sh", "Emergency", "15m")
    assert enabled.returncode == 0, enabled.stderr
    assert ops_env.sql("SELECT message FROM maintenance WHERE enabled") == [("Emergency",)]


def test_a_failing_channel_is_named_and_the_others_still_send(
    ops_env: OpsEnv, smtp_server: SmtpServer, webhook_receiver: WebhookReceiver
) -> None:
    smtp_server.configure(ops_env)
    webhook_receiver.status[0] = 500
    ops_env.setenv("OPENPOLICY_WEBHOOK_URL", webhook_receiver.url)
    ops_env.setenv("OPENPOLICY_NOTIFICATION_CHANNELS", "email,webhook")
    result = run_openpolicy("maintenance", "on", "--notify", "--message", "x")
    assert result.returncode == 1
    assert "notification failed on webhook" in result.stderr and "HTTP 500" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(smtp_server.messages) == 1  # e-mail went out anyway
    assert ops_env.sql("SELECT enabled FROM maintenance") == [(True,)]


def test_bad_until_is_rejected(ops_env: OpsEnv) -> None:
    result = run_openpolicy("maintenance", "on", "--until", "tomorrowish")
    assert result.returncode == 2
    assert "--until 'tomorrowish': expected an ISO time" in result.stderr
    try:
        parse_until("2020-01-01T00:00Z")
    except OpsInputError:  # pragma: no cover - parse accepts it; the switch refuses the past
        raise AssertionError("a past ISO time parses") from None
    past = run_openpolicy("maintenance", "on", "--until", "2020-01-01T00:00Z")
    assert past.returncode == 2 and "is in the past" in past.stderr
