"""``/v1/chat/completions``: the gateway lifecycle around the pipeline, rendered as JSON or SSE."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from deployments.common.errors import ServeError
from deployments.llm.protocol import GenerationChunk
from serve.api import sse
from serve.api.lifecycle import RequestLifecycle
from serve.api.models.catalogue import ModelCatalogue
from serve.api.protocol import (
    AssistantMessage,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatCompletionResponse,
    Choice,
    ChoiceLogprobs,
    Delta,
    InterfazeMeta,
    InterfazeUsage,
    StreamChoice,
    ToolCall,
    Usage,
)
from serve.gateway.context import RequestContext
from serve.gateway.errors import PolicyRefusal
from serve.gateway.integration import refusal_response
from serve.gateway.output_guard import LogprobsGate
from serve.inputs.parse import InputParser
from serve.inputs.record import RequestInputs
from serve.observability.record import ChoiceRecord, RequestRecord
from serve.pipeline.pipeline import Pipeline


def interfaze_meta(record: RequestRecord) -> InterfazeMeta:
    """The ``interfaze`` object of a response, from the request's record."""
    return InterfazeMeta(
        escalated=record.escalated,
        route=record.stage_names,
        confidence=record.confidence,
        trace_id=record.request_id,
        usage=InterfazeUsage(
            llm_prompt_tokens=record.prompt_tokens, llm_completion_tokens=record.completion_tokens
        ),
        timings_ms=record.timings_ms(),
        answerer=record.answerer,
        sources=record.citations(),
        degraded=dict(record.degraded),
    )


def usage(record: RequestRecord) -> Usage:
    """Tokens of the answer: the LLM's when it answered, else what an LLM would have counted."""
    prompt, completion = record.prompt_tokens, record.completion_tokens
    if not record.escalated and record.answer_usage is not None:
        prompt, completion = record.answer_usage
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def tool_calls(choice: ChoiceRecord) -> list[ToolCall] | None:
    return [ToolCall.model_validate(call) for call in choice.tool_calls] or None


def finish_reason(choice: ChoiceRecord) -> str:
    if choice.tool_calls and choice.finish_reason in (None, "stop"):
        return "tool_calls"
    return choice.finish_reason or "stop"


@dataclass
class ChatRun:
    """A started chat request: its record and the rest of its answer's deltas."""

    body: ChatCompletionRequest
    inputs: RequestInputs
    record: RequestRecord
    first: GenerationChunk | None
    pieces: AsyncIterator[GenerationChunk]
    ctx: RequestContext | None


class ChatCompletionServing:
    """Admits, runs and renders chat completions; the only HTTP-aware part of the path."""

    def __init__(
        self,
        pipeline: Pipeline,
        lifecycle: RequestLifecycle,
        catalogue: ModelCatalogue,
        parser: InputParser,
    ) -> None:
        self.pipeline = pipeline
        self.lifecycle = lifecycle
        self.catalogue = catalogue
        self.parser = parser

    async def start(
        self, body: ChatCompletionRequest, request: Request, ctx: RequestContext | None
    ) -> ChatRun:
        """Admit the request and start the pipeline; the first delta is awaited so errors
        known up front keep their HTTP status. Other endpoints (/v1/responses) reuse it.

        Raises the gateway's :class:`PolicyRefusal` before any record is opened.
        """
        await self.lifecycle.admit(ctx, body)
        record = self.lifecycle.open(request, ctx, body.model)
        try:
            record.llm_only = self.catalogue.chat(body.model).llm_only
            inputs = ctx.inputs if ctx is not None and ctx.inputs else None
            inputs = inputs or await self.parser.read(body)
            inputs.owner = record.key_id
            plan = self.pipeline.plan(inputs, record, self.lifecycle.screen(ctx))
            pieces = self.pipeline.answer(body, inputs, record, plan, self.lifecycle.screen(ctx))
            first = await anext(pieces, None)
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise
        return ChatRun(body, inputs, record, first, pieces, ctx)

    async def create(
        self, body: ChatCompletionRequest, request: Request, ctx: RequestContext | None
    ) -> Any:
        try:
            run = await self.start(body, request, ctx)
        except PolicyRefusal as exc:
            if exc.as_message:
                request_id = request.state.request_id
                return refusal_response(exc, body.model, request_id, stream=body.stream)
            raise
        headers = dict(ctx.response_headers) if ctx is not None else {}
        if body.stream:
            return StreamingResponse(
                self._events(run),
                media_type="text/event-stream",
                headers={**sse.HEADERS, **headers},
            )
        try:
            response = await self.complete(run)
        except ServeError as exc:
            await self.lifecycle.finish(run.record, ctx, exc.status, exc.message)
            raise
        await self.lifecycle.finish(run.record, ctx, 200)
        return JSONResponse(response.model_dump(mode="json"), headers=headers)

    # -------------------------------------------------------------- non-stream
    async def texts(self, run: ChatRun) -> list[str]:
        """Run to the end; each choice's text after the output guard (format retry once)."""
        async for _ in run.pieces:
            pass
        record, ctx, gateway = run.record, run.ctx, self.lifecycle.gateway
        texts = [choice.content for choice in record.choices]
        if ctx is not None and gateway is not None:
            ctx.truncated = record.finish_reason == "length"  # cut answers are not re-checked
            if record.escalated and gateway.needs_retry(ctx, texts[0]):
                async for _ in self.pipeline.regenerate(run.body, run.inputs, record):
                    pass  # one more generation under the same deadline
                texts = [choice.content for choice in record.choices]
            texts = [await gateway.on_response(ctx, text) for text in texts]
        return texts

    async def complete(self, run: ChatRun) -> ChatCompletionResponse:
        texts = await self.texts(run)
        body, record = run.body, run.record
        choices = []
        for choice, text in zip(record.choices, texts, strict=True):
            calls = tool_calls(choice)
            # A redacted answer's logprobs would spell what was masked: none are sent.
            logprobs = choice.logprobs if text == choice.content else []
            choices.append(
                Choice(
                    index=choice.index,
                    message=AssistantMessage(content=text or (None if calls else ""),
                                             tool_calls=calls),
                    finish_reason=finish_reason(choice),
                    logprobs=ChoiceLogprobs(content=logprobs) if body.logprobs else None,
                )
            )  # fmt: skip
        return ChatCompletionResponse(
            id=f"chatcmpl-{record.request_id}",
            model=body.model,
            choices=choices,
            usage=usage(record),
            interfaze=interfaze_meta(record),
        )

    # ------------------------------------------------------------------ stream
    def _events(self, run: ChatRun) -> AsyncIterator[str]:
        body, record, first, pieces, ctx = run.body, run.record, run.first, run.pieces, run.ctx
        chunk_id = f"chatcmpl-{record.request_id}"
        created = int(time.time())
        gateway = self.lifecycle.gateway
        redactors: dict[int, Any] = {}
        gates: dict[int, LogprobsGate] = {}  # logprobs leave in step with the redacted text

        def event(choices: list[StreamChoice], **extra: Any) -> str:
            chunk = ChatCompletionChunk(
                id=chunk_id, created=created, model=body.model, choices=choices, **extra
            )
            return sse.event(chunk)

        def redact(index: int, text: str) -> str:
            if ctx is None or gateway is None:
                return text
            if index not in redactors:
                redactors[index] = gateway.stream_redactor(ctx)
            return redactors[index].feed(text)

        def delta(piece: GenerationChunk) -> str | None:
            text = redact(piece.index, piece.text) if piece.text else ""
            entries = gates.setdefault(piece.index, LogprobsGate()).feed(
                piece.text or "", text, piece.logprobs or []
            )
            logprobs = ChoiceLogprobs(content=entries) if entries else None
            if not (text or piece.tool_calls or logprobs):
                return None
            choice = StreamChoice(
                index=piece.index,
                delta=Delta(content=text or None, tool_calls=piece.tool_calls),
                logprobs=logprobs,
            )
            return event([choice])

        async def events() -> AsyncIterator[str]:
            yield event(
                [StreamChoice(index=i, delta=Delta(role="assistant", content="")) for i in
                 range(body.n)]
            )  # fmt: skip
            if first is not None and (chunk := delta(first)):
                yield chunk
            async for piece in pieces:
                if chunk := delta(piece):
                    yield chunk
            for index, gate in gates.items():
                rest = redactors[index].flush() if index in redactors else ""
                entries = gate.flush(rest)
                if rest or entries:
                    logprobs = ChoiceLogprobs(content=entries) if entries else None
                    delta_ = Delta(content=rest or None)
                    yield event([StreamChoice(index=index, delta=delta_, logprobs=logprobs)])
            finals = [
                StreamChoice(index=choice.index, delta=Delta(), finish_reason=finish_reason(choice))
                for choice in record.choices
            ]
            yield event(finals, interfaze=interfaze_meta(record))
            if body.stream_options and body.stream_options.include_usage:
                yield event([], usage=usage(record))

        return self.lifecycle.stream(events(), record, ctx, close=pieces.aclose)
