"""The router ↔ LLM deployment protocol: plain, Ray-serialisable pydantic models.

The router never imports vLLM; the LLM deployment turns a :class:`GenerationRequest` into a
vLLM completion or chat request and streams :class:`GenerationChunk` dicts back.
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
    max_tokens: int = Field(256, ge=1, description="Most tokens to generate.")
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature.")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling mass.")
    top_k: int | None = Field(None, ge=-1, description="Top-k sampling (-1/None: off).")
    stop: list[str] = Field(default_factory=list, description="Stop sequences.")
    seed: int | None = Field(None, description="Sampling seed for reproducible output.")
    response_format: dict[str, Any] | None = Field(
        None, description="OpenAI response_format (json_object / json_schema)."
    )


class GenerationChunk(BaseModel):
    """One streamed piece: text, a finish reason, usage, or an error."""

    text: str = ""
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    error: dict[str, Any] | None = None
    kind: Literal["delta", "usage", "error"] = "delta"
