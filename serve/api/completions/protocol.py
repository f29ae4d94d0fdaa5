"""``/v1/completions`` (OpenAI's legacy text completions) request and response models."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
)

from serve.api.protocol import InterfazeMeta, SamplingRequest, Usage, null_means

DEFAULT_MAX_TOKENS = 16  # OpenAI's default for /v1/completions
MAX_PROMPTS = 32  # prompts in one request (each is its own generation)
MAX_TOTAL_CHOICES = 64  # prompts × n
MAX_LOGPROBS = 5  # OpenAI's limit on completion logprobs


class CompletionRequest(SamplingRequest):
    """``POST /v1/completions`` body; unknown fields are ignored, null means the default."""

    prompt: str | list[str] | list[int] | list[list[int]] = Field(
        ..., description="A prompt or a list of prompts (token arrays are refused)."
    )
    suffix: str | None = Field(None, description="Refused unless empty (no insertion mode).")
    max_tokens: Annotated[int, null_means(DEFAULT_MAX_TOKENS)] = Field(DEFAULT_MAX_TOKENS, ge=1)
    best_of: int | None = Field(None, ge=1, description="Only equal to n (or null) is accepted.")
    logprobs: int | None = Field(None, ge=0, le=MAX_LOGPROBS)
    echo: Annotated[StrictBool, null_means(False)] = False

    @property
    def token_arrays(self) -> bool:
        value = self.prompt
        return isinstance(value, list) and bool(value) and not isinstance(value[0], str)

    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)  # type: ignore[arg-type]

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class CompletionLogprobs(BaseModel):
    """Completion-style logprobs: parallel lists, one entry per generated token."""

    tokens: list[str] = Field(default_factory=list)
    token_logprobs: list[float | None] = Field(default_factory=list)
    top_logprobs: list[dict[str, float] | None] = Field(default_factory=list)
    text_offset: list[int] = Field(default_factory=list)


class CompletionChoice(BaseModel):
    index: int
    text: str
    logprobs: CompletionLogprobs | None = None
    finish_reason: str | None = None


class CompletionResponse(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
    interfaze: InterfazeMeta | None = None
