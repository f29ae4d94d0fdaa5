"""Thin HTTP layer of /v1/audio/transcriptions (OpenAI-compatible multipart form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from deployments.common.errors import Overloaded
from serve.api import sse
from serve.api.protocol import ERROR_RESPONSES
from serve.gateway.integration import gateway_context

router = APIRouter()


@router.post("/v1/audio/transcriptions", responses=ERROR_RESPONSES)
async def create_transcription(
    request: Request,
    file: Annotated[UploadFile, File(description="The audio file (wav, mp3, flac, ogg...).")],
    model: Annotated[str, Form()] = "whisper-1",
    language: Annotated[str | None, Form()] = None,
    prompt: Annotated[str | None, Form()] = None,
    response_format: Annotated[str, Form()] = "json",
    temperature: Annotated[float | None, Form(ge=0, le=1)] = None,
    timestamp_granularities: Annotated[
        list[str] | None, Form(alias="timestamp_granularities[]")
    ] = None,
    stream: Annotated[
        bool | None, Form(description="Send transcript.text.delta / .done events (SSE).")
    ] = None,
    ctx=Depends(gateway_context),
) -> Response:
    serving = request.app.state.transcription
    if serving is None:
        raise Overloaded("speech recognition is not enabled here", code="asr_unavailable")
    options = dict(
        model=model,
        response_format=response_format,
        timestamp_granularities=timestamp_granularities,
        language=language,
        prompt=prompt,
        temperature=temperature,
    )
    if stream:
        events = await serving.transcribe_stream(request, ctx, file, **options)
        headers = dict(ctx.response_headers) if ctx is not None else {}
        return StreamingResponse(
            events, media_type="text/event-stream", headers={**sse.HEADERS, **headers}
        )
    rendered = await serving.transcribe(request, ctx, file, **options)
    return Response(content=rendered.body, media_type=rendered.media_type)
