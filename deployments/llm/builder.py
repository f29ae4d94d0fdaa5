"""Builds the LLM deployment from :class:`LLMSettings` (Ray Serve LLM builder style)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployments.llm.config import LLMSettings
from deployments.llm.priority import DEFAULT_STARTUP_NICE, STARTUP_NICE_ENV

LLM_DEPLOYMENT_NAME = "llm"


def placement_bundles(settings: LLMSettings) -> list[dict[str, float]]:
    """The engine's bundle: CPUs locally, a (fractional) GPU share on CUDA.

    Ray Serve LLM merges the replica actor's own resources (``num_cpus``) into this bundle.
    """
    if settings.device == "cpu":
        return [{"CPU": 1.0}]
    return [{"GPU": settings.num_gpus}]


def engine_kwargs(settings: LLMSettings) -> dict[str, Any]:
    """vLLM engine arguments; a GPU fraction caps vLLM's share of GPU memory to match."""
    kwargs = dict(settings.engine_kwargs)
    if settings.device == "cuda" and settings.num_gpus < 1:
        kwargs.setdefault("gpu_memory_utilization", round(settings.num_gpus * 0.9, 3))
    return kwargs


# vLLM refuses more than VLLM_MAX_STOP_STRINGS stops (default 4, read when its protocol is
# imported); a request carries the client's (OpenAI allows 4) plus our prompt template's.
MAX_STOP_STRINGS = 16


def engine_env(settings: LLMSettings) -> dict[str, str]:
    """Environment of the LLM replica and its engine: on CPU it starts at a raised priority
    (``IFZ_LLM_STARTUP_NICE``; ``llm.env_vars`` may set it, "0" leaves it)."""
    env = {"VLLM_MAX_STOP_STRINGS": str(MAX_STOP_STRINGS)}
    if settings.device == "cpu":
        env[STARTUP_NICE_ENV] = str(DEFAULT_STARTUP_NICE)
    return {**env, **settings.env_vars}


def build_llm_config(settings: LLMSettings, model_path: str) -> Any:
    """The ``ray.serve.llm.LLMConfig`` for ``settings``; ``model_path`` is already resolved."""
    from ray.serve.llm import LLMConfig

    config: dict[str, Any] = {
        "model_loading_config": {"model_id": settings.model_id, "model_source": model_path},
        "engine_kwargs": engine_kwargs(settings),
        "placement_group_config": {"bundles": placement_bundles(settings)},
        "runtime_env": {"env_vars": engine_env(settings)},
        "deployment_config": {
            "ray_actor_options": {"num_cpus": settings.num_cpus},
            **settings.autoscaling_config.replica_options(),  # num_replicas when fixed
            "max_ongoing_requests": settings.max_ongoing_requests,
            "max_queued_requests": settings.max_queued_requests,
            "backpressure_config": settings.backpressure_config(),
            "health_check_period_s": settings.health_check_period_s,
            "graceful_shutdown_timeout_s": settings.graceful_shutdown_timeout_s,
        },
    }
    if settings.accelerator_type:
        config["accelerator_type"] = settings.accelerator_type
    # a local model folder needs no download task (start-up time, an idle worker's memory)
    config["callback_config"] = {"callback_class": "deployments.llm.startup:LocalModelCallback"}
    return LLMConfig(**{k: v for k, v in config.items() if v is not None})


def build_llm_deployment(settings: LLMSettings, data_dir: Path) -> Any:
    """The bound LLM deployment (an Application node the router receives as a handle)."""
    from ray.serve.llm import build_llm_deployment as ray_build_llm_deployment

    from deployments.llm.local_model import resolve_model_source
    from deployments.llm.server import InterfazeLLMServer

    llm_config = build_llm_config(settings, resolve_model_source(settings.model_source, data_dir))
    return ray_build_llm_deployment(
        llm_config,
        name_prefix="",
        override_serve_options={"name": LLM_DEPLOYMENT_NAME},
        deployment_cls=InterfazeLLMServer,
    )
