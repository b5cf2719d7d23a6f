"""scripts/health-check.sh and scripts/smoke-tests.sh against a canned HTTP service on loopback
(it stands in for a remote deployment), plus the committed environment and route files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import DEPLOY, SCRIPTS, base_env, free_loopback_port, require_tool, run
from .fake_service import (
    HEALTHY_BODY,
    CannedResponse,
    CannedService,
    committed_smoke_routes,
    health_body,
    healthy_routes,
    start_server,
    unhealthy_routes,
)


@pytest.fixture(autouse=True)
def _needs_curl() -> None:
    require_tool("curl", "apt-get install curl")
    require_tool("python3", "apt-get install python3")


def run_script(
    script: str, target: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = base_env()
    env["OPENPOLICY_CHECK_TIMEOUT"] = "5"
    env.update(extra_env or {})
    return run([str(SCRIPTS / script), target], env=env, timeout=60)


def fail_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAIL:")]


# --- health-check.sh ------------------------------------------------------------------------


def test_health_check_passes_on_a_healthy_service() -> None:
    service = CannedService(healthy_routes())
    with start_server(service) as url:
        result = run_script("health-check.sh", url)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == (
        f"OK: {url} healthy (version 1.4.0; database 1.2 ms; redis 0.4 ms)"
    )
    assert service.requests == ["/health"]


def test_health_check_reports_http_status_and_the_failing_database_check() -> None:
    with start_server(CannedService(unhealthy_routes())) as url:
        result = run_script("health-check.sh", url + "/")

    assert result.returncode == 1
    assert fail_lines(result.stdout) == [
        f"FAIL: GET {url}/health answered HTTP 503",
        "FAIL: database check is 'unhealthy': connection refused",
    ]


def test_health_check_fails_on_an_unhealthy_redis_check_even_with_http_200() -> None:
    body = health_body(
        database={"status": "healthy", "latency_ms": 2.0},
        redis={"status": "unhealthy", "error": "timeout after 1s"},
    )
    with start_server(CannedService({"/health": CannedResponse(200, body)})) as url:
        result = run_script("health-check.sh", url)

    assert result.returncode == 1
    assert fail_lines(result.stdout) == ["FAIL: redis check is 'unhealthy': timeout after 1s"]


def test_health_check_passes_without_a_redis_check() -> None:
    body = health_body(database={"status": "healthy", "latency_ms": 0.8})
    with start_server(CannedService({"/health": CannedResponse(200, body)})) as url:
        result = run_script("health-check.sh", url)

    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith(f"OK: {url} healthy (version 1.4.0; database 0.8 ms)")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            health_body(status="degraded", database={"status": "healthy"}),
            ["FAIL: /health reports status 'degraded', expected 'healthy'"],
        ),
        (health_body(redis={"status": "healthy"}), ["FAIL: /health has no database check"]),
        ('{"status": "healthy", "version": "1"}', ["FAIL: /health has no checks"]),
        ("<html>ok</html>", ["FAIL: /health did not answer a JSON object"]),
    ],
)
def test_health_check_rejects_a_200_that_is_not_healthy(body: str, expected: list[str]) -> None:
    with start_server(CannedService({"/health": CannedResponse(200, body)})) as url:
        result = run_script("health-check.sh", url)

    assert result.returncode == 1
    assert fail_lines(result.stdout) == expected


def test_health_check_reports_an_unreachable_service_in_one_line() -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}"
    result = run_script("health-check.sh", url)

    assert result.returncode == 1
    (line,) = fail_lines(result.stdout)
    assert line.startswith(f"FAIL: cannot reach {url}/health: curl: (7)")


def test_health_check_resolves_an_environment_name(tmp_path: Path) -> None:
    with start_server(CannedService(healthy_routes())) as url:
        (tmp_path / "canary.env").write_text(
            f"# test environment\nOPENPOLICY_BASE_URL={url}/\n", encoding="utf-8"
        )
        result = run_script(
            "health-check.sh", "canary", {"OPENPOLICY_ENVIRONMENTS_DIR": str(tmp_path)}
        )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"OK: {url} healthy")


@pytest.mark.parametrize("script", ["health-check.sh", "smoke-tests.sh"])
def test_unknown_environment_is_a_usage_error(script: str) -> None:
    result = run_script(script, "nowhere")

    assert result.returncode == 2
    assert "unknown environment 'nowhere'" in result.stderr
    assert "deploy/environments/nowhere.env" in result.stderr


@pytest.mark.parametrize("script", ["health-check.sh", "smoke-tests.sh"])
def test_environment_file_without_url_is_a_usage_error(script: str, tmp_path: Path) -> None:
    (tmp_path / "broken.env").write_text("SOMETHING_ELSE=1\n", encoding="utf-8")
    result = run_script(script, "broken", {"OPENPOLICY_ENVIRONMENTS_DIR": str(tmp_path)})

    assert result.returncode == 2
    assert "has no OPENPOLICY_BASE_URL=" in result.stderr


def test_committed_environments_hold_only_a_base_url() -> None:
    names = sorted(path.stem for path in (DEPLOY / "environments").glob("*.env"))
    assert {"production", "staging", "local"} <= set(names)
    for name in names:
        lines = (DEPLOY / "environments" / f"{name}.env").read_text(encoding="utf-8").splitlines()
        settings = [line for line in lines if line.strip() and not line.startswith("#")]
        assert len(settings) == 1, (name, settings)
        assert re.fullmatch(r"OPENPOLICY_BASE_URL=https?://[A-Za-z0-9.:-]+/?", settings[0])


# --- smoke-tests.sh -------------------------------------------------------------------------


def test_committed_smoke_routes_start_with_health_and_metrics() -> None:
    lines = (SCRIPTS / "smoke-routes.txt").read_text(encoding="utf-8").splitlines()
    routes = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    assert routes[:2] == [["/health", "200"], ["/metrics", "200"]]
    assert all(len(route) == 2 and route[0].startswith("/") for route in routes)


def test_smoke_tests_pass_on_a_healthy_service() -> None:
    service = CannedService(healthy_routes())
    with start_server(service) as url:
        result = run_script("smoke-tests.sh", url)

    assert result.returncode == 0, result.stdout + result.stderr
    assert fail_lines(result.stdout) == []
    assert re.search(r"^ok   GET /health 200 \([0-9.]+s\)$", result.stdout, re.MULTILINE)
    assert re.search(r"^ok   GET /metrics 200 ", result.stdout, re.MULTILINE)
    routes = [path for path, _ in committed_smoke_routes()]
    assert len(routes) > 2  # the API and web routes are part of the smoke test
    assert "/api/v1/status" in routes and "/fr" in routes
    assert result.stdout.splitlines()[-1] == (
        f"smoke tests against {url}: {len(routes)} ok, 0 failing"
    )
    assert service.requests == routes


def test_smoke_tests_report_each_failing_route_in_one_line() -> None:
    routes = unhealthy_routes()
    routes["/metrics"] = CannedResponse(500, "boom", "text/plain")
    with start_server(CannedService(routes)) as url:
        result = run_script("smoke-tests.sh", url)

    assert result.returncode == 1
    assert fail_lines(result.stdout) == [
        "FAIL: GET /health answered 503, expected 200",
        "FAIL: GET /metrics answered 500, expected 200",
    ]
    others = len(committed_smoke_routes()) - 2
    assert result.stdout.splitlines()[-1].endswith(f": {others} ok, 2 failing")


def test_smoke_routes_file_with_comments_redirects_and_not_found(tmp_path: Path) -> None:
    routes_file = tmp_path / "routes.txt"
    routes_file.write_text(
        "# comment line\n\n/health 200   # trailing comment\n/old-bills 302\n/missing 404\n",
        encoding="utf-8",
    )
    routes = {
        "/health": CannedResponse(200, HEALTHY_BODY),
        "/old-bills": CannedResponse(302, "", "text/plain"),
    }
    service = CannedService(routes)
    with start_server(service) as url:
        result = run_script("smoke-tests.sh", url, {"OPENPOLICY_SMOKE_ROUTES": str(routes_file)})

    assert result.returncode == 0, result.stdout
    assert service.requests == ["/health", "/old-bills", "/missing"]


@pytest.mark.parametrize("bad_line", ["/health", "health 200", "/health 2000", "/a 200 extra"])
def test_malformed_routes_file_is_refused_before_any_request(tmp_path: Path, bad_line: str) -> None:
    routes_file = tmp_path / "routes.txt"
    routes_file.write_text(f"/metrics 200\n{bad_line}\n", encoding="utf-8")
    service = CannedService(healthy_routes())
    with start_server(service) as url:
        result = run_script("smoke-tests.sh", url, {"OPENPOLICY_SMOKE_ROUTES": str(routes_file)})

    assert result.returncode == 2
    assert f"routes.txt:2: expected '/path STATUS', got '{bad_line}'" in result.stderr
    assert service.requests == []


def test_smoke_tests_report_an_unreachable_service_per_route() -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}"
    result = run_script("smoke-tests.sh", url)

    assert result.returncode == 1
    lines = fail_lines(result.stdout)
    expected = [f"GET {path}" for path, _ in committed_smoke_routes()]
    assert [line.split(":")[1].strip() for line in lines] == expected
    assert all("cannot reach" in line for line in lines)


@pytest.mark.parametrize("script", ["health-check.sh", "smoke-tests.sh"])
@pytest.mark.parametrize("args", [[], ["a", "b"], ["../etc/passwd"]])
def test_usage_errors(script: str, args: list[str]) -> None:
    result = run([str(SCRIPTS / script), *args], env=base_env())

    assert result.returncode == 2
    assert result.stderr.strip()
