"""``/v1/audio/transcriptions``: the upload, the gateway lifecycle, the ASR deployment alone."""

from __future__ import annotations

from typing import Any

from fastapi import Request, UploadFile
from pydantic import ValidationError

from deployments.common.errors import BadRequest, Overloaded, PayloadTooLarge, ServeError
from deployments.common.media import sniff_mime
from deployments.perception.asr.protocol import TranscriptionRequest
from serve.api.lifecycle import RequestLifecycle
from serve.api.models.catalogue import ModelCatalogue
from serve.gateway.context import RequestContext
from serve.stages.client import StageClient, StageUnavailable

READ_CHUNK = 1 << 20


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
            self.catalogue.transcription(model)
            if self.asr is None:
                raise Overloaded(
                    "the ASR deployment is not enabled in this configuration",
                    code="asr_unavailable",
                    retry_after=60,
                )
            data = await self.read_upload(upload)
            payload = _payload(
                data=data,
                mime=sniff_mime(data) or upload.content_type,
                filename=upload.filename,
                timestamp_granularities=timestamp_granularities,
                **options,
            )
            with record.stage("asr", bytes=len(data)) as step:
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


def _payload(**fields: Any) -> TranscriptionRequest:
    """The ASR request; a field out of range is the client's 400, naming the field."""
    try:
        return TranscriptionRequest(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first.get("loc", ())) or None
        raise BadRequest(f"{param}: {first.get('msg')}", param=param) from None
