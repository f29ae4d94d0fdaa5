"""``/v1/completions``: the client's own prompt on the bare LLM, JSON or SSE ``text_completion``.

Every model name this server answers to (``interfaze`` included) is served by the LLM alone:
a raw prompt has no question for the small-model stack to answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from deployments.common.errors import BadRequest, Overloaded, PayloadTooLarge, ServeError
from deployments.llm.protocol import GenerationChunk, GenerationRequest
from serve.api import sse
from serve.api.chat_completions.serving import interfaze_meta
from serve.api.completions.protocol import (
    MAX_PROMPTS,
    MAX_TOTAL_CHOICES,
    CompletionChoice,
    CompletionLogprobs,
    CompletionRequest,
    CompletionResponse,
)
from serve.api.lifecycle import RequestLifecycle
from serve.api.models.catalogue import ModelCatalogue
from serve.api.protocol import Usage
from serve.gateway.context import RequestContext
from serve.gateway.output_guard import LogprobsGate
from serve.llm.client import LLMClient
from serve.observability.record import RequestRecord


class LogprobsWriter:
    """Chat-style logprob entries (what the LLM protocol carries) → completion-style lists,
    with ``text_offset`` counted from the start of the choice's text."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset

    def render(self, entries: list[dict[str, Any]]) -> CompletionLogprobs:
        out = CompletionLogprobs()
        for entry in entries:
            token = str(entry.get("token", ""))
            out.tokens.append(token)
            out.token_logprobs.append(entry.get("logprob"))
            tops = entry.get("top_logprobs") or []
            out.top_logprobs.append({str(t.get("token")): t.get("logprob") for t in tops})
            out.text_offset.append(self.offset)
            self.offset += len(token)
        return out


async def merge(streams: list[AsyncIterator[GenerationChunk]]) -> AsyncIterator[GenerationChunk]:
    """The chunks of several streams as they arrive; closing the merge closes every stream."""
    if len(streams) == 1:
        async for chunk in streams[0]:
            yield chunk
        return
    queue: asyncio.Queue = asyncio.Queue()
    done = object()

    async def pump(stream: AsyncIterator[GenerationChunk]) -> None:
        try:
            async for chunk in stream:
                queue.put_nowait(chunk)
        except Exception as exc:  # delivered in order; the other streams are then cancelled
            queue.put_nowait(exc)
        finally:
            queue.put_nowait(done)

    tasks = [asyncio.create_task(pump(s)) for s in streams]
    try:
        running = len(tasks)
        while running:
            item = await queue.get()
            if item is done:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class CompletionServing:
    """Checks the request, runs one generation per prompt, renders OpenAI's text completions."""

    def __init__(
        self,
        llm: LLMClient | None,
        lifecycle: RequestLifecycle,
        catalogue: ModelCatalogue,
        *,
        timeout_s: float,
        max_prompt_chars: int,
    ) -> None:
        self.llm = llm
        self.lifecycle = lifecycle
        self.catalogue = catalogue
        self.timeout_s = timeout_s
        self.max_prompt_chars = max_prompt_chars

    # ----------------------------------------------------------------- checks
    def prompts(self, body: CompletionRequest) -> list[str]:
        """The prompts, or the 4xx/503 that explains why the request cannot run."""
        self.catalogue.chat(body.model)  # 404 with the known names
        if self.llm is None:
            raise Overloaded(
                "no LLM is deployed in this configuration", code="llm_unavailable", retry_after=60
            )
        if body.token_arrays:
            raise BadRequest(
                "prompt as token arrays is not supported: send the prompt as text",
                code="unsupported_prompt_type",
                param="prompt",
            )
        unsupported = {
            "suffix": bool(body.suffix),
            "best_of": body.best_of is not None and body.best_of != body.n,
            "echo": body.echo and body.logprobs is not None,
        }
        reasons = {
            "suffix": "suffix (insertion) is not supported by this model",
            "best_of": "best_of other than n is not supported",
            "echo": "echo with logprobs is not supported (no prompt logprobs)",
        }
        for param, refused in unsupported.items():
            if refused:
                raise BadRequest(reasons[param], code="unsupported_parameter", param=param)
        prompts = body.prompts()
        if not prompts:
            raise BadRequest("prompt must not be empty", code="invalid_value", param="prompt")
        if len(prompts) > MAX_PROMPTS:
            raise BadRequest(
                f"{len(prompts)} prompts are too many (at most {MAX_PROMPTS} per request)",
                code="too_many_prompts",
                param="prompt",
            )
        if len(prompts) * body.n > MAX_TOTAL_CHOICES:
            raise BadRequest(
                f"{len(prompts)} prompts × n={body.n} choices exceed {MAX_TOTAL_CHOICES}",
                code="too_many_choices",
                param="n",
            )
        for index, prompt in enumerate(prompts):
            if not prompt:
                param = "prompt" if isinstance(body.prompt, str) else f"prompt[{index}]"
                raise BadRequest(f"{param} is empty", code="invalid_value", param=param)
        chars = sum(len(p) for p in prompts)
        if chars > self.max_prompt_chars:
            raise PayloadTooLarge(
                f"the prompt has {chars} characters, over the limit of {self.max_prompt_chars} "
                "(gateway.validation.max_text_chars)",
                code="prompt_too_long",
                param="prompt",
            )
        return prompts

    def generation(self, body: CompletionRequest, prompt: str, request_id: str):
        return GenerationRequest(
            request_id=request_id,
            prompt=prompt,
            raw_prompt=True,
            max_tokens=body.max_tokens,
            logprobs=body.logprobs is not None,
            top_logprobs=body.logprobs,
            **body.sampling(),
        )

    # ------------------------------------------------------------------ run
    async def create(
        self, body: CompletionRequest, request: Request, ctx: RequestContext | None
    ) -> Any:
        await self.lifecycle.admit(ctx, body)  # limits, input guard on the prompt, audit
        record = self.lifecycle.open(request, ctx, body.model, llm_only=True)
        record.route = "completions"
        try:
            prompts = self.prompts(body)
            pieces = self.pieces(body, prompts, record)
            first = await anext(pieces, None)  # errors known up front keep their status
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise
        headers = dict(ctx.response_headers) if ctx is not None else {}
        if body.stream:
            events = self._events(body, prompts, record, first, pieces, ctx)
            return StreamingResponse(
                events, media_type="text/event-stream", headers={**sse.HEADERS, **headers}
            )
        try:
            async for _ in pieces:
                pass
            response = await self.complete(body, prompts, record, ctx)
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise
        finally:
            await pieces.aclose()
        await self.lifecycle.finish(record, ctx, 200)
        return JSONResponse(response.model_dump(mode="json"), headers=headers)

    async def pieces(
        self, body: CompletionRequest, prompts: list[str], record: RequestRecord
    ) -> AsyncIterator[GenerationChunk]:
        """Every choice's deltas (choice index = prompt × n + i); text, logprobs, finish
        reasons and the summed usage land in ``record``."""
        assert self.llm is not None
        llm = self.llm
        record.escalated = True
        record.llm_model = llm.model_id
        for index in range(len(prompts) * body.n):
            record.choice(index)

        async def one(position: int, prompt: str) -> AsyncIterator[GenerationChunk]:
            request_id = (
                record.request_id if len(prompts) == 1 else f"{record.request_id}-{position}"
            )
            request = self.generation(body, prompt, request_id)
            async for chunk in llm.stream(request, timeout_s=self.timeout_s):
                if chunk.kind == "delta":
                    chunk = chunk.model_copy(update={"index": position * body.n + chunk.index})
                yield chunk

        with record.stage("llm", model=llm.model_id, prompts=len(prompts)) as stage:
            streams = [one(k, p) for k, p in enumerate(prompts)]
            async for chunk in merge(streams):
                if chunk.usage:
                    record.prompt_tokens += chunk.usage.get("prompt_tokens", 0)
                    record.completion_tokens += chunk.usage.get("completion_tokens", 0)
                if chunk.kind != "delta":
                    continue
                if "first_token_ms" not in stage.summary and chunk.text:
                    stage.summary["first_token_ms"] = round(
                        record.elapsed_ms() - stage.started_ms, 3
                    )
                choice = record.choice(chunk.index)
                if chunk.text:
                    choice.text.append(chunk.text)
                if chunk.logprobs:
                    choice.logprobs.extend(chunk.logprobs)
                if chunk.finish_reason:
                    choice.finish_reason = chunk.finish_reason
                yield chunk
            stage.summary.update(
                prompt_tokens=record.prompt_tokens, completion_tokens=record.completion_tokens
            )

    def usage(self, record: RequestRecord) -> Usage:
        prompt, completion = record.prompt_tokens, record.completion_tokens
        return Usage(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )

    async def complete(
        self,
        body: CompletionRequest,
        prompts: list[str],
        record: RequestRecord,
        ctx: RequestContext | None,
    ) -> CompletionResponse:
        gateway = self.lifecycle.gateway
        choices = []
        for choice in record.choices:
            text = choice.content
            if ctx is not None and gateway is not None:
                text = await gateway.on_response(ctx, text)
            # A redacted answer's logprobs would spell what was masked: none are sent.
            entries = choice.logprobs if text == choice.content else []
            if body.echo:
                text = prompts[choice.index // body.n] + text
            logprobs = None
            if body.logprobs is not None:
                logprobs = LogprobsWriter().render(entries)
            choices.append(
                CompletionChoice(
                    index=choice.index,
                    text=text,
                    logprobs=logprobs,
                    finish_reason=choice.finish_reason or "stop",
                )
            )
        return CompletionResponse(
            id=f"cmpl-{record.request_id}",
            model=body.model,
            choices=choices,
            usage=self.usage(record),
            interfaze=interfaze_meta(record),
        )

    # ---------------------------------------------------------------- stream
    def _events(
        self,
        body: CompletionRequest,
        prompts: list[str],
        record: RequestRecord,
        first: GenerationChunk | None,
        pieces: AsyncIterator[GenerationChunk],
        ctx: RequestContext | None,
    ) -> AsyncIterator[str]:
        created = int(time.time())
        gateway = self.lifecycle.gateway
        redactors: dict[int, Any] = {}
        gates: dict[int, LogprobsGate] = {}  # logprobs leave in step with the redacted text
        writers: dict[int, LogprobsWriter] = {}
        held: CompletionResponse | None = None  # the last chunk carries the interfaze object

        def chunk(choices: list[CompletionChoice], **extra: Any) -> CompletionResponse:
            return CompletionResponse(
                id=f"cmpl-{record.request_id}",
                created=created,
                model=body.model,
                choices=choices,
                **extra,
            )

        def render(piece: GenerationChunk) -> CompletionResponse | None:
            text = piece.text
            if text and ctx is not None and gateway is not None:
                if piece.index not in redactors:
                    redactors[piece.index] = gateway.stream_redactor(ctx)
                text = redactors[piece.index].feed(text)
            gate = gates.setdefault(piece.index, LogprobsGate())
            entries = gate.feed(piece.text or "", text or "", piece.logprobs or [])
            finish = piece.finish_reason
            if finish:
                rest = redactors.pop(piece.index).flush() if piece.index in redactors else ""
                text += rest
                entries += gates.pop(piece.index).flush(rest)
            logprobs = None
            if body.logprobs is not None and entries:
                writer = writers.setdefault(piece.index, LogprobsWriter())
                logprobs = writer.render(entries)
            if not (text or logprobs or finish):
                return None
            return chunk(
                [
                    CompletionChoice(
                        index=piece.index, text=text, logprobs=logprobs, finish_reason=finish
                    )
                ]
            )

        def emit(next_chunk: CompletionResponse | None) -> str | None:
            nonlocal held
            if next_chunk is None:
                return None
            previous, held = held, next_chunk
            return sse.event(previous) if previous is not None else None

        def on_error(exc: ServeError) -> list[str]:
            return ([sse.event(held)] if held is not None else []) + [sse.error_event(exc)]

        async def events() -> AsyncIterator[str]:
            nonlocal held
            if body.echo:
                for index, prompt in enumerate(prompts):
                    for i in range(body.n):
                        choice = CompletionChoice(index=index * body.n + i, text=prompt)
                        if event := emit(chunk([choice])):
                            yield event
            if first is not None and (event := emit(render(first))):
                yield event
            async for piece in pieces:
                if event := emit(render(piece)):
                    yield event
            for index, gate in gates.items():  # choices that ended without a reason
                rest = redactors[index].flush() if index in redactors else ""
                entries = gate.flush(rest)
                logprobs = None
                if body.logprobs is not None and entries:
                    logprobs = writers.setdefault(index, LogprobsWriter()).render(entries)
                if rest or logprobs:
                    piece_ = CompletionChoice(index=index, text=rest, logprobs=logprobs)
                    if event := emit(chunk([piece_])):
                        yield event
            if held is not None:
                held.interfaze = interfaze_meta(record)
                yield sse.event(held)
                held = None
            if body.include_usage:
                yield sse.event(chunk([], usage=self.usage(record)))

        return self.lifecycle.stream(events(), record, ctx, on_error=on_error, close=pieces.aclose)
