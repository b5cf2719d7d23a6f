"""scripts/blue-green-deploy.sh, force-rollback.sh and emergency-scale.sh against a recording
stand-in for kubectl: the exact command sequence, and that failed checks never move traffic."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import KubectlStub
from .fake_service import CannedResponse, CannedService, healthy_routes, unhealthy_routes

IMAGE = "ghcr.io/openpolicy/openpolicy:1.4.0"
NS = ["--namespace", "openpolicy"]
GET_LIVE = [*NS, "get", "service", "openpolicy", "-o", "jsonpath={.spec.selector.env}"]


def patch_to(colour: str) -> list[str]:
    selector = '{"spec":{"selector":{"env":"' + colour + '"}}}'
    return [*NS, "patch", "service", "openpolicy", "--type=merge", "-p", selector]


def is_switch(call: list[str]) -> bool:
    return "patch" in call and "service" in call and "openpolicy" in call


def deploy_sequence(live: str, idle: str, port: int) -> list[list[str]]:
    return [
        GET_LIVE,
        [*NS, "delete", "job", "openpolicy-migrate", "--ignore-not-found", "--wait=true"],
        [*NS, "apply", "-f", "-"],
        [*NS, "wait", "--for=condition=complete", "--timeout=900s", "job/openpolicy-migrate"],
        [*NS, "apply", "-f", "-"],
        [*NS, "rollout", "status", f"deployment/openpolicy-{idle}", "--timeout=600s"],
        [*NS, "port-forward", f"service/openpolicy-{idle}", f"{port}:80"],
        patch_to(idle),
        [*NS, "port-forward", "service/openpolicy", f"{port}:80"],
        [*NS, "set", "image", "deployment/openpolicy-scrapers", f"scraper={IMAGE}"],
        [*NS, "set", "image", "cronjob/openpolicy-backup", f"backup={IMAGE}"],
        [*NS, "rollout", "status", "deployment/openpolicy-scrapers", "--timeout=600s"],
    ]


def service(tmp_path: Path, name: str, routes: dict[str, CannedResponse]) -> CannedService:
    return CannedService(routes=routes, request_log=tmp_path / f"{name}-requests.log")


def requested(service: CannedService) -> list[str]:
    assert service.request_log is not None
    if not service.request_log.exists():
        return []
    return service.request_log.read_text(encoding="utf-8").splitlines()


# --- blue-green-deploy.sh -------------------------------------------------------------------


@pytest.mark.parametrize(("live", "idle"), [("blue", "green"), ("green", "blue")])
def test_deploy_switches_to_the_idle_colour_after_checks_pass(
    kubectl: KubectlStub, tmp_path: Path, live: str, idle: str
) -> None:
    idle_service = service(tmp_path, "idle", healthy_routes())
    live_service = service(tmp_path, "live", healthy_routes())
    kubectl.answer("get", "service", "openpolicy", stdout=live)
    kubectl.serve("port-forward", f"service/openpolicy-{idle}", service=idle_service)
    kubectl.serve("port-forward", "service/openpolicy", service=live_service)

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 0, result.stdout + result.stderr
    assert kubectl.calls() == deploy_sequence(live, idle, kubectl.check_port)
    # Health check and smoke tests ran against the idle colour before the switch, and again
    # through the live service after it.
    assert {"/health", "/metrics"} <= set(requested(idle_service))
    assert {"/health", "/metrics"} <= set(requested(live_service))
    # The Job and the idle Deployment were applied with the new image; the live colour was
    # never touched (kept for instant rollback).
    job, deployment = kubectl.applied()
    assert (job["kind"], job["metadata"]["name"]) == ("Job", "openpolicy-migrate")
    assert (deployment["kind"], deployment["metadata"]["name"]) == (
        "Deployment",
        f"openpolicy-{idle}",
    )
    assert deployment["spec"]["template"]["metadata"]["labels"]["env"] == idle
    for manifest in (job, deployment):
        images = [c["image"] for c in manifest["spec"]["template"]["spec"]["containers"]]
        assert images == [IMAGE]
    assert not any(f"openpolicy-{live}" in " ".join(call) for call in kubectl.calls())
    assert f"{live} keeps running for instant rollback" in result.stdout


def test_failed_health_check_never_switches_traffic(kubectl: KubectlStub, tmp_path: Path) -> None:
    idle_service = service(tmp_path, "idle", unhealthy_routes())
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.serve("port-forward", "service/openpolicy-green", service=idle_service)

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 1
    assert kubectl.calls() == deploy_sequence("blue", "green", kubectl.check_port)[:7]
    assert not any(is_switch(call) for call in kubectl.calls())
    assert "FAIL: database check is 'unhealthy': connection refused" in result.stdout
    assert "checks failed against green; traffic stays on blue" in result.stderr


def test_failed_smoke_test_never_switches_traffic(kubectl: KubectlStub, tmp_path: Path) -> None:
    routes = healthy_routes()
    routes["/metrics"] = CannedResponse(500, "boom", "text/plain")
    kubectl.answer("get", "service", "openpolicy", stdout="green")
    kubectl.serve("port-forward", "service/openpolicy-blue", service=service(tmp_path, "i", routes))

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 1
    assert not any(is_switch(call) for call in kubectl.calls())
    assert "FAIL: GET /metrics answered 500, expected 200" in result.stdout
    assert "traffic stays on green" in result.stderr


def test_unready_idle_colour_is_never_checked_nor_switched_to(kubectl: KubectlStub) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.answer("rollout", "status", "deployment/openpolicy-green", exit=1)

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 1
    assert kubectl.calls() == deploy_sequence("blue", "green", kubectl.check_port)[:6]
    assert "openpolicy-green did not become ready; traffic stays on blue" in result.stderr


def test_failed_migration_stops_before_the_idle_colour_changes(kubectl: KubectlStub) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.answer("wait", "job/openpolicy-migrate", exit=1, stderr="timed out waiting\n")

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 1
    expected = deploy_sequence("blue", "green", kubectl.check_port)[:4]
    expected.append([*NS, "logs", "job/openpolicy-migrate", "--tail=100"])
    assert kubectl.calls() == expected
    assert [doc["kind"] for doc in kubectl.applied()] == ["Job"]
    assert "migration job failed; traffic stays on blue" in result.stderr


def test_port_forward_that_dies_counts_as_a_failed_check(kubectl: KubectlStub) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.answer("port-forward", exit=1, stderr="error: no ready endpoints\n")

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 1
    assert not any(is_switch(call) for call in kubectl.calls())
    assert "no ready endpoints" in result.stdout
    assert "traffic stays on blue" in result.stderr


def test_failed_check_after_the_switch_switches_straight_back(
    kubectl: KubectlStub, tmp_path: Path
) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.serve(
        "port-forward", "service/openpolicy-green", service=service(tmp_path, "i", healthy_routes())
    )
    kubectl.serve(
        "port-forward", "service/openpolicy", service=service(tmp_path, "l", unhealthy_routes())
    )

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 1
    expected = deploy_sequence("blue", "green", kubectl.check_port)[:9]
    expected.append(patch_to("blue"))
    assert kubectl.calls() == expected
    assert "switched back to blue" in result.stderr


def test_skip_migrations_runs_no_job(kubectl: KubectlStub, tmp_path: Path) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.serve("port-forward", service=service(tmp_path, "any", healthy_routes()))

    result = kubectl.run_script("blue-green-deploy.sh", "--skip-migrations", IMAGE)

    assert result.returncode == 0, result.stderr
    full = deploy_sequence("blue", "green", kubectl.check_port)
    assert kubectl.calls() == [full[0], *full[4:]]


def test_deploy_by_digest_puts_the_exact_reference_in_the_manifest(
    kubectl: KubectlStub, tmp_path: Path
) -> None:
    image = "ghcr.io/openpolicy/openpolicy@sha256:" + "ab12" * 16
    kubectl.answer("get", "service", "openpolicy", stdout="green")
    kubectl.serve("port-forward", service=service(tmp_path, "any", healthy_routes()))

    result = kubectl.run_script("blue-green-deploy.sh", "--skip-migrations", image)

    assert result.returncode == 0, result.stderr
    (deployment,) = kubectl.applied()
    assert deployment["metadata"]["name"] == "openpolicy-blue"
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == image
    assert [*NS, "set", "image", "deployment/openpolicy-scrapers", f"scraper={image}"] in (
        kubectl.calls()
    )


@pytest.mark.parametrize("selector", ["", "purple"])
def test_unexpected_live_selector_aborts_before_any_change(
    kubectl: KubectlStub, selector: str
) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout=selector)

    result = kubectl.run_script("blue-green-deploy.sh", IMAGE)

    assert result.returncode == 1
    assert kubectl.calls() == [GET_LIVE]
    assert f"selects env='{selector}'; expected blue or green" in result.stderr


@pytest.mark.parametrize(
    "image", ["ghcr.io/openpolicy/openpolicy", "openpolicy", "evil:1#x", "a:1 b", "-x:1"]
)
def test_image_without_tag_or_with_odd_characters_is_refused(
    kubectl: KubectlStub, image: str
) -> None:
    result = kubectl.run_script("blue-green-deploy.sh", image)

    assert result.returncode in {1, 2}
    assert kubectl.calls() == []


def test_deploy_without_image_prints_usage(kubectl: KubectlStub) -> None:
    result = kubectl.run_script("blue-green-deploy.sh")

    assert result.returncode == 2
    assert "usage: scripts/blue-green-deploy.sh" in result.stderr
    assert kubectl.calls() == []


# --- force-rollback.sh ----------------------------------------------------------------------


def test_rollback_switches_to_the_other_colour_when_it_is_ready(kubectl: KubectlStub) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="green")
    kubectl.answer("get", "deployment", "openpolicy-blue", stdout="2")

    result = kubectl.run_script("force-rollback.sh")

    assert result.returncode == 0, result.stderr
    assert kubectl.calls() == [
        GET_LIVE,
        [*NS, "get", "deployment", "openpolicy-blue", "-o", "jsonpath={.status.readyReplicas}"],
        patch_to("blue"),
    ]
    assert "service/openpolicy now selects blue (was green)" in result.stdout


def test_rollback_scales_up_a_colour_with_no_ready_pod_before_switching(
    kubectl: KubectlStub,
) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.answer("get", "deployment", "openpolicy-green", stdout="")

    result = kubectl.run_script("force-rollback.sh", "--with-scrapers")

    assert result.returncode == 0, result.stderr
    assert kubectl.calls() == [
        GET_LIVE,
        [*NS, "get", "deployment", "openpolicy-green", "-o", "jsonpath={.status.readyReplicas}"],
        [*NS, "scale", "deployment/openpolicy-green", "--replicas=2"],
        [*NS, "rollout", "status", "deployment/openpolicy-green", "--timeout=300s"],
        patch_to("green"),
        [*NS, "rollout", "undo", "deployment/openpolicy-scrapers"],
        [*NS, "rollout", "status", "deployment/openpolicy-scrapers", "--timeout=300s"],
    ]


def test_rollback_never_switches_to_a_colour_that_does_not_become_ready(
    kubectl: KubectlStub,
) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.answer("get", "deployment", "openpolicy-green", stdout="0")
    kubectl.answer("rollout", "status", exit=1)

    result = kubectl.run_script("force-rollback.sh")

    assert result.returncode == 1
    assert not any(is_switch(call) for call in kubectl.calls())
    assert "traffic stays on blue" in result.stderr


def test_rollback_to_the_live_colour_is_refused(kubectl: KubectlStub) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="green")

    result = kubectl.run_script("force-rollback.sh", "--to", "green")

    assert result.returncode == 1
    assert kubectl.calls() == [GET_LIVE]
    assert "already selects green" in result.stderr


@pytest.mark.parametrize("args", [["--to", "purple"], ["--to"], ["--bogus"]])
def test_rollback_usage_errors_touch_nothing(kubectl: KubectlStub, args: list[str]) -> None:
    result = kubectl.run_script("force-rollback.sh", *args)

    assert result.returncode == 2
    assert kubectl.calls() == []


# --- emergency-scale.sh ---------------------------------------------------------------------


@pytest.mark.parametrize(("replicas", "expected_max"), [(8, 10), (15, 15)])
def test_emergency_scale_api_raises_the_live_autoscaler_and_scales(
    kubectl: KubectlStub, replicas: int, expected_max: int
) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="blue")
    kubectl.answer("get", "hpa", "openpolicy-blue", stdout="10")

    result = kubectl.run_script("emergency-scale.sh", "api", str(replicas))

    assert result.returncode == 0, result.stderr
    spec = f'{{"spec":{{"minReplicas":{replicas},"maxReplicas":{expected_max}}}}}'
    assert kubectl.calls() == [
        GET_LIVE,
        [*NS, "get", "hpa", "openpolicy-blue", "-o", "jsonpath={.spec.maxReplicas}"],
        [*NS, "patch", "hpa", "openpolicy-blue", "--type=merge", "-p", spec],
        [*NS, "scale", "deployment/openpolicy-blue", f"--replicas={replicas}"],
        [*NS, "rollout", "status", "deployment/openpolicy-blue", "--timeout=300s"],
    ]


@pytest.mark.parametrize("replicas", ["0", "6"])
def test_emergency_scale_scrapers(kubectl: KubectlStub, replicas: str) -> None:
    result = kubectl.run_script("emergency-scale.sh", "scrapers", replicas)

    assert result.returncode == 0, result.stderr
    assert kubectl.calls() == [
        [*NS, "scale", "deployment/openpolicy-scrapers", f"--replicas={replicas}"],
        [*NS, "rollout", "status", "deployment/openpolicy-scrapers", "--timeout=300s"],
    ]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["api", "0"], 1),
        (["api", "500"], 1),
        (["api", "lots"], 2),
        (["api", "-3"], 2),
        (["web", "3"], 2),
        (["api"], 2),
    ],
)
def test_emergency_scale_refuses_bad_requests_without_calling_kubectl(
    kubectl: KubectlStub, args: list[str], code: int
) -> None:
    result = kubectl.run_script("emergency-scale.sh", *args)

    assert result.returncode == code
    assert kubectl.calls() == []


def test_emergency_scale_api_aborts_on_unexpected_selector(kubectl: KubectlStub) -> None:
    kubectl.answer("get", "service", "openpolicy", stdout="")

    result = kubectl.run_script("emergency-scale.sh", "api", "4")

    assert result.returncode == 1
    assert kubectl.calls() == [GET_LIVE]
