"""The router ↔ LLM deployment protocol: plain, Ray-serialisable pydantic models.

The router never imports vLLM; the LLM deployment turns a :class:`GenerationRequest` into a
vLLM completion or chat request and streams :class:`GenerationChunk` dicts back, several per
Ray hop when they queue up (``generate`` yields lists).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class GenerationRequest(BaseModel):
    """One generation, already fitted to the model's context by the router."""

    request_id: str = Field(..., description="Trace id, forwarded to vLLM for log correlation.")
    prompt: str | None = Field(None, description="Completion-style prompt (template format).")
    messages: list[dict[str, Any]] | None = Field(
        None, description="Chat messages (chat format: the model's own template applies)."
    )
    raw_prompt: bool = Field(
        False,
        description="The prompt is the client's own (/v1/completions): no template stops added.",
    )
    max_tokens: int = Field(256, ge=1, description="Most tokens to generate.")
    n: int = Field(1, ge=1, le=16, description="Choices to generate for the same prompt.")
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature.")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling mass.")
    top_k: int | None = Field(None, ge=-1, description="Top-k sampling (-1/None: off).")
    presence_penalty: float | None = Field(None, ge=-2, le=2, description="OpenAI semantics.")
    frequency_penalty: float | None = Field(None, ge=-2, le=2, description="OpenAI semantics.")
    logit_bias: dict[str, float] | None = Field(
        None, description="Token id (as a string) → bias in [-100, 100]."
    )
    logprobs: bool = Field(False, description="Return the log-probability of each token.")
    top_logprobs: int | None = Field(
        None, ge=0, le=20, description="Most likely alternatives per token (with logprobs)."
    )
    stop: list[str] = Field(default_factory=list, description="Client stop sequences (≤ 4).")
    template_stops: list[str] = Field(
        default_factory=list, description="Stops of our own prompt template (not the client's)."
    )
    seed: int | None = Field(None, description="Sampling seed for reproducible output.")
    response_format: dict[str, Any] | None = Field(
        None, description="OpenAI response_format (json_object / json_schema)."
    )
    tools: list[dict[str, Any]] | None = Field(
        None, description="OpenAI function tools the model may call."
    )
    tool_choice: str | dict[str, Any] | None = Field(
        None, description="none | auto | required | {'type': 'function', 'function': {name}}."
    )
    parallel_tool_calls: bool | None = Field(None, description="Allow several tool calls.")


class GenerationChunk(BaseModel):
    """One streamed piece of one choice: text, tool calls, logprobs, a finish reason, usage."""

    kind: Literal["delta", "usage", "error"] = "delta"
    index: int = Field(0, description="The choice this piece belongs to (n > 1).")
    text: str = ""
    finish_reason: str | None = None
    logprobs: list[dict[str, Any]] | None = Field(
        None, description="OpenAI chat logprobs entries: {token, logprob, bytes, top_logprobs}."
    )
    tool_calls: list[dict[str, Any]] | None = Field(
        None, description="OpenAI tool calls: {index, id, type, function: {name, arguments}}."
    )
    usage: dict[str, int] | None = None
    error: dict[str, Any] | None = None
