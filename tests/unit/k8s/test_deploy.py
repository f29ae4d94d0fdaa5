"""`ifz k8s deploy|status|delete` against kmock's in-memory Kubernetes API on 127.0.0.1.

A thread plays the KubeRay operator: it patches the RayService status the way KubeRay does.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import yaml
from kubernetes import client

from ops.cli.main import main
from ops.k8s.client import KubeClient, KubeError, apply_order, object_path
from ops.k8s.rayservice import RayServiceRenderer, load_values
from ops.k8s.status import RayServiceStatus

NS = "ifz"
NAME = "interfaze-serve"


def kuberay_status(ready: bool, app: str = "RUNNING", **extra) -> dict:
    deployments = {
        "router": {"status": "HEALTHY" if ready else "UPDATING"},
        "llm": {"status": "HEALTHY" if ready else "UPDATING", "message": "" if ready else "vLLM"},
    }
    return {
        "observedGeneration": 1,
        "serviceStatus": "Running" if ready else "",
        "numServeEndpoints": 2 if ready else 0,
        "conditions": [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "reason": "NonZeroServeEndpoints" if ready else "Initializing",
                "message": "",
            },
            {"type": "UpgradeInProgress", "status": "False", "reason": "NoPendingCluster"},
        ],
        "activeServiceStatus": {
            "rayClusterName": "interfaze-serve-abcde",
            "applicationStatuses": {
                "interfaze": {"status": app, "serveDeploymentStatuses": deployments}
            },
        },
        **extra,
    }


def operator(kube, name: str, steps: list[tuple[float, dict]]) -> threading.Thread:
    api = client.CustomObjectsApi(kube.api_client())

    def run() -> None:
        for delay, status in steps:
            time.sleep(delay)
            api.patch_namespaced_custom_object_status(
                "ray.io", "v1", NS, "rayservices", name, {"status": status}
            )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_deploy_applies_server_side_and_waits_until_ready(kube, capsys):
    thread = operator(
        kube, NAME, [(1.0, kuberay_status(False, "DEPLOYING")), (1.0, kuberay_status(True))]
    )
    rc = main(["k8s", "deploy", "--server", kube.url, "-n", NS, "--timeout", "30"])
    thread.join(5)
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"applied RayService {NS}/{NAME}" in out
    assert "interfaze=DEPLOYING" in out  # progress while waiting
    assert "application interfaze: RUNNING" in out
    assert "deployment llm: HEALTHY" in out and "deployment router: HEALTHY" in out
    [patch] = [r for r in kube.requests("PATCH") if not r.subresource]
    assert patch.headers["Content-Type"] == "application/apply-patch+yaml"
    assert patch.params == {"fieldManager": "ifz", "force": "true"}
    stored = KubeClient(kube.api_client(), NS).get_rayservice(NAME)
    expected = RayServiceRenderer(load_values(), namespace=NS).render()
    assert stored["spec"] == expected["spec"]


def test_deploy_times_out_with_the_last_status(kube, capsys):
    thread = operator(kube, NAME, [(0.5, kuberay_status(False, "DEPLOY_FAILED"))])
    kc = KubeClient(kube.api_client(), NS)
    kc.apply(RayServiceRenderer(load_values()).render())
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="application interfaze: DEPLOY_FAILED"):
        kc.wait_ready(NAME, timeout_s=3, window_s=1)
    assert time.monotonic() - started < 10
    thread.join(5)


def test_status_command(kube, capsys):
    args = ["k8s", "status", "--server", kube.url, "-n", NS]
    assert main(args) == 1
    assert "not found" in capsys.readouterr().err
    KubeClient(kube.api_client(), NS).apply(RayServiceRenderer(load_values()).render())
    operator(kube, NAME, [(0, kuberay_status(False, "DEPLOYING"))]).join(5)
    assert main(args) == 3  # exists, not ready
    assert "ready: no" in capsys.readouterr().out
    operator(kube, NAME, [(0, kuberay_status(True))]).join(5)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "condition Ready=True (NonZeroServeEndpoints)" in out
    assert "active cluster interfaze-serve-abcde" in out


def test_deploy_from_the_chart_applies_every_object_then_deletes(kube, helm, capsys):
    source = [
        "--chart",
        "--set",
        "grafana.dashboards.enabled=true",
        "--set",
        "metrics.podMonitor.enabled=true",
    ]
    rc = main(["k8s", "deploy", *source, "--server", kube.url, "-n", NS, "--no-wait"])
    out = capsys.readouterr().out
    assert rc == 0, out
    applied = [line.split()[1] for line in out.splitlines() if line.startswith("applied")]
    assert applied == ["ConfigMap", "PodMonitor", "RayService"]
    assert main(["k8s", "delete", *source, "--server", kube.url, "-n", NS]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"deleted: RayService {NS}/{NAME}"
    assert KubeClient(kube.api_client(), NS).get_rayservice(NAME) is None
    assert main(["k8s", "delete", "--name", NAME, "--server", kube.url, "-n", NS]) == 0
    assert "not found: RayService" in capsys.readouterr().out


def test_deploy_dry_run_prints_without_applying(kube, capsys):
    args = ["k8s", "deploy", "--dry-run", "--profile", "gpu", "--server", kube.url, "-n", NS]
    assert main(args) == 0
    [obj] = list(yaml.safe_load_all(capsys.readouterr().out))
    assert obj["kind"] == "RayService"
    assert not kube.requests("PATCH")


def test_object_paths_apply_order_and_missing_objects(kube):
    kc = KubeClient(kube.api_client(), NS)
    obj = {"apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "x"}}
    with pytest.raises(KubeError, match=f"RayService {NS}/x not found"):
        kc.status("x")
    assert object_path(obj, NS) == f"/apis/ray.io/v1/namespaces/{NS}/rayservices/x"
    core = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert object_path(core, NS) == f"/api/v1/namespaces/{NS}/configmaps/c"
    assert [o["kind"] for o in apply_order([obj, core])] == ["ConfigMap", "RayService"]


@pytest.mark.parametrize(
    ("status", "ready"),
    [
        (kuberay_status(True), True),
        (kuberay_status(False), False),
        (kuberay_status(True, app="DEPLOYING"), False),
        ({**kuberay_status(True), "observedGeneration": 1}, True),
        ({"serviceStatus": "Running", **kuberay_status(True, conditions=[])}, True),
    ],
)
def test_status_readiness(status, ready):
    obj = {"metadata": {"name": NAME, "generation": 1}, "status": status}
    assert RayServiceStatus.from_object(obj).ready is ready


def test_status_during_an_upgrade():
    status = kuberay_status(True)
    status["conditions"][1] = {"type": "UpgradeInProgress", "status": "True", "reason": "x"}
    status["pendingServiceStatus"] = {
        "rayClusterName": "interfaze-serve-fghij",
        "targetCapacity": 20,
        "trafficRoutedPercent": 10,
        "applicationStatuses": {"interfaze": {"status": "DEPLOYING"}},
    }
    obj = {"metadata": {"name": NAME, "generation": 2}, "status": status}
    parsed = RayServiceStatus.from_object(obj)
    assert not parsed.ready
    text = parsed.render()
    assert "spec generation 2 not yet observed" in text
    assert "pending cluster interfaze-serve-fghij (target capacity 20%, traffic 10%)" in text
    assert json.loads(parsed.model_dump_json())["pending"]["target_capacity"] == 20
