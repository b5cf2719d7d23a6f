"""Incidents from the CLI, the e-mail template, and what /status will show."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from typer.testing import Result

from openpolicy.db import ReadConnection, connect_async
from openpolicy.queries import status
from tests.ops.conftest import OpsEnv, load_small_dataset, run_openpolicy


def test_incident_lifecycle_and_email_template(ops_env: OpsEnv, cli: Callable[..., Result]) -> None:
    opened = cli(
        "incident",
        "open",
        "--severity",
        "SEV2",
        "--impact",
        "Search returns no results",
        "--services",
        "api,web",
    )
    assert opened.exit_code == 0, opened.output
    assert opened.output.startswith("#1 SEV2 Investigating: Search returns no results")
    updated = cli("incident", "update", "--status", "Identified", "--note", "GIN index invalid")
    assert updated.exit_code == 0, updated.output
    email = cli("incident", "show", "1", "--format", "email")
    assert email.exit_code == 0
    text = email.stdout
    assert text.startswith(
        "Subject: [SEV2] [Identified] OpenPolicy incident #1: Search returns no results"
    )
    assert "Affected services: api, web" in text
    assert "[Investigating] Incident opened: Search returns no results" in text
    assert "[Identified] GIN index invalid" in text
    assert "Next update: by " in text
    resolved = cli("incident", "resolve", "--note", "Index rebuilt")
    assert resolved.exit_code == 0
    final = json.loads(cli("incident", "show", "1", "--format", "json").stdout)
    assert (
        final["status"] == "Resolved" and final["resolved_at"] and final["next_update_at"] is None
    )
    assert [u["status"] for u in final["updates"]] == ["Investigating", "Identified", "Resolved"]
    assert "post-incident review" in cli("incident", "show", "1", "--format", "email").stdout


T = TypeVar("T")


def read(ops_env: OpsEnv, query: Callable[[ReadConnection], Awaitable[T]]) -> T:
    """The query function's answer on a read connection (as the site and the API call it)."""

    async def run() -> T:
        async with connect_async(ops_env.url_string) as conn:
            return await query(conn)

    return asyncio.run(run())


def summary_of(ops_env: OpsEnv, *, forced: bool = False) -> dict[str, Any]:
    return read(ops_env, lambda conn: status.status_summary(conn, maintenance_forced=forced))


def test_status_queries_show_open_incidents_maintenance_and_freshness(ops_env: OpsEnv) -> None:
    load_small_dataset(ops_env.engine)
    assert summary_of(ops_env)["status"] == status.OPERATIONAL
    run = run_openpolicy(
        "incident", "open", "--severity", "SEV1", "--impact", "API down", "--services", "api"
    )
    assert run.returncode == 0, run.stderr
    ops_env.sql(
        "UPDATE data_sources SET last_success_at = now() - interval '3 days' WHERE name = 'hansard'"
    )
    summary = summary_of(ops_env)
    assert summary["status"] == status.MAJOR_OUTAGE
    assert [i["title"] for i in summary["incidents"]] == ["API down"]
    assert summary["incidents"][0]["updates"][0]["status"] == "Investigating"
    stale = {s["name"]: s["stale"] for s in summary["sources"]}
    assert stale == {"hansard": True, "votes": False}
    assert summary_of(ops_env, forced=True)["status"] == "maintenance"
    ops_env.sql("UPDATE incidents SET status = 'Resolved'")
    assert read(ops_env, status.open_incidents) == []
    assert summary_of(ops_env)["status"] == status.DEGRADED  # stale hansard


def test_bad_incident_input_is_exit_2_with_a_clear_line(ops_env: OpsEnv) -> None:
    bad = run_openpolicy("incident", "open", "--severity", "SEV9", "--impact", "x")
    assert (
        bad.returncode == 2 and "--severity 'SEV9': use one of SEV1, SEV2, SEV3, SEV4" in bad.stderr
    )
    none = run_openpolicy("incident", "update", "--note", "x")
    assert none.returncode == 2 and "no open incident" in none.stderr
    status_bad = run_openpolicy("incident", "open", "--severity", "2", "--impact", "Slow pages")
    assert status_bad.returncode == 0
    wrong = run_openpolicy("incident", "update", "--status", "Fixed", "--note", "x")
    assert wrong.returncode == 2 and "--status 'Fixed': use one of Investigating" in wrong.stderr
    assert "Traceback" not in bad.stderr + none.stderr + wrong.stderr


def test_asking_for_a_notice_without_a_channel_is_one_clear_error(
    ops_env: OpsEnv, cli: Callable[..., Result]
) -> None:
    """One rule everywhere: the change is made, then exit 2 names the missing setting."""
    opened = run_openpolicy(
        "incident", "open", "--severity", "SEV3", "--impact", "Slow search", "--notify"
    )
    assert opened.returncode == 2
    assert "notice not sent: no notification channel is configured" in opened.stderr
    assert "OPENPOLICY_NOTIFICATION_CHANNELS" in opened.stderr
    assert ops_env.sql("SELECT count(*) FROM incidents") == [(1,)]
    switched = run_openpolicy("maintenance", "on", "--notify")
    assert switched.returncode == 2 and "notice not sent" in switched.stderr
    assert ops_env.sql("SELECT count(*) FROM maintenance WHERE enabled") == [(1,)]
    notice_only = run_openpolicy("maintenance", "notify", "complete")
    assert notice_only.returncode == 2 and "notice not sent" in notice_only.stderr
    quiet = run_openpolicy("maintenance", "off")
    assert quiet.returncode == 0 and "notice" not in quiet.stderr
