"""The chart's Ray pods run Serve's HAProxy ingress unless rayService.ingressProxy=default, and
export Serve's cached metrics at rayService.metricsExportIntervalMs."""

from __future__ import annotations

import pytest

from ops.k8s import manifests
from ops.k8s.rayservice import RayServiceRenderer, load_values, parse_set_values

HAPROXY = {"name": "RAY_SERVE_ENABLE_HA_PROXY", "value": "1"}
GRPC = "RAY_SERVE_REPLICA_GRPC_MAX_MESSAGE_LENGTH"
INTERVAL = "RAY_SERVE_METRICS_EXPORT_INTERVAL_MS"


def containers(rayservice: dict) -> list[dict]:
    cluster = rayservice["spec"]["rayClusterConfig"]
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    return [c for g in groups for c in g["template"]["spec"]["containers"]]


@pytest.mark.parametrize(
    ("sets", "expected"), [((), True), (("rayService.ingressProxy=default",), False)]
)
def test_every_ray_container_gets_the_ingress_switch(helm, sets, expected):
    rendered = manifests.find(manifests.load_all(helm.template(set_values=sets)), "RayService")
    python = RayServiceRenderer(load_values(overrides=parse_set_values(list(sets)))).render()
    for rayservice in (rendered, python):
        found = [HAPROXY in c.get("env", []) for c in containers(rayservice)]
        assert found and all(f == expected for f in found), found


@pytest.mark.parametrize(
    ("sets", "name", "expected"),
    [
        ((), INTERVAL, "1000"),
        (("rayService.metricsExportIntervalMs=250",), INTERVAL, "250"),
        ((), GRPC, str(256 * 2**20)),
        (("rayService.grpcMaxMessageBytes=67108864",), GRPC, "67108864"),
    ],
)
def test_every_ray_container_gets_serve_settings(helm, sets, name, expected):
    rendered = manifests.find(manifests.load_all(helm.template(set_values=sets)), "RayService")
    python = RayServiceRenderer(load_values(overrides=parse_set_values(list(sets)))).render()
    wanted = {"name": name, "value": expected}
    for rayservice in (rendered, python):
        found = [wanted in c.get("env", []) for c in containers(rayservice)]
        assert found and all(found), found


@pytest.mark.parametrize(
    ("sets", "expected"), [((), True), (("rayService.throughputOptimized=false",), False)]
)
def test_every_ray_container_runs_serve_throughput_optimised_unless_told(helm, sets, expected):
    rendered = manifests.find(manifests.load_all(helm.template(set_values=sets)), "RayService")
    python = RayServiceRenderer(load_values(overrides=parse_set_values(list(sets)))).render()
    wanted = {"name": "RAY_SERVE_THROUGHPUT_OPTIMIZED", "value": "1"}
    for rayservice in (rendered, python):
        found = [wanted in c.get("env", []) for c in containers(rayservice)]
        assert found and all(f == expected for f in found), found
