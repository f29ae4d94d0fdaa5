"""``/v1/chat/completions``: the gateway lifecycle around the pipeline, rendered as JSON or SSE."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from deployments.common.errors import ServeError
from serve.api import sse
from serve.api.lifecycle import RequestLifecycle
from serve.api.models.catalogue import ModelCatalogue
from serve.api.protocol import (
    AssistantMessage,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatCompletionResponse,
    Choice,
    Delta,
    InterfazeMeta,
    InterfazeUsage,
    StreamChoice,
    Usage,
)
from serve.gateway.context import RequestContext
from serve.gateway.errors import PolicyRefusal
from serve.gateway.integration import refusal_response
from serve.inputs.parse import InputParser
from serve.inputs.record import RequestInputs
from serve.observability.record import RequestRecord
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
    )


def usage(record: RequestRecord) -> Usage:
    return Usage(
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        total_tokens=record.prompt_tokens + record.completion_tokens,
    )


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

    async def create(
        self, body: ChatCompletionRequest, request: Request, ctx: RequestContext | None
    ) -> Any:
        try:
            await self.lifecycle.admit(ctx, body)
        except PolicyRefusal as exc:
            if exc.as_message:
                request_id = request.state.request_id
                return refusal_response(exc, body.model, request_id, stream=body.stream)
            raise
        headers = dict(ctx.response_headers) if ctx is not None else {}
        record = self.lifecycle.open(request, ctx, body.model)
        try:
            record.llm_only = self.catalogue.chat(body.model).llm_only
            inputs = ctx.inputs if ctx is not None and ctx.inputs else self.parser.parse(body)
            plan = self.pipeline.plan(inputs, record, self.lifecycle.screen(ctx))
            pieces = self.pipeline.answer(body, inputs, record, plan, self.lifecycle.screen(ctx))
            if body.stream:
                first = await anext(pieces, None)  # errors known up front keep their status
                events = self._events(body, inputs, record, first, pieces, ctx)
                return StreamingResponse(
                    events, media_type="text/event-stream", headers={**sse.HEADERS, **headers}
                )
            response = await self._complete(body, inputs, record, pieces, ctx)
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise
        await self.lifecycle.finish(record, ctx, 200)
        return JSONResponse(response.model_dump(mode="json"), headers=headers)

    # -------------------------------------------------------------- non-stream
    async def _complete(
        self,
        body: ChatCompletionRequest,
        inputs: RequestInputs,
        record: RequestRecord,
        pieces: AsyncIterator[str],
        ctx: RequestContext | None,
    ) -> ChatCompletionResponse:
        async for _ in pieces:
            pass
        text = record.answer_text
        gateway = self.lifecycle.gateway
        if ctx is not None and gateway is not None:
            if record.escalated and gateway.needs_retry(ctx, text):
                async for _ in self.pipeline.regenerate(body, inputs, record):
                    pass  # one more generation under the same deadline
                text = record.answer_text
            text = await gateway.on_response(ctx, text)
        return ChatCompletionResponse(
            id=f"chatcmpl-{record.request_id}",
            model=body.model,
            choices=[
                Choice(
                    message=AssistantMessage(content=text),
                    finish_reason=record.finish_reason or "stop",
                )
            ],
            usage=usage(record),
            interfaze=interfaze_meta(record),
        )

    # ------------------------------------------------------------------ stream
    async def _events(
        self,
        body: ChatCompletionRequest,
        inputs: RequestInputs,
        record: RequestRecord,
        first: str | None,
        pieces: AsyncIterator[str],
        ctx: RequestContext | None,
    ) -> AsyncIterator[str]:
        chunk_id = f"chatcmpl-{record.request_id}"
        created = int(time.time())
        gateway = self.lifecycle.gateway
        redactor = gateway.stream_redactor(ctx) if ctx is not None and gateway else None

        def event(choices: list[StreamChoice], **extra: Any) -> str:
            chunk = ChatCompletionChunk(
                id=chunk_id, created=created, model=body.model, choices=choices, **extra
            )
            return sse.event(chunk)

        def delta(text: str) -> str | None:
            safe = redactor.feed(text) if redactor else text
            return event([StreamChoice(delta=Delta(content=safe))]) if safe else None

        status, error = 200, None
        try:
            yield event([StreamChoice(delta=Delta(role="assistant", content=""))])
            if first is not None and (chunk := delta(first)):
                yield chunk
            async for text in pieces:
                if chunk := delta(text):
                    yield chunk
            if redactor and (rest := redactor.flush()):
                yield event([StreamChoice(delta=Delta(content=rest))])
            yield event(
                [StreamChoice(delta=Delta(), finish_reason=record.finish_reason or "stop")],
                interfaze=interfaze_meta(record),
            )
            if body.stream_options and body.stream_options.include_usage:
                yield event([], usage=usage(record))
        except ServeError as exc:
            status, error = exc.status, exc.message
            yield sse.error_event(exc)
        except BaseException as exc:  # client disconnect (cancellation) or a bug
            status, error = 499, type(exc).__name__
            raise
        finally:
            await pieces.aclose()
            await self.lifecycle.finish(record, ctx, status, error)
        yield sse.DONE
