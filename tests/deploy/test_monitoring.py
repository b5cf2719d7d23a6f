"""deploy/prometheus (config, alert rules and their promtool unit tests) and deploy/grafana
(dashboard and provisioning). promtool comes from Debian's `prometheus` package."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import CONTRACT_METRICS, DEPLOY, promtool, run

PROMETHEUS = DEPLOY / "prometheus"
RULES = PROMETHEUS / "rules" / "openpolicy-alerts.yml"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "openpolicy.json"
REQUIRED_ALERTS = {
    "HighErrorRate",
    "SlowAPIResponse",
    "ScraperFailure",
    "DatabaseDown",
    "PoolNearExhaustion",
    "BackupStale",
    "FidelityCheckFailed",
}
PROMQL_WORDS = {
    "sum", "max", "min", "count", "avg", "by", "without", "rate", "increase", "time", "or",
    "and", "unless", "vector", "histogram_quantile", "topk", "le", "on", "ignoring",
}  # fmt: skip


def alert_rules() -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def metric_names(expr: str) -> set[str]:
    """Identifiers of an expression that are metric names (not functions, labels, keywords)."""
    without_strings = re.sub(r'"[^"]*"', "", expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    without_grouping = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", without_labels)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_grouping)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", without_ranges))
    return {n for n in names if n not in PROMQL_WORDS and not n.startswith("$")}


# --- Prometheus -----------------------------------------------------------------------------


def test_promtool_accepts_the_scrape_config() -> None:
    result = run([promtool(), "check", "config", str(PROMETHEUS / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout + result.stderr


def test_promtool_accepts_the_rules() -> None:
    result = run([promtool(), "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass() -> None:
    assert RULE_TESTS
    result = run([promtool(), "test", "rules", *map(str, RULE_TESTS)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_rule_unit_tests_catch_a_wrong_threshold(tmp_path: Path) -> None:
    """The promtool tests are sensitive: raising HighErrorRate's threshold makes them fail."""
    shutil.copytree(PROMETHEUS, tmp_path / "prometheus")
    copied = tmp_path / "prometheus" / "rules" / RULES.name
    text = copied.read_text(encoding="utf-8")
    assert "> 0.05" in text
    copied.write_text(text.replace("> 0.05", "> 0.5"), encoding="utf-8")
    tests = sorted((tmp_path / "prometheus" / "tests").glob("*.yml"))
    result = run([promtool(), "test", "rules", *map(str, tests)])
    assert result.returncode != 0
    assert "alertname: HighErrorRate" in result.stdout + result.stderr


def test_required_alerts_are_defined_and_documented() -> None:
    rules = alert_rules()
    assert set(rules) >= REQUIRED_ALERTS
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), name
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{name.lower()}"


def test_alert_thresholds_match_the_issue() -> None:
    rules = alert_rules()
    compact = {name: " ".join(rule["expr"].split()) for name, rule in rules.items()}
    assert compact["SlowAPIResponse"].startswith("histogram_quantile(0.95,")
    assert compact["SlowAPIResponse"].endswith("> 1")
    assert compact["ScraperFailure"].endswith("> 24 * 3600")
    assert 'status=~"5.."' in compact["HighErrorRate"]
    assert compact["DatabaseDown"] == "database_up == 0"


def test_rules_use_only_metrics_the_application_exports() -> None:
    used: set[str] = set()
    for name, rule in alert_rules().items():
        names = metric_names(rule["expr"])
        assert names, name
        assert not names - CONTRACT_METRICS, (name, names - CONTRACT_METRICS)
        used |= names
    assert {"http_requests_total", "scraper_last_success_timestamp", "database_up"} <= used


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [Path(path.parent, f).resolve() for f in document["rule_files"]] == [RULES]
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                (fired if case["exp_alerts"] else silent).add(case["alertname"])
    assert fired == set(alert_rules())
    assert silent == set(alert_rules())


# --- Grafana --------------------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def panel_exprs() -> dict[str, list[str]]:
    return {p["title"]: [t["expr"] for t in p["targets"]] for p in dashboard()["panels"]}


def test_dashboard_covers_the_required_views() -> None:
    exprs = {title: " ".join(e) for title, e in panel_exprs().items()}
    required = {
        "Request rate": "rate(http_requests_total",
        "Error rate": 'http_requests_total{status=~"5.."}',
        "Latency percentiles": "http_request_duration_seconds_bucket",
        "Scraper freshness": "scraper_last_success_timestamp",
        "Connection pool usage": "db_pool_checked_out / (db_pool_capacity > 0)",
        "Backup age": "time() - max(backup_last_success_timestamp)",
    }
    for title, fragment in required.items():
        assert fragment in exprs[title], title
    quantiles = re.findall(r"histogram_quantile\((0\.\d+)", exprs["Latency percentiles"])
    assert quantiles == ["0.5", "0.95", "0.99"]


def test_dashboard_shape_and_datasource() -> None:
    board = dashboard()
    assert board["uid"] == "openpolicy-overview"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )["datasources"]
    uids = {d["uid"] for d in provisioned if d["type"] == "prometheus"}
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] in uids, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids, panel["title"]


def test_dashboard_uses_only_metrics_the_application_exports() -> None:
    for title, exprs in panel_exprs().items():
        for expr in exprs:
            unknown = metric_names(expr) - CONTRACT_METRICS
            assert not unknown, (title, unknown)


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each panel query (as a recording rule, Grafana variables filled in)."""
    rules = []
    for number, (title, exprs) in enumerate(panel_exprs().items()):
        for letter, expr in zip("ABCDEFGH", exprs, strict=False):
            concrete = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
            assert "$" not in concrete, (title, expr)
            rules.append({"record": f"dashboard:panel_{number}:{letter}", "expr": concrete})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8"
    )
    result = run([promtool(), "check", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


@pytest.mark.parametrize("broken", ["sum(rate(http_requests_total[5m])", "rate(x)"])
def test_the_promql_check_rejects_broken_queries(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(
        yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "r:x", "expr": broken}]}]}),
        encoding="utf-8",
    )
    assert run([promtool(), "check", "rules", str(path)]).returncode != 0
