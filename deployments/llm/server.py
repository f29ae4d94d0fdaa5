"""The LLM deployment class: ``ray.serve.llm``'s ``LLMServer`` plus a router-facing stream.

``LLMServer`` already serves OpenAI requests on vLLM. The router talks to it through a
DeploymentHandle with a small, vLLM-free protocol (:mod:`deployments.llm.protocol`): ``generate``
takes a :class:`GenerationRequest` dict and streams :class:`GenerationChunk` dicts. Closing the
stream (client disconnect, timeout) aborts the vLLM request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

from ray.serve.llm import LLMServer

from deployments.llm.protocol import GenerationChunk, GenerationRequest

SSE_DATA = "data: "


def parse_sse_events(payload: str) -> list[dict[str, Any]]:
    """Decode the ``data: {...}`` events of a vLLM streaming payload (``[DONE]`` dropped)."""
    events = []
    for line in payload.splitlines():
        line = line.strip()
        if not line.startswith(SSE_DATA):
            continue
        body = line[len(SSE_DATA) :]
        if body == "[DONE]":
            continue
        events.append(json.loads(body))
    return events


def chunks_from_event(event: dict[str, Any]) -> list[GenerationChunk]:
    """Map one OpenAI completion/chat stream event to protocol chunks."""
    if "error" in event:
        return [GenerationChunk(kind="error", error=event["error"])]
    chunks = []
    for choice in event.get("choices") or []:
        text = choice.get("text")
        if text is None:
            text = (choice.get("delta") or {}).get("content") or ""
        finish = choice.get("finish_reason")
        if text or finish:
            chunks.append(GenerationChunk(text=text, finish_reason=finish))
    usage = event.get("usage")
    if usage:
        chunks.append(
            GenerationChunk(
                kind="usage",
                usage={
                    "prompt_tokens": int(usage.get("prompt_tokens") or 0),
                    "completion_tokens": int(usage.get("completion_tokens") or 0),
                },
            )
        )
    return chunks


def engine_request_fields(request: GenerationRequest, model_id: str) -> dict[str, Any]:
    """Fields of the vLLM completion/chat request for ``request`` (always streamed)."""
    fields: dict[str, Any] = {
        "model": model_id,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": request.max_tokens,
        "stop": request.stop,
        "request_id": request.request_id,
    }
    for name in ("temperature", "top_p", "top_k", "seed", "response_format"):
        value = getattr(request, name)
        if value is not None:
            fields[name] = value
    if request.messages is not None:
        fields["messages"] = request.messages
    else:
        fields["prompt"] = request.prompt or ""
    return fields


class InterfazeLLMServer(LLMServer):
    """``LLMServer`` with ``generate`` (router protocol) and ``stats`` (live counters)."""

    async def __init__(self, llm_config, **kwargs):  # type: ignore[override]
        self._active = 0
        self._finished = 0
        self._cancelled = 0
        await super().__init__(llm_config, **kwargs)

    async def generate(self, request: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """Stream protocol chunks for one generation request."""
        from ray.llm._internal.serve.core.configs.openai_api_models import (
            ChatCompletionRequest,
            CompletionRequest,
            ErrorResponse,
        )

        try:
            parsed = GenerationRequest.model_validate(request)
            fields = engine_request_fields(parsed, self._llm_config.model_id)
            if parsed.messages is not None:
                engine_request = ChatCompletionRequest(**fields)
                stream = self.engine.chat(engine_request, None)
            else:
                engine_request = CompletionRequest(**fields)
                stream = self.engine.completions(engine_request, None)
        except Exception as exc:  # bad parameters never reach the engine
            yield GenerationChunk(
                kind="error",
                error={"message": str(exc), "type": "invalid_request_error", "code": 400},
            ).model_dump()
            return

        self._active += 1
        try:
            async for item in stream:
                if isinstance(item, ErrorResponse):
                    error = item.error.model_dump()
                    yield GenerationChunk(kind="error", error=error).model_dump()
                    return
                if not isinstance(item, str):
                    continue
                for event in parse_sse_events(item):
                    for chunk in chunks_from_event(event):
                        yield chunk.model_dump()
            self._finished += 1
        except (asyncio.CancelledError, GeneratorExit):
            self._cancelled += 1
            raise
        finally:
            self._active -= 1
            await stream.aclose()

    async def stats(self) -> dict[str, Any]:
        """Counters of this replica: generations running, finished, cancelled."""
        return {
            "model_id": self._llm_config.model_id,
            "active": self._active,
            "finished": self._finished,
            "cancelled": self._cancelled,
        }
