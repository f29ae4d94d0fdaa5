"""``/v1/completions`` (OpenAI's legacy text completions) request and response models."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from serve.api.protocol import MAX_CHOICES, InterfazeMeta, StreamOptions, Usage, lone_surrogate

DEFAULT_MAX_TOKENS = 16  # OpenAI's default for /v1/completions
MAX_PROMPTS = 32  # prompts in one request (each is its own generation)
MAX_TOTAL_CHOICES = 64  # prompts × n
MAX_LOGPROBS = 5  # OpenAI's limit on completion logprobs


def _null_is(default: Any) -> BeforeValidator:
    """Wrappers send unset options as null: null means the default."""
    return BeforeValidator(lambda value: default if value is None else value)


class CompletionRequest(BaseModel):
    """``POST /v1/completions`` body; unknown fields are ignored, null means the default."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(..., min_length=1)
    prompt: str | list[str] | list[int] | list[list[int]] = Field(
        ..., description="A prompt or a list of prompts (token arrays are refused)."
    )
    suffix: str | None = Field(None, description="Refused unless empty (no insertion mode).")
    max_tokens: Annotated[int, _null_is(DEFAULT_MAX_TOKENS)] = Field(DEFAULT_MAX_TOKENS, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    top_k: int | None = Field(None, ge=-1, description="vLLM extension: top-k sampling.")
    n: Annotated[int, _null_is(1)] = Field(1, ge=1, le=MAX_CHOICES)
    best_of: int | None = Field(None, ge=1, description="Only equal to n (or null) is accepted.")
    stream: Annotated[StrictBool, _null_is(False)] = False
    stream_options: StreamOptions | None = None
    logprobs: int | None = Field(None, ge=0, le=MAX_LOGPROBS)
    echo: Annotated[StrictBool, _null_is(False)] = False
    stop: str | list[str] | None = None
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    user: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if lone_surrogate(data):
            raise ValueError("text holds a lone UTF-16 surrogate (not valid Unicode)")
        return data

    @field_validator("stop")
    @classmethod
    def _stop_list(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) > 4:
            raise ValueError("at most 4 stop sequences")
        if isinstance(value, list) and any(not s for s in value):
            raise ValueError("stop sequences must not be empty")
        return value

    @field_validator("logit_bias")
    @classmethod
    def _logit_bias(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for token, bias in (value or {}).items():
            if not token.isdigit():
                raise ValueError(f"logit_bias keys are token ids; got {token!r}")
            if not -100 <= bias <= 100:
                raise ValueError(f"logit_bias values lie in [-100, 100]; got {bias}")
        return value

    @property
    def token_arrays(self) -> bool:
        value = self.prompt
        return isinstance(value, list) and bool(value) and not isinstance(value[0], str)

    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)  # type: ignore[arg-type]

    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

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
