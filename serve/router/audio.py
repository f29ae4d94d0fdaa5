"""Speech recognition alone: ``POST /v1/audio/transcriptions`` through the ASR deployment."""

from __future__ import annotations

from typing import Any

from fastapi import UploadFile

from deployments.common.errors import InputRejected
from deployments.common.media import sniff_mime
from serve.api.errors import NotFound, Overloaded, PayloadTooLarge
from serve.observability.trace import Trace
from serve.stages.client import StageClient, StageUnavailable, rejection_to_api_error

ACCEPTED_MODELS = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")
READ_CHUNK = 1 << 20


class AudioService:
    """Validates the upload, calls the ASR deployment, renders the requested format."""

    def __init__(
        self, asr: StageClient | None, *, model_names: list[str], max_bytes: int, traces: Any
    ) -> None:
        self.asr = asr
        self.model_names = [*ACCEPTED_MODELS, *model_names]
        self.max_bytes = max_bytes
        self.traces = traces

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

    async def transcribe(
        self,
        *,
        data: bytes,
        filename: str | None,
        declared_mime: str | None,
        model: str,
        language: str | None,
        prompt: str | None,
        response_format: str,
        temperature: float | None,
        timestamp_granularities: list[str] | None,
        request_id: str,
    ) -> Any:
        from deployments.perception.asr.formats import render_transcription

        if model not in self.model_names:
            raise NotFound(
                f"model {model!r} does not exist; available: {self.model_names}",
                code="model_not_found",
                param="model",
            )
        if self.asr is None:
            raise Overloaded(
                "the ASR deployment is not enabled in this configuration",
                code="asr_unavailable",
                retry_after=60,
            )
        trace = Trace(trace_id=request_id, model=model, route="audio")
        payload = {
            "data": data,
            "mime": sniff_mime(data) or declared_mime,
            "filename": filename,
            "language": language,
            "prompt": prompt,
            "temperature": temperature,
            "timestamp_granularities": timestamp_granularities,
        }
        try:
            with trace.stage("asr", bytes=len(data)):
                result = await self.asr.call(payload)
            rendered = render_transcription(
                result, response_format, timestamp_granularities=timestamp_granularities
            )
        except InputRejected as exc:
            raise rejection_to_api_error(exc) from None
        except StageUnavailable as exc:
            trace.status, trace.error = exc.error.status, exc.reason
            self.traces.put(trace)
            raise exc.error from None
        trace.confidence = float(result.get("confidence") or 0.0)
        self.traces.put(trace)
        return rendered
