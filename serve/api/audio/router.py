"""Thin HTTP layer of /v1/audio/transcriptions (OpenAI-compatible multipart form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from serve.api.chat_completions.router import ERROR_RESPONSES
from serve.api.errors import Overloaded
from serve.gateway.integration import gateway_context

router = APIRouter()


@router.post(
    "/v1/audio/transcriptions",
    responses=ERROR_RESPONSES,
    dependencies=[Depends(gateway_context)],  # API key check
)
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
) -> Response:
    service = request.app.state.audio_service
    if service is None:
        raise Overloaded("speech recognition is not enabled here", code="asr_unavailable")
    data = await service.read_upload(file)
    rendered = await service.transcribe(
        data=data,
        filename=file.filename,
        declared_mime=file.content_type,
        model=model,
        language=language,
        prompt=prompt,
        response_format=response_format,
        temperature=temperature,
        timestamp_granularities=timestamp_granularities,
        request_id=request.state.request_id,
    )
    return Response(content=rendered.body, media_type=rendered.media_type)
