"""The Helm chart: lint, render, values schema at install, KubeRay CRD and core schemas."""

from __future__ import annotations

import json

import pytest
import yaml

from ops.k8s import manifests
from ops.k8s.dashboards import all_dashboards
from ops.k8s.helm import CHART_DIR, HelmError
from serve.config.loader import config_from_args
from serve.config.render import IMPORT_PATH
from tests.unit.k8s.conftest import objects_of

VARIANTS = {
    "defaults": (),
    "pvc-models-incremental": (
        "models.source=pvc",
        "models.pvc.claimName=weights",
        "models.pvc.subPath=qwen",
        "data.existingClaim=ifz-data",
        "apiKeys.existingSecret=ifz-keys",
        "huggingface.existingSecret=hf",
        "milvus.uri=http://milvus.db:19530",
        "workers.cpu.enabled=false",
        "upgradeStrategy.type=NewClusterWithIncrementalUpgrade",
        "upgradeStrategy.gatewayClassName=istio",
        "autoscaler.resources.limits.cpu=1",
    ),
    "s3-models-no-autoscaler": (
        "models.source=s3",
        "models.s3.uri=s3://weights/qwen",
        "models.s3.region=eu-west-1",
        "models.s3.secretName=aws",
        "autoscaler.enabled=false",
        "podLabels.team=ml",
        "podAnnotations.note=x",
        "rayService.excludeHeadPodFromServeSvc=true",
        "image.tag=v2",
        "serviceAccountName=ifz",
        "workers.gpu.nodeSelector.nvidia\\.com/gpu\\.product=NVIDIA-H100-80GB-HBM3",
    ),
}


def rayservice(helm, *set_values, **kwargs):
    if "set_json" in kwargs:
        text = helm.template(set_values=set_values, **kwargs)
        return manifests.find(manifests.load_all(text), "RayService")
    return manifests.find(objects_of(helm, *set_values, **kwargs), "RayService")


def serve_config(rs):
    return yaml.safe_load(rs["spec"]["serveConfigV2"])


def pods(rs):
    cluster = rs["spec"]["rayClusterConfig"]
    yield "head", cluster["headGroupSpec"]
    for group in cluster["workerGroupSpecs"]:
        yield group["groupName"], group


@pytest.mark.parametrize("variant", VARIANTS)
def test_lint_strict(helm, variant):
    helm.lint(set_values=VARIANTS[variant])


def test_default_render_is_one_rayservice(helm):
    objects = objects_of(helm)
    assert [o["kind"] for o in objects] == ["RayService"]
    assert objects[0]["apiVersion"] == "ray.io/v1"


def test_serve_config_is_the_builder_with_values_as_args(helm):
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    document = serve_config(rayservice(helm))
    [app] = document["applications"]
    assert app["import_path"] == IMPORT_PATH == "serve.app_builder:build_app"
    assert app["args"] == values["interfaze"]
    assert "deployments" not in app  # per-deployment options come from args via build_app
    assert document["http_options"] == {"host": "0.0.0.0", "port": 8000}
    config = config_from_args(app["args"])  # the app's own validation at deploy time
    assert config.llm.num_gpus == 0.5


def test_serve_config_passes_rays_schema(helm):
    from ray.serve.schema import ServeDeploySchema

    ServeDeploySchema.model_validate(serve_config(rayservice(helm)))


def test_set_interfaze_reaches_args(helm):
    """Fractions need --set-json (or -f): helm's --set keeps 0.25 a string, which the schema
    rejects at install."""
    with pytest.raises(HelmError, match=r"interfaze\.llm\.num_gpus: Invalid type"):
        helm.template(set_values=["interfaze.llm.num_gpus=0.25"])
    rs = rayservice(
        helm,
        "interfaze.router.autoscaling_config.max_replicas=32",
        set_json=["interfaze.llm.num_gpus=0.25"],
    )
    args = serve_config(rs)["applications"][0]["args"]
    assert args["llm"]["num_gpus"] == 0.25
    assert args["router"]["autoscaling_config"]["max_replicas"] == 32
    assert config_from_args(args).router.autoscaling_config.max_replicas == 32


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("interfaze.llm.num_gpus=abc", "interfaze.llm.num_gpus: Invalid type"),
        ("workers.gpu.maxReplicas=foo", "workers.gpu.maxReplicas: Invalid type"),
        ("interfaze.llm.bogus=1", "Additional property bogus is not allowed"),
        ("image.pullPolicy=Sometimes", "image.pullPolicy must be one of"),
        ("upgradeStrategy.type=NewClusterWithIncrementalUpgrade", "gatewayClassName is required"),
        ("models.source=pvc", "models.pvc.claimName is required"),
    ],
)
def test_bad_values_fail_at_install(helm, setting, message):
    with pytest.raises(HelmError, match="failed") as info:
        helm.template(set_values=[setting])
    assert message in str(info.value)


def test_cluster_groups_resources_and_autoscaling(helm):
    rs = rayservice(
        helm, "workers.gpu.nodeSelector.nvidia\\.com/gpu\\.product=NVIDIA-H100-80GB-HBM3"
    )
    cluster = rs["spec"]["rayClusterConfig"]
    assert cluster["enableInTreeAutoscaling"] is True
    assert cluster["rayVersion"] == "2.60.0"
    head = cluster["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0"
    groups = {g["groupName"]: g for g in cluster["workerGroupSpecs"]}
    assert set(groups) == {"cpu", "gpu"}
    gpu = groups["gpu"]
    assert (gpu["minReplicas"], gpu["maxReplicas"]) == (1, 4)
    spec = gpu["template"]["spec"]
    [container] = spec["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert spec["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
        "tolerations"
    ]
    cpu_container = groups["cpu"]["template"]["spec"]["containers"][0]
    assert "nvidia.com/gpu" not in cpu_container["resources"]["limits"]
    for _, group in pods(rs):
        assert group["rayStartParams"]["metrics-export-port"] == "8080"
        ports = {
            p["name"]: p["containerPort"]
            for p in group["template"]["spec"]["containers"][0]["ports"]
        }
        assert ports["metrics"] == 8080 and ports["serve"] == 8000


def test_upgrade_strategies(helm):
    assert rayservice(helm)["spec"]["upgradeStrategy"] == {"type": "NewCluster"}
    rs = rayservice(helm, *VARIANTS["pvc-models-incremental"])
    assert rs["spec"]["upgradeStrategy"] == {
        "type": "NewClusterWithIncrementalUpgrade",
        "clusterUpgradeOptions": {
            "gatewayClassName": "istio",
            "maxSurgePercent": 20,
            "stepSizePercent": 10,
            "intervalSeconds": 30,
        },
    }


def _env(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_secrets_models_and_milvus_uri(helm):
    rs = rayservice(helm, *VARIANTS["pvc-models-incremental"])
    [gpu] = rs["spec"]["rayClusterConfig"]["workerGroupSpecs"]
    spec = gpu["template"]["spec"]
    env = _env(spec["containers"][0])
    assert env["IFZ_API_KEYS"] == {"secretKeyRef": {"name": "ifz-keys", "key": "api-keys"}}
    assert env["HF_TOKEN"] == {"secretKeyRef": {"name": "hf", "key": "token"}}
    assert env["IFZ_MILVUS_URI"] == "http://milvus.db:19530"
    assert env["HF_HUB_OFFLINE"] == "1"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["models"]["persistentVolumeClaim"] == {"claimName": "weights", "readOnly": True}
    assert volumes["data"]["persistentVolumeClaim"] == {"claimName": "ifz-data"}
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["models"]["subPath"] == "qwen"
    assert mounts["data"]["mountPath"] == "/data/interfaze"

    rs = rayservice(helm, *VARIANTS["s3-models-no-autoscaler"])
    for group in rs["spec"]["rayClusterConfig"]["workerGroupSpecs"]:
        [init] = group["template"]["spec"]["initContainers"]
        assert init["command"][-2:] == ["s3://weights/qwen", "/models"]
        assert init["envFrom"] == [{"secretRef": {"name": "aws"}}]


def test_milvus_dependency_wires_its_service(helm, milvus_stub):
    objects = objects_of(helm, "milvus.enabled=true", release="rel", stubs={"milvus": milvus_stub})
    service = manifests.find(objects, "Service", "rel-milvus")
    assert service["metadata"]["labels"]["cluster-enabled"] == "false"  # standalone by default
    rs = manifests.find(objects, "RayService")
    head = rs["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert _env(head)["IFZ_MILVUS_URI"] == "http://rel-milvus.default.svc:19530"
    helm.lint(set_values=["milvus.enabled=true"], stubs={"milvus": milvus_stub})


def test_monitoring_objects(helm):
    objects = objects_of(
        helm,
        "metrics.podMonitor.enabled=true",
        "metrics.prometheusRule.enabled=true",
        "grafana.dashboards.enabled=true",
    )
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == ["ConfigMap", "PodMonitor", "PrometheusRule", "RayService"]
    monitor = manifests.find(objects, "PodMonitor")
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    selector = monitor["spec"]["selector"]["matchLabels"]
    rs = manifests.find(objects, "RayService")
    for _, group in pods(rs):
        assert selector.items() <= group["template"]["metadata"]["labels"].items()
    rule = manifests.find(objects, "PrometheusRule")
    rules_file = yaml.safe_load((CHART_DIR / "files" / "prometheus-rules.yaml").read_text())
    assert rule["spec"] == rules_file
    config_map = manifests.find(objects, "ConfigMap")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    [(key, text)] = config_map["data"].items()
    [dashboard] = all_dashboards()
    assert key == f"{dashboard.uid}.json"
    assert json.loads(text) == dashboard.to_json()


@pytest.mark.parametrize("variant", VARIANTS)
def test_rayservice_matches_the_kuberay_crd(helm, rayservice_crd, variant):
    rs = rayservice(helm, *VARIANTS[variant])
    assert rayservice_crd.errors(rs) == []
    defaulted = rayservice_crd.defaulted(rs)
    assert defaulted["spec"]["rayClusterConfig"]["headGroupSpec"]["rayStartParams"]


def test_crd_validator_catches_errors(helm, rayservice_crd):
    rs = rayservice(helm)
    rs["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["maxReplicas"] = "many"
    del rs["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]
    errors = rayservice_crd.errors(rs)
    assert any("maxReplicas" in e for e in errors) and any("template" in e for e in errors)


def _strict_validate(obj):
    import kubernetes_validate

    kubernetes_validate.validate(obj, "1.32", strict=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_pod_templates_and_core_objects_pass_kubernetes_validate(helm, variant):
    """The pod templates inside the RayService as Pods, and the chart's core objects."""
    objects = objects_of(helm, *VARIANTS[variant], "grafana.dashboards.enabled=true")
    for obj in objects:
        if obj["kind"] == "RayService":
            for name, group in pods(obj):
                template = group["template"]
                pod = {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"ifz-{name}", **template["metadata"]},
                    "spec": template["spec"],
                }
                _strict_validate(pod)
        elif obj["apiVersion"] in ("v1", "apps/v1"):
            _strict_validate(obj)


def test_notes_tell_how_to_reach_the_endpoint(helm, kube, tmp_path):
    """NOTES.txt through `helm install --dry-run=client` against the kmock API server."""
    from ops.k8s.helm import renderable_chart

    kube.declare("ray.io/v1/rayservices", "RayService")
    config = kube.kubeconfig(str(tmp_path / "kubeconfig"), "interfaze")
    with renderable_chart(CHART_DIR) as chart:
        out = helm.run(
            "install",
            "interfaze-serve",
            str(chart),
            "--namespace",
            "interfaze",
            "--dry-run=client",
            "--disable-openapi-validation",
            "--kubeconfig",
            config,
        )
    notes = out[out.index("NOTES:") :]
    assert "port-forward svc/interfaze-serve-serve-svc 8000:8000" in notes
    assert "/v1/chat/completions" in notes
    assert "ifz k8s status --name interfaze-serve" in notes
    assert "No API key Secret is configured" in notes
