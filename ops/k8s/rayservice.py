"""Render a RayService from chart values in Python, without helm.

``ifz k8s deploy --profile gpu [--values my-values.yaml]`` uses this: the same values as the
chart (``ChartValues``), with a profile as ``interfaze``. The object equals the chart's
RayService for the same values (``tests/unit/k8s/test_rayservice_render.py`` compares them);
the chart's optional extras (Milvus, monitoring, dashboards) are chart-only.
"""

from __future__ import annotations

import copy
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from ops.k8s.values import ChartValues, K8sObject
from serve.config.loader import ConfigError, deep_merge, load_raw
from serve.config.render import IMPORT_PATH

CHART_NAME = "interfaze-serve"
DEFAULT_RELEASE = "interfaze-serve"


def app_version() -> str:
    try:
        return metadata.version("interfaze-serve")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.1.0"


def chart_defaults() -> dict[str, Any]:
    """The chart's default values (``values.yaml`` is generated from the same model)."""
    return ChartValues(interfaze=load_raw("gpu")).model_dump(
        by_alias=True, mode="json", exclude={"interfaze", "global_"}
    )


def load_values(
    profile: str | None = None,
    values_files: list[str | Path] | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Chart defaults ← values files ← overrides, merged like Helm; ``interfaze`` from a profile.

    ``profile`` (a built-in name or a file) replaces the default ``gpu`` document; values files
    may still override parts of ``interfaze``. Raises ``ConfigError`` naming bad fields.
    """
    raw = chart_defaults()
    raw["interfaze"] = load_raw(profile or "gpu")
    for path in values_files or []:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: values must be a mapping")
        raw = deep_merge(raw, data)
    if overrides:
        raw = deep_merge(raw, overrides)
    from pydantic import ValidationError

    from serve.config.loader import format_validation_error

    try:
        ChartValues.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None
    return raw


def parse_set_values(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``--set`` pairs as Helm writes them (``a.b=1``, ``\\.`` for a literal dot in a key);
    values parsed as YAML scalars."""
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {pair!r} must look like dotted.key=value")
        parts = [p.replace("\x00", ".") for p in key.replace("\\.", "\x00").split(".")]
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = yaml.safe_load(raw) if raw else ""
    return result


def _trunc(name: str) -> str:
    return name[:40].rstrip("-")


class RayServiceRenderer:
    """Builds the RayService object the chart's ``templates/rayservice.yaml`` renders."""

    def __init__(
        self, values: dict[str, Any], *, release: str = DEFAULT_RELEASE, namespace: str = "default"
    ) -> None:
        self.raw = copy.deepcopy(values)
        self.v = ChartValues.model_validate(values)
        self.cfg: dict[str, Any] = self.raw["interfaze"]
        self.release = release
        self.namespace = namespace
        self.version = app_version()

    # names and labels -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return _trunc(self.v.name_override or CHART_NAME)

    @property
    def fullname(self) -> str:
        if self.v.fullname_override:
            return _trunc(self.v.fullname_override)
        base = self.v.name_override or CHART_NAME
        return _trunc(self.release if base in self.release else f"{self.release}-{base}")

    def selector_labels(self) -> dict[str, str]:
        return {"app.kubernetes.io/name": self.name, "app.kubernetes.io/instance": self.release}

    def labels(self) -> dict[str, str]:
        return {
            **self.selector_labels(),
            "app.kubernetes.io/version": self.version,
            "app.kubernetes.io/managed-by": "ifz",
        }

    # pieces -----------------------------------------------------------------------------
    @property
    def serve_port(self) -> int:
        return self.cfg.get("port") or 8000

    def serve_config(self) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "applications": [
                {
                    "args": cfg,
                    "import_path": IMPORT_PATH,
                    "name": cfg.get("app_name") or "interfaze",
                    "route_prefix": cfg.get("route_prefix") or "/",
                    "runtime_env": self.v.serve_application.runtime_env,
                }
            ],
            "http_options": {"host": cfg.get("host") or "0.0.0.0", "port": self.serve_port},
            "proxy_location": "EveryNode",
        }

    def milvus_uri(self) -> str:
        if self.v.milvus.enabled:
            svc = self.release if "milvus" in self.release else f"{self.release}-milvus"
            return f"http://{svc}.{self.namespace}.svc:19530"
        return self.v.milvus.uri

    def env(self) -> list[K8sObject]:
        models = self.v.models
        env: list[K8sObject] = [{"name": "IFZ_MODELS_DIR", "value": models.mount_path}]
        if models.source == "hf":
            env.append({"name": "HF_HOME", "value": f"{models.mount_path}/huggingface"})
        else:
            env.append({"name": "HF_HUB_OFFLINE", "value": "1"})
        for var, ref in (("HF_TOKEN", self.v.huggingface), ("IFZ_API_KEYS", self.v.api_keys)):
            if ref.existing_secret:
                secret = {"name": ref.existing_secret, "key": ref.key}
                env.append({"name": var, "valueFrom": {"secretKeyRef": secret}})
        if uri := self.milvus_uri():
            env.append({"name": "IFZ_MILVUS_URI", "value": uri})
        if self.v.ray_service.ingress_proxy == "haproxy":
            env.append({"name": "RAY_SERVE_ENABLE_HA_PROXY", "value": "1"})
        if self.v.ray_service.throughput_optimized:
            env.append({"name": "RAY_SERVE_THROUGHPUT_OPTIMIZED", "value": "1"})
        grpc_max = str(self.v.ray_service.grpc_max_message_bytes)
        env.append({"name": "RAY_SERVE_REPLICA_GRPC_MAX_MESSAGE_LENGTH", "value": grpc_max})
        interval = str(self.v.ray_service.metrics_export_interval_ms)
        env.append({"name": "RAY_SERVE_METRICS_EXPORT_INTERVAL_MS", "value": interval})
        return env + self.v.extra_env

    def _pod_common(self, group: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if self.v.service_account_name:
            spec["serviceAccountName"] = self.v.service_account_name
        if self.v.image_pull_secrets:
            spec["imagePullSecrets"] = self.v.image_pull_secrets
        for key, value in (
            ("nodeSelector", group.node_selector),
            ("tolerations", group.tolerations),
            ("affinity", group.affinity),
        ):
            if value:
                spec[key] = value
        return spec

    def _pod_metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"labels": {**self.selector_labels(), **self.v.pod_labels}}
        if self.v.pod_annotations:
            meta["annotations"] = self.v.pod_annotations
        return meta

    def _start_params(self, params: dict[str, str]) -> dict[str, str]:
        return {**params, "metrics-export-port": str(self.v.metrics.port)}

    @property
    def image(self) -> str:
        return f"{self.v.image.repository}:{self.v.image.tag or self.version}"

    def head_group(self) -> dict[str, Any]:
        head = self.v.head
        container: dict[str, Any] = {
            "name": "ray-head",
            "image": self.image,
            "imagePullPolicy": self.v.image.pull_policy,
            "ports": [
                {"name": "gcs-server", "containerPort": 6379},
                {"name": "dashboard", "containerPort": 8265},
                {"name": "client", "containerPort": 10001},
                {"name": "serve", "containerPort": self.serve_port},
                {"name": "metrics", "containerPort": self.v.metrics.port},
            ],
            "env": self.env(),
        }
        if head.resources:
            container["resources"] = head.resources
        return {
            "rayStartParams": self._start_params(head.ray_start_params),
            "template": {
                "metadata": self._pod_metadata(),
                "spec": {**self._pod_common(head), "containers": [container]},
            },
        }

    def _models_mount(self) -> dict[str, Any]:
        models = self.v.models
        mount: dict[str, Any] = {"name": "models", "mountPath": models.mount_path}
        if models.source == "pvc":
            mount["readOnly"] = models.pvc.read_only
            if models.pvc.sub_path:
                mount["subPath"] = models.pvc.sub_path
        return mount

    def _volumes(self, shm_size: str) -> list[K8sObject]:
        data, models = self.v.data, self.v.models
        if data.existing_claim:
            volumes = [
                {"name": "data", "persistentVolumeClaim": {"claimName": data.existing_claim}}
            ]
        else:
            volumes = [{"name": "data", "emptyDir": {"sizeLimit": data.size_limit}}]
        if models.source == "pvc":
            if not models.pvc.claim_name:
                raise ConfigError("models.pvc.claimName is required when models.source is pvc")
            claim = {"claimName": models.pvc.claim_name, "readOnly": models.pvc.read_only}
            volumes.append({"name": "models", "persistentVolumeClaim": claim})
        else:
            volumes.append({"name": "models", "emptyDir": {"sizeLimit": models.cache_size_limit}})
        volumes.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": shm_size}})
        return volumes

    def _sync_models(self) -> K8sObject:
        s3, mount = self.v.models.s3, self.v.models.mount_path
        if not s3.uri:
            raise ConfigError("models.s3.uri is required when models.source is s3")
        init: K8sObject = {
            "name": "sync-models",
            "image": s3.image,
            "command": ["aws", "s3", "sync", "--only-show-errors", s3.uri, mount],
        }
        env = [{"name": "AWS_REGION", "value": s3.region}] if s3.region else []
        if s3.endpoint_url:
            env.append({"name": "AWS_ENDPOINT_URL", "value": s3.endpoint_url})
        if env:
            init["env"] = env
        if s3.secret_name:
            init["envFrom"] = [{"secretRef": {"name": s3.secret_name}}]
        init["volumeMounts"] = [{"name": "models", "mountPath": mount}]
        return init

    def worker_group(self, group_name: str) -> dict[str, Any] | None:
        group = getattr(self.v.workers, group_name)
        if not group.enabled:
            return None
        container: dict[str, Any] = {
            "name": "ray-worker",
            "image": self.image,
            "imagePullPolicy": self.v.image.pull_policy,
            "ports": [
                {"name": "serve", "containerPort": self.serve_port},
                {"name": "metrics", "containerPort": self.v.metrics.port},
            ],
            "env": self.env(),
        }
        if group.resources:
            container["resources"] = group.resources
        container["volumeMounts"] = [
            {"name": "data", "mountPath": self.cfg.get("data_dir") or "/data/interfaze"},
            self._models_mount(),
            {"name": "dshm", "mountPath": "/dev/shm"},
        ]
        spec: dict[str, Any] = self._pod_common(group)
        if self.v.models.source == "s3":
            spec["initContainers"] = [self._sync_models()]
        spec["containers"] = [container]
        spec["volumes"] = self._volumes(group.shm_size)
        return {
            "groupName": group_name,
            "replicas": group.replicas,
            "minReplicas": group.min_replicas,
            "maxReplicas": group.max_replicas,
            "rayStartParams": self._start_params(group.ray_start_params),
            "template": {"metadata": self._pod_metadata(), "spec": spec},
        }

    def upgrade_strategy(self) -> dict[str, Any]:
        up = self.v.upgrade_strategy
        strategy: dict[str, Any] = {"type": up.type}
        if up.type == "NewClusterWithIncrementalUpgrade":
            if not up.gateway_class_name:
                raise ConfigError(
                    "upgradeStrategy.gatewayClassName is required for "
                    "NewClusterWithIncrementalUpgrade"
                )
            strategy["clusterUpgradeOptions"] = {
                "gatewayClassName": up.gateway_class_name,
                "maxSurgePercent": up.max_surge_percent,
                "stepSizePercent": up.step_size_percent,
                "intervalSeconds": up.interval_seconds,
            }
        return strategy

    def cluster_config(self) -> dict[str, Any]:
        autoscaler = self.v.autoscaler
        cluster: dict[str, Any] = {
            "rayVersion": self.v.ray_version,
            "enableInTreeAutoscaling": autoscaler.enabled,
        }
        if autoscaler.enabled:
            options: dict[str, Any] = {
                "upscalingMode": autoscaler.upscaling_mode,
                "idleTimeoutSeconds": autoscaler.idle_timeout_seconds,
            }
            if autoscaler.resources:
                options["resources"] = autoscaler.resources
            cluster["autoscalerOptions"] = options
        cluster["headGroupSpec"] = self.head_group()
        groups = [self.worker_group(name) for name in ("cpu", "gpu")]
        cluster["workerGroupSpecs"] = [g for g in groups if g]
        return cluster

    def render(self) -> K8sObject:
        """The RayService (ray.io/v1) object."""
        rs = self.v.ray_service
        spec: dict[str, Any] = {
            "deploymentUnhealthySecondThreshold": rs.deployment_unhealthy_second_threshold,
            "serviceUnhealthySecondThreshold": rs.service_unhealthy_second_threshold,
        }
        if rs.exclude_head_pod_from_serve_svc:
            spec["excludeHeadPodFromServeSvc"] = True
        spec["upgradeStrategy"] = self.upgrade_strategy()
        spec["serveConfigV2"] = yaml.safe_dump(self.serve_config(), sort_keys=True, width=100)
        spec["rayClusterConfig"] = self.cluster_config()
        rayservice = {
            "apiVersion": "ray.io/v1",
            "kind": "RayService",
            "metadata": {"name": self.fullname, "labels": self.labels()},
            "spec": spec,
        }
        return copy.deepcopy(rayservice)  # no shared sub-objects (YAML anchors when dumped)
