"""Base config models shared by every deployment's settings.

Deployment packages import :class:`DeploymentSettings` from here (not from
:mod:`serve.config.schema`, which imports their settings to compose :class:`AppConfig`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class StrictModel(BaseModel):
    """Base for every config model: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AutoscalingSettings(StrictModel):
    """Ray Serve autoscaling for one deployment (maps to ``autoscaling_config``)."""

    min_replicas: int = Field(1, ge=0, description="Fewest replicas kept running.")
    initial_replicas: int | None = Field(
        None, ge=0, description="Replicas started at deploy time (default: min_replicas)."
    )
    max_replicas: int = Field(1, ge=1, description="Most replicas the autoscaler may start.")
    target_ongoing_requests: float = Field(
        2.0, gt=0, description="Ongoing requests per replica the autoscaler aims for."
    )
    upscale_delay_s: float = Field(
        10.0, ge=0, description="How long demand must stay high before scaling up."
    )
    downscale_delay_s: float = Field(
        60.0, ge=0, description="How long demand must stay low before scaling down."
    )
    metrics_interval_s: float = Field(
        2.0, gt=0, description="How often replicas report their load to the controller."
    )
    look_back_period_s: float = Field(
        10.0, gt=0, description="Window over which reported load is averaged."
    )

    @model_validator(mode="after")
    def _check_bounds(self) -> AutoscalingSettings:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) exceeds max_replicas ({self.max_replicas})"
            )
        init = self.initial_replicas
        if init is not None and not self.min_replicas <= init <= self.max_replicas:
            raise ValueError(
                f"initial_replicas ({init}) must lie within "
                f"[min_replicas, max_replicas] = [{self.min_replicas}, {self.max_replicas}]"
            )
        return self

    def to_serve(self) -> dict[str, Any]:
        """The ``autoscaling_config`` dict Ray Serve takes."""
        return self.model_dump(exclude_none=True)

    @property
    def fixed(self) -> bool:
        """One replica count only (``min_replicas == max_replicas``): nothing to autoscale."""
        return self.min_replicas == self.max_replicas

    def replica_options(self) -> dict[str, Any]:
        """``num_replicas`` when the count is fixed, else ``autoscaling_config``.

        An autoscaled deployment costs while idle: every handle to it records its load and
        pushes it to the Serve controller (every ``metrics_interval_s``), and the controller
        runs the policy for it each control loop. With a fixed count that buys nothing.
        """
        if self.fixed:
            return {"num_replicas": self.min_replicas}
        return {"autoscaling_config": self.to_serve()}


class DeploymentSettings(StrictModel):
    """Resources, scaling and queueing of one Ray Serve deployment."""

    num_cpus: float = Field(1.0, ge=0, description="Logical CPUs reserved per replica.")
    num_gpus: float = Field(
        0.0,
        ge=0,
        description=(
            "GPUs per replica; fractions (e.g. 0.25) pack several replicas on one GPU. "
            "Must be 0 on a cluster without GPUs, or the replica stays pending forever."
        ),
    )
    memory: int | None = Field(
        None, ge=0, description="Bytes of memory reserved per replica for scheduling (None: none)."
    )
    max_ongoing_requests: int = Field(
        100,
        ge=1,
        description=(
            "Requests one replica handles at once. Set explicitly: Ray's default of 5 "
            "collapses an I/O-bound router under load."
        ),
    )
    max_queued_requests: int = Field(
        64,
        ge=-1,
        description=(
            "Requests a caller may queue for this deployment before it is told to back off "
            "(HTTP 503 with Retry-After); -1 means unbounded (overload then shows up as "
            "timeouts instead of a clear, retryable refusal)."
        ),
    )
    backpressure_retry_after_s: float = Field(
        2.0,
        gt=0,
        description=(
            "Retry-After (seconds) on the 503 Ray Serve returns when max_queued_requests is "
            "exceeded (Serve sends no Retry-After otherwise)."
        ),
    )
    autoscaling_config: AutoscalingSettings = Field(
        default_factory=AutoscalingSettings, description="Replica autoscaling."
    )
    health_check_period_s: float = Field(10.0, gt=0, description="Seconds between health checks.")
    graceful_shutdown_timeout_s: float = Field(
        20.0, ge=0, description="Seconds a stopping replica may finish its in-flight requests."
    )

    @model_validator(mode="after")
    def _check_target(self) -> DeploymentSettings:
        target = self.autoscaling_config.target_ongoing_requests
        if target > self.max_ongoing_requests:
            raise ValueError(
                f"autoscaling_config.target_ongoing_requests ({target}) must not exceed "
                f"max_ongoing_requests ({self.max_ongoing_requests})"
            )
        return self

    def ray_actor_options(self) -> dict[str, Any]:
        """The ``ray_actor_options`` of the deployment."""
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.memory:
            options["memory"] = self.memory
        return options

    def backpressure_config(self) -> dict[str, Any]:
        """Serve's answer when the queue is full: 503 with Retry-After."""
        return {"status_code": 503, "retry_after_s": self.backpressure_retry_after_s}

    def serve_options(self) -> dict[str, Any]:
        """Keyword arguments for ``serve.deployment(...)`` / ``Deployment.options(...)``."""
        return {
            "ray_actor_options": self.ray_actor_options(),
            "max_ongoing_requests": self.max_ongoing_requests,
            "max_queued_requests": self.max_queued_requests,
            "backpressure_config": self.backpressure_config(),
            **self.autoscaling_config.replica_options(),
            "health_check_period_s": self.health_check_period_s,
            "graceful_shutdown_timeout_s": self.graceful_shutdown_timeout_s,
        }
