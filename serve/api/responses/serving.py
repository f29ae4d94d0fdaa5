"""``/v1/responses``: a Responses request runs through the chat pipeline, rendered as the
``response`` object or as the Responses stream events.

The request becomes a :class:`ChatCompletionRequest` (:mod:`.translate`), so auth, limits,
validation, the input guard, the small-models-first pipeline, the output guard and the audit
are the chat endpoint's, unchanged. Finished responses are kept (``store``) per API key for
``previous_response_id`` and ``GET /v1/responses/{id}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from deployments.common.errors import NotFound, ServeError
from deployments.llm.protocol import GenerationChunk
from serve.api import sse
from serve.api.chat_completions.serving import (
    ChatCompletionServing,
    ChatRun,
    interfaze_meta,
    usage,
)
from serve.api.lifecycle import RequestLifecycle
from serve.api.responses.protocol import (
    DeletedResponse,
    FunctionCall,
    IncompleteDetails,
    OutputMessage,
    OutputText,
    Refusal,
    ResponseError,
    ResponseObject,
    ResponsesRequest,
    ResponseUsage,
)
from serve.api.responses.translate import Conversation, chat_request
from serve.gateway.context import RequestContext
from serve.gateway.errors import PolicyRefusal
from serve.gateway.output_guard import LogprobsGate
from serve.observability.record import RequestRecord

RESPONSE_PREFIX = "resp_"


def response_usage(record: RequestRecord) -> ResponseUsage:
    counted = usage(record)
    return ResponseUsage(
        input_tokens=counted.prompt_tokens,
        output_tokens=counted.completion_tokens,
        total_tokens=counted.total_tokens,
    )


def outcome(finish_reason: str | None) -> tuple[str, IncompleteDetails | None]:
    """The response status (and why it is incomplete) from the answer's finish reason."""
    if finish_reason == "length":
        return "incomplete", IncompleteDetails(reason="max_output_tokens")
    if finish_reason == "content_filter":
        return "incomplete", IncompleteDetails(reason="content_filter")
    return "completed", None


class EventWriter:
    """Responses stream events: ``event:`` + ``data:`` with a running ``sequence_number``."""

    def __init__(self) -> None:
        self.sequence = 0

    def __call__(self, kind: str, **fields: Any) -> str:
        payload = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


class OutputStream:
    """Builds a response's output items from the answer's deltas, with their stream events."""

    def __init__(self, request_id: str, emit: EventWriter) -> None:
        self.request_id = request_id
        self.emit = emit
        self.items: list[OutputMessage | FunctionCall] = []
        self.message: OutputMessage | None = None
        self.text: list[str] = []
        self.logprobs: list[dict[str, Any]] = []
        self.calls: dict[int, FunctionCall] = {}

    def _index(self, item: OutputMessage | FunctionCall) -> int:
        return self.items.index(item)

    def _open_message(self) -> list[str]:
        self.message = OutputMessage(id=f"msg_{self.request_id}", status="in_progress")
        self.items.append(self.message)
        index = self._index(self.message)
        return [
            self.emit("response.output_item.added", output_index=index, item=_dump(self.message)),
            self.emit(
                "response.content_part.added",
                item_id=self.message.id,
                output_index=index,
                content_index=0,
                part=_dump(OutputText(text="")),
            ),
        ]

    def text_delta(self, text: str, logprobs: list[dict[str, Any]] | None = None) -> list[str]:
        events = self._open_message() if self.message is None else []
        assert self.message is not None
        self.text.append(text)
        self.logprobs.extend(logprobs or [])
        events.append(
            self.emit(
                "response.output_text.delta",
                item_id=self.message.id,
                output_index=self._index(self.message),
                content_index=0,
                delta=text,
                logprobs=logprobs or [],
            )
        )
        return events

    def tool_deltas(self, deltas: list[dict[str, Any]]) -> list[str]:
        events = []
        for delta in deltas:
            key = int(delta.get("index", len(self.calls)))
            function = delta.get("function") or {}
            call = self.calls.get(key)
            if call is None:
                call = FunctionCall(
                    id=f"fc_{self.request_id}_{key}",
                    call_id=delta.get("id") or f"call_{self.request_id}_{key}",
                    name=function.get("name") or "",
                    status="in_progress",
                )
                self.calls[key] = call
                self.items.append(call)
                events.append(
                    self.emit(
                        "response.output_item.added",
                        output_index=self._index(call),
                        item=_dump(call),
                    )
                )
            elif function.get("name"):
                call.name += function["name"]
            if arguments := function.get("arguments"):
                call.arguments += arguments
                events.append(
                    self.emit(
                        "response.function_call_arguments.delta",
                        item_id=call.id,
                        output_index=self._index(call),
                        delta=arguments,
                    )
                )
        return events

    def finish(self, status: str) -> list[str]:
        """Close every open item (an answer with no output at all is an empty message)."""
        events = self._open_message() if not self.items else []
        item_status = "incomplete" if status == "incomplete" else "completed"
        if self.message is not None:
            index = self._index(self.message)
            part = OutputText(text="".join(self.text), logprobs=self.logprobs)
            self.message.content = [part]
            self.message.status = item_status
            events += [
                self.emit(
                    "response.output_text.done",
                    item_id=self.message.id,
                    output_index=index,
                    content_index=0,
                    text=part.text,
                    logprobs=part.logprobs,
                ),
                self.emit(
                    "response.content_part.done",
                    item_id=self.message.id,
                    output_index=index,
                    content_index=0,
                    part=_dump(part),
                ),
                self.emit(
                    "response.output_item.done", output_index=index, item=_dump(self.message)
                ),
            ]
        for call in self.calls.values():
            call.status = item_status
            call.arguments = call.arguments or "{}"
            index = self._index(call)
            events += [
                self.emit(
                    "response.function_call_arguments.done",
                    item_id=call.id,
                    output_index=index,
                    name=call.name,
                    arguments=call.arguments,
                ),
                self.emit("response.output_item.done", output_index=index, item=_dump(call)),
            ]
        return events


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json")


def output_items(
    request_id: str,
    text: str,
    tool_calls: list[dict[str, Any]],
    logprobs: list[dict[str, Any]],
    status: str,
) -> list[OutputMessage | FunctionCall]:
    """The output of a finished answer: its message (unless it only calls tools), its calls."""
    item_status = "incomplete" if status == "incomplete" else "completed"
    items: list[OutputMessage | FunctionCall] = []
    if text or not tool_calls:
        content = [OutputText(text=text, logprobs=logprobs)]
        items.append(OutputMessage(id=f"msg_{request_id}", status=item_status, content=content))
    for index, call in enumerate(tool_calls):
        function = call.get("function") or {}
        items.append(
            FunctionCall(
                id=f"fc_{request_id}_{index}",
                call_id=call.get("id") or f"call_{request_id}_{index}",
                name=function.get("name") or "",
                arguments=function.get("arguments") or "{}",
                status=item_status,
            )
        )
    return items


def assistant_turn(items: list[OutputMessage | FunctionCall]) -> dict[str, Any]:
    """The output as the chat message that continues the conversation."""
    text = "".join(
        part.text
        for item in items
        if isinstance(item, OutputMessage)
        for part in item.content
        if isinstance(part, OutputText)
    )
    calls = [
        {
            "id": item.call_id,
            "type": "function",
            "function": {"name": item.name, "arguments": item.arguments},
        }
        for item in items
        if isinstance(item, FunctionCall)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    return message


class ResponsesServing:
    """Translates, runs through :class:`ChatCompletionServing`, renders and stores."""

    def __init__(
        self, chat: ChatCompletionServing, lifecycle: RequestLifecycle, store: Any
    ) -> None:
        self.chat = chat
        self.lifecycle = lifecycle
        self.store = store

    # ------------------------------------------------------------------ read
    async def retrieve(self, response_id: str, ctx: RequestContext | None) -> JSONResponse:
        entry = await self.store.aget(response_id, self.lifecycle.owner(ctx))
        if entry is None:
            raise _not_found(response_id)
        return JSONResponse(entry["response"])

    async def delete(self, response_id: str, ctx: RequestContext | None) -> DeletedResponse:
        if not await self.store.adelete(response_id, self.lifecycle.owner(ctx)):
            raise _not_found(response_id)
        return DeletedResponse(id=response_id)

    # ---------------------------------------------------------------- create
    async def create(
        self, body: ResponsesRequest, request: Request, ctx: RequestContext | None
    ) -> Any:
        history = None
        if body.previous_response_id:
            entry = await self.store.aget(body.previous_response_id, self.lifecycle.owner(ctx))
            if entry is None:
                raise NotFound(
                    f"previous response {body.previous_response_id!r} not found (expired, "
                    "not stored, or another key's)",
                    code="previous_response_not_found",
                    param="previous_response_id",
                )
            history = entry["messages"]
        chat_body, conversation = chat_request(body, history)
        try:
            run = await self.chat.start(chat_body, request, ctx)
        except PolicyRefusal as exc:
            if exc.as_message:
                return self._refusal(body, exc.refusal, request.state.request_id)
            raise conversation.remap(exc) from None
        except ServeError as exc:
            raise conversation.remap(exc) from None
        headers = dict(ctx.response_headers) if ctx is not None else {}
        if body.stream:
            return StreamingResponse(
                self._events(body, run, conversation),
                media_type="text/event-stream",
                headers={**sse.HEADERS, **headers},
            )
        record = run.record
        try:
            texts = await self.chat.texts(run)
            choice = record.choices[0]
            status, incomplete = outcome(choice.finish_reason)
            items = output_items(
                record.request_id,
                texts[0],
                choice.tool_calls,
                choice.logprobs if texts[0] == choice.content else [],  # none after a redaction
                status,
            )
            response = self.response(body, record, status, items, incomplete)
            await self.keep(body, response, conversation, ctx)
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise conversation.remap(exc) from None
        finally:
            await run.pieces.aclose()
        await self.lifecycle.finish(record, ctx, 200)
        return JSONResponse(response.model_dump(mode="json"), headers=headers)

    def response(
        self,
        body: ResponsesRequest,
        record: RequestRecord | None,
        status: str,
        items: list[OutputMessage | FunctionCall],
        incomplete: IncompleteDetails | None = None,
        *,
        response_id: str | None = None,
        error: ResponseError | None = None,
        created_at: int | None = None,
    ) -> ResponseObject:
        """The ``response`` object for ``body`` in its current state."""
        fmt = body.text.format if body.text else None
        text = {"format": fmt.model_dump(by_alias=True, exclude_none=True)} if fmt else None
        final = status in ("completed", "incomplete", "failed")
        return ResponseObject(
            id=response_id or RESPONSE_PREFIX + (record.request_id if record else ""),
            created_at=created_at or int(time.time()),
            status=status,
            error=error,
            incomplete_details=incomplete,
            instructions=body.instructions,
            max_output_tokens=body.max_output_tokens,
            model=body.model,
            output=items,
            parallel_tool_calls=body.parallel_tool_calls is not False,
            previous_response_id=body.previous_response_id,
            store=body.store,
            temperature=body.temperature,
            text=text or {"format": {"type": "text"}},
            tool_choice=body.tool_choice or "auto",
            tools=body.tools or [],
            top_logprobs=body.top_logprobs,
            top_p=body.top_p,
            truncation=body.truncation or "disabled",
            usage=response_usage(record) if record is not None and final else None,
            user=body.user,
            metadata=body.metadata or {},
            interfaze=interfaze_meta(record) if record is not None and final else None,
        )

    async def keep(
        self,
        body: ResponsesRequest,
        response: ResponseObject,
        conversation: Conversation,
        ctx: RequestContext | None,
    ) -> None:
        """Store a finished response and its conversation (not with ``store: false``)."""
        if not body.store:
            return
        messages = [
            m
            for m, origin in zip(conversation.messages, conversation.origins, strict=True)
            if origin != "instructions"  # instructions belong to one turn only
        ]
        messages.append(assistant_turn(response.output))
        await self.store.aput(
            {
                "id": response.id,
                "key_id": self.lifecycle.owner(ctx),
                "response": response.model_dump(mode="json"),
                "messages": json.loads(json.dumps(messages)),
            }
        )

    # ---------------------------------------------------------------- stream
    def _events(
        self, body: ResponsesRequest, run: ChatRun, conversation: Conversation
    ) -> AsyncIterator[str]:
        record, ctx = run.record, run.ctx
        created = int(time.time())
        emit = EventWriter()
        output = OutputStream(record.request_id, emit)
        gateway = self.lifecycle.gateway
        redactor = gateway.stream_redactor(ctx) if ctx is not None and gateway else None
        gate = LogprobsGate()  # logprobs leave in step with the redacted text

        def state(status: str, **extra: Any) -> dict[str, Any]:
            return _dump(
                self.response(body, record, status, output.items, created_at=created, **extra)
            )

        def feed(piece: GenerationChunk) -> list[str]:
            if piece.index != 0:
                return []
            events: list[str] = []
            text = redactor.feed(piece.text) if redactor and piece.text else piece.text
            entries = gate.feed(piece.text or "", text or "", piece.logprobs or [])
            if text or entries:
                events += output.text_delta(text, entries)
            if piece.tool_calls:
                events += output.tool_deltas(piece.tool_calls)
            return events

        def on_error(exc: ServeError) -> list[str]:
            conversation.remap(exc)  # in place: the param names the Responses input item
            failure = ResponseError(code=str(exc.code), message=exc.message)
            return [
                emit("error", code=exc.code, message=exc.message, param=exc.param),
                emit("response.failed", response=state("failed", error=failure)),
            ]

        async def events() -> AsyncIterator[str]:
            yield emit("response.created", response=state("in_progress"))
            yield emit("response.in_progress", response=state("in_progress"))
            pieces = [run.first] if run.first is not None else []
            for piece in pieces:
                for event in feed(piece):
                    yield event
            async for piece in run.pieces:
                for event in feed(piece):
                    yield event
            rest = redactor.flush() if redactor is not None else ""
            entries = gate.flush(rest)
            if rest or entries:
                for event in output.text_delta(rest, entries):
                    yield event
            final, incomplete = outcome(record.choices[0].finish_reason)
            for event in output.finish(final):
                yield event
            response = self.response(
                body, record, final, output.items, incomplete, created_at=created
            )
            await self.keep(body, response, conversation, ctx)
            kind = "response.completed" if final == "completed" else "response.incomplete"
            yield emit(kind, response=_dump(response))

        return self.lifecycle.stream(
            events(), record, ctx, on_error=on_error, close=run.pieces.aclose, done=None
        )

    # --------------------------------------------------------------- refusal
    def _refusal(self, body: ResponsesRequest, refusal: str, request_id: str) -> Any:
        """The input guard's refusal (``refuse_with: message``) as a completed response."""
        response_id = RESPONSE_PREFIX + request_id
        message = OutputMessage(id=f"msg_{request_id}", content=[Refusal(refusal=refusal)])
        response = self.response(body, None, "completed", [message], response_id=response_id)
        if not body.stream:
            return JSONResponse(response.model_dump(mode="json"))
        emit = EventWriter()
        opened = message.model_copy(update={"status": "in_progress", "content": []})
        start = response.model_copy(update={"status": "in_progress", "output": []})
        events = [
            emit("response.created", response=_dump(start)),
            emit("response.in_progress", response=_dump(start)),
            emit("response.output_item.added", output_index=0, item=_dump(opened)),
            emit(
                "response.content_part.added",
                item_id=message.id,
                output_index=0,
                content_index=0,
                part={"type": "refusal", "refusal": ""},
            ),
            emit(
                "response.refusal.delta",
                item_id=message.id,
                output_index=0,
                content_index=0,
                delta=refusal,
            ),
            emit(
                "response.refusal.done",
                item_id=message.id,
                output_index=0,
                content_index=0,
                refusal=refusal,
            ),
            emit(
                "response.content_part.done",
                item_id=message.id,
                output_index=0,
                content_index=0,
                part=_dump(message.content[0]),
            ),
            emit("response.output_item.done", output_index=0, item=_dump(message)),
            emit("response.completed", response=_dump(response)),
        ]

        async def body_events() -> AsyncIterator[str]:
            for event in events:
                yield event

        return StreamingResponse(body_events(), media_type="text/event-stream")


def _not_found(response_id: str) -> NotFound:
    return NotFound(
        f"response {response_id!r} not found (expired, not stored, deleted, or another key's)",
        code="response_not_found",
        param="response_id",
    )
