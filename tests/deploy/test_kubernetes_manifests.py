"""deploy/k8s/: validated offline against the Kubernetes schemas (kubernetes-validate
--strict), and checked for the shape blue-green deployment relies on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import DEPLOY, SCRIPTS, load_yaml_documents, require_tool, run

K8S = DEPLOY / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))
COLOURS = ("blue", "green")
Resources = dict[tuple[str, str], dict[str, Any]]


def kubernetes_validate() -> str:
    return require_tool("kubernetes-validate", "pip install kubernetes-validate (test extra)")


@pytest.fixture(scope="module")
def resources() -> Resources:
    found: Resources = {}
    for path in MANIFESTS:
        for doc in load_yaml_documents(path):
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in found, f"{key} defined twice"
            found[key] = doc
    return found


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    if resource["kind"] == "CronJob":
        spec: dict[str, Any] = resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    spec = resource["spec"]["template"]["spec"]
    return spec


def workloads(resources: Resources) -> Iterator[dict[str, Any]]:
    kinds = {"Deployment", "StatefulSet", "Job", "CronJob"}
    yield from (r for (kind, _), r in resources.items() if kind in kinds)


def test_every_manifest_validates_strictly_against_the_kubernetes_schemas() -> None:
    assert MANIFESTS
    result = run([kubernetes_validate(), "--strict", *map(str, MANIFESTS)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout + result.stderr


def test_the_validator_rejects_an_unknown_field(tmp_path: Path) -> None:
    """kubernetes-validate --strict is a real check: a misspelt field fails."""
    broken = tmp_path / "deployment.yaml"
    doc = yaml.safe_load((K8S / "deployment-blue.yaml").read_text(encoding="utf-8"))
    doc["spec"]["template"]["spec"]["containers"][0]["readynessProbe"] = {}
    broken.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run([kubernetes_validate(), "--strict", str(broken)])
    assert result.returncode != 0
    assert "readynessProbe" in result.stdout + result.stderr


def test_everything_lives_in_the_openpolicy_namespace(resources: Resources) -> None:
    assert ("Namespace", "openpolicy") in resources
    for (kind, name), resource in resources.items():
        if kind != "Namespace":
            assert resource["metadata"].get("namespace") == "openpolicy", (kind, name)


def test_no_secret_is_committed_only_referenced(resources: Resources) -> None:
    assert not any(kind == "Secret" for kind, _ in resources)
    referenced: set[str] = set()
    for workload in workloads(resources):
        for container in pod_spec(workload)["containers"]:
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "openpolicy-secrets"
                    referenced.add(ref["key"])
            assert not any("secretRef" in source for source in container.get("envFrom", []))
    assert referenced == {
        "database-url",
        "database-replica-urls",
        "secret-key",
        "postgres-password",
        "aws-access-key-id",
        "aws-secret-access-key",
    }
    how_to = (K8S / "config.yaml").read_text(encoding="utf-8")
    for key in referenced:
        assert f"--from-literal={key}=" in how_to, f"config.yaml must say how to create {key}"
    assert not re.search(r"(?i)password:\s*\S", how_to)


def colour_labels(colour: str) -> dict[str, str]:
    return {"app": "openpolicy", "component": "api", "env": colour}


@pytest.mark.parametrize("colour", COLOURS)
def test_colour_deployments_are_labelled(resources: Resources, colour: str) -> None:
    deployment = resources[("Deployment", f"openpolicy-{colour}")]
    assert deployment["metadata"]["labels"] == colour_labels(colour)
    assert deployment["spec"]["selector"]["matchLabels"] == colour_labels(colour)
    assert deployment["spec"]["template"]["metadata"]["labels"] == colour_labels(colour)
    # The HorizontalPodAutoscaler owns the replica count: re-applying must not reset it.
    assert "replicas" not in deployment["spec"]
    (container,) = pod_spec(deployment)["containers"]
    assert container["command"] == ["openpolicy", "serve", "--host", "0.0.0.0", "--port", "8000"]


def test_green_is_blue_with_the_colour_swapped() -> None:
    def body(name: str) -> list[str]:
        text = (K8S / name).read_text(encoding="utf-8")
        return [line for line in text.splitlines() if not line.lstrip().startswith("#")]

    swapped = [
        line.replace("green", "\0").replace("blue", "green").replace("\0", "blue")
        for line in body("deployment-green.yaml")
    ]
    assert swapped == body("deployment-blue.yaml")


def test_live_service_selects_exactly_one_colour(resources: Resources) -> None:
    selector = resources[("Service", "openpolicy")]["spec"]["selector"]
    assert selector["env"] in COLOURS
    assert selector["app"] == "openpolicy"

    def selects(labels: dict[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in selector.items())

    pods = {
        name: pod_labels
        for (kind, name), r in resources.items()
        if kind in {"Deployment", "StatefulSet"}
        for pod_labels in [r["spec"]["template"]["metadata"]["labels"]]
    }
    assert [name for name, labels in pods.items() if selects(labels)] == [
        f"openpolicy-{selector['env']}"
    ]
    for colour in COLOURS:
        preview = resources[("Service", f"openpolicy-{colour}")]["spec"]
        assert preview["selector"] == colour_labels(colour)
        assert preview["ports"][0]["port"] == 80  # scripts port-forward to :80


@pytest.mark.parametrize("colour", COLOURS)
def test_probes_ask_liveness_and_readiness(resources: Resources, colour: str) -> None:
    (container,) = pod_spec(resources[("Deployment", f"openpolicy-{colour}")])["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    # Started and alive: the process answers (no dependency: an outage never restarts pods).
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/livez", "port": "http"}, probe
    # Ready: the database answers; an unready pod leaves the Service, it is not restarted.
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    # No probe reads /health (Redis or a worker being down only degrades it).
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] != "/health"
    liveness, readiness = container["livenessProbe"], container["readinessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > (
        readiness["periodSeconds"] * readiness["failureThreshold"]
    )


def test_config_names_the_public_site_and_the_proxies(resources: Resources) -> None:
    data = resources[("ConfigMap", "openpolicy-config")]["data"]
    assert data["OPENPOLICY_ENVIRONMENT"] == "production"
    assert data["OPENPOLICY_SITE_URL"].startswith("https://")  # production requires it
    assert data["OPENPOLICY_TRUSTED_PROXIES"]


def test_every_container_has_requests_limits_and_a_locked_down_context(
    resources: Resources,
) -> None:
    for workload in workloads(resources):
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, workload["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), where
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where


def test_scrapers_are_their_own_scalable_deployment(resources: Resources) -> None:
    scrapers = resources[("Deployment", "openpolicy-scrapers")]
    labels = {"app": "openpolicy", "component": "scraper"}
    assert scrapers["metadata"]["labels"] == labels
    assert scrapers["spec"]["selector"]["matchLabels"] == labels
    assert scrapers["spec"]["replicas"] >= 1
    (container,) = pod_spec(scrapers)["containers"]
    assert container["command"] == ["openpolicy", "worker"]
    # The name scripts/blue-green-deploy.sh uses in `kubectl set image`.
    assert container["name"] == "scraper"
    assert "scraper=$image" in (SCRIPTS / "blue-green-deploy.sh").read_text(encoding="utf-8")


def test_migration_job_and_backup_cronjob(resources: Resources) -> None:
    job = resources[("Job", "openpolicy-migrate")]
    (migrate,) = pod_spec(job)["containers"]
    assert migrate["command"] == ["openpolicy", "db", "upgrade"]
    assert pod_spec(job)["restartPolicy"] == "Never"

    cron = resources[("CronJob", "openpolicy-backup")]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    (backup,) = pod_spec(cron)["containers"]
    assert backup["name"] == "backup"
    script = backup["command"][-1]
    assert script.index("openpolicy backup create") < script.index("openpolicy backup upload")
    assert "&&" in script, "upload must only run after a successful create"
    mounts = {m["mountPath"] for m in backup["volumeMounts"]}
    config = resources[("ConfigMap", "openpolicy-config")]["data"]
    assert config["OPENPOLICY_BACKUP_DIR"] in mounts


def test_one_image_everywhere_and_one_image_line_per_rendered_manifest(
    resources: Resources,
) -> None:
    images = {
        c["image"]
        for w in workloads(resources)
        if w["metadata"].get("labels", {}).get("app") == "openpolicy"
        for c in pod_spec(w)["containers"]
    }
    assert len(images) == 1
    # blue-green-deploy.sh rewrites every `image:` line of these files to the new image.
    for name in ("migration-job.yaml", "deployment-blue.yaml", "deployment-green.yaml"):
        text = (K8S / name).read_text(encoding="utf-8")
        assert len(re.findall(r"^\s*image:", text, re.MULTILINE)) == 1, name


@pytest.mark.parametrize("colour", COLOURS)
def test_autoscaler_and_disruption_budget_per_colour(resources: Resources, colour: str) -> None:
    hpa = resources[("HorizontalPodAutoscaler", f"openpolicy-{colour}")]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"openpolicy-{colour}",
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = resources[("PodDisruptionBudget", f"openpolicy-{colour}")]
    assert pdb["spec"]["selector"]["matchLabels"] == colour_labels(colour)
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def test_network_policies(resources: Resources) -> None:
    policies = {name: r["spec"] for (kind, name), r in resources.items() if kind == "NetworkPolicy"}
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    api_in = policies["openpolicy-api-ingress"]
    assert api_in["podSelector"]["matchLabels"] == {"app": "openpolicy", "component": "api"}
    assert api_in["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8000}]}]
    for store, port in (("postgres", 5432), ("redis", 6379), ("postgres-replica", 5432)):
        spec = policies[f"{store}-ingress"]
        assert spec["podSelector"]["matchLabels"] == {"app": store}
        assert spec["ingress"][0] == {
            "from": [{"podSelector": {"matchLabels": {"app": "openpolicy"}}}],
            "ports": [{"protocol": "TCP", "port": port}],
        }
        # Only the primary lets anyone else in: its streaming replicas.
        assert spec["ingress"][1:] == (
            [
                {
                    "from": [{"podSelector": {"matchLabels": {"app": "postgres-replica"}}}],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                }
            ]
            if store == "postgres"
            else []
        )
        service = resources[("Service", store)]
        assert service["spec"]["selector"] == {"app": store}
        assert service["spec"]["ports"][0]["port"] == port


def test_config_points_at_the_in_cluster_services(resources: Resources) -> None:
    config = resources[("ConfigMap", "openpolicy-config")]["data"]
    assert config["REDIS_URL"] == "redis://redis:6379/0"
    assert all(isinstance(value, str) for value in config.values())
    secret_like = re.compile(r"(?i)(secret|password|token|key)")
    assert not [key for key in config if secret_like.search(key)]


def test_manifests_carry_no_server_set_fields(resources: Resources) -> None:
    """The idle deployment is applied from the file: no status or server-set fields."""
    for resource in resources.values():
        assert "status" not in resource
        assert not {"uid", "resourceVersion", "creationTimestamp"} & set(resource["metadata"])


def test_streaming_replicas_of_the_primary(resources: Resources) -> None:
    """postgres-replica.yaml: hot standbys built by deploy/postgres/standby.sh, each with a
    stable name, that the API and web pods read when `database-replica-urls` names them."""
    scripts = resources[("ConfigMap", "postgres-replication")]["data"]
    for name in ("allow-replication.sh", "standby.sh"):
        assert scripts[name] == (DEPLOY / "postgres" / name).read_text()
    service = resources[("Service", "postgres-replica")]["spec"]
    assert service["clusterIP"] == "None"  # postgres-replica-0.postgres-replica, -1…
    replicas = resources[("StatefulSet", "postgres-replica")]
    assert replicas["spec"]["serviceName"] == "postgres-replica"
    assert replicas["spec"]["replicas"] >= 2
    (container,) = pod_spec(replicas)["containers"]
    assert container["command"] == ["/bin/sh", "/scripts/standby.sh"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PRIMARY_HOST"]["value"] == "postgres"
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "postgres-password"
    (primary,) = pod_spec(resources[("StatefulSet", "postgres")])["containers"]
    assert any(m["mountPath"] == "/docker-entrypoint-initdb.d" for m in primary["volumeMounts"])
    for colour in COLOURS:
        (app,) = pod_spec(resources[("Deployment", f"openpolicy-{colour}")])["containers"]
        reference = {e["name"]: e for e in app["env"]}["DATABASE_REPLICA_URLS"]
        assert reference["valueFrom"]["secretKeyRef"] == {
            "name": "openpolicy-secrets",
            "key": "database-replica-urls",
            "optional": True,
        }
    egress = resources[("NetworkPolicy", "openpolicy-api-egress")]["spec"]["egress"]
    assert {"podSelector": {"matchLabels": {"app": "postgres-replica"}}} in egress[0]["to"]
