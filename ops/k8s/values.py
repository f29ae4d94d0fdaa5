"""Typed values of the Helm chart ``helm/interfaze-serve``.

The chart's ``values.schema.json`` is generated from :class:`ChartValues` (see
``ops.k8s.schema``), so wrong types fail at ``helm install``; ``interfaze`` is an
:class:`~serve.config.schema.AppConfig` document, the same schema as the local profile.
The Python renderer (``ops.k8s.rayservice``) reads the same model.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from serve.config.schema import AppConfig

K8sObject = dict[str, Any]


class Values(BaseModel):
    """Base: camelCase keys as Helm values use them; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class ImageValues(Values):
    """Container image of every Ray pod: Ray + CUDA vLLM + interfaze-serve."""

    repository: str = Field(
        "ghcr.io/interfaze-serve/interfaze-serve",
        min_length=1,
        description="Image repository (build it with k8s/image/Dockerfile).",
    )
    tag: str = Field("", description="Image tag; empty means the chart's appVersion.")
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(
        "IfNotPresent", description="Kubernetes imagePullPolicy."
    )


class Scheduling(Values):
    """Pod resources and placement shared by head and worker groups."""

    resources: K8sObject = Field(default_factory=dict, description="Container resources.")
    node_selector: dict[str, str] = Field(default_factory=dict, description="Pod nodeSelector.")
    tolerations: list[K8sObject] = Field(default_factory=list, description="Pod tolerations.")
    affinity: K8sObject = Field(default_factory=dict, description="Pod affinity.")
    ray_start_params: dict[str, str] = Field(
        default_factory=dict, description="`ray start` parameters (string values)."
    )


def _resources(cpu: str, memory: str, gpus: int = 0) -> K8sObject:
    amounts: dict[str, str | int] = {"cpu": cpu, "memory": memory}
    if gpus:
        amounts["nvidia.com/gpu"] = gpus
    return {"requests": dict(amounts), "limits": dict(amounts)}


class HeadValues(Scheduling):
    """The Ray head pod: GCS, dashboard, Serve controller and a proxy (no replicas: num-cpus 0)."""

    resources: K8sObject = Field(
        default_factory=lambda: _resources("2", "8Gi"), description="Container resources."
    )
    ray_start_params: dict[str, str] = Field(
        default_factory=lambda: {"num-cpus": "0", "dashboard-host": "0.0.0.0"},
        description="`ray start` parameters; num-cpus 0 keeps Serve replicas off the head.",
    )


class GroupSize(Values):
    """Whether a worker group exists and how many pods it may have."""

    enabled: bool = Field(True, description="Create this worker group.")
    replicas: int = Field(1, ge=0, description="Pods at creation.")
    min_replicas: int = Field(0, ge=0, description="Fewest pods the autoscaler keeps.")
    max_replicas: int = Field(4, ge=0, description="Most pods the autoscaler starts.")


class WorkerGroupValues(Scheduling, GroupSize):
    """One Ray worker group; the Ray autoscaler moves replicas within [min, max]."""

    shm_size: str = Field("8Gi", description="Size of the /dev/shm memory volume.")


class CpuWorkerValues(WorkerGroupValues):
    """CPU workers: router, perception and action tools (deployments with num_gpus 0)."""

    min_replicas: int = Field(1, ge=0, description="Fewest pods the autoscaler keeps.")
    resources: K8sObject = Field(
        default_factory=lambda: _resources("4", "16Gi"), description="Container resources."
    )
    shm_size: str = Field("4Gi", description="Size of the /dev/shm memory volume.")


class GpuWorkerValues(WorkerGroupValues):
    """GPU workers: vLLM and GPU perception models; Ray sees the nvidia.com/gpu limit as GPUs,
    and fractional num_gpus pack several replicas per GPU."""

    min_replicas: int = Field(1, ge=0, description="Fewest pods the autoscaler keeps.")
    resources: K8sObject = Field(
        default_factory=lambda: _resources("8", "48Gi", gpus=1),
        description="Container resources; nvidia.com/gpu in limits gives Ray its GPUs.",
    )
    node_selector: dict[str, str] = Field(
        default_factory=dict,
        description='Pod nodeSelector, e.g. {"nvidia.com/gpu.present": "true"}.',
    )
    tolerations: list[K8sObject] = Field(
        default_factory=lambda: [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ],
        description="Pod tolerations (GPU nodes are usually tainted).",
    )
    shm_size: str = Field("16Gi", description="Size of the /dev/shm memory volume (vLLM, NCCL).")


class WorkersValues(Values):
    """Ray worker groups."""

    cpu: CpuWorkerValues = Field(default_factory=CpuWorkerValues)
    gpu: GpuWorkerValues = Field(default_factory=GpuWorkerValues)


class AutoscalerValues(Values):
    """KubeRay in-tree Ray autoscaler (adds/removes worker pods for pending replicas)."""

    enabled: bool = Field(True, description="enableInTreeAutoscaling.")
    idle_timeout_seconds: int = Field(60, ge=0, description="Idle seconds before a pod goes.")
    upscaling_mode: Literal["Default", "Aggressive", "Conservative"] = Field(
        "Default", description="How fast the autoscaler adds pods."
    )
    resources: K8sObject = Field(default_factory=dict, description="Autoscaler sidecar resources.")


class UpgradeStrategyValues(Values):
    """How a change of the cluster spec rolls out."""

    type: Literal["NewCluster", "NewClusterWithIncrementalUpgrade", "None"] = Field(
        "NewCluster",
        description=(
            "NewCluster: blue/green, a whole new RayCluster then a traffic switch. "
            "NewClusterWithIncrementalUpgrade: traffic and capacity move in steps (needs the "
            "Gateway API, a GatewayClass and KubeRay's RayServiceIncrementalUpgrade gate)."
        ),
    )
    gateway_class_name: str = Field("", description="GatewayClass (incremental upgrade only).")
    max_surge_percent: int = Field(20, ge=0, le=100, description="Capacity added per step.")
    step_size_percent: int = Field(10, ge=1, le=100, description="Traffic moved per interval.")
    interval_seconds: int = Field(30, ge=1, description="Seconds between traffic steps.")


class PvcModelValues(Values):
    """Weights on a PersistentVolumeClaim (source: pvc)."""

    claim_name: str = Field("", description="PersistentVolumeClaim holding model weights.")
    sub_path: str = Field("", description="Sub-path inside the claim.")
    read_only: bool = Field(True, description="Mount read-only.")


class S3ModelValues(Values):
    """Weights synced from S3 at pod start (source: s3)."""

    uri: str = Field("", description="s3://bucket/prefix synced into mountPath at pod start.")
    secret_name: str = Field(
        "", description="Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (envFrom)."
    )
    region: str = Field("", description="AWS_REGION.")
    endpoint_url: str = Field("", description="AWS_ENDPOINT_URL (S3-compatible stores).")
    image: str = Field("amazon/aws-cli:2.22.35", description="Image of the sync init container.")


class ModelsValues(Values):
    """Where model weights (vLLM, Nougat, WhisperX) come from, mounted at ``mountPath``.

    The ``interfaze`` document names each model: an HF id with ``source: hf``, or a path under
    ``mountPath`` (e.g. ``/models/Qwen2.5-7B-Instruct``) with ``pvc`` or ``s3``.
    """

    source: Literal["hf", "pvc", "s3"] = Field(
        "hf",
        description=(
            "hf: download from the Hugging Face hub into an emptyDir cache; pvc: mount a claim; "
            "s3: an init container syncs a prefix into an emptyDir."
        ),
    )
    mount_path: str = Field("/models", description="Where weights appear in the Ray pods.")
    cache_size_limit: str = Field("200Gi", description="emptyDir size for hf and s3.")
    pvc: PvcModelValues = Field(default_factory=PvcModelValues)
    s3: S3ModelValues = Field(default_factory=S3ModelValues)


class SecretKeyRef(Values):
    existing_secret: str = Field("", description="Name of an existing Secret (empty: none).")
    key: str = Field(..., min_length=1, description="Key inside the Secret.")


class ApiKeysValues(SecretKeyRef):
    """API keys of the gateway, comma-separated in one Secret key, as env IFZ_API_KEYS."""

    key: str = Field("api-keys", min_length=1, description="Key inside the Secret.")


class HuggingFaceValues(SecretKeyRef):
    """Hugging Face token (gated models) from a Secret, as env HF_TOKEN."""

    key: str = Field("token", min_length=1, description="Key inside the Secret.")


class MilvusValues(BaseModel):
    """Milvus: an external URI, or the upstream chart as a dependency (``enabled``).

    Other keys are passed to the Milvus subchart (its own values).
    """

    model_config = ConfigDict(extra="allow", alias_generator=to_camel, populate_by_name=True)

    enabled: bool = Field(False, description="Install the upstream Milvus chart (standalone).")
    uri: str = Field(
        "", description="External Milvus URI, e.g. http://milvus.db:19530 (when not enabled)."
    )
    cluster: K8sObject = Field(
        default_factory=lambda: {"enabled": False}, description="Subchart: standalone mode."
    )
    etcd: K8sObject = Field(default_factory=lambda: {"replicaCount": 1}, description="Subchart.")
    minio: K8sObject = Field(
        default_factory=lambda: {"mode": "standalone"}, description="Subchart."
    )
    pulsarv3: K8sObject = Field(
        default_factory=lambda: {"enabled": False}, description="Subchart: rocksmq, no Pulsar."
    )


class DataValues(Values):
    """Volume mounted at ``interfaze.data_dir`` (indexes, traces)."""

    existing_claim: str = Field("", description="PersistentVolumeClaim; empty: an emptyDir.")
    size_limit: str = Field("50Gi", description="emptyDir size limit.")


class ServeApplicationValues(Values):
    """Application-level Serve options (per-deployment ones come from ``interfaze``)."""

    runtime_env: K8sObject = Field(
        default_factory=dict, description="Ray runtime_env of the application (env_vars, pip)."
    )


class RayServiceValues(Values):
    """RayService health thresholds and Serve service."""

    deployment_unhealthy_second_threshold: int = Field(
        900, ge=1, description="Seconds a Serve deployment may stay unhealthy (LLM start-up)."
    )
    service_unhealthy_second_threshold: int = Field(
        900, ge=1, description="Seconds the Serve endpoint may stay unhealthy."
    )
    exclude_head_pod_from_serve_svc: bool = Field(
        False, description="Keep the head pod out of the <name>-serve-svc endpoints."
    )
    ingress_proxy: Literal["haproxy", "default"] = Field(
        "haproxy",
        description=(
            "Serve's HTTP ingress on every Ray pod: its HAProxy ingress "
            "(RAY_SERVE_ENABLE_HA_PROXY=1; ~2.8x the rps of the Python proxy on the router "
            "path, measured by loadtest.ingress_bench) or the default Python proxy."
        ),
    )
    throughput_optimized: bool = Field(
        True,
        description=(
            "RAY_SERVE_THROUGHPUT_OPTIMIZED=1 on every Ray pod: Serve's gRPC handles, replica "
            "code and handle routing on one event loop, buffered request logs (less router CPU "
            "per request and a faster start-up, measured by loadtest.ingress_bench and "
            "loadtest.bench_llm); false keeps Serve's defaults."
        ),
    )
    grpc_max_message_bytes: int = Field(
        256 * 1024 * 1024,
        ge=4 * 1024 * 1024,
        description=(
            "RAY_SERVE_REPLICA_GRPC_MAX_MESSAGE_LENGTH on every Ray pod: the largest message a "
            "deployment handle's gRPC call may carry (Serve's 4 MiB is below one request's "
            "media)."
        ),
    )
    metrics_export_interval_ms: int = Field(
        1000,
        ge=0,
        description=(
            "RAY_SERVE_METRICS_EXPORT_INTERVAL_MS on every Ray pod: how often Serve replicas "
            "and deployment handles export their cached metrics (Serve's default 100 ms costs "
            "router CPU for figures scraped every 15 s; 0 records every request synchronously)."
        ),
    )


class MonitorValues(Values):
    """A Prometheus operator object."""

    enabled: bool = Field(False, description="Create it (needs the Prometheus operator CRDs).")
    labels: dict[str, str] = Field(default_factory=dict, description="Extra labels.")


class PodMonitorValues(MonitorValues):
    """PodMonitor scraping Ray's metrics port on the head and every worker."""

    interval: str = Field("15s", description="Scrape interval.")


class MetricsValues(Values):
    """Prometheus operator objects: a PodMonitor for Ray's metrics port and alert rules."""

    port: int = Field(8080, ge=1, le=65535, description="Ray metrics export port in every pod.")
    pod_monitor: PodMonitorValues = Field(default_factory=PodMonitorValues)
    prometheus_rule: MonitorValues = Field(
        default_factory=MonitorValues,
        description="PrometheusRule with the alerts (errors, p95 vs baseline, escalation share).",
    )


class GrafanaDashboardsValues(Values):
    """Dashboards as ConfigMaps picked up by the Grafana sidecar (kube-prometheus-stack)."""

    enabled: bool = Field(False, description="Ship dashboards as ConfigMaps for the sidecar.")
    labels: dict[str, str] = Field(
        default_factory=lambda: {"grafana_dashboard": "1"}, description="Sidecar label."
    )
    annotations: dict[str, str] = Field(
        default_factory=lambda: {"grafana_folder": "Interfaze"}, description="e.g. folder."
    )


class GrafanaValues(Values):
    """Grafana dashboards (or push them with `ifz dashboards push`)."""

    dashboards: GrafanaDashboardsValues = Field(default_factory=GrafanaDashboardsValues)


class ChartValues(Values):
    """All values of the interfaze-serve chart."""

    name_override: str = Field("", description="Replaces the chart name in object names.")
    fullname_override: str = Field("", description="Replaces the whole object name.")
    image: ImageValues = Field(default_factory=ImageValues)
    image_pull_secrets: list[K8sObject] = Field(default_factory=list)
    ray_version: str = Field("2.60.0", min_length=1, description="Ray version in the image.")
    service_account_name: str = Field("", description="ServiceAccount of the Ray pods.")
    pod_labels: dict[str, str] = Field(default_factory=dict, description="Extra pod labels.")
    pod_annotations: dict[str, str] = Field(default_factory=dict)
    extra_env: list[K8sObject] = Field(default_factory=list, description="Extra env of Ray pods.")
    head: HeadValues = Field(default_factory=HeadValues)
    workers: WorkersValues = Field(default_factory=WorkersValues)
    autoscaler: AutoscalerValues = Field(default_factory=AutoscalerValues)
    upgrade_strategy: UpgradeStrategyValues = Field(default_factory=UpgradeStrategyValues)
    ray_service: RayServiceValues = Field(default_factory=RayServiceValues)
    serve_application: ServeApplicationValues = Field(default_factory=ServeApplicationValues)
    models: ModelsValues = Field(default_factory=ModelsValues)
    huggingface: HuggingFaceValues = Field(default_factory=HuggingFaceValues)
    api_keys: ApiKeysValues = Field(default_factory=ApiKeysValues)
    milvus: MilvusValues = Field(default_factory=MilvusValues)
    data: DataValues = Field(default_factory=DataValues)
    metrics: MetricsValues = Field(default_factory=MetricsValues)
    grafana: GrafanaValues = Field(default_factory=GrafanaValues)
    interfaze: AppConfig = Field(
        ...,
        description=(
            "The application config (serve/config/schema.py AppConfig), passed verbatim as the "
            "`args` of serve.app_builder:build_app."
        ),
    )
    global_: K8sObject = Field(default_factory=dict, alias="global", description="Helm globals.")
