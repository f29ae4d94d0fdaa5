"""The LLM deployment class: ``ray.serve.llm``'s ``LLMServer`` plus a router-facing stream.

``LLMServer`` already serves OpenAI requests on vLLM. The router talks to it through a
DeploymentHandle with a small, vLLM-free protocol (:mod:`deployments.llm.protocol`):
``generate`` takes a :class:`GenerationRequest` dict and streams lists of
:class:`GenerationChunk` dicts — as many per Ray hop as have queued up, so a busy replica
pays one hop per batch rather than one per token. Closing the stream (client disconnect,
timeout) aborts the vLLM request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from ray.serve.llm import LLMServer

from deployments.llm import tools as tool_schema
from deployments.llm.priority import restore_priority
from deployments.llm.protocol import GenerationChunk, GenerationRequest

logger = logging.getLogger(__name__)

SSE_DATA = "data: "
_DONE = object()


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


def _completion_logprobs(logprobs: dict[str, Any]) -> list[dict[str, Any]]:
    """Completion-style logprobs (parallel arrays) as chat-style entries."""
    tokens = logprobs.get("tokens") or []
    values = logprobs.get("token_logprobs") or []
    tops = logprobs.get("top_logprobs") or []
    entries = []
    for i, token in enumerate(tokens):
        top = tops[i] if i < len(tops) and tops[i] else {}
        entries.append(
            {
                "token": token,
                "logprob": values[i] if i < len(values) and values[i] is not None else -9999.0,
                "bytes": list(token.encode("utf-8", "replace")),
                "top_logprobs": [
                    {"token": t, "logprob": lp, "bytes": list(t.encode("utf-8", "replace"))}
                    for t, lp in top.items()
                ],
            }
        )
    return entries


def chunks_from_event(event: dict[str, Any]) -> list[GenerationChunk]:
    """Map one OpenAI completion/chat stream event to protocol chunks."""
    if "error" in event:
        return [GenerationChunk(kind="error", error=event["error"])]
    chunks = []
    for choice in event.get("choices") or []:
        delta = choice.get("delta") or {}
        text = choice.get("text")
        if text is None:
            text = delta.get("content") or ""
        raw_logprobs = choice.get("logprobs")
        logprobs = None
        if isinstance(raw_logprobs, dict):
            logprobs = raw_logprobs.get("content")
            if logprobs is None and "tokens" in raw_logprobs:
                logprobs = _completion_logprobs(raw_logprobs)
        tool_calls = delta.get("tool_calls") or None
        finish = choice.get("finish_reason")
        if text or finish or logprobs or tool_calls:
            chunks.append(
                GenerationChunk(
                    index=int(choice.get("index") or 0),
                    text=text,
                    finish_reason=finish,
                    logprobs=logprobs or None,
                    tool_calls=tool_calls,
                )
            )
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


def engine_request_fields(
    request: GenerationRequest, model_id: str, *, native_tools: bool = True
) -> dict[str, Any]:
    """Fields of the vLLM completion/chat request for ``request`` (always streamed).

    Without ``native_tools`` the request's tools become a schema the output must follow
    (see :mod:`deployments.llm.tools`).
    """
    chat = request.messages is not None
    fields: dict[str, Any] = {
        "model": model_id,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": request.max_tokens,
        "stop": [*request.stop, *request.template_stops],
        "request_id": request.request_id,
    }
    for name in (
        "n",
        "temperature",
        "top_p",
        "top_k",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "response_format",
    ):
        value = getattr(request, name)
        if value is not None and not (name == "n" and value == 1):
            fields[name] = value
    if request.logprobs:
        if chat:
            fields["logprobs"] = True
            fields["top_logprobs"] = request.top_logprobs or 0
        else:
            fields["logprobs"] = request.top_logprobs or 0
    tools = request.tools if request.tool_choice != "none" else None
    messages = request.messages
    prompt = request.prompt or ""
    if tools and native_tools and chat:
        fields["tools"] = tools
        for name in ("tool_choice", "parallel_tool_calls"):
            if getattr(request, name) is not None:
                fields[name] = getattr(request, name)
    elif tools:
        guide = tool_schema.instructions(tools, request.tool_choice)
        schema = tool_schema.output_schema(tools, request.tool_choice, request.parallel_tool_calls)
        fields["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "reply_or_tool_calls", "schema": schema},
        }
        if chat:
            messages = [{"role": "system", "content": guide}, *tool_schema.plain_messages(messages)]
        else:
            prompt = f"{guide}\n\n{prompt}"
    if chat:
        fields["messages"] = messages
    else:
        fields["prompt"] = prompt
    return fields


async def coalesce(source: AsyncIterator[Any]) -> AsyncIterator[list[Any]]:
    """Batches of whatever ``source`` has produced since the last batch was taken."""
    queue: asyncio.Queue = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in source:
                queue.put_nowait(item)
        except BaseException as exc:  # delivered to the consumer in order
            queue.put_nowait(exc)
        finally:
            queue.put_nowait(_DONE)

    task = asyncio.create_task(pump())
    try:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            done = batch[-1] is _DONE
            items = [b for b in batch if b is not _DONE]
            for item in items:
                if isinstance(item, BaseException):
                    raise item
            if items:
                yield items
            if done:
                return
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class ToolOutput:
    """Buffers a schema-constrained output per choice and turns it into OpenAI tool calls."""

    def __init__(self) -> None:
        self.text: dict[int, list[str]] = {}

    def feed(self, chunk: GenerationChunk) -> list[GenerationChunk]:
        if chunk.kind != "delta":
            return [chunk]
        self.text.setdefault(chunk.index, []).append(chunk.text)
        if not chunk.finish_reason:
            return []
        content, calls = tool_schema.parse_output("".join(self.text.pop(chunk.index)))
        finish = "tool_calls" if calls else chunk.finish_reason
        return [
            GenerationChunk(
                index=chunk.index, text=content or "", tool_calls=calls, finish_reason=finish
            )
        ]


class InterfazeLLMServer(LLMServer):
    """``LLMServer`` with ``generate`` (router protocol) and ``stats`` (live counters)."""

    async def __init__(self, llm_config, **kwargs):  # type: ignore[override]
        self._active = 0
        self._finished = 0
        self._cancelled = 0
        await super().__init__(llm_config, **kwargs)
        changed = restore_priority()  # started: the engine serves at the normal priority
        if changed:
            logger.info("llm: start-up priority lowered back to normal (%d threads)", changed)

    @property
    def native_tools(self) -> bool:
        """Whether vLLM parses tool calls for this model (a tool-call parser is configured)."""
        kwargs = self._llm_config.engine_kwargs or {}
        return bool(kwargs.get("enable_auto_tool_choice") and kwargs.get("tool_call_parser"))

    async def generate(self, request: dict[str, Any]) -> AsyncGenerator[list[dict], None]:
        """Stream batches of protocol chunks for one generation request."""
        try:
            parsed = GenerationRequest.model_validate(request)
            stream = self._engine_stream(parsed)
        except Exception as exc:  # bad parameters never reach the engine
            error = {"message": str(exc), "type": "invalid_request_error", "code": 400}
            yield [GenerationChunk(kind="error", error=error).model_dump(exclude_none=True)]
            return
        self._active += 1
        try:
            async for batch in coalesce(self._chunks(parsed, stream)):
                yield [c.model_dump(exclude_none=True) for c in batch]
            self._finished += 1
        except (asyncio.CancelledError, GeneratorExit):
            self._cancelled += 1
            raise
        finally:
            self._active -= 1
            await stream.aclose()

    def _engine_stream(self, request: GenerationRequest) -> AsyncGenerator:
        from ray.llm._internal.serve.core.configs.openai_api_models import (
            ChatCompletionRequest,
            CompletionRequest,
        )

        fields = engine_request_fields(
            request, self._llm_config.model_id, native_tools=self.native_tools
        )
        if request.messages is not None:
            return self.engine.chat(ChatCompletionRequest(**fields), None)
        return self.engine.completions(CompletionRequest(**fields), None)

    async def _chunks(
        self, request: GenerationRequest, stream: AsyncGenerator
    ) -> AsyncIterator[GenerationChunk]:
        from ray.llm._internal.serve.core.configs.openai_api_models import ErrorResponse

        tools = request.tools and request.tool_choice != "none"
        buffer = ToolOutput() if tools and not self.native_tools else None
        async for item in stream:
            if isinstance(item, ErrorResponse):
                yield GenerationChunk(kind="error", error=item.error.model_dump())
                return
            if not isinstance(item, str):
                continue
            for event in parse_sse_events(item):
                for chunk in chunks_from_event(event):
                    for out in buffer.feed(chunk) if buffer else [chunk]:
                        yield out

    async def stats(self) -> dict[str, Any]:
        """Counters of this replica: generations running, finished, cancelled."""
        return {
            "model_id": self._llm_config.model_id,
            "active": self._active,
            "finished": self._finished,
            "cancelled": self._cancelled,
            "native_tools": self.native_tools,
        }
