"""``/v1/audio/transcriptions``: the upload, the gateway lifecycle, the ASR deployment alone.

``stream=true`` sends the transcript as OpenAI's SSE events while the model decodes it:
``transcript.text.delta`` per segment, then ``transcript.text.done`` with the whole text.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request, UploadFile
from pydantic import ValidationError

from deployments.common.errors import (
    BadRequest,
    Overloaded,
    PayloadTooLarge,
    ServeError,
    StageTimeout,
    UpstreamError,
)
from deployments.common.media import sniff_mime
from deployments.perception.asr.protocol import (
    Transcription,
    TranscriptionEvent,
    TranscriptionRequest,
)
from serve.api import sse
from serve.api.lifecycle import RequestLifecycle
from serve.api.models.catalogue import ModelCatalogue
from serve.gateway.context import RequestContext
from serve.observability.record import RequestRecord
from serve.stages.client import StageClient, StageUnavailable, unwrap_remote_error

READ_CHUNK = 1 << 20
# response_format values a stream can carry (the events hold plain text)
STREAM_FORMATS = ("json", "text")
STREAM_METHOD = "transcribe_stream"


class TranscriptionServing:
    """Validates the upload, calls the ASR deployment, renders the requested format."""

    def __init__(
        self,
        asr: StageClient | None,
        lifecycle: RequestLifecycle,
        catalogue: ModelCatalogue,
        *,
        max_bytes: int,
    ) -> None:
        self.asr = asr
        self.lifecycle = lifecycle
        self.catalogue = catalogue
        self.max_bytes = max_bytes

    async def read_upload(self, upload: UploadFile) -> bytes:
        """Read the upload up to the limit (413 past it, without reading the rest)."""
        chunks, size = [], 0
        while chunk := await upload.read(READ_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLarge(
                    f"audio file exceeds the limit of {self.max_bytes} bytes",
                    code="media_too_large",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def _payload(
        self,
        model: str,
        upload: UploadFile,
        timestamp_granularities: list[str] | None,
        options: dict[str, Any],
    ) -> TranscriptionRequest:
        self.catalogue.transcription(model)
        if self.asr is None:
            raise Overloaded(
                "the ASR deployment is not enabled in this configuration",
                code="asr_unavailable",
                retry_after=60,
            )
        data = await self.read_upload(upload)
        return _payload(
            data=data,
            mime=sniff_mime(data) or upload.content_type,
            filename=upload.filename,
            timestamp_granularities=timestamp_granularities,
            **options,
        )

    async def transcribe(
        self,
        request: Request,
        ctx: RequestContext | None,
        upload: UploadFile,
        *,
        model: str,
        response_format: str,
        timestamp_granularities: list[str] | None,
        **options: Any,
    ) -> Any:
        from deployments.perception.asr.formats import render_transcription

        await self.lifecycle.admit(ctx, None)
        record = self.lifecycle.open(request, ctx, model)
        record.route = "audio"
        try:
            payload = await self._payload(model, upload, timestamp_granularities, options)
            with record.stage("asr", bytes=len(payload.data)) as step:
                try:
                    result = await self.asr.call(payload.model_dump(exclude_none=True))
                except StageUnavailable as exc:
                    step.summary["reason"] = exc.reason
                    raise exc.error from None
            rendered = render_transcription(
                result, response_format, timestamp_granularities=timestamp_granularities
            )
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise
        record.confidence = float(result.get("confidence") or 0.0)
        await self.lifecycle.finish(record, ctx, 200)
        return rendered

    # ------------------------------------------------------------------ stream
    async def transcribe_stream(
        self,
        request: Request,
        ctx: RequestContext | None,
        upload: UploadFile,
        *,
        model: str,
        response_format: str,
        timestamp_granularities: list[str] | None,
        **options: Any,
    ) -> AsyncIterator[str]:
        """SSE events of the transcript as it is decoded. Errors known before the first
        segment (bad audio, limits, unknown model) keep their HTTP status."""
        await self.lifecycle.admit(ctx, None)
        record = self.lifecycle.open(request, ctx, model)
        record.route = "audio"
        try:
            if (response_format or "json").lower() not in STREAM_FORMATS:
                raise BadRequest(
                    f"stream=true supports response_format {' or '.join(STREAM_FORMATS)}; "
                    f"got {response_format!r}",
                    code="unsupported_stream_format",
                    param="response_format",
                )
            payload = await self._payload(model, upload, timestamp_granularities, options)
            events = SegmentStream(self.asr, payload, record)
            first = await events.next()
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise
        return self._events(events, first, record, ctx)

    def _events(
        self,
        events: SegmentStream,
        first: TranscriptionEvent | None,
        record: RequestRecord,
        ctx: RequestContext | None,
    ) -> AsyncIterator[str]:
        async def body() -> AsyncIterator[str]:
            spoken = 0
            event = first
            while event is not None and event.type == "segment":
                text = event.segment.text if event.segment else ""
                if text:
                    delta = text if spoken == 0 else " " + text
                    spoken += 1
                    yield sse.event({"type": "transcript.text.delta", "delta": delta})
                event = await events.next()
            if event is None or event.transcription is None:
                raise UpstreamError("the ASR stream ended without a result")
            result = event.transcription
            record.confidence = result.confidence
            yield sse.event(done_event(result, record))

        return self.lifecycle.stream(body(), record, ctx, close=events.close)


def done_event(result: Transcription, record: RequestRecord) -> dict[str, Any]:
    """``transcript.text.done``: the whole text (as the json format has it) and its usage."""
    return {
        "type": "transcript.text.done",
        "text": result.text,
        "usage": {"type": "duration", "seconds": math.ceil(result.duration_s)},
        "interfaze": {
            "trace_id": record.request_id,
            "language": result.language,
            "duration_s": result.duration_s,
            "confidence": result.confidence,
            "segments": len(result.segments),
        },
    }


class SegmentStream:
    """The ASR deployment's ``transcribe_stream`` under the stage's deadline (whole stream).

    Closing it cancels the stream in the replica (decoding stops there).
    """

    def __init__(self, asr: StageClient, payload: TranscriptionRequest, record: RequestRecord):
        self.asr = asr
        self.record = record
        self.deadline = asyncio.get_running_loop().time() + asr.timeout_s
        self.stage = record.stage("asr", bytes=len(payload.data), stream=True)
        self.step = self.stage.__enter__()
        self.response = asr.handle.options(stream=True).transcribe_stream.remote(
            payload.model_dump(exclude_none=True)
        )
        self.segments = 0
        self.closed = False

    async def next(self) -> TranscriptionEvent | None:
        """The next event, or None at the end; deployment errors as :class:`ServeError`."""
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(max(remaining, 0.001)):
                raw = await anext(self.response, None)
        except TimeoutError:
            error = StageTimeout(f"stage asr timed out after {self.asr.timeout_s:g} s")
            await self.close(error)
            raise error from None
        except Exception as exc:
            cause = unwrap_remote_error(exc)
            error = cause if isinstance(cause, ServeError) else None
            if error is None:
                error = UpstreamError(f"stage asr failed: {type(cause).__name__}")
            await self.close(error)
            raise error from None
        if raw is None:
            await self.close()
            return None
        event = TranscriptionEvent.model_validate(raw)
        if event.type == "segment":
            self.segments += 1
        return event

    async def close(self, error: BaseException | None = None) -> None:
        """Stop the stream (cancelled in the replica unless it ended) and close the stage."""
        if self.closed:
            return
        self.closed = True
        self.step.summary["segments"] = self.segments
        cancel = getattr(self.response, "cancel", None)
        if cancel is not None:
            cancel()
        else:  # an in-process async generator (tests)
            await self.response.aclose()
        if error is None:
            self.stage.__exit__(None, None, None)
        else:
            self.stage.__exit__(type(error), error, None)


def _payload(**fields: Any) -> TranscriptionRequest:
    """The ASR request; a field out of range is the client's 400, naming the field."""
    try:
        return TranscriptionRequest(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first.get("loc", ())) or None
        raise BadRequest(f"{param}: {first.get('msg')}", param=param) from None
