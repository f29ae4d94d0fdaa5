"""The one configuration schema of interfaze-serve.

The same models validate the shipped profiles (``profiles/*.yaml``), the ``args`` of a Serve
config (what ``serve build`` / KubeRay embeds) and the Helm chart's ``values.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.index.config import IndexSettings
from deployments.actions.retrieve.config import RetrieveSettings
from deployments.common.settings import AutoscalingSettings, DeploymentSettings, StrictModel
from deployments.embed.config import EmbedSettings
from deployments.llm.config import LLMSettings, PromptFormat
from deployments.perception.asr.config import AsrSettings
from deployments.perception.chart.config import ChartSettings
from deployments.perception.ocr.config import OcrSettings
from serve.gateway.config import GatewaySettings, check_profile
from serve.stages.registry import ROUTABLE
from serve.stages.spec import InputKind, StageKind

__all__ = [
    "AppConfig",
    "AutoscalingSettings",
    "DeploymentSettings",
    "InputKind",
    "LLMSettings",
    "PromptFormat",
    "StageKind",
    "StrictModel",
]


class RouterSettings(DeploymentSettings):
    """The ingress/router deployment: HTTP API, planning, context and answering."""

    num_cpus: float = Field(0.5, ge=0, description="Logical CPUs reserved per router replica.")
    trace_retention: int = Field(
        10_000, ge=0, description="Decision traces kept (LRU); 0 keeps none."
    )
    trace_ttl_s: float | None = Field(
        86_400.0, gt=0, description="Seconds a trace stays retrievable (None: until evicted)."
    )
    shared_traces: bool = Field(
        True,
        description=(
            "Keep traces in one named Ray actor shared by all router replicas (False: each "
            "replica keeps its own, so GET /v1/traces/{id} may miss on another replica)."
        ),
    )
    intent_embeddings: bool = Field(
        True,
        description=(
            "Classify question intent with MiniLM embeddings of a labelled set (after the "
            "rules); False: rules only."
        ),
    )
    embeddings: Literal["router", "embed_deployment"] = Field(
        "embed_deployment",
        description=(
            "Where the router's sentence embeddings run (input-guard similarity, intent, "
            "passage re-ranking): its own MiniLM copy, or the embed deployment (batched, "
            "scaled on its own; the router replica stays light). The embed deployment must "
            "be enabled for the second."
        ),
    )
    llm_program_writer: bool = Field(
        False,
        description=(
            "Let the LLM write programs for computational questions the grammar writer cannot "
            "parse (two samples must agree in the sandbox). Worth it with a coder/instruct "
            "model (gpu profile); the local 135M model rarely agrees with itself."
        ),
    )
    request_timeout_s: float = Field(
        300.0, gt=0, description="Whole-request deadline before a 504 is returned."
    )
    health_probe_timeout_s: float = Field(
        0.8,
        gt=0,
        description=(
            "Deadline of each deployment's health probe in /healthz (probes run in parallel, "
            "so a dead deployment is reported within about this time)."
        ),
    )
    health_cache_s: float = Field(
        1.0,
        ge=0,
        description="Seconds a /healthz probe round is reused (concurrent callers share one).",
    )


class Route(StrictModel):
    """One row of the decision table: an input kind and the pipeline that serves it."""

    pipeline: list[str] = Field(
        ..., min_length=1, description="Stages in order; independent stages run in parallel."
    )
    escalation_threshold: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Small-stack answers at or above this confidence skip the LLM.",
    )

    @model_validator(mode="after")
    def _check_stages(self) -> Route:
        unknown = [s for s in self.pipeline if s not in ROUTABLE]
        if unknown:
            raise ValueError(f"unknown stage(s) {unknown}; known: {sorted(ROUTABLE)}")
        return self


class Timeouts(StrictModel):
    """Per-stage-family deadlines, in milliseconds."""

    perception_ms: int = Field(5000, ge=1, description="Deadline of a perception stage.")
    action_ms: int = Field(15000, ge=1, description="Deadline of an action stage.")
    llm_ms: int = Field(120000, ge=1, description="Deadline of an LLM call (whole generation).")

    def for_stage(self, stage: str) -> float:
        """Deadline of ``stage`` in seconds."""
        kind = ROUTABLE[stage]
        ms = {
            StageKind.PERCEPTION: self.perception_ms,
            StageKind.ACTION: self.action_ms,
            StageKind.LLM: self.llm_ms,
        }[kind]
        return ms / 1000.0


class RoutingTable(StrictModel):
    """The decision table (``routing.yaml``): input kind → pipeline, thresholds, timeouts."""

    timeouts: Timeouts = Field(default_factory=Timeouts, description="Stage deadlines.")
    routes: dict[InputKind, Route] = Field(..., description="Pipeline per input kind.")

    @model_validator(mode="after")
    def _check_text_route(self) -> RoutingTable:
        if InputKind.TEXT not in self.routes:
            raise ValueError("routes must define 'text', the fallback for plain questions")
        return self


class LocalClusterSettings(StrictModel):
    """The Ray instance `ifz serve` starts when it is not pointed at a cluster."""

    num_cpus: int = Field(
        16,
        ge=1,
        description=(
            "Logical CPUs Ray advertises; more than the physical cores lets many fractional "
            "deployments schedule on a small machine."
        ),
    )
    num_gpus: int = Field(0, ge=0, description="GPUs Ray advertises (0 on CPU-only machines).")
    metrics_export_port: int = Field(
        9095, ge=1, le=65535, description="Port of Ray's Prometheus metrics agent."
    )
    include_dashboard: bool = Field(False, description="Start the Ray dashboard.")
    ingress_drain_s: float = Field(
        2.0,
        ge=0,
        description=(
            "With the HAProxy ingress: seconds a stopping router replica keeps serving so "
            "HAProxy stops sending to it (Serve's default, 30 s, is sized for load balancers "
            "on other machines; here HAProxy is told at once and retries refused connections). "
            "Bounds `ifz serve`'s shutdown time."
        ),
    )
    node_ip_address: str = Field(
        "127.0.0.1",
        min_length=1,
        description=(
            "Address the local Ray node binds and advertises. 127.0.0.1 keeps Ray's GCS, "
            "raylet, object manager, worker, dashboard/metrics agent and runtime-env agent "
            "ports on loopback; any other address makes them listen on every interface (Ray "
            "2.60), e.g. so other machines can join as worker nodes."
        ),
    )
    ingress_proxy: Literal["default", "haproxy"] = Field(
        "haproxy",
        description=(
            "HTTP ingress: Ray Serve's HAProxy ingress (RAY_SERVE_ENABLE_HA_PROXY=1; 2.8x the "
            "rps of the Python proxy on the router path here, same streaming, cancellation, "
            "body limits and health routes: loadtest.runtime_bench), or the Python proxy."
        ),
    )
    serve_metrics_export_interval_ms: int = Field(
        1000,
        ge=0,
        description=(
            "RAY_SERVE_METRICS_EXPORT_INTERVAL_MS for every Serve process: how often each "
            "replica and each deployment handle hands its cached request counters and gauges "
            "to Ray's metrics API. Serve's default, 100 ms, costs the router ~10 gauge writes "
            "per handle per second (it holds one handle per deployment) for figures Prometheus "
            "scrapes every 15 s; 0 records every request synchronously."
        ),
    )
    serve_grpc_max_message_bytes: int = Field(
        256 * 1024 * 1024,
        ge=4 * 1024 * 1024,
        description=(
            "RAY_SERVE_REPLICA_GRPC_MAX_MESSAGE_LENGTH: the largest message a deployment "
            "handle's gRPC call may carry either way (the throughput-optimised mode's "
            "handles). Serve's default, 4 MiB, is below the media one request may carry "
            "(gateway.validation.max_body_bytes): a 6 MB PDF would fail on its way to OCR."
        ),
    )
    serve_throughput_optimized: bool = Field(
        True,
        description=(
            "Ray Serve's throughput-optimised mode (RAY_SERVE_THROUGHPUT_OPTIMIZED=1 for every "
            "Serve process): deployment handles reach replicas over gRPC, replica code and the "
            "handles' router share the replica's event loop, request logs are buffered. On the "
            "production mix the router's CPU per request fell from 15.2 to 11.2 ms and all of "
            "Ray's from 573 to 464 ms (loadtest.ingress_bench --paths mix); on the LLM path "
            "(loadtest.bench_llm --rounds 3 --variant) first token 0.99x, 4 streams 1.05x, "
            "decode 0.97x and start-up 0.91x of the mode off. False: Serve's defaults."
        ),
    )


class PerceptionConfig(StrictModel):
    """The perception deployments (each its own Ray Serve deployment)."""

    ocr: OcrSettings = Field(
        default_factory=OcrSettings, description="PDF text layers, scans and images."
    )
    chart: ChartSettings = Field(
        default_factory=ChartSettings, description="Chart images → tables of values."
    )
    asr: AsrSettings = Field(default_factory=AsrSettings, description="Speech recognition.")


class ActionsConfig(StrictModel):
    """The action deployments (each its own Ray Serve deployment)."""

    execute: ExecuteSettings = Field(
        default_factory=ExecuteSettings, description="Sandboxed Python execution."
    )
    browse: BrowseSettings = Field(
        default_factory=BrowseSettings,
        description="Headless Chromium behind the SSRF guard (URLs in questions).",
    )
    retrieve: RetrieveSettings = Field(
        default_factory=RetrieveSettings,
        description="The vector store (Milvus Lite file or a Milvus server) and top-k search.",
    )
    index: IndexSettings = Field(
        default_factory=IndexSettings,
        description="Crawl/parse/chunk/embed into the vector store (POST /v1/documents).",
    )


class AppConfig(StrictModel):
    """The whole application: one instance per profile."""

    profile: str = Field("local", description="Name of the profile this config came from.")
    app_name: str = Field("interfaze", description="Ray Serve application name.")
    model_name: str = Field(
        "interfaze",
        min_length=1,
        description="Model name clients send for the full small-models-first pipeline.",
    )
    route_prefix: str = Field("/", description="HTTP route prefix of the application.")
    host: str = Field("127.0.0.1", description="Address the HTTP proxy binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP proxy binds to.")
    data_dir: str = Field(
        ".data", description="Models, indexes and traces live here (relative to the cwd)."
    )
    router: RouterSettings = Field(default_factory=RouterSettings, description="Ingress/router.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="The final LLM.")
    perception: PerceptionConfig = Field(
        default_factory=PerceptionConfig, description="OCR, chart parsing, speech recognition."
    )
    actions: ActionsConfig = Field(
        default_factory=ActionsConfig, description="Browsing, retrieval, sandboxed execution."
    )
    embed: EmbedSettings = Field(
        default_factory=EmbedSettings, description="Sentence embeddings (all-MiniLM-L6-v2)."
    )
    gateway: GatewaySettings = Field(
        default_factory=GatewaySettings,
        description="Auth, rate limits and budgets, validation, input/output guards, audit.",
    )
    routing: RoutingTable = Field(..., description="The decision table.")
    local_cluster: LocalClusterSettings = Field(
        default_factory=LocalClusterSettings,
        description="Ray settings used when `ifz serve` starts Ray itself.",
    )

    @model_validator(mode="after")
    def _auth_only_off_locally(self) -> AppConfig:
        check_profile(self.gateway, self.profile)
        return self

    def data_path(self, *parts: str) -> Path:
        """A path under ``data_dir``, made absolute."""
        return Path(self.data_dir).expanduser().resolve().joinpath(*parts)
